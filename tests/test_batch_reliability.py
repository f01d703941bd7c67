"""The batch never loses a finished result: to a failing cache, a full disk, a closed pipe, a second
writer, ids of any type, or a configuration error half-way through.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ConfigurationError, Summit, load_provider
from summit_extract._cache import ResultCache
from summit_extract._exceptions import OutputError
from summit_extract._runners.batch import extract_many
from summit_extract._runners.records import Item
from tests.fake_openai import FakeOpenAI, ok_summit, slow, status
from tests.paths import ROOT

#: One request per article (a Summit is otherwise asked in several passes), so counts are per article.
ONE = ["main"]

TEXTS = [
    f"The leaders of Country {n} and Country {n + 1} met in City {n} on Monday to discuss the border dispute."
    for n in range(5)
]


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(cache))
    return cache


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "result cache" in r.getMessage()]


# -- a failing cache costs nothing ---------------------------------------------------------------------


class Failing(ResultCache):
    """A cache whose writes fail as a full or read-only disk fails."""

    def __init__(self, root: Path, error: OSError) -> None:
        super().__init__(root)
        self.error = error
        self.puts = 0

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.puts += 1
        raise self.error


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), PermissionError(errno.EACCES, "Permission denied")],
    ids=["full", "unwritable"],
)
def test_a_cache_that_cannot_be_written_is_switched_off_with_one_warning(
    srv: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture, error: OSError
) -> None:
    out = tmp_path / "out.jsonl"
    cache = Failing(tmp_path / "c", error)
    summary = extract_many(TEXTS, backend=srv.backend(), out=out, cache=cache, concurrency=1, passes=ONE)
    assert summary.done == len(TEXTS) and summary.failed == 0
    assert [r["status"] for r in records(out)] == ["ok"] * len(TEXTS)
    assert len(cache_warnings(caplog)) == 1 and cache.puts == 1


def test_a_cache_folder_that_is_a_file_is_switched_off_with_one_warning(
    srv: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corrupt = tmp_path / "not-a-folder"
    corrupt.write_text("oops")
    summary = extract_many(
        TEXTS, backend=srv.backend(), cache=ResultCache(corrupt), concurrency=2, passes=ONE
    )
    assert summary.done == len(TEXTS)
    assert len(cache_warnings(caplog)) == 1


@pytest.mark.parametrize(
    "entry",
    [
        {"record": {"x": 1}},
        {"record": {"status": "ok", "result": {"participants": 5}, "model": "m", "backend": "b"}},
        {"record": {"status": "error", "error": {"type": "X", "message": "y"}}},
        {"record": ["not", "a", "record"]},
    ],
    ids=["no-status", "result-not-a-summit", "an-error-record", "a-list"],
)
def test_a_cache_entry_of_the_wrong_shape_is_a_miss_with_one_warning(
    srv: FakeOpenAI, _cache_dir: Path, caplog: pytest.LogCaptureFixture, entry: dict[str, Any]
) -> None:
    extract_many(TEXTS, backend=srv.backend(), passes=ONE)
    files = list((_cache_dir / "results").rglob("*.json"))
    assert len(files) == len(TEXTS)
    for path in files:
        path.write_text(json.dumps(entry))
    caplog.clear()
    summary = extract_many(TEXTS, backend=srv.backend(), concurrency=1, passes=ONE)
    assert summary.done == len(TEXTS) and summary.failed == 0 and summary.cached == 0
    assert srv.count == 2 * len(TEXTS)
    assert all(Summit.model_validate(r["result"]) for r in summary.records)
    assert len(cache_warnings(caplog)) == 1


def test_a_result_is_written_before_it_is_cached(srv: FakeOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    seen: list[bool] = []

    class Checking(ResultCache):
        def put(self, key: str, entry: dict[str, Any]) -> None:
            ids = {r["id"] for r in records(out)} if out.exists() else set()
            seen.append(entry["record"]["id"] in ids)
            super().put(key, entry)

    extract_many(
        TEXTS, backend=srv.backend(), out=out, cache=Checking(tmp_path / "c"), concurrency=2, passes=ONE
    )
    assert seen == [True] * len(TEXTS)


def test_the_cache_key_includes_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
    with FakeOpenAI() as one, FakeOpenAI() as two:
        monkeypatch.setenv("OPENAI_BASE_URL", one.base_url)
        first = extract_many(TEXTS[:2], backend=load_provider("openai", "same-name"), passes=ONE)
        monkeypatch.setenv("OPENAI_BASE_URL", two.base_url)
        second = extract_many(TEXTS[:2], backend=load_provider("openai", "same-name"), passes=ONE)
        again = extract_many(TEXTS[:2], backend=load_provider("openai", "same-name"), passes=ONE)
        assert (one.count, two.count) == (2, 2)
    assert (first.cached, second.cached, again.cached) == (0, 0, 2)


# -- the output file -------------------------------------------------------------------------------------


def test_error_records_of_ids_not_in_this_input_are_kept(srv: FakeOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    srv.script(status(400))
    items = [Item("a", TEXTS[0]), Item("b", TEXTS[1])]
    extract_many(items, backend=srv.backend(), out=out, concurrency=1, passes=ONE)
    assert {r["id"]: r["status"] for r in records(out)} == {"a": "error", "b": "ok"}
    extract_many([Item("c", TEXTS[2])], backend=srv.backend(), out=out, passes=ONE)
    assert {r["id"]: r["status"] for r in records(out)} == {"a": "error", "b": "ok", "c": "ok"}


@pytest.mark.parametrize("ident", [7, 0, 3.5, ("x", 1)], ids=["int", "zero", "float", "tuple"])
def test_ids_of_any_type_are_written_once(srv: FakeOpenAI, tmp_path: Path, ident: Any) -> None:
    out = tmp_path / "out.jsonl"
    items = [Item(ident, TEXTS[0]), Item("other", TEXTS[1])]
    extract_many(items, backend=srv.backend(), out=out, cache=False, passes=ONE)
    summary = extract_many(items, backend=srv.backend(), out=out, cache=False, passes=ONE)
    assert summary.skipped == 2 and srv.count == 2
    assert len(records(out)) == 2


def test_two_ids_of_one_json_form_are_refused(srv: FakeOpenAI) -> None:
    with pytest.raises(ValueError, match="unique"):
        extract_many([Item(1, TEXTS[0]), Item(1, TEXTS[1])], backend=srv.backend(), passes=ONE)


LOCKER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+b")
fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
"""


