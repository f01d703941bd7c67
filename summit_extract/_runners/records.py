"""The records every runner writes: one per article, its id in its original JSON type, and where they go.

``extract_many`` (threads or processes), the Ray runner, the Batch API's collect and the command line all
make their records here and write them through one :class:`Sink`, so their outputs are interchangeable:
one run resumes another's file, and a reader of the records needs to know no runner.

- :class:`Record` is one article's outcome: ``ok`` with the ``result`` (the value as JSON), or ``error``
  with its type and message; the model and backend, requests (``attempts``), tokens and seconds.
  ``to_json``/``from_json`` are the JSONL form, unchanged from earlier versions.
- Ids keep their JSON type (``7`` stays ``7``, ``"7"`` stays ``"7"``) and are compared by their JSON form
  (:func:`id_key`) everywhere: in resume, in duplicate checks, in the Batch API's manifest, in Parquet.
- :class:`Sink` holds ``<out>.lock`` while it is open (a second writer, in this process or another, is
  refused before any request), repairs a partial last line, drops error records to retry, and appends
  one line at a time with flush and fsync. :class:`ParquetSink` is the same for a folder of Parquet
  parts, each written atomically.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import io
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

from .._cache import atomic_write
from .._exceptions import ConfigurationError, InputError, OutputError, Usage

if TYPE_CHECKING:
    from .._backend import Backend
    from .._result import Extraction

__all__ = [
    "BatchSummary",
    "Item",
    "LineSink",
    "ParquetSink",
    "Record",
    "RecordError",
    "Sink",
    "batch_items",
    "done_ids",
    "error_record",
    "id_key",
    "iter_records",
    "ok_record",
]

log = logging.getLogger("summit_extract")


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


def batch_items(items: Iterable[str | Item]) -> list[Item]:
    """The items of a batch: a str is an item with id ``"0"``, ``"1"``, ...; two ids of one JSON form fail."""
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


# -- the record -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordError:
    """Why an article has no result: the error's class name and its message on one line."""

    type: str
    message: str


@dataclass(frozen=True)
class Record:
    """One article's outcome, as every runner writes it (one JSON line in OUT)."""

    #: The item's id, in its original JSON type.
    id: Any
    status: Literal["ok", "error"]
    model: str
    backend: str
    #: Requests made (0 for a cache hit).
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    #: The value as JSON (``status == "ok"``).
    result: dict[str, Any] | None = None
    #: Why it failed (``status == "error"``).
    error: RecordError | None = None
    #: Answered from the result cache without a request.
    cached: bool = False
    #: Items whose evidence is not in the article: dropped, or kept and flagged.
    dropped: int = 0
    flagged: int = 0

    @property
    def ok(self) -> bool:
        """True for a result, False for an error."""
        return self.status == "ok"

    @property
    def key(self) -> str:
        """The id's JSON form, by which records are compared (:func:`id_key`)."""
        return id_key(self.id)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object, its keys in the order every earlier version wrote them."""
        usage = {"prompt_tokens": self.usage.prompt_tokens, "completion_tokens": self.usage.completion_tokens}
        if self.status == "ok":
            return {
                "id": self.id,
                "status": "ok",
                "result": self.result,
                "model": self.model,
                "backend": self.backend,
                "attempts": self.attempts,
                "usage": usage,
                "seconds": self.seconds,
                "cached": self.cached,
                "dropped": self.dropped,
                "flagged": self.flagged,
            }
        error = self.error or RecordError("Error", "")
        return {
            "id": self.id,
            "status": "error",
            "error": {"type": error.type, "message": error.message},
            "model": self.model,
            "backend": self.backend,
            "attempts": self.attempts,
            "usage": usage,
            "seconds": self.seconds,
        }

    def to_line(self) -> str:
        """The record as one JSONL line (with its newline)."""
        return json.dumps(self.to_json(), ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """A record from its JSON object (a line of OUT, a Parquet row decoded, a cache entry)."""
        usage = data.get("usage") or {}
        error = data.get("error")
        return cls(
            id=data["id"],
            status="ok" if data.get("status") == "ok" else "error",
            model=str(data.get("model") or ""),
            backend=str(data.get("backend") or ""),
            attempts=int(data.get("attempts") or 0),
            usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
            seconds=float(data.get("seconds") or 0.0),
            result=data.get("result"),
            error=RecordError(str(error.get("type")), str(error.get("message"))) if error else None,
            cached=bool(data.get("cached")),
            dropped=int(data.get("dropped") or 0),
            flagged=int(data.get("flagged") or 0),
        )

    @classmethod
    def from_line(cls, line: str | bytes) -> Record:
        """A record from one JSONL line."""
        return cls.from_json(json.loads(line))


def ok_record(item: Item, extraction: Extraction[Any], *, cached: bool = False) -> Record:
    """The record of an item extracted (``cached``: answered from the result cache, so no request)."""
    return Record(
        id=item.id,
        status="ok",
        result=extraction.value.model_dump(mode="json"),
        model=extraction.model,
        backend=extraction.backend,
        attempts=0 if cached else extraction.attempts,
        usage=Usage() if cached else _tokens(extraction.usage),
        seconds=extraction.seconds,
        cached=cached,
        dropped=len(extraction.dropped),
        flagged=len(extraction.flagged),
    )


def error_record(item: Item, backend: Backend, exc: BaseException, seconds: float) -> Record:
    """The record of an item that failed with ``exc``: its requests and tokens are the error's, if it says."""
    attempts = getattr(exc, "attempts", 0)
    usage = getattr(exc, "usage", None)
    usage = usage if isinstance(usage, Usage) else Usage()
    return Record(
        id=item.id,
        status="error",
        error=RecordError(type(exc).__name__, " ".join(str(exc).split()) or repr(exc)),
        model=backend.model,
        backend=backend.name,
        attempts=attempts if isinstance(attempts, int) else 0,
        usage=_tokens(usage),
        seconds=round(seconds, 3),
    )


