"""The command line follows the conventions people know.

``-o -`` is stdout on every command that writes, and ``-o/--out`` is on each of them; ``--version`` comes
from the installed metadata that pyproject.toml sets; ``-v`` and ``--version`` work after the command's
name; one undecodable file in a folder is one error record and the rest is extracted; the same bad bytes
get the same words from a file or stdin; ``report DIR`` says it is a folder; ``--dry-run`` prints the
requests and starts no model; an endpoint where nothing listens ends a batch in seconds, resumably, with
its request counts agreeing in the message, the records and the summary.

Extractions are answered by the scripted backend (summit_extract.testing); the fault server of
tests/fake_openai.py only where the test is about a fault (a 503, then a working endpoint).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summit_extract
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.testing import ScriptedBackend, scripted_backend
from tests.fake_openai import FakeOpenAI, ok, status
from tests.paths import ROOT, SEED
from tests.truce import ANSWERS, ARTICLE, GOLD

runner = CliRunner()
TRUCE = "tests.truce:Truce"
#: A local port where nothing listens: every connection is refused at once.
DEAD = "http://127.0.0.1:9/v1"
#: The truce answers in one dict: the fault server sends each request the fields it asks for.
WHOLE = {**ANSWERS["frame"], **ANSWERS["terms"]}


@pytest.fixture(autouse=True)
def _env(clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No endpoint from the environment (conftest.clean_env), and files written where the test looks."""
    monkeypatch.chdir(tmp_path)


def run(*args: Any, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], input=input)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scripted(monkeypatch: pytest.MonkeyPatch) -> ScriptedBackend:
    backend = scripted_backend(ANSWERS)
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    return backend


def articles(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:02d}.txt").write_text(ARTICLE.replace("Friday", f"day {i}"), encoding="utf-8")
    return folder


# -- version and global options ------------------------------------------------------------------------


def test_version_is_the_installed_metadata_which_pyproject_sets() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert summit_extract.__version__ == importlib.metadata.version("summit-extract") == declared
    for args in (
        ["--version"],
        ["extract", "--version"],
        ["check", "--version"],
        ["batch", "submit", "--version"],
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout == f"summit-extract {declared}\n"


def test_verbose_goes_before_or_after_the_command(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)

    def retried(*where: str) -> bool:
        caplog.clear()
        with FakeOpenAI(default=ok(WHOLE, fit=True)) as srv:
            srv.script(status(503))
            args = ["extract", "a.txt", "--schema", TRUCE, "--base-url", srv.base_url, "--json"]
            before = ["-v"] if "before" in where else []
            after = ["-v"] if "after" in where else []
            result = run(*before, *args, *after)
        assert result.exit_code == 0, result.output
        return any("retrying" in r.getMessage() for r in caplog.records if r.name == "summit_extract")

    assert retried("before") and retried("after")
    assert not retried()  # quiet without -v: retries are counted in the record, not logged


# -- -o - and -o/--out -----------------------------------------------------------------------------------


def test_extract_dash_o_writes_the_records_to_stdout_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted(monkeypatch)
    (tmp_path / "a.txt").write_text(ARTICLE)
    result = run("extract", "a.txt", "--schema", TRUCE, "-o", "-")
    assert result.exit_code == 0, result.output
    (record,) = lines(result.stdout)
    assert record["id"] == "a.txt" and record["status"] == "ok"
    assert [s["name"] for s in record["result"]["sides"]] == ["Elbonia", "Kazakstania"]
    assert "1 items: 1 done" in result.stderr
    assert not (tmp_path / "-").exists() and not (tmp_path / "-.lock").exists()


def test_report_dash_o_writes_the_page_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch)
    (tmp_path / "a.txt").write_text(ARTICLE)
    result = run("report", "a.txt", "--schema", TRUCE, "-o", "-")
    assert result.exit_code == 0, result.output
    assert "<html" in result.stdout and "agreed to reopen the border" in result.stdout
    assert not (tmp_path / "-").exists() and not (tmp_path / "a.html").exists()