def test_a_second_process_on_the_same_output_is_refused(srv: FakeOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(out) + ".lock"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigurationError, match="another summit-extract process"):
            extract_many(TEXTS, backend=srv.backend(), out=out, passes=ONE)
        assert srv.count == 0 and not out.exists()
    finally:
        holder.kill()
        holder.wait()
    summary = extract_many(TEXTS, backend=srv.backend(), out=out, passes=ONE)  # the lock died with its holder
    assert summary.done == len(TEXTS)


def test_two_batches_in_one_process_on_one_file_the_second_is_refused(
    srv: FakeOpenAI, tmp_path: Path
) -> None:
    import asyncio

    from summit_extract._runners.batch import aextract_many

    out = tmp_path / "out.jsonl"
    srv.default = slow(0.3, ok_summit())

    async def both() -> list[Any]:
        options: dict[str, Any] = dict(backend=srv.backend(), out=out, concurrency=1, passes=ONE)
        first = asyncio.create_task(aextract_many(TEXTS, **options))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(aextract_many(TEXTS, **options))
        return await asyncio.gather(first, second, return_exceptions=True)

    first, second = asyncio.run(both())
    assert isinstance(second, ConfigurationError)
    assert first.done == len(TEXTS)
    assert sorted(r["id"] for r in records(out)) == [str(i) for i in range(len(TEXTS))]


def test_a_full_disk_ends_with_a_clear_error_and_a_resumable_file(
    srv: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("summit_extract._runners.records.os.fsync", fsync)
    with pytest.raises(OutputError, match=r"No space left on device.*run the same command again"):
        extract_many(TEXTS, backend=srv.backend(), out=out, concurrency=1, cache=False, passes=ONE)
    raw = out.read_bytes()
    assert raw.endswith(b"\n") and len(records(out)) == 2  # whole lines only: the third was cut back
    monkeypatch.setattr("summit_extract._runners.records.os.fsync", real_fsync)
    summary = extract_many(TEXTS, backend=srv.backend(), out=out, concurrency=1, cache=False, passes=ONE)
    assert summary.skipped == 2 and summary.done == len(TEXTS) - 2
    assert sorted(r["id"] for r in records(out)) == [str(i) for i in range(len(TEXTS))]


def test_a_closed_stdout_pipe_in_the_cli_is_one_clear_error(srv: FakeOpenAI, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i, text in enumerate(TEXTS * 4):
        (folder / f"{i:02d}.txt").write_text(text + f" Copy {i}.\n", encoding="utf-8")
    srv.default = slow(0.05, ok_summit())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMIT_EXTRACT_CACHE": str(tmp_path / "cache"),
           "OPENAI_API_KEY": "unused", "SUMMIT_EXTRACT_MODE": "json_schema_mode"}
    child = subprocess.Popen(
        [sys.executable, "-m", "summit_extract", "extract", str(folder), "--base-url", srv.base_url,
         "--concurrency", "1", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    assert json.loads(first)["status"] == "ok"
    child.stdout.close()  # like `| head -1`
    started = time.monotonic()
    err = child.stderr.read().decode()
    code = child.wait(timeout=30)
    assert time.monotonic() - started < 30
    assert code == 1, err
    assert "broken pipe" in err and "Traceback" not in err and "Exception ignored" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_logging_of_a_cache_failure_names_the_folder(
    srv: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    cache = Failing(tmp_path / "named-cache", OSError(errno.EROFS, "Read-only file system"))
    extract_many(TEXTS[:2], backend=srv.backend(), cache=cache, concurrency=1, passes=ONE)
    (warning,) = cache_warnings(caplog)
    assert "named-cache" in warning and "Read-only file system" in warning