def _tokens(usage: Usage) -> Usage:
    """What a record keeps of a usage: prompt and completion tokens (its JSON form has no more)."""
    return Usage(usage.prompt_tokens, usage.completion_tokens)


# -- what a run did ---------------------------------------------------------------------------------------


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
    #: The records themselves as JSON objects, kept only when no output was given.
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return self.failed == 0

    def count(self, record: Record) -> None:
        """Add one written record (ok or error) to the counts, requests and tokens."""
        self.attempts += record.attempts
        self.usage += record.usage
        if record.ok:
            self.done += 1
            self.cached += int(record.cached)
        else:
            self.failed += 1
            self.errors[record.error.type if record.error else "Error"] += 1

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


# -- where records go -------------------------------------------------------------------------------------


def lock_path(out: Path) -> Path:
    """The advisory lock a writer of ``out`` holds: ``<out>.lock`` beside it (left in place)."""
    return out.with_name(out.name + ".lock")


class Sink:
    """Where records go: a JSONL file (locked, resumable), a text stream, or memory (``kept``).

    Open it with ``with``: a file is locked for the whole block, or the block is refused.
    """

    def __init__(self, out: Path | str | IO[str] | None) -> None:
        self.path: Path | None = None
        self.stream: IO[str] | None = None
        if isinstance(out, (str, os.PathLike)):
            self.path = Path(out)
        elif out is not None:
            self.stream = out
        #: The records as JSON objects, when there is neither a file nor a stream.
        self.kept: list[dict[str, Any]] = []
        self._fh: IO[bytes] | None = None
        self._lock: IO[bytes] | None = None

    def __enter__(self) -> Sink:
        self.lock()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def lock(self) -> None:
        """Hold ``<out>.lock`` for the whole run, or refuse: two writers would each redo the other's work."""
        if self.path is None or self._lock is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        held = lock_path(self.path)
        handle = held.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ConfigurationError(
                    f"{self.path} is being written by another summit-extract process (it holds "
                    f"{held}). Wait for it to finish, or write to another file."
                ) from None
            raise
        self._lock = handle

    def resume(self, retry_failed: bool, current: set[str] | None = None) -> set[str]:
        """Repair a partial last line, drop error records to retry, and return the ids already done.

        Ids are returned as their JSON form (:func:`id_key`). Only error records of ids in ``current``
        (the keys of this run's items) are dropped to be retried: an error record of an id not in this
        input is kept, since nothing would replace it. ``current`` None: every error record is retried.
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
                continue  # retried; its new record replaces this one
            kept.append(line)
            done.add(key)
        if len(kept) != len(complete.splitlines()) or len(complete) < len(data):
            atomic_write(self.path, b"".join(kept))
        return done

    def write(self, record: Record) -> None:
        """Append one record: a whole line, flushed (and fsynced for a file), or an ``OutputError``."""
        if self.path is not None:
            self._append(record.to_line())
        elif self.stream is not None:
            try:
                self.stream.write(record.to_line())
                self.stream.flush()
            except (BrokenPipeError, ValueError) as exc:  # ValueError: the stream was closed
                raise OutputError(
                    "The output stream was closed before the batch finished (broken pipe): "
                    f"{type(exc).__name__}. Write to a file with --out to be able to resume."
                ) from None
            except OSError as exc:
                raise OutputError(f"Could not write the output ({exc.strerror or exc}).") from None
        else:
            self.kept.append(record.to_json())

    def write_line(self, line: str) -> None:
        """Append a record another sink already wrote as a line (``LineSink``), as :meth:`write` would."""
        if self.path is None:
            self.write(Record.from_line(line))
        else:
            self._append(line if line.endswith("\n") else line + "\n")

    def _append(self, line: str) -> None:
        assert self.path is not None
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
        """Close the file and release the lock (the lock file stays, so a waiting process never races)."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class ParquetSink(Sink):
    """OUT as a folder of Parquet parts, each written atomically: a killed run leaves whole parts only.

    A row holds a record's top-level fields; the id, the result, the error and the usage are JSON text, so
    an id keeps its type however the ids of one folder mix types.
    """

    def __init__(self, folder: Path, rows_per_part: int = 1000) -> None:
        super().__init__(folder)
        self.folder = folder
        self.rows_per_part = rows_per_part
        self.buffer: list[dict[str, Any]] = []

    def resume(self, retry_failed: bool, current: set[str] | None = None) -> set[str]:
        """Drop error records to retry (rewriting their parts) and return the ids already done."""
        import pyarrow.parquet as pq

        done: set[str] = set()
        for part in sorted(self.folder.glob("part-*.parquet")):
            rows = pq.read_table(part).to_pylist()
            keep = [
                r
                for r in rows
                if not (
                    r["status"] == "error"
                    and retry_failed
                    and (current is None or id_key(_id_of(r["id"])) in current)
                )
            ]
            if len(keep) < len(rows):
                if keep:
                    self._write(keep, part)
                else:
                    part.unlink()
            done.update(id_key(_id_of(r["id"])) for r in keep)
        return done

    def write(self, record: Record) -> None:
        self.buffer.append(_row(record))
        if len(self.buffer) >= self.rows_per_part:
            self.flush()

    def write_line(self, line: str) -> None:
        self.write(Record.from_line(line))

    def flush(self) -> None:
        """Write the records buffered as one part."""
        if self.buffer:
            name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
            self._write(self.buffer, self.folder / name)
            self.buffer = []

    def _write(self, rows: list[dict[str, Any]], path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        data = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=_parquet_schema()), data)
        atomic_write(path, data.getvalue())

    def close(self) -> None:
        try:
            self.flush()
        finally:
            super().close()


