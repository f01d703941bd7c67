"""Work spread over forked processes, each streaming JSON lines back to the parent as it makes them.

For ``extract_many(processes=N)``: the library's own work per extraction (parsing, validation, alignment)
holds the GIL, so one process tops out at about 1 / (CPU seconds per extraction) items per second however
fast a remote endpoint answers. The batch deals its pending items to forked workers, each running the
ordinary ``extract_many`` with its own event loop and HTTP clients; every record travels back over a pipe
as soon as it is made and the parent alone writes OUT (same records, same resume, one file). The embedded
model is never forked: it is one server per process and the cores are its own, so ``"auto"`` means one
process for it. This module knows nothing of batches: ``batch`` hands it the work and the sink.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

from .._backend import Backend, resolve_backend
from .._exceptions import ConfigurationError, ExtractionError
from .records import LineSink

__all__ = ["Processes", "choose_processes", "run_in_processes"]

Processes = int | Literal["auto"] | None
T = TypeVar("T")


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


def _worker(conn: Connection, work: Callable[[T, LineSink], None], shard: T) -> None:
    try:
        work(shard, LineSink(lambda line: conn.send(("line", line))))
        conn.send(("done", None))
    except ExtractionError as exc:
        conn.send(("error", exc))
    except BaseException as exc:  # anything else is reported, not lost with the process
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")))
    finally:
        conn.close()


def run_in_processes(
    shards: Sequence[T], work: Callable[[T, LineSink], None], on_line: Callable[[str], None]
) -> None:
    """Run ``work(shard, stream)`` for every shard in a forked process; ``on_line`` gets every line written.

    Forked, not spawned: ``work`` and the backend it closes over are inherited, never pickled (a backend's
    client factories are closures). The first failure of a worker is raised once every worker has ended.
    """
    context = multiprocessing.get_context("fork")
    workers: list[tuple[Any, Connection]] = []
    failure: BaseException | None = None
    try:
        for shard in shards:
            mine, theirs = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(theirs, work, shard), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, mine))
        live = [conn for _, conn in workers]
        while live:
            for ready in multiprocessing.connection.wait(live):
                assert isinstance(ready, Connection)
                try:
                    kind, payload = ready.recv()
                except EOFError:
                    live.remove(ready)
                    failure = failure or RuntimeError("a worker process died before finishing its items")
                    continue
                if kind == "line":
                    on_line(payload)
                else:
                    live.remove(ready)
                    if kind == "error":
                        failure = failure or payload
    finally:
        for process, conn in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
            conn.close()
    if failure is not None:
        raise failure
