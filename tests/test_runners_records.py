"""Every runner writes the same records through one record layer: threads, processes, Ray, the Batch API.

The same 20 articles (the recorded Summit articles, answered by the local fake of the chat, Files and Batch
APIs with what the embedded model really said) go through ``extract_many`` on threads, ``extract_many``
over two processes, ``extract_dataset`` on a local 2-CPU Ray cluster and ``submit_batch`` +
``collect_batch``, with integer, string and mixed ids (``0`` and ``"0"`` in one batch are two articles).
Every runner must write the same records, timings aside, each id in its original JSON type; one runner
must resume another's file; every write to OUT must happen under OUT's lock, and a second writer must be
refused before any request.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ConfigurationError, Item, collect_batch, extract_many, submit_batch
from summit_extract._runners.records import Record, Sink, id_key, lock_path
from tests.fake_batches import MODEL, FakeBatchAPI
from tests.recorded_answers import recorded

N = 20
RUNNERS = ("threads", "processes", "ray", "batch_api")

#: A cache of its own and no endpoint from the environment (conftest.clean_env).
pytestmark = pytest.mark.usefixtures("clean_env")


def ids(kind: str) -> list[Any]:
    if kind == "int":
        return list(range(N))
    if kind == "str":
        return [f"art-{k:02d}" for k in range(N)]
    # Mixed: 0, "0", 2, "2", ... - the same digits as an int and as a str are two ids.
    return [k if k % 2 == 0 else str(k - 1) for k in range(N)]


def items(kind: str) -> list[Item]:
    articles = recorded().articles
    return [Item(i, articles[k % len(articles)]) for k, i in enumerate(ids(kind))]


@pytest.fixture(scope="module")
def api() -> Iterator[FakeBatchAPI]:
    with FakeBatchAPI() as server:
        yield server


def run(runner: str, batch: list[Item], out: Path, api: FakeBatchAPI, request: pytest.FixtureRequest) -> None:
    """Extract ``batch`` into ``out`` with ``runner``, every runner against the same fake endpoint."""
    if runner == "threads":
        extract_many(batch, out=out, backend=api.backend(), cache=False, progress=False)
    elif runner == "processes":
        extract_many(batch, out=out, backend=api.backend(), cache=False, progress=False, processes=2)
    elif runner == "ray":
        request.getfixturevalue("cluster")  # conftest: a local 2-CPU cluster, skipped without the ray extra
        from summit_extract.ray import Endpoint, extract_dataset

        endpoint = Endpoint(base_url=api.base_url, model=MODEL, mode="json_schema_mode")
        extract_dataset(batch, out=out, backend=endpoint, actors=2, num_cpus=0.5, batch_size=4)
    else:
        submit_batch(batch, out=out, backend=api.backend())
        collect_batch(out, backend=api.backend())


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The records keyed by their id's JSON form, timings aside."""
    return {id_key(r["id"]): {k: v for k, v in r.items() if k != "seconds"} for r in rows}


def is_locked(out: Path) -> bool:
    """Whether some open file holds ``<out>.lock`` (a new open file description cannot take it)."""
    with lock_path(out).open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


@pytest.fixture
def watched_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, bool]]:
    """For every line appended to an output file: the file, and whether its lock was held at that moment."""
    seen: list[tuple[Path, bool]] = []
    real_append: Callable[[Sink, str], None] = Sink._append

    def append(self: Sink, line: str) -> None:
        assert self.path is not None
        seen.append((self.path, is_locked(self.path)))
        real_append(self, line)

    monkeypatch.setattr(Sink, "_append", append)
    return seen


@pytest.fixture(scope="module")
def reference(api: FakeBatchAPI, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The threads runner's output for each kind of ids, made once."""
    made: dict[str, Path] = {}

    def make(kind: str) -> Path:
        if kind not in made:
            out = tmp_path_factory.mktemp("reference") / f"{kind}.jsonl"
            extract_many(items(kind), out=out, backend=api.backend(), cache=False, progress=False)
            made[kind] = out
        return made[kind]

    return make


@pytest.mark.parametrize("kind", ["int", "str", "mixed"])
@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_writes_the_same_records_under_the_lock(
    runner: str,
    kind: str,
    api: FakeBatchAPI,
    reference: Callable[[str], Path],
    watched_writes: list[tuple[Path, bool]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    batch = items(kind)
    out = tmp_path / "out.jsonl"
    run(runner, batch, out, api, request)
    rows = lines(out)
    # One record per article, its id in its original JSON type (7 stays 7, "7" stays "7").
    assert sorted(map(id_key, (r["id"] for r in rows))) == sorted(map(id_key, ids(kind)))
    assert all(r["status"] == "ok" for r in rows), [r.get("error") for r in rows]
    assert by_id(rows) == by_id(lines(reference(kind)))
    # Every line reached OUT while its lock was held, and the lock is released at the end.
    held = [locked for path, locked in watched_writes if path == out]
    assert len(held) == N and all(held)
    assert not is_locked(out)


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_resumes_a_file_another_runner_began(
    runner: str,
    api: FakeBatchAPI,
    reference: Callable[[str], Path],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    done = lines(reference("mixed"))
    out = tmp_path / "out.jsonl"
    # The first seven records the threads runner wrote, and half a line a kill left behind.
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in done[:7]) + '{"id": 1', "utf-8")
    before = len(api.chat_requests) + len(api.submitted_lines())
    run(runner, items("mixed"), out, api, request)
    rows = lines(out)
    assert rows[:7] == done[:7]  # kept as they were, never redone
    assert by_id(rows) == by_id(done) and len(rows) == N
    assert len(api.chat_requests) + len(api.submitted_lines()) > before  # the other 13 were asked


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_second_writer_is_refused_before_any_request(
    runner: str, api: FakeBatchAPI, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "out.jsonl"
    before = (len(api.chat_requests), len(api.batches), len(api.files))
    with Sink(out) as holder:  # another writer of OUT (another open file: refused even in this process)
        assert holder.path == out
        with pytest.raises(ConfigurationError, match="being written by another summit-extract process"):
            run(runner, items("mixed"), out, api, request)
    assert (len(api.chat_requests), len(api.batches), len(api.files)) == before
    assert not out.exists()


def test_collect_is_refused_while_another_writer_holds_out(api: FakeBatchAPI, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    submit_batch(items("int")[:3], out=out, backend=api.backend())
    with Sink(out), pytest.raises(ConfigurationError, match="another summit-extract process"):
        collect_batch(out, backend=api.backend())
    assert not out.exists()
    collect_batch(out, backend=api.backend())  # once the other writer is gone
    assert sorted(r["id"] for r in lines(out)) == [0, 1, 2]


def test_a_record_round_trips_through_its_json_form(reference: Callable[[str], Path]) -> None:
    for row in lines(reference("mixed")):
        record = Record.from_json(row)
        assert record.to_json() == row
        assert record.to_line() == json.dumps(row, ensure_ascii=False) + "\n"
        assert record.key == id_key(row["id"]) and record.ok