#: The record fields a Parquet row holds as they are; the others (id, result, error, usage) as JSON text.
_SCALARS = ("status", "model", "backend", "attempts", "seconds", "cached", "dropped", "flagged")
_NESTED = ("result", "error", "usage")


def _row(record: Record) -> dict[str, Any]:
    data = record.to_json()
    row: dict[str, Any] = {"id": id_key(record.id)}
    row.update({name: data.get(name) for name in _SCALARS})
    for name in _NESTED:
        row[name] = json.dumps(data[name], ensure_ascii=False) if name in data else None
    return row


def _unrow(row: dict[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in row.items() if v is not None and k not in ("id", *_NESTED)}
    record = {"id": _id_of(row["id"]), **record}
    for name in _NESTED:
        if row.get(name) is not None:
            record[name] = json.loads(row[name])
    return record


def _id_of(text: str) -> Any:
    """An id from its Parquet text: JSON; a part written before ids kept their type holds the bare str."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("status", pa.string()),
            ("model", pa.string()),
            ("backend", pa.string()),
            ("attempts", pa.int64()),
            ("seconds", pa.float64()),
            ("cached", pa.bool_()),
            ("dropped", pa.int64()),
            ("flagged", pa.int64()),
            ("result", pa.string()),
            ("error", pa.string()),
            ("usage", pa.string()),
        ]
    )


class LineSink(io.StringIO):
    """A text stream that hands every line written to ``on_line`` at once, keeping nothing.

    What a runner gives ``extract_many`` as ``out`` when the records must reach a sink it holds itself:
    a worker process sends them to its parent, the Batch API's collect writes its live re-asks to OUT.
    """

    def __init__(self, on_line: Callable[[str], None]) -> None:
        super().__init__()
        self._on_line = on_line

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self._on_line(line)
        return len(text)


# -- reading them back ------------------------------------------------------------------------------------


def done_ids(out: Path) -> set[str]:
    """The ids (JSON form) that have a record in OUT, read only: a partial last line is no record."""
    done: set[str] = set()
    if not out.exists():
        return done
    with out.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "id" in record:
                done.add(id_key(record["id"]))
    return done


def iter_records(out: str | Path) -> Iterator[dict[str, Any]]:
    """The records of an output as JSON objects: a JSONL file, or a folder of Parquet parts."""
    path = Path(out)
    if path.is_dir():
        import pyarrow.parquet as pq

        for part in sorted(path.glob("part-*.parquet")):
            for row in pq.read_table(part).to_pylist():
                yield _unrow(row)
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