def test_schema_takes_dash_o_and_dash_o_dash(tmp_path: Path) -> None:
    printed = run("schema", "--schema", TRUCE, "-o", "-")
    assert printed.exit_code == 0, printed.output
    files = json.loads(printed.stdout)
    assert sorted(files) == [
        "truce.request.frame.schema.json",
        "truce.request.terms.schema.json",
        "truce.result.schema.json",
    ]
    assert files["truce.request.frame.schema.json"]["properties"].keys() == {"sides", "is_truce"}
    assert not (tmp_path / "-").exists()
    written = run("schema", "--schema", TRUCE, "-o", "out")
    assert written.exit_code == 0, written.output
    assert (
        json.loads((tmp_path / "out" / "truce.result.schema.json").read_text())
        == files["truce.result.schema.json"]
    )
    check = run("schema", "-o", "-", "--check")
    assert check.exit_code == 2 and "give --out the folder" in check.stderr


def test_eval_dash_o_prints_the_json_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch)
    (tmp_path / "dev" / "articles").mkdir(parents=True)
    (tmp_path / "dev" / "gold").mkdir()
    (tmp_path / "dev" / "articles" / "t1.txt").write_text(ARTICLE)
    (tmp_path / "dev" / "gold" / "t1.json").write_text(json.dumps(GOLD))
    result = run("eval", "dev", "--schema", TRUCE, "-o", "-")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["aggregate"]["macro"] == 1.0 and report["articles"][0]["article"] == "t1"
    assert not (tmp_path / "-").exists()


