"""Extraction at volume: many articles, bounded concurrency, resumable JSONL output and a result cache.

Every input gets exactly one record, a result or an error, keyed by its id. Records are appended one
line at a time with flush and fsync, so an interrupted run leaves at most one partial last line, which
the next run repairs before skipping every id already done. A failure is recorded and the batch goes
on; only a configuration error (bad key, unknown model) stops it, since every later item would fail
the same way, and so does an endpoint where nothing answers for :data:`STOP_AFTER_UNREACHABLE` articles in
a row (connection refused): then every item not started gets an error record saying so, and the same
command retries them.

A result is written before it is cached, and the cache is a convenience: a cache that cannot be read
or written (unwritable, full, corrupt, an entry of the wrong shape) is switched off with one warning,
never a lost result. One process at a time writes an output file (an advisory lock on ``<out>.lock``).
A write that fails (disk full, a closed pipe) ends the batch with an ``OutputError``; what was written
is whole lines, so the same command resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

import instructor
import openai
from pydantic import BaseModel

from .._backend import Backend, client_backend, resolve_backend
from .._cache import ResultCache, cache_key
from .._document import default_article_type
from .._exceptions import (
    ConfigurationError,
    ExtractionError,
    InputError,
    OutputError,
    UnreachableError,
    Usage,
)
from .._extracting import aextract_result, request_slots
from .._planning import published_date as _published
from .records import (
    BatchSummary,
    Item,
    LineSink,
    Record,
    Sink,
    batch_items,
    error_record,
    id_key,
    ok_record,
)

__all__ = ["STOP_AFTER_UNREACHABLE", "aextract_many", "extract_many"]

log = logging.getLogger("summit_extract")

#: Articles in a row that found nothing listening at the endpoint before a batch stops starting new ones.
STOP_AFTER_UNREACHABLE = 3


# -- progress -----------------------------------------------------------------------------------------


class _Progress:
    """A rich progress bar with rate and ETA on stderr; nothing at all when off."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._bar: Any = None
        if not enabled or total == 0:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task("extracting", total=total, failed=0, rate="")
        self._started = time.monotonic()
        self._count = 0
        self._bar.start()

    def advance(self, failed: int) -> None:
        if self._bar is None:
            return
        self._count += 1
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self._count / elapsed
        shown = f"{rate:.2f} items/s" if rate >= 1 else f"{1 / rate:.1f} s/item"
        self._bar.update(self._task, advance=1, failed=failed, rate=shown)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- the batch ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, list)) else value


class _SafeCache:
    """The result cache as a convenience: the first failure switches it off, with one warning."""

    def __init__(self, store: ResultCache | None, schema: type[BaseModel]) -> None:
        self.store = store
        self.schema = schema

    def _off(self, what: str, exc: BaseException | str) -> None:
        if self.store is not None:
            log.warning(
                "result cache %s %s (%s); going on without a cache",
                self.store.root,
                what,
                exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}",
            )
        self.store = None

    def get(self, key: str) -> Record | None:
        """A cached ok record whose result validates against the schema, else None."""
        if self.store is None:
            return None
        try:
            hit = self.store.get(key)
        except Exception as exc:
            self._off("cannot be read", exc)
            return None
        if hit is None:
            return None
        record = hit.get("record")
        try:
            if not (isinstance(record, dict) and record.get("status") == "ok"):
                raise ValueError("not an ok record")
            self.schema.model_validate(record["result"])
            for name in ("model", "backend"):
                if not isinstance(record.get(name), str):
                    raise ValueError(f"no {name}")
        except Exception as exc:
            self._off("holds an entry of the wrong shape", f"{self.store.path(key).name}: {exc}")
            return None
        return Record.from_json(record)

    def put(self, key: str, record: dict[str, Any]) -> None:
        if self.store is None:
            return
        try:
            self.store.put(key, {"record": record})
        except Exception as exc:
            self._off("cannot be written", exc)


def _forget(inflight: dict[str, asyncio.Task[None]], key: str, task: asyncio.Task[None]) -> None:
    if inflight.get(key) is task:
        del inflight[key]


def _choose_backend(
    backend: Backend | None,
    client: openai.AsyncOpenAI | None,
    model: str | None,
    mode: instructor.Mode | None,
    shared: list[openai.AsyncOpenAI],
) -> Backend:
    if backend is None:
        backend = client_backend(client, model, mode) if client is not None else resolve_backend(model)
    elif model is not None and model != backend.model:
        backend = dataclasses.replace(backend, model=model)
    if mode is not None and backend.mode != mode:
        backend = dataclasses.replace(backend, mode=mode)
    # One client for the whole batch: building an AsyncOpenAI costs ~50 ms of blocking work (TLS setup)
    # and a fresh connection pool, which would stall the event loop once per item.
    make = backend.make_async_client

    def make_once() -> openai.AsyncOpenAI:
        if not shared:
            shared.append(make())
        return shared[0]

    return dataclasses.replace(backend, make_async_client=make_once)


