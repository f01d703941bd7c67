"""extract_many over several processes: the same records as one process, one file, resume, errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ConfigurationError, Item, extract_many
from summit_extract._runners.processes import choose_processes
from tests.fake_openai import FakeOpenAI, status
from tests.test_openai_batch import content, corpus

N = 24


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_three_processes_write_the_records_one_process_writes(tmp_path: Path) -> None:
    items = [
        Item(f"p{n}", f"Leaders of State {n} and State {n + 1} met in City {n} to discuss a dispute.")
        for n in range(N)
    ]
    with FakeOpenAI(latency=0.01) as srv:
        one = extract_many(items, out=tmp_path / "one.jsonl", backend=srv.backend(), cache=False)
        sent_by_one = srv.count
        three = extract_many(
            items, out=tmp_path / "three.jsonl", backend=srv.backend(), cache=False, processes=3
        )
        assert srv.count == 2 * sent_by_one == 2 * one.attempts
    assert Counter(r["id"] for r in records(tmp_path / "three.jsonl")) == Counter(i.id for i in items)
    assert content(records(tmp_path / "three.jsonl")) == content(records(tmp_path / "one.jsonl"))
    assert (three.done, three.failed, three.attempts) == (one.done, one.failed, one.attempts)
    assert (three.done, three.failed) == (N, 0)
    assert three.usage == one.usage


def test_processes_resume_skip_what_is_written_and_report_failures(tmp_path: Path) -> None:
    items = corpus(8)
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as srv:
        extract_many(items[:3], out=out, backend=srv.backend(), cache=False)
        before = srv.count
        summary = extract_many(items, out=out, backend=srv.backend(), cache=False, processes=2)
        assert srv.count - before == summary.attempts > 0
    assert (summary.skipped, summary.done) == (3, 5)
    assert Counter(r["id"] for r in records(out)) == Counter(i.id for i in items)
    with FakeOpenAI(default=status(401)) as srv, pytest.raises(ConfigurationError, match="401"):
        extract_many(corpus(4), out=tmp_path / "bad.jsonl", backend=srv.backend(), cache=False, processes=2)


def test_auto_is_one_process_for_the_embedded_model_and_one_per_core_for_an_endpoint() -> None:
    with FakeOpenAI() as srv:
        remote = srv.backend()
        local = type(remote)(**{**remote.__dict__, "name": "local"})
        assert choose_processes("auto", local) == 1
        assert choose_processes("auto", remote) >= 1
        assert choose_processes(None, remote) == 1 and choose_processes(3, remote) == 3
        with pytest.raises(ConfigurationError):
            choose_processes(0, remote)