def test_batch_commands_need_a_file_for_out(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    for args in (["submit", "a.txt", "--dry-run"], ["status"], ["collect"]):
        result = run("batch", *args, "-o", "-")
        assert result.exit_code == 2, (args, result.output)
        assert "batch needs --out to be a file" in result.stderr


# -- dry run ----------------------------------------------------------------------------------------------


def test_dry_run_prints_the_seed_s_requests_and_starts_no_model() -> None:
    from summit_extract.providers import local

    result = run("extract", "--dry-run", SEED, "--backend", "local")
    assert result.exit_code == 0, result.output
    (row,) = lines(result.stdout)
    assert row["id"] == str(SEED) and row["backend"] == "local"
    keys = [r["key"] for r in row["requests"]]  # the findings are asked piece by piece: "agreements@2"
    assert keys[0] == "frame" and {k.split("@")[0] for k in keys} == {"frame", "agreements", "disputes"}
    seed = SEED.read_text(encoding="utf-8")
    for request in row["requests"]:
        body = request["body"]
        assert body["model"] == row["model"] and body["response_format"]["type"] == "json_schema"
        read = [m["content"] for m in body["messages"] if m["content"].startswith("Article:\n")][-1]
        assert read.removeprefix("Article:\n") in seed  # the article, or for a piecewise pass a piece of it
    frame = row["requests"][0]["body"]["messages"]
    assert f"Article:\n{seed.rstrip()}" in [m["content"] for m in frame]
    assert local._server is None  # planned, never served


def test_dry_run_writes_to_out_and_reports_a_bad_article_as_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted(monkeypatch)
    folder = articles(tmp_path / "in", 2)
    (folder / "zz.txt").write_text("   ")
    result = run("extract", "--dry-run", folder, "--schema", TRUCE, "-o", "plan.jsonl")
    assert result.exit_code == 1, result.output
    rows = lines((tmp_path / "plan.jsonl").read_text())
    assert [len(r.get("requests", [])) for r in rows] == [2, 2, 0]
    assert rows[2]["error"]["type"] == "InputError" and "empty" in rows[2]["error"]["message"]
    assert "2 of 3 article(s) planned" in result.stderr


# -- bad input ---------------------------------------------------------------------------------------------

CP1252 = "Talks in the café were “frank”, said the Président.".encode("cp1252")


def test_a_folder_with_an_undecodable_and_an_empty_file_gives_four_records_two_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = scripted(monkeypatch)
    folder = articles(tmp_path / "in", 2)
    (folder / "bin.txt").write_bytes(CP1252)
    (folder / "empty.txt").write_text("")
    result = run("extract", folder, "--schema", TRUCE, "-o", "out.jsonl")
    assert result.exit_code == 1, result.output
    records = {Path(r["id"]).name: r for r in lines((tmp_path / "out.jsonl").read_text())}
    assert sorted(records) == ["00.txt", "01.txt", "bin.txt", "empty.txt"]
    assert [n for n, r in sorted(records.items()) if r["status"] == "ok"] == ["00.txt", "01.txt"]
    assert records["bin.txt"]["error"]["type"] == records["empty.txt"]["error"]["type"] == "InputError"
    message = records["bin.txt"]["error"]["message"]
    assert message.startswith(f"The article is not UTF-8 text (byte {CP1252.index(0xE9)} is 0xe9)")
    assert "Convert it to UTF-8 (iconv -f cp1252 -t utf-8" in message
    assert len(backend.requests) == 4  # two passes for each good article, none for the others

    # The same bytes, alone or on stdin: the same words, exit 2.
    alone = run("extract", folder / "bin.txt", "--schema", TRUCE)
    piped = run("extract", "-", "--schema", TRUCE, input=CP1252)
    assert (alone.exit_code, piped.exit_code) == (2, 2)
    assert alone.stderr == f"summit-extract: error: {folder / 'bin.txt'}: InputError: {message}\n"
    assert piped.stderr == f"summit-extract: error: stdin: InputError: {message}\n"


def test_report_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    articles(tmp_path / "in", 1)
    result = run("report", "in")
    assert result.exit_code == 2
    assert (
        result.stderr == "summit-extract: error: in: is a folder; report renders one article file "
        "(extract takes folders)\n"
    )


# -- an endpoint where nothing listens ---------------------------------------------------------------------


def _gave_up(message: str) -> int:
    found = re.search(r"Gave up after (\d+) request\(s\)", message)
    assert found, message
    return int(found.group(1))


def test_a_refused_endpoint_ends_a_20_article_batch_in_seconds_and_the_rest_resumes(tmp_path: Path) -> None:
    folder = articles(tmp_path / "in", 20)
    started = time.monotonic()
    result = run("extract", folder, "--schema", TRUCE, "--base-url", DEAD, "-o", "out.jsonl")
    took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert took < 20, f"{took:.1f} s"  # about a second: no item waits out the whole backoff
    assert result.stderr.count("\n") == 1, result.stderr  # one clear message
    assert (
        f"UnreachableError: Stopped early after 3 articles in a row: nothing answered at {DEAD}"
        in result.stderr
    )
    assert "retried when the same command runs again" in result.stderr

    records = lines((tmp_path / "out.jsonl").read_text())
    assert len(records) == 20 and all(r["status"] == "error" for r in records)
    tried = [r for r in records if not r["error"]["message"].startswith("Not started")]
    waiting = [r for r in records if r["error"]["message"].startswith("Not started")]
    assert len(tried) >= 3 and waiting and all(r["attempts"] == 0 for r in waiting)
    assert waiting[0]["error"]["message"].startswith(
        f"Not started: the batch stopped early, 3 articles in a row failing with: nothing answered at {DEAD}"
    )
    for record in tried:  # the message counts what the record counts: every request of the article
        assert record["error"]["type"] == "UnreachableError"
        assert _gave_up(record["error"]["message"]) == record["attempts"] >= 2
    total = sum(r["attempts"] for r in records)
    assert f"{total} request(s) in all" in result.stderr
    assert f"{len(tried)} article(s) failed and {len(waiting)} were not started" in result.stderr

    with FakeOpenAI(default=ok(WHOLE, fit=True)) as srv:
        again = run("extract", folder, "--schema", TRUCE, "--base-url", srv.base_url, "-o", "out.jsonl")
    assert again.exit_code == 0, again.output
    assert "20 items: 20 done (0 cached), 0 skipped, 0 failed; 40 requests" in again.stderr
    final = lines((tmp_path / "out.jsonl").read_text())
    assert len(final) == 20 and all(r["status"] == "ok" for r in final)


def test_one_refused_article_counts_its_requests_alike_in_message_record_and_summary(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    result = run("extract", "a.txt", "--schema", TRUCE, "--base-url", DEAD, "-o", "-")
    assert result.exit_code == 1, result.output
    (record,) = lines(result.stdout)
    attempts = record["attempts"]
    assert _gave_up(record["error"]["message"]) == attempts >= 2
    assert f"1 failed (1 UnreachableError); {attempts} requests" in result.stderr


def test_a_single_refused_article_fails_fast_saying_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    started = time.monotonic()
    result = run("extract", "a.txt", "--schema", TRUCE, "--base-url", DEAD)
    assert result.exit_code == 1 and time.monotonic() - started < 10
    assert "nothing answered at http://127.0.0.1:9/v1" in result.stderr
    assert "start the server, or fix the base URL (--base-url, OPENAI_BASE_URL)" in result.stderr