async def aextract_many(
    items: Iterable[str | Item],
    *,
    schema: type[BaseModel] | None = None,
    out: Path | str | IO[str] | None = None,
    concurrency: int | None = None,
    cache: ResultCache | bool = True,
    progress: bool | None = None,
    retry_failed: bool = True,
    backend: Backend | None = None,
    client: openai.AsyncOpenAI | None = None,
    model: str | None = None,
    mode: instructor.Mode | None = None,
    published: dt.date | str | None = None,
    **extract_options: Any,
) -> BatchSummary:
    """Extract ``schema`` from many articles at once and write one JSONL record per article.

    ``items`` are strings (ids "0", "1", ...) or :class:`Item`. ``out`` is a JSONL path (appended to;
    ids already there are skipped, so re-running resumes), a text stream, or None to keep the records
    in ``summary.records``. ``concurrency`` defaults to the backend's (1 for the embedded model).
    ``cache`` (on by default) answers repeated articles from disk without a request. ``progress``
    shows a bar on stderr (default: only when stderr is a terminal). ``retry_failed`` retries items
    whose earlier record is an error. Other options (``ungrounded``, ``policy``, ``instructions``, ...)
    go to :func:`aextract_result`; ``published`` is the default for items that do not carry their own.
    """
    started = time.monotonic()
    schema = schema or default_article_type()
    summary = BatchSummary()
    todo = batch_items(items)
    summary.items = len(todo)
    shared: list[openai.AsyncOpenAI] = []
    chosen = _choose_backend(backend, client, model, mode, shared)
    limit = concurrency if concurrency is not None else chosen.max_concurrency
    if limit < 1:
        raise ConfigurationError(f"concurrency must be at least 1, not {limit}.")
    default_published = _published(published)
    store = _SafeCache(ResultCache() if cache is True else (cache or None), schema)
    ungrounded = str(extract_options.get("ungrounded", "drop"))
    instructions = extract_options.get("instructions")

    sink = Sink(out)
    summary.records = sink.kept
    sink.lock()
    try:
        done_ids = sink.resume(retry_failed, {id_key(item.id) for item in todo})
    except BaseException:
        sink.close()
        raise
    pending = [item for item in todo if id_key(item.id) not in done_ids]
    summary.skipped = len(todo) - len(pending)
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, len(pending))
    semaphore = asyncio.Semaphore(limit)
    slots = asyncio.Semaphore(limit)
    abort: list[ExtractionError] = []
    #: Articles in a row whose endpoint never answered (connection refused): see STOP_AFTER_UNREACHABLE.
    unreachable: list[UnreachableError] = []
    #: The output could not be written: the batch stops (what is written is whole lines, resumable).
    broken: list[OutputError] = []

    def record(rec: Record) -> None:
        try:
            sink.write(rec)
        except OutputError as exc:
            broken.append(exc)
            raise
        summary.count(rec)
        bar.advance(summary.failed)

    async def run(item: Item, pub: dt.date | None, key: str | None) -> None:
        with contextlib.suppress(OutputError):  # kept in ``broken``, raised by the batch itself
            await attempt(item, pub, key)

    async def attempt(item: Item, pub: dt.date | None, key: str | None) -> None:
        t0 = time.monotonic()
        try:
            extraction = await aextract_result(
                item.text, schema, backend=chosen, published=pub, **extract_options
            )
        except Exception as exc:  # one item's failure is its record, never the end of the batch
            if isinstance(exc, ConfigurationError):
                abort.append(exc)
            unreachable[:] = [*unreachable, exc] if isinstance(exc, UnreachableError) else []
            if len(unreachable) == STOP_AFTER_UNREACHABLE:
                abort.append(unreachable[0])
            if not isinstance(exc, ExtractionError):
                log.warning("item %r failed unexpectedly: %r", item.id, exc)
            record(error_record(item, chosen, exc, time.monotonic() - t0))
            return
        finally:
            semaphore.release()
        unreachable.clear()
        done = ok_record(item, extraction)
        record(done)  # the result is safe in the output before the cache is touched
        if key is not None:
            store.put(key, done.to_json())

    tasks: set[asyncio.Task[None]] = set()
    inflight: dict[str, asyncio.Task[None]] = {}
    started_ids: set[str] = set()
    try:
        for item in pending:
            if abort or broken:
                break
            started_ids.add(id_key(item.id))
            try:
                pub = _published(item.published) if item.published is not None else default_published
            except ConfigurationError as exc:
                record(error_record(item, chosen, InputError(f"item {item.id!r}: {exc}"), 0.0))
                continue
            key = None
            if store.store is not None and isinstance(item.text, str):
                key = cache_key(
                    item.text,
                    schema,
                    model=chosen.model,
                    backend=chosen.name,
                    mode=chosen.mode.value,
                    published=pub,
                    ungrounded=ungrounded,
                    instructions=instructions,
                    endpoint=chosen.endpoint,
                    options={k: _jsonable(v) for k, v in extract_options.items()},
                )
                if key in inflight:  # the same article is being extracted: wait and take its cached result
                    await asyncio.wait([inflight[key]])
                hit = store.get(key)
                if hit is not None:  # free: no request, no tokens, no time
                    free = dataclasses.replace(hit, id=item.id, cached=True, attempts=0, usage=Usage())
                    record(dataclasses.replace(free, seconds=0.0))
                    continue
            await semaphore.acquire()  # bounds requests in flight, and tasks alive, to ``limit``
            if abort or broken:
                semaphore.release()
                started_ids.discard(id_key(item.id))
                break
            with request_slots(slots):  # the task's passes share the batch's slots (context copied here)
                task = asyncio.create_task(run(item, pub, key))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if key is not None:
                inflight[key] = task
                task.add_done_callback(functools.partial(_forget, inflight, key))
        if tasks:
            await asyncio.gather(*tasks)
        if broken:
            raise broken[0]
        if abort:  # every item not started gets its record, so the output accounts for the whole input
            why = "an earlier item failed with"
            reason = " ".join(str(abort[0]).split())
            if isinstance(abort[0], UnreachableError):
                why = f"the batch stopped early, {STOP_AFTER_UNREACHABLE} articles in a row failing with"
                reason = abort[0].reason or reason
            for item in pending:
                if id_key(item.id) not in started_ids:
                    not_started = type(abort[0])(f"Not started: {why}: {reason}")
                    record(error_record(item, chosen, not_started, 0.0))
    finally:
        for task in tasks:
            task.cancel()
        sink.close()
        bar.stop()
        if shared and client is None:
            await shared[0].close()  # ours, not the caller's: close its connections inside this loop
        summary.seconds = time.monotonic() - started
    if abort and isinstance(abort[0], UnreachableError):
        raise _stopped_early(abort[0], summary, len(pending) - len(started_ids))
    if abort:
        raise abort[0]
    return summary


