"""Consolidation as a Ray Data step gives the events of the single-process run, event for event.

A local cluster of two CPUs; the records are the invented event articles' (``tests/event_records``), many
times over under other ids, with error records among them, so the step sorts across several blocks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

import summit_extract  # noqa: E402
from summit_extract import Summit  # noqa: E402
from summit_extract._consolidating import ConsolidationSummary, consolidate  # noqa: E402
from summit_extract.ray import consolidate_dataset  # noqa: E402
from tests.event_records import records  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    started = not ray.is_initialized()
    if started:
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"py_modules": [summit_extract]},
        )
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    if started:
        ray.shutdown()


def test_ray_gives_the_single_process_events(cluster: None, tmp_path: Path) -> None:
    base = records()
    lines = []
    for n in range(12):  # twelve copies a week apart: 60 events, of 1 to 3 articles
        for record in base:
            copied = copy.deepcopy(record)
            copied["id"] = f"{record['id']}#{n}"
            day = int(copied["published"][-2:])
            copied["published"] = f"{2000 + n}-{copied['published'][5:7]}-{day:02d}"
            lines.append(json.dumps(copied, ensure_ascii=False))
        lines.append(
            json.dumps({"id": f"failed#{n}", "status": "error", "error": {"type": "X", "message": "m"}})
        )
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    single = ConsolidationSummary()
    expected = [e.model_dump_json() for e in consolidate(lines, schema=Summit, summary=single)]
    out = tmp_path / "events.jsonl"
    on_ray = consolidate_dataset(source, out, schema=Summit)
    assert out.read_text(encoding="utf-8").splitlines() == expected
    assert (on_ray.records, on_ray.skipped, on_ray.events, on_ray.merged) == (108, 12, 60, 24)
    assert (single.records, single.skipped, single.events) == (on_ray.records, on_ray.skipped, on_ray.events)
