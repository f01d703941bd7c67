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
import errno
import fcntl
import functools
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import instructor
import openai
from pydantic import BaseModel

from ._backend import Backend, client_backend, resolve_backend
from ._cache import ResultCache, atomic_write, cache_key
from ._document import default_article_type
from ._exceptions import ConfigurationError, ExtractionError, InputError, OutputError, UnreachableError, Usage
from ._extracting import aextract_result, request_slots
from ._planning import published_date as _published
from ._result import Extraction

__all__ = ["STOP_AFTER_UNREACHABLE", "BatchSummary", "Item", "aextract_many", "extract_many", "id_key"]

log = logging.getLogger("summit_extract")

#: Articles in a row that found nothing listening at the endpoint before a batch stops starting new ones.
STOP_AFTER_UNREACHABLE = 3


@dataclass(frozen=True)
class Item:
    """One article of a batch: its id (unique in the batch), its text and optionally its publication date.

    ``text`` may be bytes: they are decoded as UTF-8 (or as their byte order mark says), and bytes that are
    not text become the item's error record.
    """

    id: Any
    text: str | bytes
    published: dt.date | str | None = None


def id_key(value: Any) -> str:
    """How an id is compared: its JSON form, so that ``7`` read back from the output file is still ``7``."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class BatchSummary:
    """What a batch did: counts, requests, tokens and wall time."""

    items: int = 0
    #: Extracted in this run (including cache hits).
    done: int = 0
    #: Of ``done``, answered from the cache without a request.
    cached: int = 0
    #: Already in the output file from an earlier run.
    skipped: int = 0
    failed: int = 0
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    #: Failures by error type.
    errors: Counter[str] = field(default_factory=Counter)
    #: The records themselves, kept only when no output was given.
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return self.failed == 0

    def count(self, record: dict[str, Any]) -> None:
        """Add one written record (ok or error) to the counts, requests and tokens."""
        self.attempts += int(record.get("attempts", 0))
        self.usage += Usage(**record["usage"])
        if record["status"] == "ok":
            self.done += 1
            self.cached += int(bool(record.get("cached")))
        else:
            self.failed += 1
            self.errors[record["error"]["type"]] += 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-able values (without the records)."""
        return {
            "items": self.items,
            "done": self.done,
            "cached": self.cached,
            "skipped": self.skipped,
            "failed": self.failed,
            "attempts": self.attempts,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "seconds": round(self.seconds, 3),
            "errors": dict(self.errors),
        }

    def __str__(self) -> str:
        errors = ", ".join(f"{n} {kind}" for kind, n in self.errors.most_common())
        return (
            f"{self.items} items: {self.done} done ({self.cached} cached), {self.skipped} skipped, "
            f"{self.failed} failed{f' ({errors})' if errors else ''}; {self.attempts} requests, "
            f"{self.usage.total_tokens} tokens ({self.usage.prompt_tokens} prompt, "
            f"{self.usage.completion_tokens} completion); {self.seconds:.1f} s"
        )


# -- output -------------------------------------------------------------------------------------------


class _Sink:
    """Where records go: a JSONL file (resumable), a text stream, or memory."""

    def __init__(self, out: Path | str | IO[str] | None, summary: BatchSummary) -> None:
        self.path: Path | None = None
        self.stream: IO[str] | None = None
        if isinstance(out, (str, os.PathLike)):
            self.path = Path(out)
        elif out is not None:
            self.stream = out
        self.summary = summary
        self._fh: IO[bytes] | None = None
        self._lock: IO[bytes] | None = None

    def lock(self) -> None:
        """Hold ``<out>.lock`` for the whole run, or refuse: two writers would each redo the other's work."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = lock_path.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ConfigurationError(
                    f"{self.path} is being written by another summit-extract process (it holds "
                    f"{lock_path}). Wait for it to finish, or write to another file."
                ) from None
            raise
        self._lock = handle

    def resume(self, retry_failed: bool, current: set[str] | None = None) -> set[str]:
        """Repair a partial last line, drop error records to retry, and return the ids already done.

        Only error records of ids in ``current`` (the keys of this run's items) are dropped to be
        retried: an error record of an id not in this input is kept, since nothing would replace it.
        """
        if self.path is None or not self.path.exists():
            return set()
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) < len(data):
            log.warning("%s: dropping a partial last line left by an interrupted run", self.path)
        kept: list[bytes] = []
        done: set[str] = set()
        for line in complete.splitlines(keepends=True):
            try:
                record = json.loads(line)
            except ValueError:
                log.warning("%s: ignoring a line that is not JSON", self.path)
                continue
            if not isinstance(record, dict) or "id" not in record:
                continue
            key = id_key(record["id"])
            if record.get("status") == "error" and retry_failed and (current is None or key in current):
                continue  # retried below; its new record replaces this one
            kept.append(line)
            done.add(key)
        if len(kept) != len(complete.splitlines()) or len(complete) < len(data):
            atomic_write(self.path, b"".join(kept))
        return done

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self.path is not None:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("ab")
            at = self._fh.tell()
            try:
                self._fh.write(line.encode("utf-8"))
                self._fh.flush()
                os.fsync(self._fh.fileno())  # a crash loses at most the line being written
            except OSError as exc:
                self._abandon(at)
                raise OutputError(
                    f"Could not write to {self.path} ({exc.strerror or exc}). The records written so far "
                    "are complete; free the space (or fix the file) and run the same command again to "
                    "resume."
                ) from None
        elif self.stream is not None:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (BrokenPipeError, ValueError) as exc:  # ValueError: the stream was closed
                raise OutputError(
                    "The output stream was closed before the batch finished (broken pipe): "
                    f"{type(exc).__name__}. Write to a file with --out to be able to resume."
                ) from None
            except OSError as exc:
                raise OutputError(f"Could not write the output ({exc.strerror or exc}).") from None
        else:
            self.summary.records.append(record)

    def _abandon(self, at: int) -> None:
        """After a failed write, cut the file back to its last whole line and stop writing to it."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            fh.truncate(at)
        with contextlib.suppress(OSError):
            fh.close()

    def close(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        if self._lock is not None:
            self._lock.close()  # releases the lock; the lock file stays, so a waiting process never races
            self._lock = None


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


def _items(items: Iterable[str | Item]) -> list[Item]:
    out: list[Item] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = Item(str(index), item)
        elif not isinstance(item, Item):
            raise InputError(f"Batch items must be str or Item, not {type(item).__name__} (item {index}).")
        key = id_key(item.id)
        if key in seen:
            raise InputError(f"Two batch items have the id {item.id!r}; ids must be unique to key the output")
        seen.add(key)
        out.append(item)
    return out


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, list)) else value


