"""The command line as the README promises it: exit codes, stdin in any encoding, a report that never
overwrites its input, and terminal output free of control characters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_extract._interfaces.cli import app
from tests.fake_openai import FakeOpenAI, status

runner = CliRunner()
TEXT = "Officials of Chile and Peru disagreed on Tuesday over fishing quotas in shared waters.\n"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
    for name in ("OPENAI_BASE_URL", "SUMMIT_EXTRACT_BACKEND", "SUMMIT_EXTRACT_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


def run(*args: Any, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], input=input)


# -- exit codes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["   \n", "<html><body><div>x</div><p>y</p></body></html>"],
                         ids=["empty", "html"])
def test_an_input_error_on_a_single_article_is_exit_2(srv: FakeOpenAI, tmp_path: Path, content: str) -> None:
    article = tmp_path / "a.txt"
    article.write_text(content, encoding="utf-8")
    result = run("extract", article, "--base-url", srv.base_url)
    assert result.exit_code == 2, result.output
    assert "InputError" in result.output and srv.count == 0


@pytest.mark.parametrize(
    "data",
    [b"not utf-8 \x80\x81 \xfa", "Café à Genève".encode("cp1252"), b"\x00\x01\x02\xff" * 20],
    ids=["garbage", "cp1252", "binary"],
)
def test_stdin_that_is_not_utf8_is_a_usage_error_exit_2(srv: FakeOpenAI, data: bytes) -> None:
    result = run("extract", "-", "--base-url", srv.base_url, input=data)
    assert result.exit_code == 2, result.output
    assert "stdin" in result.output and "UTF-8" in result.output
    assert "unexpected" not in result.output and srv.count == 0


def test_stdin_with_a_byte_order_mark_is_decoded(srv: FakeOpenAI) -> None:
    result = run("extract", "-", "--base-url", srv.base_url, "--json", input=TEXT.encode("utf-16"))
    assert result.exit_code == 0, result.output
    assert srv.count >= 1 and all("Chile and Peru" in json.dumps(body) for body in srv.requests)


# -- report never overwrites its input -------------------------------------------------------------------


def test_report_refuses_to_overwrite_an_article_named_html(srv: FakeOpenAI, tmp_path: Path) -> None:
    article = tmp_path / "dispatch.html"
    article.write_text(TEXT, encoding="utf-8")
    result = run("report", article, "--base-url", srv.base_url)
    assert result.exit_code == 2 and "overwrite its input" in result.output
    assert article.read_text(encoding="utf-8") == TEXT and srv.count == 0


def test_report_refuses_an_out_that_is_the_article_or_the_result(srv: FakeOpenAI, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    results = tmp_path / "out.jsonl"
    assert run("extract", article, "--base-url", srv.base_url, "--out", results).exit_code == 0
    before = results.read_bytes()
    for out, extra in ((article, []), (results, ["--result", results]), (tmp_path / "." / "a.txt", [])):
        result = run("report", article, "--base-url", srv.base_url, "--out", out, *extra)
        assert result.exit_code == 2, result.output
    assert article.read_text(encoding="utf-8") == TEXT and results.read_bytes() == before
    ok = run("report", article, "--result", results, "--out", tmp_path / "a.report.html")
    assert ok.exit_code == 0 and (tmp_path / "a.report.html").is_file()


# -- terminal output has no control characters -------------------------------------------------------------

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m"


def test_an_endpoint_error_with_escape_sequences_reaches_the_terminal_clean(
    srv: FakeOpenAI, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    srv.default = status(400, body={"error": {"message": f"bad request {ESCAPES}please retry"}})
    result = run("extract", article, "--base-url", srv.base_url)
    assert result.exit_code == 1
    assert "bad request" in result.output and "please retry" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_summary_of_an_article_with_escape_sequences_is_printed_clean(
    srv: FakeOpenAI, tmp_path: Path
) -> None:
    article = tmp_path / f"title{ESCAPES[:8]}.txt"
    article.write_text(ESCAPES + TEXT, encoding="utf-8")
    result = run("extract", article, "--base-url", srv.base_url)
    assert result.exit_code == 0, result.output
    assert "Disputes (1)" in result.output and "disagreed on Tuesday" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    batch = run("extract", article, article.with_name("b.txt"), "--base-url", srv.base_url,
                "--out", tmp_path / "o.jsonl")
    assert "\x1b" not in batch.output


def test_a_full_disk_under_the_cli_is_one_clear_line_and_the_rerun_resumes(
    srv: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import json
    import os

    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(f"Story {i}. {TEXT}", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    real = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr("summit_extract._runners.records.os.fsync", fsync)
    result = run("extract", folder, "--base-url", srv.base_url, "--out", out, "--concurrency", "1")
    assert result.exit_code == 1, result.output
    assert "OutputError" in result.output and "No space left on device" in result.output
    assert "run the same command again" in result.output and "Traceback" not in result.output
    assert len(out.read_text().splitlines()) == 1
    monkeypatch.setattr("summit_extract._runners.records.os.fsync", real)
    again = run("extract", folder, "--base-url", srv.base_url, "--out", out, "--concurrency", "1")
    assert again.exit_code == 0, again.output
    assert sorted(json.loads(line)["id"] for line in out.read_text().splitlines()) == sorted(
        str(p) for p in folder.glob("*.txt")
    )
