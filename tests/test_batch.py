"""Batch extraction against the local fake server: one record per input, bounded concurrency, resume, cache.

The fake server answers over real HTTP, so the openai SDK, the retry loop and the batch run as they do
against a remote API; request counts show what was (not) sent.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ConfigurationError, InputError, Summit
from summit_extract._cache import ResultCache, cache_key
from summit_extract._runners.batch import aextract_many, extract_many
from summit_extract._runners.records import BatchSummary, Item
from tests.fake_openai import Exchange, FakeOpenAI, ok_summit, status

#: One request per article (a Summit is otherwise asked in three passes), so counts are per article.
ONE = ["main"]
PASSES = 3

TEXTS = [
    f"The leaders of Country {n} and Country {n + 1} met in City {n} on Monday to discuss the border dispute."
    for n in range(6)
]


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(cache))
    return cache


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class InFlight:
    """A reply that counts how many requests the server holds at once (each held for ``hold`` seconds)."""

    def __init__(self, hold: float = 0.15) -> None:
        self.hold = hold
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, ex: Exchange) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.hold)
        with self._lock:
            self.now -= 1
        ok_summit()(ex)


def test_one_record_per_item_keyed_by_id_and_a_failure_does_not_stop_the_batch(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    items = [Item(f"a{n}", text) for n, text in enumerate(TEXTS)]
    with FakeOpenAI() as srv:
        srv.script(ok_summit(), status(400))  # the second request gets a non-retryable HTTP error
        summary = extract_many(items, backend=srv.backend(), out=out, concurrency=1, cache=False, passes=ONE)
        assert srv.count == len(items)

    rows = records(out)
    assert [r["id"] for r in rows] == [i.id for i in items]
    failed = [r for r in rows if r["status"] == "error"]
    assert [r["id"] for r in failed] == ["a1"]
    assert failed[0]["error"]["type"] == "TransportError"
    assert "HTTP 400" in failed[0]["error"]["message"]
    assert failed[0]["attempts"] == 1 and failed[0]["usage"] == {"prompt_tokens": 0, "completion_tokens": 0}
    good = [r for r in rows if r["status"] == "ok"]
    assert all(Summit.model_validate(r["result"]).disputes for r in good)
    assert all(r["attempts"] == 1 for r in good)
    assert all(r["usage"] == {"prompt_tokens": 100, "completion_tokens": 50} for r in good)
    assert (summary.items, summary.done, summary.failed, summary.skipped) == (6, 5, 1, 0)
    assert summary.attempts == 6 and summary.usage.prompt_tokens == 500
    assert summary.errors == {"TransportError": 1}
    assert "6 items: 5 done (0 cached), 0 skipped, 1 failed (1 TransportError); 6 requests" in str(summary)


def test_strings_get_their_index_as_id_and_records_stay_in_memory_without_out() -> None:
    with FakeOpenAI() as srv:
        summary = extract_many(TEXTS[:3], backend=srv.backend(), cache=False)
        assert srv.count == 3 * PASSES
    assert sorted(r["id"] for r in summary.records) == ["0", "1", "2"]
    assert all(r["attempts"] == PASSES for r in summary.records)  # frame, agreements, disputes
    for r in summary.records:
        span = r["result"]["disputes"][0]["span"]
        assert TEXTS[int(r["id"])][span["start"] : span["end"]] == r["result"]["disputes"][0]["evidence"]


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_is_bounded(limit: int) -> None:
    gauge = InFlight()
    with FakeOpenAI(default=gauge) as srv:
        summary = extract_many(TEXTS, backend=srv.backend(), concurrency=limit, cache=False, passes=ONE)
    assert summary.done == len(TEXTS)
    assert gauge.peak == limit


def test_default_concurrency_is_the_backends() -> None:
    gauge = InFlight()
    with FakeOpenAI(default=gauge) as srv:
        extract_many(TEXTS, backend=srv.backend(max_concurrency=2), cache=False, passes=ONE)
    assert gauge.peak == 2


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrency_bounds_requests_in_flight_with_passes(limit: int) -> None:
    gauge = InFlight()
    with FakeOpenAI(default=gauge) as srv:
        summary = extract_many(TEXTS, backend=srv.backend(), concurrency=limit, cache=False)
    assert summary.done == len(TEXTS) and summary.attempts == PASSES * len(TEXTS)
    assert gauge.peak == limit


def test_rerun_skips_done_ids_and_repairs_a_partial_last_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    items = [Item(f"id-{n}", text) for n, text in enumerate(TEXTS)]
    with FakeOpenAI() as srv:
        extract_many(items[:2], backend=srv.backend(), out=out, cache=False)
        with out.open("ab") as fh:  # what a crash in the middle of a write leaves behind
            fh.write(b'{"id": "id-2", "status": "ok", "res')
        summary = extract_many(items, backend=srv.backend(), out=out, cache=False)
        assert srv.count == (2 + 4) * PASSES

    rows = records(out)  # every line parses: the partial one is gone
    assert sorted(r["id"] for r in rows) == sorted(i.id for i in items)
    assert (summary.skipped, summary.done) == (2, 4)


async def test_interrupted_batch_resumes_where_it_stopped(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    items = [Item(f"id-{n}", text) for n, text in enumerate(TEXTS)]
    with FakeOpenAI(latency=0.1) as srv:
        batch = aextract_many(items, backend=srv.backend(), out=out, concurrency=1, cache=False, passes=ONE)
        task = asyncio.create_task(batch)
        while not out.exists() or len(out.read_text().splitlines()) < 2:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        written = records(out)
        summary = await aextract_many(items, backend=srv.backend(), out=out, cache=False, passes=ONE)

    # The request in flight when the run was cancelled left no record; it is simply sent again.
    rows = records(out)
    assert sorted(r["id"] for r in rows) == sorted(i.id for i in items)
    assert rows[: len(written)] == written
    assert summary.skipped == len(written) and summary.done == len(items) - len(written)
    assert summary.attempts == len(items) - len(written)


def test_error_records_are_retried_on_rerun_and_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as srv:
        srv.script(status(400))
        options: dict[str, Any] = {"out": out, "concurrency": 1, "cache": False, "passes": ONE}
        first = extract_many(TEXTS[:2], backend=srv.backend(), **options)
        second = extract_many(TEXTS[:2], backend=srv.backend(), **options)
        third = extract_many(TEXTS[:2], backend=srv.backend(), **options)
        assert srv.count == 3
    assert (first.failed, second.done, second.skipped, third.skipped) == (1, 1, 1, 2)
    rows = records(out)
    assert sorted(r["id"] for r in rows) == ["0", "1"] and all(r["status"] == "ok" for r in rows)


def test_error_records_are_kept_without_retry_failed(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as srv:
        srv.script(status(400))
        extract_many(TEXTS[:1], backend=srv.backend(), out=out, cache=False, passes=ONE)
        summary = extract_many(
            TEXTS[:1], backend=srv.backend(), out=out, cache=False, retry_failed=False, passes=ONE
        )
        assert srv.count == 1
    assert summary.skipped == 1 and records(out)[0]["status"] == "error"


def test_a_repeated_run_is_answered_from_the_cache(_cache_dir: Path) -> None:
    with FakeOpenAI() as srv:
        first = extract_many(TEXTS, backend=srv.backend())
        assert srv.count == len(TEXTS) * PASSES
        second = extract_many(TEXTS, backend=srv.backend())
        assert srv.count == len(TEXTS) * PASSES  # not one more request
        extract_many(TEXTS[:1], backend=srv.backend(), published="2024-05-07")  # a different key
        extract_many(TEXTS[:1], backend=srv.backend(model="other-model"))
        assert srv.count == (len(TEXTS) + 2) * PASSES

    assert (second.done, second.cached, second.attempts, second.usage.total_tokens) == (6, 6, 0, 0)
    by_id = {r["id"]: r for r in first.records}
    for r in second.records:
        assert r["cached"] is True and r["attempts"] == 0
        assert r["usage"] == {"prompt_tokens": 0, "completion_tokens": 0}
        assert r["result"] == by_id[r["id"]]["result"]
    assert len(list((_cache_dir / "results").rglob("*.json"))) == len(TEXTS) + 2


def test_cache_key_covers_what_decides_the_answer() -> None:
    base = dict(model="m", backend="b", mode="json_schema_mode")
    key = cache_key("text", Summit, **base)  # type: ignore[arg-type]
    assert key == cache_key("text", Summit, **base)  # type: ignore[arg-type]
    assert key != cache_key("text.", Summit, **base)  # type: ignore[arg-type]
    assert key != cache_key("text", Summit, **{**base, "mode": "tool_call"})  # type: ignore[arg-type]
    assert key != cache_key("text", Summit, **base, instructions="Be brief.")  # type: ignore[arg-type]

    class Other(Summit):
        extra: int = 0

    assert key != cache_key("text", Other, **base)  # type: ignore[arg-type]


def test_an_unreadable_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("ab" * 32, {"record": {"x": 1}})
    assert cache.get("ab" * 32) == {"record": {"x": 1}}
    cache.path("cd" * 32).parent.mkdir(parents=True, exist_ok=True)
    cache.path("cd" * 32).write_text('{"record": ')
    assert cache.get("cd" * 32) is None
    assert not list(tmp_path.rglob("*.tmp"))


def test_item_published_date_reaches_the_prompt() -> None:
    with FakeOpenAI() as srv:
        extract_many(
            [Item("a", TEXTS[0], published="2024-05-07"), Item("b", TEXTS[1])],
            backend=srv.backend(), published="2020-01-02", concurrency=1, cache=False,
        )
        # The article is the user message before the pass request, in every pass.
        articles = [body["messages"][-2]["content"] for body in srv.requests]
    assert len(articles) == 2 * PASSES
    assert all(a.endswith("(Published on 2024-05-07.)") for a in articles[:PASSES])
    assert all(a.endswith("(Published on 2020-01-02.)") for a in articles[PASSES:])


def test_a_bad_item_is_an_error_record_not_a_crash() -> None:
    with FakeOpenAI() as srv:
        summary = extract_many(
            [Item("empty", "   "), Item("bad-date", TEXTS[0], published="May 7"), Item("ok", TEXTS[1])],
            backend=srv.backend(), cache=False,
        )
        assert srv.count == PASSES
    by_id = {r["id"]: r for r in summary.records}
    assert by_id["empty"]["error"]["type"] == "InputError" and by_id["empty"]["attempts"] == 0
    assert by_id["bad-date"]["error"]["type"] == "InputError"
    assert by_id["ok"]["status"] == "ok"


def test_a_configuration_error_stops_the_batch_and_every_item_not_started_gets_a_record(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as srv:
        srv.script(status(401))
        with pytest.raises(ConfigurationError, match="401"):
            extract_many(TEXTS, backend=srv.backend(), out=out, concurrency=1, cache=False, passes=ONE)
        assert srv.count == 1
        written = records(out)
        assert [r["error"]["type"] for r in written] == ["ConfigurationError"] * len(TEXTS)
        assert [r["id"] for r in written] == [str(i) for i in range(len(TEXTS))]
        assert all(r["error"]["message"].startswith("Not started") for r in written[1:])
        assert all(r["attempts"] == 0 for r in written[1:])
        # Once the key is fixed, the same command retries them all.
        summary = extract_many(TEXTS, backend=srv.backend(), out=out, concurrency=1, cache=False)
    assert summary.done == len(TEXTS) and [r["status"] for r in records(out)] == ["ok"] * len(TEXTS)


def test_duplicate_ids_are_refused_before_any_request() -> None:
    with FakeOpenAI() as srv:
        with pytest.raises(InputError, match="'x'"):
            extract_many([Item("x", TEXTS[0]), Item("x", TEXTS[1])], backend=srv.backend())
        assert srv.count == 0


def test_summary_as_dict() -> None:
    summary = BatchSummary(items=2, done=1, failed=1, attempts=3)
    summary.errors["TransportError"] += 1
    assert summary.to_dict() == {
        "items": 2, "done": 1, "cached": 0, "skipped": 0, "failed": 1, "attempts": 3, "prompt_tokens": 0,
        "completion_tokens": 0, "seconds": 0.0, "errors": {"TransportError": 1},
    }
    assert not summary.ok
