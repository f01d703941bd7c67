"""The summit-extract command line: inputs, outputs, resume, exit codes, schemas.

Most tests point the CLI at the local fake server with --base-url, exactly as a user points it at any
OpenAI-compatible endpoint. The seed-article test replays the seed cassette of tests/test_extract_recorded.py
(the CLI sends the very same requests, so one recording serves both and they never drift apart); it swaps
the CLI's backend resolver for the ``local_backend`` fixture. The trade-deal article type's CLI runs are in
tests/test_tradedeal.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from summit_extract import Backend, Dispute
from summit_extract._document import choose_passes
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.summit import Summit
from tests.fake_openai import FakeOpenAI, article_of, status
from tests.paths import CASSETTES, DEVSET, SEED

runner = CliRunner()


#: Requests per Summit article: one per default pass (frame, agreements, disputes).
PASSES = len(choose_passes(Summit, None))


class TradeSummit(BaseModel):
    """A user's own article type for --schema: a plain pydantic model, asked in one request."""

    is_summit: bool = False
    disputes: list[Dispute] = Field(default_factory=list)
    tariffs: list[str] = Field(default_factory=list, description="Tariffs the article mentions, as written.")


#: A cache of its own and no endpoint from the environment (conftest.clean_env).
pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], input=input)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def articles(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:02d}.txt").write_text(
            f"Leaders of Country {i} and Country {i + 1} met in City {i} to settle the river dispute.\n"
        )
    return folder


# -- the seed article, replayed from the embedded model -------------------------------------------------


SEED_CASSETTE = str(CASSETTES / "test_extract_recorded" / "test_seed_summit.yaml")


@pytest.mark.vcr(SEED_CASSETTE)
def test_seed_article_summary_then_json_from_the_cache(
    local_backend: Backend, monkeypatch: pytest.MonkeyPatch, recording: bool
) -> None:
    if recording:
        pytest.skip("replays tests/test_extract_recorded.py's seed cassette; record that one instead")
    monkeypatch.setattr(_cli, "build_backend", lambda *args: local_backend)
    seed = SEED.read_text(encoding="utf-8")

    first = run("extract", SEED, "--json")  # the one recorded request
    assert first.exit_code == 0, first.stderr
    (record,) = lines(first.stdout)
    assert record["id"] == str(SEED) and record["status"] == "ok" and record["backend"] == "local"
    assert record["attempts"] >= 1 and record["usage"]["prompt_tokens"] > 1000
    summit = record["result"]
    assert summit["is_summit"] is True
    assert {"Yoon Suk Yeol", "Fumio Kishida"} <= {p["name"] for p in summit["participants"]}
    for p in summit["participants"]:
        assert seed[p["span"]["start"] : p["span"]["end"]] == p["evidence"]

    second = run("extract", SEED)  # the readable summary, answered from the cache
    assert second.exit_code == 0, second.stderr
    out = second.stdout
    assert "Reports a summit" in out and "Seoul" in out
    assert "Yoon Suk Yeol" in out and "Fumio Kishida" in out
    for p in summit["participants"]:
        assert f"[{p['span']['start']}:{p['span']['end']}]" in out
    assert "from cache, no request" in out


# -- inputs and outputs ---------------------------------------------------------------------------------


