"""The OpenAI Batch path against a local fake of /v1/files and /v1/batches answering with recorded answers.

The answers are what the embedded model really said (read from the cassettes): two of the three recorded
Summit articles fail validation on the first answer, so the live re-ask path is exercised by real answers,
next to injected failures (error lines, expired jobs, lost create calls). The records must be
``extract_many``'s for the same answers, one per article, and no id may ever be submitted twice.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import instructor
import pytest
from typer.testing import CliRunner

from summit_extract import Item, Summit, batch_status, collect_batch, submit_batch
from summit_extract._glossing import SYSTEM as GLOSS_SYSTEM
from summit_extract._interfaces.cli import app
from summit_extract._planning import plan_article
from summit_extract._runners.batch import extract_many
from summit_extract._runners.openai_batch import BATCH_DISCOUNT, manifest_path
from summit_extract._runners.records import Record, Sink
from tests.fake_batches import MODEL, FakeBatchAPI
from tests.recorded_answers import recorded

N = 30
#: Fields that must be equal between a batch record and extract_many's record (costs and timing differ).
CONTENT = ("id", "status", "result", "model", "dropped", "flagged")


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMIT_EXTRACT_BACKEND", "SUMMIT_EXTRACT_MODEL"):
        monkeypatch.delenv(name, raising=False)


def corpus(n: int = N) -> list[Item]:
    articles = recorded().articles
    assert len(articles) >= 3, "the cassettes hold at least three recorded Summit articles"
    return [Item(f"art-{k:04d}", articles[k % len(articles)]) for k in range(n)]


def short(n: int) -> list[Item]:
    """Articles short enough to be one chunk: every one asks the same number of requests."""
    articles = [a for a in recorded().articles if len(a) < 3000]
    assert len(articles) >= 2
    return [Item(f"short-{k:04d}", articles[k % len(articles)]) for k in range(n)]


def planned(items: list[Item], api: FakeBatchAPI) -> list[list[str]]:
    """The request keys of every article, as the engine plans them."""
    return [[r.key for r in plan_article(i.text, Summit, backend=api.backend()).requests] for i in items]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def content(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {r["id"]: tuple(r.get(k) for k in CONTENT) for r in rows}


def is_gloss(body: dict[str, Any]) -> bool:
    """Whether a chat request is a gloss (subjects of a non-English article translated), not a re-ask."""
    return str(body["messages"][0]["content"]).startswith(GLOSS_SYSTEM[:40])


def live_records(api: FakeBatchAPI, items: list[Item], tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "live.jsonl"
    extract_many(items, out=out, backend=api.backend(), cache=False, progress=False)
    return records(out)


def test_records_are_extract_many_records_and_failures_are_reasked_live(tmp_path: Path) -> None:
    items = corpus()
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI(error_every=7) as api:
        keys = planned(items, api)
        submitted = submit_batch(items, out=out, backend=api.backend())
        assert (submitted.requests, len(submitted.jobs), submitted.skipped) == (sum(map(len, keys)), 1, 0)
        assert batch_status(out, backend=api.backend()).finished
        collected = collect_batch(out, backend=api.backend())
        expected = live_records(api, items, tmp_path)

    rows = records(out)
    assert Counter(r["id"] for r in rows) == Counter(i.id for i in items)
    assert content(rows) == content(expected)
    assert all(r["status"] == "ok" for r in rows)
    # Every 7th request line failed in the error file: exactly the articles holding one were re-asked live.
    ends = [sum(map(len, keys[: n + 1])) for n in range(len(keys))]
    hit = {
        n
        for n, end in enumerate(ends)
        if any(line % 7 == 0 for line in range(end - len(keys[n]) + 1, end + 1))
    }
    assert (
        collected.reasked == len(hit) and collected.from_batch == N - len(hit) and collected.reask_failed == 0
    )
    assert collected.errors == {"TransportError": len(hit)}
    # Tokens: the batch answers at the discount, the live re-asks in full.
    assert collected.batch_usage.prompt_tokens > 0 and collected.live_usage.prompt_tokens > 0
    assert collected.billed_tokens == pytest.approx(
        collected.batch_usage.total_tokens * BATCH_DISCOUNT + collected.live_usage.total_tokens
    )
    assert "saved" in str(collected)


def test_the_request_lines_are_the_live_requests(tmp_path: Path) -> None:
    items = short(2)
    with FakeBatchAPI() as api:
        keys = planned(items, api)
        submit_batch(items, out=tmp_path / "out.jsonl", backend=api.backend())
        lines = api.submitted_lines()
        extract_many(items[1:], backend=api.backend(), cache=False, progress=False, concurrency=1)
        live = api.chat_requests
    assert [line["custom_id"] for line in lines] == [f"{n}/{k}" for n, ks in enumerate(keys) for k in ks]
    assert all(line["url"] == "/v1/chat/completions" and line["method"] == "POST" for line in lines)
    mine = [line["body"] for line in lines if line["custom_id"].startswith("1/")]
    # The passes: a follow-up (citing a translated finding's sentence, a gloss) is planned only once the
    # answers are in, and is sent live at collect on both paths.
    follow_ups = {"Citations", "Glosses"}
    passes = [b for b in live if b["response_format"]["json_schema"]["name"] not in follow_ups]
    assert sorted(json.dumps(b, sort_keys=True) for b in mine) == sorted(
        json.dumps(b, sort_keys=True) for b in passes
    )
    assert all(b["model"] == MODEL and "response_format" in b for b in mine)


def test_over_the_limits_the_batch_is_split_and_each_article_stays_in_one_job(tmp_path: Path) -> None:
    items = short(10)
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI() as api:
        per = len(planned(items[:1], api)[0])
        api.max_requests = 2 * per
        by_count = submit_batch(items, out=out, backend=api.backend(), max_requests_per_file=2 * per + 1)
        assert [job["requests"] for job in by_count.jobs] == [2 * per] * 5
        collect_batch(out, backend=api.backend())
        assert all(b["status"] == "completed" for b in api.batches.values())
        size = max(len(json.dumps(line, separators=(",", ":"))) + 1 for line in api.submitted_lines())
        limit = 2 * per * size + 10
        by_bytes = submit_batch(
            items, out=tmp_path / "bytes.jsonl", backend=api.backend(), max_bytes_per_file=limit
        )
        too_big = submit_batch(
            items[:2], out=tmp_path / "big.jsonl", backend=api.backend(), max_requests_per_file=1
        )
    assert sorted(r["id"] for r in records(out)) == sorted(i.id for i in items)
    assert all(job["bytes"] <= limit for job in by_bytes.jobs) and len(by_bytes.jobs) >= 5
    assert sum(job["requests"] for job in by_bytes.jobs) == 10 * per
    # An article that alone exceeds the limits is an error record, not a failed submit.
    assert (too_big.failed, too_big.requests) == (2, 0)
    assert {r["error"]["type"] for r in records(tmp_path / "big.jsonl")} == {"InputError"}


def test_a_dry_run_counts_and_writes_and_sends_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    items = short(7)
    with FakeBatchAPI() as api:
        per = len(planned(items[:1], api)[0])
        result = submit_batch(
            items, out=out, backend=api.backend(), max_requests_per_file=2 * per, dry_run=True
        )
        assert api.calls == Counter()
    assert (result.requests, len(result.jobs)) == (7 * per, 4) and result.bytes > 7 * per * 1000
    assert not out.exists() and not manifest_path(out).exists()
    assert f"would submit {7 * per} requests" in str(result)


def test_a_rerun_or_a_grown_input_submits_only_what_was_never_submitted(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI() as api:
        per = len(planned(short(1), api)[0])
        submit_batch(short(6), out=out, backend=api.backend())
        again = submit_batch(short(6), out=out, backend=api.backend())
        grown = submit_batch(short(9), out=out, backend=api.backend())
        lines = api.submitted_lines()
    assert (again.requests, again.skipped, len(again.jobs)) == (0, 6, 0)
    assert (grown.requests, grown.skipped) == (3 * per, 6)
    assert len(lines) == 9 * per and len(api.batches) == 2


@pytest.mark.parametrize("fault", ["before", "after"])
def test_a_submit_cut_off_at_create_is_finished_by_the_rerun_without_a_second_batch(
    tmp_path: Path, fault: str
) -> None:
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI(create_faults=[fault]) as api:
        with pytest.raises(Exception, match=r"500|created"):
            submit_batch(corpus(5), out=out, backend=api.backend())
        submit_batch(corpus(5), out=out, backend=api.backend())
        assert len(api.batches) == 1, "the batch the lost answer made was found, not made again"
        assert api.calls["POST /v1/files"] == 1, "the uploaded file was reused"
        collect_batch(out, backend=api.backend())
    assert sorted(r["id"] for r in records(out)) == [f"art-{k:04d}" for k in range(5)]


def test_a_collect_killed_midway_resumes_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = corpus()
    out = tmp_path / "out.jsonl"
    real_write = Sink.write
    written = {"n": 0}

    def dying_write(self: Sink, record: Record) -> None:
        if written["n"] == 11:
            raise KeyboardInterrupt  # the process dies between two records
        written["n"] += 1
        real_write(self, record)

    with FakeBatchAPI(error_every=5) as api:
        submit_batch(items, out=out, backend=api.backend())
        monkeypatch.setattr(Sink, "write", dying_write)
        with pytest.raises(KeyboardInterrupt):
            collect_batch(out, backend=api.backend())
        assert 0 < len(records(out)) < N
        with out.open("ab") as fh:
            fh.write(b'{"id": "art-00')  # and left half a line behind
        monkeypatch.setattr(Sink, "write", real_write)
        first_chats = len(api.chat_requests)
        result = collect_batch(out, backend=api.backend())
        assert len(api.batches) == 1 and len(api.submitted_lines()) == sum(map(len, planned(items, api)))
        assert len(api.chat_requests) > first_chats
        expected = live_records(api, items, tmp_path)
    rows = records(out)
    assert Counter(r["id"] for r in rows) == Counter(i.id for i in items)
    assert content(rows) == content(expected)
    assert result.skipped == 11
    # Once everything is written, another collect does nothing.
    with FakeBatchAPI() as api2:
        assert collect_batch(out, backend=api2.backend()).to_dict()["from_batch"] == 0


def test_an_expired_job_and_reask_modes(tmp_path: Path) -> None:
    items = short(4)
    with FakeBatchAPI() as api:
        per = len(planned(items[:1], api)[0])
        api.expire_after = 2 * per  # the job answers two articles, then expires
        out = tmp_path / "none.jsonl"
        submit_batch(items, out=out, backend=api.backend())
        none = collect_batch(out, backend=api.backend(), reask="none")
        rows = records(out)
        assert (none.from_batch, none.failed, none.reasked) == (2, 2, 0)
        failed = [r for r in rows if r["status"] == "error"]
        assert [r["error"]["type"] for r in failed] == ["TransportError", "TransportError"]
        assert "no answer (job expired)" in failed[0]["error"]["message"]

        out = tmp_path / "capped.jsonl"
        submit_batch(items, out=out, backend=api.backend())
        capped = collect_batch(out, backend=api.backend(), max_live=1)
        assert (capped.from_batch, capped.reasked, capped.failed) == (2, 1, 1)

    with FakeBatchAPI() as api:
        per = len(planned(items[:1], api)[0])
        api.error_every = 2 * per  # one failed request in the second and in the fourth article
        out = tmp_path / "followup.jsonl"
        submit_batch(items, out=out, backend=api.backend())
        first = collect_batch(out, backend=api.backend(), reask="batch")
        assert (first.from_batch, first.resubmitted, first.reasked) == (2, 2, 0)
        # Nothing re-asked live: the only live requests are the glosses of a non-English article's subjects.
        assert len(api.batches) == 2 and [b for b in api.chat_requests if not is_gloss(b)] == []
        api.error_every = 0
        second = collect_batch(out, backend=api.backend(), reask="batch")
        assert (second.from_batch, second.resubmitted) == (2, 0)
    assert Counter(r["id"] for r in records(out)) == Counter(i.id for i in items)
    assert all(r["status"] == "ok" for r in records(out))


def test_status_shows_running_jobs_and_collect_waits_for_them(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI(hold=True) as api:
        per = len(planned(short(1), api)[0])
        submit_batch(short(4), out=out, backend=api.backend(), max_requests_per_file=2 * per)
        running = batch_status(out, backend=api.backend())
        assert not running.finished and [j.status for j in running.jobs] == ["in_progress", "in_progress"]
        early = collect_batch(out, backend=api.backend())
        assert early.pending_jobs == 2
        assert not out.exists() or records(out) == []
        api.release()
        done = collect_batch(out, backend=api.backend(), wait=5, poll=0.01)
        assert done.pending_jobs == 0
        assert batch_status(out, backend=api.backend()).finished
    assert len(records(out)) == 4


def test_the_cli_submits_shows_status_and_collects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for n, text in enumerate(recorded().articles):
        (folder / f"{n}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    with FakeBatchAPI() as api:
        monkeypatch.setenv("OPENAI_API_KEY", "cli-secret-do-not-print-7f3a")
        monkeypatch.setenv("SUMMIT_EXTRACT_MODEL", MODEL)
        monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
        # The recordings' window (the embedded model's): a compatible server's assumed 4,096 tokens would
        # split the seed, which the recordings never saw split.
        monkeypatch.setenv("SUMMIT_EXTRACT_CONTEXT_TOKENS", "8192")
        common = ["--out", str(out), "--base-url", api.base_url]
        keys = planned(
            [Item(str(p), p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))], api
        )
        total, most = sum(map(len, keys)), max(map(len, keys))
        dry = runner.invoke(app, ["batch", "submit", str(folder), *common, "--dry-run", "--json"])
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.output)["requests"] == total and api.calls == Counter()
        sub = runner.invoke(app, ["batch", "submit", str(folder), *common, "--max-requests", str(most)])
        assert sub.exit_code == 0, sub.output
        assert f"submitted {total} requests" in sub.output and "1 job(s)" not in sub.output
        stat = runner.invoke(app, ["batch", "status", *common])
        assert stat.exit_code == 0 and "all finished" in stat.output
        col = runner.invoke(app, ["batch", "collect", *common, "--json"])
        assert col.exit_code == 0, col.output
        assert json.loads(col.output)["from_batch"] == len(recorded().articles)
        bad = runner.invoke(app, ["batch", "collect", *common, "--reask", "maybe"])
        assert bad.exit_code == 2
    rows = records(out)
    assert sorted(r["id"] for r in rows) == sorted(str(p) for p in folder.glob("*.txt"))
    assert all(Summit.model_validate(r["result"]) for r in rows)
    for path in [out, *manifest_path(out).parent.iterdir()]:
        assert "cli-secret-do-not-print" not in path.read_text(encoding="utf-8")
    assert "cli-secret-do-not-print" not in sub.output + stat.output + col.output


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA, instructor.Mode.JSON])
def test_planned_bodies_equal_what_the_live_call_sends_in_every_mode(mode: instructor.Mode) -> None:
    from summit_extract import extract_result
    from tests.fake_openai import FakeOpenAI

    texts = [a for a in recorded().articles if len(a) < 3000]
    with FakeOpenAI() as srv:
        backend = srv.backend(mode=mode, context_tokens=None)
        for text in texts:
            extract_result(text, Summit, backend=backend, published="2023-05-08", max_retries=0)
        sent = srv.requests
        plans = [plan_article(t, Summit, backend=backend, published="2023-05-08") for t in texts]
    bodies = [r.body for p in plans for r in p.requests]
    assert sorted(json.dumps(b, sort_keys=True) for b in bodies) == sorted(
        json.dumps(b, sort_keys=True) for b in sent
    )


def test_an_answer_with_no_choices_is_reasked_live_not_a_crash(tmp_path: Path) -> None:
    items = corpus(6)
    out = tmp_path / "out.jsonl"
    with FakeBatchAPI(empty_every=2) as api:
        submit_batch(items, out=out, backend=api.backend())
        result = collect_batch(out, backend=api.backend())
        expected = live_records(api, items, tmp_path)
    assert sum(result.errors.values()) >= 3 and result.reask_failed == 0
    assert content(records(out)) == content(expected)
