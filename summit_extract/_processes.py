"""``extract_many`` over several processes, for a remote backend when this machine's CPU is the limit.

The library's own work per extraction (parsing, validation, alignment) holds the GIL, so one process tops
out at roughly 1 / (CPU seconds per extraction) items per second however fast the endpoint answers.
Here the pending items are dealt round-robin to forked workers, each running the ordinary
``extract_many`` with its own event loop and HTTP clients; every record travels back over a pipe as soon
as it is made and the parent alone writes OUT (same records, same resume, one file). The embedded model
is never forked: it is one server per process and the cores are its own, so ``"auto"`` means one process
for it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, Literal

from ._backend import Backend, resolve_backend
from ._batch import BatchSummary, Item, _items, _Progress, _Sink, extract_many
from ._exceptions import ConfigurationError, ExtractionError, Usage

__all__ = ["choose_processes", "extract_many_processes"]

Processes = int | Literal["auto"] | None


def choose_processes(processes: Processes, backend: Backend | None) -> int:
    """How many processes to use: an int as given; "auto" is one per core, except for the embedded model."""
    if processes is None:
        return 1
    if processes == "auto":
        name = backend.name if backend is not None else resolve_backend().name
        return 1 if name == "local" else max(1, os.cpu_count() or 1)
    if processes < 1:
        raise ConfigurationError(f"processes must be at least 1, not {processes}.")
    return processes


class _PipeStream:
    """A text stream whose lines go to the parent, one message per record."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.conn.send(("record", line))
        return len(text)

    def flush(self) -> None:
        pass


def _worker(conn: Connection, items: list[Item], options: dict[str, Any]) -> None:
    try:
        extract_many(items, out=_PipeStream(conn), progress=False, **options)  # type: ignore[arg-type]
        conn.send(("done", None))
    except ExtractionError as exc:
        conn.send(("error", exc))
    except BaseException as exc:  # anything else is reported, not lost with the process
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")))
    finally:
        conn.close()


def extract_many_processes(
    items: list[str | Item],
    *,
    processes: int,
    out: Path | str | IO[str] | None = None,
    progress: bool | None = None,
    retry_failed: bool = True,
    **options: Any,
) -> BatchSummary:
    """``extract_many`` with the pending items spread over ``processes`` forked workers."""
    import sys

    started = time.monotonic()
    todo = _items(items)
    summary = BatchSummary(items=len(todo))
    sink = _Sink(out, summary)
    done = sink.resume(retry_failed)
    pending = [item for item in todo if item.id not in done]
    summary.skipped = len(todo) - len(pending)
    shards = [pending[n::processes] for n in range(processes)]
    context = multiprocessing.get_context("fork")  # the backend's factories are closures: inherit, not pickle
    workers: list[tuple[Any, Connection]] = []
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, len(pending))
    failure: BaseException | None = None
    try:
        for shard in shards:
            if not shard:
                continue
            mine, theirs = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(theirs, shard, options), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, mine))
        live = [conn for _, conn in workers]
        while live:
            for conn in multiprocessing.connection.wait(live):
                assert isinstance(conn, Connection)
                try:
                    kind, payload = conn.recv()
                except EOFError:
                    live.remove(conn)
                    failure = failure or RuntimeError("a worker process died without finishing its items")
                    continue
                if kind == "record":
                    record = json.loads(payload)
                    sink.write(record)
                    _count(summary, record)
                    bar.advance(summary.failed)
                else:
                    live.remove(conn)
                    if kind == "error":
                        failure = failure or payload
    finally:
        for process, conn in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
            conn.close()
        sink.close()
        bar.stop()
        summary.seconds = time.monotonic() - started
    if failure is not None:
        raise failure
    return summary


def _count(summary: BatchSummary, record: dict[str, Any]) -> None:
    summary.attempts += int(record.get("attempts", 0))
    summary.usage += Usage(**record["usage"])
    if record["status"] == "ok":
        summary.done += 1
        summary.cached += int(bool(record.get("cached")))
    else:
        summary.failed += 1
        summary.errors[record["error"]["type"]] += 1