def _stopped_early(first: UnreachableError, summary: BatchSummary, not_started: int) -> UnreachableError:
    """The one error of a batch that stopped because nothing answered at its endpoint."""
    error = UnreachableError(
        f"Stopped early after {STOP_AFTER_UNREACHABLE} articles in a row: {first.reason or first}. "
        f"{summary.failed - not_started} article(s) failed and {not_started} were not started; each has an "
        f"error record, retried when the same command runs again. {summary.done} done, {summary.attempts} "
        "request(s) in all.",
        attempts=summary.attempts,
        usage=summary.usage,
    )
    error.reason = first.reason
    return error


def extract_many(
    items: Iterable[str | Item],
    *,
    schema: type[BaseModel] | None = None,
    out: Path | str | IO[str] | None = None,
    concurrency: int | None = None,
    cache: ResultCache | bool = True,
    progress: bool | None = None,
    processes: int | Literal["auto"] | None = None,
    **extract_options: Any,
) -> BatchSummary:
    """The synchronous twin of :func:`aextract_many` (it runs its own event loop).

    ``processes`` (an int, or "auto": one per core unless the backend is the embedded model) spreads the
    items over that many processes, for a remote backend when the library's own CPU work is the limit.
    """
    if processes is not None and processes != 1:
        from .processes import choose_processes

        n = choose_processes(processes, extract_options.get("backend"))
        if n > 1:
            options = dict(extract_options, schema=schema, concurrency=concurrency, cache=cache)
            return _in_processes(items, n, out, progress, options)
    return asyncio.run(
        aextract_many(
            items,
            schema=schema,
            out=out,
            concurrency=concurrency,
            cache=cache,
            progress=progress,
            **extract_options,
        )
    )


def _in_processes(
    items: Iterable[str | Item],
    n: int,
    out: Path | str | IO[str] | None,
    progress: bool | None,
    options: dict[str, Any],
) -> BatchSummary:
    """extract_many over ``n`` forked processes (see processes); this process alone writes ``out``, locked."""
    from .processes import run_in_processes

    started = time.monotonic()
    todo = batch_items(items)
    summary = BatchSummary(items=len(todo))
    with Sink(out) as sink:
        summary.records = sink.kept
        done = sink.resume(bool(options.pop("retry_failed", True)), {id_key(item.id) for item in todo})
        pending = [item for item in todo if id_key(item.id) not in done]
        summary.skipped = len(todo) - len(pending)
        bar = _Progress(sys.stderr.isatty() if progress is None else progress, len(pending))

        def work(shard: list[Item], stream: LineSink) -> None:
            extract_many(shard, out=stream, progress=False, **options)

        def on_line(line: str) -> None:
            record = Record.from_line(line)
            sink.write(record)
            summary.count(record)
            bar.advance(summary.failed)

        try:
            run_in_processes([s for s in (pending[k::n] for k in range(n)) if s], work, on_line)
        finally:
            bar.stop()
            summary.seconds = time.monotonic() - started
    return summary