def _usage(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}


def _ok_record(item: Item, extraction: Extraction[Any], *, cached: bool) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": "ok",
        "result": extraction.value.model_dump(mode="json"),
        "model": extraction.model,
        "backend": extraction.backend,
        "attempts": 0 if cached else extraction.attempts,
        "usage": _usage(Usage() if cached else extraction.usage),
        "seconds": extraction.seconds,
        "cached": cached,
        "dropped": len(extraction.dropped),
        "flagged": len(extraction.flagged),
    }


def _error_record(item: Item, backend: Backend, exc: BaseException, seconds: float) -> dict[str, Any]:
    attempts = getattr(exc, "attempts", 0)
    usage = getattr(exc, "usage", None)
    return {
        "id": item.id,
        "status": "error",
        "error": {"type": type(exc).__name__, "message": " ".join(str(exc).split()) or repr(exc)},
        "model": backend.model,
        "backend": backend.name,
        "attempts": attempts if isinstance(attempts, int) else 0,
        "usage": _usage(usage if isinstance(usage, Usage) else Usage()),
        "seconds": round(seconds, 3),
    }


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

    def get(self, key: str) -> dict[str, Any] | None:
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
        return record

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
    todo = _items(items)
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

    sink = _Sink(out, summary)
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

    def record(rec: dict[str, Any]) -> None:
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
            record(_error_record(item, chosen, exc, time.monotonic() - t0))
            return
        finally:
            semaphore.release()
        unreachable.clear()
        done = _ok_record(item, extraction, cached=False)
        record(done)  # the result is safe in the output before the cache is touched
        if key is not None:
            store.put(key, done)

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
                record(_error_record(item, chosen, InputError(f"item {item.id!r}: {exc}"), 0.0))
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
                if hit is not None:
                    rec = dict(hit, id=item.id, cached=True, attempts=0, usage=_usage(Usage()), seconds=0.0)
                    record(rec)
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
                    record(_error_record(item, chosen, not_started, 0.0))
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
        from ._processes import choose_processes

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
    """extract_many over ``n`` forked processes (see _processes); this process alone writes ``out``."""
    from ._processes import LineStream, run_in_processes

    started = time.monotonic()
    todo = _items(items)
    summary = BatchSummary(items=len(todo))
    sink = _Sink(out, summary)
    done = sink.resume(bool(options.pop("retry_failed", True)), {id_key(item.id) for item in todo})
    pending = [item for item in todo if id_key(item.id) not in done]
    summary.skipped = len(todo) - len(pending)
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, len(pending))

    def work(shard: list[Item], stream: LineStream) -> None:
        extract_many(shard, out=stream, progress=False, **options)  # type: ignore[arg-type]

    def on_line(line: str) -> None:
        record = json.loads(line)
        sink.write(record)
        summary.count(record)
        bar.advance(summary.failed)

    try:
        run_in_processes([s for s in (pending[k::n] for k in range(n)) if s], work, on_line)
    finally:
        sink.close()
        bar.stop()
        summary.seconds = time.monotonic() - started
    return summary