def test_several_articles_write_jsonl_to_stdout_and_a_summary_to_stderr(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 3)
    files = [folder / f"{i:02d}.txt" for i in range(3)]
    result = run("extract", *files, "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    rows = lines(result.stdout)
    assert sorted(r["id"] for r in rows) == [str(f) for f in files]  # in the order they finished
    assert all(r["status"] == "ok" and r["result"]["disputes"] for r in rows)
    done = f"3 items: 3 done (0 cached), 0 skipped, 0 failed; {3 * PASSES} requests, {450 * PASSES} tokens"
    assert done in result.stderr


def test_folder_to_file_then_rerun_resumes_and_skips_everything(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 4)
    out = tmp_path / "out.jsonl"
    first = run("extract", folder, "-o", out, "--base-url", srv.base_url, "--no-cache")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert len(lines(out.read_text())) == 4 and srv.count == 4 * PASSES

    second = run("extract", folder, "-o", out, "--base-url", srv.base_url, "--no-cache")
    assert second.exit_code == 0
    assert srv.count == 4 * PASSES
    assert "4 items: 0 done (0 cached), 4 skipped, 0 failed; 0 requests" in second.stderr


def test_resume_after_an_interruption_left_a_partial_line(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 4)
    out = tmp_path / "out.jsonl"
    run("extract", folder / "00.txt", folder / "01.txt", "-o", out, "--base-url", srv.base_url)
    with out.open("a") as fh:
        fh.write('{"id": "' + str(folder / "02.txt") + '", "status": "o')  # killed mid-write
    result = run("extract", folder, "-o", out, "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    rows = lines(out.read_text())
    assert sorted(r["id"] for r in rows) == [str(folder / f"{i:02d}.txt") for i in range(4)]
    assert srv.count == 4 * PASSES
    assert "2 done (0 cached), 2 skipped" in result.stderr


def test_stdin_text_prints_a_summary(srv: Any) -> None:
    text = "Leaders of Japan and Korea met in Seoul to discuss the chip dispute."
    result = run("extract", "-", "--base-url", srv.base_url, input=text)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("stdin\n")
    assert "Disputes (1)" in result.stdout
    assert '"Leaders of Japan and Korea met in Seoul to discuss the chip' in result.stdout
    assert article_of(srv.requests[0]) == text


def test_jsonl_on_stdin_and_in_a_file_with_ids_and_published_dates(tmp_path: Path, srv: Any) -> None:
    rows = [
        {"id": "first", "text": "Leaders met in Rome to discuss the dispute.", "published": "2024-05-07"},
        {"text": "Ministers met in Oslo to discuss the fishing dispute."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    from_file = run("extract", source, "--base-url", srv.base_url, "--no-cache", "--concurrency", "1")
    from_stdin = run(
        "extract",
        "-",
        "--base-url",
        srv.base_url,
        "--no-cache",
        "--concurrency",
        "1",
        input=source.read_text(),
    )
    assert from_file.exit_code == 0 and from_stdin.exit_code == 0, from_file.stderr + from_stdin.stderr
    assert [r["id"] for r in lines(from_file.stdout)] == ["first", f"{source}:2"]
    assert [r["id"] for r in lines(from_stdin.stdout)] == ["first", "stdin:2"]
    users = [body["messages"][-2]["content"] for body in srv.requests]  # the article, then the pass's task
    assert len(users) == 4 * PASSES  # two items, twice
    for run_start in (0, 2 * PASSES):
        assert all(u.endswith("(Published on 2024-05-07.)") for u in users[run_start : run_start + PASSES])
        assert not any("Published" in u for u in users[run_start + PASSES : run_start + 2 * PASSES])


def test_schema_option_extracts_an_extended_article_type(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 1)
    schema = f"{__name__}:TradeSummit"
    result = run("extract", folder, "--json", "--schema", schema, "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    (record,) = lines(result.stdout)
    assert record["result"]["tariffs"] == []
    sent = json.dumps(srv.requests[0])
    assert "tariffs" in sent and "TradeSummit" in sent


def test_published_option_reaches_the_prompt(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 1)
    result = run("extract", folder, "--published", "2023-05-08", "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    assert srv.requests[0]["messages"][-2]["content"].endswith("(Published on 2023-05-08.)")


def test_identical_articles_cost_one_request_thanks_to_the_cache(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 1)
    (folder / "copy.txt").write_text((folder / "00.txt").read_text())
    result = run("extract", folder, "--base-url", srv.base_url, "--concurrency", "1")
    assert result.exit_code == 0
    assert srv.count == PASSES
    assert [r["cached"] for r in lines(result.stdout)] == [False, True]


# -- exit codes -----------------------------------------------------------------------------------------


def test_some_items_failed_exits_1_with_error_records(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 3)
    srv.script(status(400))
    result = run("extract", folder, "--base-url", srv.base_url, "--concurrency", "1")
    assert result.exit_code == 1
    rows = lines(result.stdout)
    assert [r["status"] for r in rows] == ["error", "ok", "ok"]
    assert rows[0]["error"]["type"] == "TransportError"
    assert "1 failed (1 TransportError)" in result.stderr


def test_a_failed_single_article_is_one_line_on_stderr(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 1)
    srv.script(status(400))
    result = run("extract", folder / "00.txt", "--base-url", srv.base_url)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("summit-extract: error: ") and "TransportError" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "missing.txt"], "missing.txt: no such file or folder"),
        (
            ["extract", "{seed}", "--schema", "nope"],
            "'nope' is no known article type (known: summit, tradedeal)",
        ),
        (["report", "{seed}", "--schema", "nope"], "module:Class"),
        (["eval", "{devset}", "--schema", "nope"], "module:Class"),
        (["schema", "--schema", "nope"], "module:Class"),
        (["extract", "{seed}", "--schema", "json:loads"], "not a pydantic model class"),
        (["extract", "{seed}", "--schema", "no_such_module_here:X"], "cannot import"),
        (["extract", "{seed}", "--ungrounded", "keep"], "--ungrounded must be one of drop, flag"),
        (["extract", "{seed}", "--published", "May 7"], "not YYYY-MM-DD"),
        (["extract", "{bad_jsonl}"], ":2: not a JSON object"),
        (["extract", "{seed}", "--backend", "cloud"], "--backend must be 'openai' or 'local'"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{not json\n')
    result = run(*[a.format(seed=SEED, bad_jsonl=bad, devset=DEVSET) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_exits_2() -> None:
    assert run("extract", str(SEED), "--frobnicate").exit_code == 2


def test_no_backend_is_a_configuration_error_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("extract", SEED, "--backend", "openai")
    assert result.exit_code == 3
    assert "OPENAI_API_KEY is not set" in result.stderr


def test_a_rejected_key_is_a_configuration_error_exit_3(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 3)
    srv.script(status(401))
    result = run("extract", folder, "--base-url", srv.base_url, "--concurrency", "1")
    assert result.exit_code == 3
    assert "401" in result.stderr and srv.count <= PASSES  # the first article's passes, none after


def test_help_documents_the_exit_codes() -> None:
    result = run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for code in ("0 success", "1 some items failed", "2 usage error", "3 configuration error"):
        assert code in text


# -- schema ---------------------------------------------------------------------------------------------


def test_schema_export_and_check(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    written = run("schema", "--out", out)
    assert written.exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [f"summit.request.{p}.schema.json" for p in ("frame", "agreements", "disputes", "statements")]
        + [f"tradedeal.request.{p}.schema.json" for p in ("frame", "commitments", "concerns")]
        + ["summit.result.schema.json", "tradedeal.result.schema.json", "event.schema.json"]
    )
    assert json.loads((out / "summit.result.schema.json").read_text())["title"] == "Summit"
    assert json.loads((out / "tradedeal.request.frame.schema.json").read_text())["title"] == "TradeDealFrame"
    assert run("schema", "--out", out, "--check").exit_code == 0

    (out / "summit.request.disputes.schema.json").write_text("{}")
    (out / "old.schema.json").write_text("{}")
    stale = run("schema", "--out", out, "--check")
    assert stale.exit_code == 1
    assert "summit.request.disputes.schema.json" in stale.stderr and "old.schema.json" in stale.stderr


def test_schema_option_exports_one_article_type(tmp_path: Path) -> None:
    out = tmp_path / "one"
    assert run("schema", "--out", out, "--schema", "tradedeal").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "tradedeal.request.commitments.schema.json",
        "tradedeal.request.concerns.schema.json",
        "tradedeal.request.frame.schema.json",
        "tradedeal.result.schema.json",
    ]
    mine = run("schema", "--out", tmp_path / "mine", "--schema", f"{__name__}:TradeSummit")
    assert mine.exit_code == 0, mine.stderr
    result = json.loads((tmp_path / "mine" / "trade_summit.result.schema.json").read_text())
    assert "tariffs" in result["properties"] and "span" in result["$defs"]["Dispute"]["properties"]
    assert run("schema", "--out", out, "--schema", "tradedeal", "--check").exit_code == 0


def test_python_dash_m_runs_the_same_app() -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "summit_extract", "extract", "no-such-file.txt"],
        capture_output=True,
        text=True,
        cwd=DEVSET.parent,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "summit-extract: error: no-such-file.txt: no such file or folder"


# -- report and eval ------------------------------------------------------------------------------------


def test_report_extracts_and_highlights_the_evidence(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 1)
    page = tmp_path / "page.html"
    result = run("report", folder / "00.txt", "-o", page, "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(page)
    html = page.read_text()
    assert '<mark class="ev k-dispute"' in html
    assert ">Leaders of Country 0 and Country 1 met in City 0 to</mark>" in html


def test_report_from_an_earlier_jsonl_result_makes_no_request(tmp_path: Path, srv: Any) -> None:
    folder = articles(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    assert run("extract", folder, "-o", out, "--base-url", srv.base_url).exit_code == 0
    page = tmp_path / "page.html"
    result = run("report", folder / "01.txt", "-o", page, "--result", out)
    assert result.exit_code == 0, result.stderr
    assert srv.count == 2 * PASSES
    assert ">Leaders of Country 1 and Country 2 met in City 1 to</mark>" in page.read_text()
    missing = run("report", folder / "01.txt", "--result", tmp_path / "none.jsonl")
    assert missing.exit_code == 2 and "none.jsonl: no such file" in missing.stderr


def test_eval_scores_the_dev_set_and_writes_its_reports(tmp_path: Path, srv: Any) -> None:
    result = run("eval", DEVSET, "--limit", "2", "--out", tmp_path / "eval", "--base-url", srv.base_url)
    assert result.exit_code == 0, result.stderr
    assert "failed articles | 0 of 2" in result.stdout
    assert srv.count >= 2 * PASSES  # long dev set articles are read in several chunks
    written = sorted(p.name for p in (tmp_path / "eval").iterdir())
    assert written == ["predictions.jsonl", "report.json", "report.md"]
