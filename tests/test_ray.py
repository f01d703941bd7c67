"""Ray Data on a local 2-CPU cluster against the local fake endpoint answering with recorded answers.

Actors reach the fake server over real HTTP on 127.0.0.1, as they would reach a remote endpoint. The
records must be ``extract_many``'s for the same answers, one per article, a failed item a failed record,
and a rerun after an interruption must skip what was written. The live test at the end runs the
embedded model on two actors (``-m local_model_cluster``; two models on two cores take minutes, so
.ci/run leaves it to a manual run).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

from typer.testing import CliRunner  # noqa: E402

import summit_extract  # noqa: E402
from summit_extract import Item, Summit  # noqa: E402
from summit_extract._interfaces.cli import app  # noqa: E402
from summit_extract._runners.batch import extract_many  # noqa: E402
from summit_extract._runners.records import Record, Sink  # noqa: E402
from summit_extract.ray import Endpoint, extract_dataset, iter_records, read_articles  # noqa: E402
from tests.fake_batches import MODEL, FakeBatchAPI  # noqa: E402
from tests.recorded_answers import recorded  # noqa: E402
from tests.test_openai_batch import content, corpus  # noqa: E402

N = 16


@pytest.fixture(scope="module")
def api() -> Iterator[FakeBatchAPI]:
    with FakeBatchAPI() as server:
        yield server


#: A cache of its own and no endpoint from the environment (conftest.clean_env).
pytestmark = pytest.mark.usefixtures("clean_env")


def endpoint(api: FakeBatchAPI) -> Endpoint:
    return Endpoint(base_url=api.base_url, model=MODEL, mode="json_schema_mode")


def expected(api: FakeBatchAPI, items: list[Item]) -> dict[str, tuple[Any, ...]]:
    summary = extract_many(items, backend=api.backend(), cache=False, progress=False)
    return content(summary.records)


def test_jsonl_records_are_extract_many_records(cluster: None, api: FakeBatchAPI, tmp_path: Path) -> None:
    items = corpus(N)
    out = tmp_path / "out.jsonl"
    summary = extract_dataset(items, out=out, backend=endpoint(api), actors=2, num_cpus=0.5, batch_size=3)
    rows = list(iter_records(out))
    assert Counter(r["id"] for r in rows) == Counter(i.id for i in items)
    assert content(rows) == expected(api, items)
    assert (summary.items, summary.done, summary.failed, summary.skipped) == (N, N, 0, 0)
    assert all(Summit.model_validate(r["result"]) for r in rows)


def test_parquet_in_parquet_out_and_a_failed_item_is_a_failed_record(
    cluster: None, api: FakeBatchAPI, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    unknown = "The presidents of Chile and Peru met in Lima on Monday and agreed to build a bridge."
    rows = [{"id": i.id, "text": i.text} for i in corpus(6)] + [{"id": "unrecorded", "text": unknown}]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    assert [i.id for i in read_articles(source)] == [r["id"] for r in rows]
    out = tmp_path / "out.parquet"
    summary = extract_dataset(source, out=out, backend=endpoint(api), actors=2, num_cpus=0.5, batch_size=2)
    records = {r["id"]: r for r in iter_records(out)}
    assert sorted(records) == sorted(r["id"] for r in rows)
    assert records["unrecorded"]["status"] == "error"
    assert records["unrecorded"]["error"]["type"] == "TransportError"  # the fake has no answer: HTTP 400
    assert (summary.done, summary.failed) == (6, 1)
    good = [Item(r["id"], r["text"]) for r in rows[:6]]
    assert {k: v for k, v in content(list(records.values())).items() if k != "unrecorded"} == expected(
        api, good
    )


def test_an_actor_without_a_backend_makes_error_records_not_a_failed_job(
    cluster: None, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    missing = Endpoint(key_env="SUMMIT_EXTRACT_TEST_NO_SUCH_KEY")  # no key, no URL: cannot be built
    summary = extract_dataset(corpus(4), out=out, backend=missing, actors=1, num_cpus=0.5)
    rows = list(iter_records(out))
    assert len(rows) == 4 and summary.failed == 4
    assert {r["error"]["type"] for r in rows} == {"ConfigurationError"}


def test_a_run_killed_midway_resumes_without_redoing_what_was_written(
    cluster: None, api: FakeBatchAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = corpus(N)
    out = tmp_path / "out.jsonl"
    real_write = Sink.write
    count = {"n": 0}

    def dying_write(self: Sink, record: Record) -> None:
        if count["n"] == 5:
            raise KeyboardInterrupt
        count["n"] += 1
        real_write(self, record)

    monkeypatch.setattr(Sink, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        extract_dataset(items, out=out, backend=endpoint(api), actors=2, num_cpus=0.5, batch_size=2)
    monkeypatch.setattr(Sink, "write", real_write)
    with out.open("ab") as fh:
        fh.write(b'{"id": "art-')  # a partial last line, as a kill leaves
    summary = extract_dataset(items, out=out, backend=endpoint(api), actors=2, num_cpus=0.5, batch_size=2)
    assert (summary.skipped, summary.done) == (5, N - 5)
    rows = list(iter_records(out))
    assert Counter(r["id"] for r in rows) == Counter(i.id for i in items)
    assert content(rows) == expected(api, items)


def test_the_cli_runs_extract_on_ray(cluster: None, api: FakeBatchAPI, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"j{n}", "text": t}) + "\n" for n, t in enumerate(recorded().articles)),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    env = {"SUMMIT_EXTRACT_MODEL": MODEL, "SUMMIT_EXTRACT_MODE": "json_schema_mode"}
    args = ["extract", str(source), "--out", str(out), "--base-url", api.base_url, "--ray", "local"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert sorted(r["id"] for r in iter_records(out)) == [f"j{n}" for n in range(len(recorded().articles))]
    no_out = CliRunner().invoke(app, ["extract", str(source), "--ray", "local"], env=env)
    assert no_out.exit_code == 2 and "--out" in no_out.output


@pytest.mark.local_model_cluster
def test_live_embedded_model_on_two_actors(tmp_path: Path) -> None:
    """Two actors, each with its own embedded model, on two short articles (slow: minutes)."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, runtime_env={"py_modules": [summit_extract]})
    texts = [
        "President Lula of Brazil met President Alberto Fernandez of Argentina in Brasilia on Monday. "
        "The two leaders agreed to cooperate on trade.",
        "Japanese Prime Minister Fumio Kishida met South Korean President Yoon Suk Yeol in Seoul on Sunday. "
        "They agreed to resume security talks.",
    ]
    out = tmp_path / "live.jsonl"
    summary = extract_dataset(
        [Item(f"live{n}", t) for n, t in enumerate(texts)], out=out, backend="local", actors=2, batch_size=1
    )
    rows = list(iter_records(out))
    assert sorted(r["id"] for r in rows) == ["live0", "live1"]
    assert summary.done + summary.failed == 2
    for row in rows:
        if row["status"] == "ok":
            assert row["backend"] == "local"
            Summit.model_validate(row["result"])
