"""Extraction over a Ray cluster with Ray Data: the same records, grounding and resume as ``extract_many``.

``pip install 'summit-extract[ray]'``. :func:`extract_dataset` reads the articles (a JSONL file, a Parquet
file, a folder of ``*.txt``, or items), skips the ids OUT already holds, and runs ``map_batches`` over an
actor pool: each actor builds one backend when it starts (one embedded model per actor, or one client
to an endpoint with bounded concurrency) and extracts its batches with ``extract_many``, so every record
is exactly what ``extract_many`` writes. A failed item is a failed record, never a failed job: even an
actor's unexpected exception becomes error records for its batch. The driver streams the records into
OUT as they arrive (JSONL, flushed and fsynced line by line; or a folder of Parquet parts written
atomically), so a run killed midway loses only records still in flight and the next run skips the rest.

Actors cannot be handed a ready-made backend (its client holds locks and sockets): they are handed what
to build, ``"openai"``, ``"local"``, ``None`` (resolved as ``resolve_backend`` does, from the actors'
environment) or a picklable factory such as :class:`Endpoint`. API keys are never shipped: each actor
reads its key from its own environment (a local cluster inherits the driver's; on a real cluster set it
on the nodes, e.g. ``OPENAI_API_KEY=... ray start ...``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ._backend import Backend, load_provider, resolve_backend
from ._batch import BatchSummary, Item, _error_record, _items, _Sink, extract_many, id_key
from ._cache import atomic_write
from ._consolidating import ConsolidationSummary
from ._document import default_article_type
from ._exceptions import ConfigurationError, InputError

__all__ = ["Endpoint", "consolidate_dataset", "extract_dataset", "iter_records", "read_articles"]

log = logging.getLogger("summit_extract")

#: Non-secret settings the driver passes on to the actors' environment (the key never travels).
_FORWARDED_ENV = (
    "OPENAI_BASE_URL",
    "SUMMIT_EXTRACT_MODEL",
    "SUMMIT_EXTRACT_MODE",
    "SUMMIT_EXTRACT_BACKEND",
    "SUMMIT_EXTRACT_GGUF",
    "SUMMIT_EXTRACT_CACHE",
)

BackendSpec = str | Callable[[], Backend] | None


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible endpoint each actor connects to by itself; the key comes from its environment."""

    base_url: str | None = None
    model: str | None = None
    #: An instructor mode value, e.g. "json_schema_mode" or "tool_call" (default: TOOLS).
    mode: str | None = None
    key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = 8
    name: str = "openai"

    def __call__(self) -> Backend:
        import instructor
        import openai

        from ._backend import DEFAULT_OPENAI_MODEL

        key = os.environ.get(self.key_env) or ("unused" if self.base_url else None)
        if key is None:
            raise ConfigurationError(f"{self.key_env} is not set on this Ray worker.")
        url, mode = self.base_url, instructor.Mode(self.mode) if self.mode else instructor.Mode.TOOLS
        return Backend(
            name=self.name,
            model=self.model or os.environ.get("SUMMIT_EXTRACT_MODEL") or DEFAULT_OPENAI_MODEL,
            mode=mode,
            make_client=lambda: openai.OpenAI(api_key=key, base_url=url, max_retries=0),
            make_async_client=lambda: openai.AsyncOpenAI(api_key=key, base_url=url, max_retries=0),
            context_tokens=None,
            max_concurrency=self.max_concurrency,
        )


def _build(spec: BackendSpec, model: str | None) -> Backend:
    if spec is None:
        return resolve_backend(model)
    if isinstance(spec, str):
        return load_provider(spec, model)
    return spec()


class _Extractor:
    """One actor: one backend for its whole life, and ``extract_many`` over each batch it is given."""

    def __init__(self, spec: BackendSpec, model: str | None, options: dict[str, Any]) -> None:
        self.spec = spec
        self.model = model
        self.options = options
        self.backend: Backend | None = None
        self.failure: BaseException | None = None
        try:
            self.backend = _build(spec, model)
        except Exception as exc:  # recorded on every item this actor is given, never a failed job
            self.failure = exc

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        items = [
            Item(str(i), str(t), str(p) if p else None)
            for i, t, p in zip(batch["id"], batch["text"], batch["published"], strict=True)
        ]
        records: list[dict[str, Any]] = []
        if self.backend is not None:
            try:
                summary = extract_many(items, out=None, backend=self.backend, progress=False, **self.options)
                records = summary.records
            except Exception as exc:
                self.failure = exc
        seen = {r["id"] for r in records}
        backend = self.backend or _unavailable(self.model)
        for item in items:
            if item.id not in seen:
                records.append(_error_record(item, backend, self.failure or RuntimeError("no record"), 0.0))
        return {
            "id": [r["id"] for r in records],
            "record": [json.dumps(r, ensure_ascii=False) for r in records],
        }


def _unavailable(model: str | None) -> Backend:
    """What an error record names when the actor could not build its backend."""
    import instructor

    def missing() -> Any:
        raise ConfigurationError("this actor has no backend")

    return Backend("unavailable", model or "", instructor.Mode.TOOLS, missing, missing)


# -- input ----------------------------------------------------------------------------------------------


def read_articles(source: str | Path) -> list[Item]:
    """Items from a JSONL file or a Parquet file (``text``, optional ``id`` and ``published``), or a folder.

    Ids are those ``summit-extract extract`` gives: the ``id`` field, else ``<file>:<line>``; a text file's
    path. A folder is read for ``*.txt`` files, else ``*.jsonl`` and ``*.parquet`` files.
    """
    path = Path(source)
    if path.is_dir():
        texts = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if texts:
            return [Item(str(p), p.read_text(encoding="utf-8")) for p in texts]
        files = sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".parquet") and p.is_file())
        return [item for p in files for item in read_articles(p)]
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    elif path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    elif path.is_file():
        return [Item(str(path), path.read_text(encoding="utf-8"))]
    else:
        raise InputError(f"{source}: no such file or folder")
    items = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(f"{path}:{number}: each row needs a string field 'text'")
        item_id = str(row["id"]) if row.get("id") is not None else f"{path}:{number}"
        published = row.get("published")
        items.append(Item(item_id, row["text"], str(published)[:10] if published else None))
    return items


# -- output ---------------------------------------------------------------------------------------------


class _ParquetParts:
    """OUT as a folder of Parquet parts, each written atomically: a killed run leaves whole parts only."""

    def __init__(self, folder: Path, rows_per_part: int) -> None:
        self.folder = folder
        self.rows_per_part = rows_per_part
        self.buffer: list[dict[str, Any]] = []

    def resume(self, retry_failed: bool) -> set[str]:
        import pyarrow.parquet as pq

        done: set[str] = set()
        for part in sorted(self.folder.glob("part-*.parquet")):
            table = pq.read_table(part)
            if retry_failed and "error" in table.column("status").to_pylist():
                rows = [r for r in table.to_pylist() if r["status"] != "error"]
                if rows:
                    self._write(rows, part)
                else:
                    part.unlink()
                table = pq.read_table(part) if part.exists() else None
            if table is not None:
                done.update(table.column("id").to_pylist())
        return done

    def write(self, record: dict[str, Any]) -> None:
        self.buffer.append(_flat(record))
        if len(self.buffer) >= self.rows_per_part:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
            self._write(self.buffer, self.folder / name)
            self.buffer = []

    def _write(self, rows: list[dict[str, Any]], path: Path) -> None:
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=_parquet_schema()), sink)
        atomic_write(path, sink.getvalue())

    def close(self) -> None:
        self.flush()


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a Parquet row: the same top-level fields, nested values (result, error, usage) as JSON."""
    row = {name: record.get(name) for name in _SCALARS}
    for name in ("result", "error", "usage"):
        row[name] = json.dumps(record[name], ensure_ascii=False) if name in record else None
    return row


_SCALARS = ("id", "status", "model", "backend", "attempts", "seconds", "cached", "dropped", "flagged")


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


# -- the run --------------------------------------------------------------------------------------------


def extract_dataset(
    source: str | Path | Iterable[str | Item],
    *,
    out: str | Path,
    schema: type[BaseModel] | None = None,
    backend: BackendSpec = None,
    model: str | None = None,
    address: str | None = None,
    actors: int = 2,
    num_cpus: float = 1.0,
    concurrency: int | None = None,
    batch_size: int = 16,
    output_format: Literal["jsonl", "parquet"] | None = None,
    retry_failed: bool = True,
    cache: bool = False,
    published: dt.date | str | None = None,
    progress: bool = False,
    **extract_options: Any,
) -> BatchSummary:
    """Extract every article of ``source`` on a Ray cluster and write one record per article to ``out``.

    ``address``: None or "local" starts a local cluster (``ray.init``) unless one is running in this
    process; "auto" or "ray://host:10001" joins one (``ray start --head`` prints the address). ``actors``
    actors of ``num_cpus`` CPUs each build ``backend`` (see the module's docstring) and run
    ``extract_many`` over batches of ``batch_size`` items with ``concurrency`` requests at once.
    ``out`` ending in ``.parquet`` (or ``output_format="parquet"``) is a folder of Parquet parts, else JSONL.
    Ids already in ``out`` are skipped (error records are retried when ``retry_failed``). ``cache`` lets
    each actor use the result cache on its node (off by default: the nodes do not share it).
    """
    import ray

    started = time.monotonic()
    schema = schema or default_article_type()
    if actors < 1 or batch_size < 1:
        raise ConfigurationError("actors and batch_size must be at least 1.")
    items = read_articles(source) if isinstance(source, (str, Path)) else _items(source)
    out = Path(out)
    fmt = output_format or ("parquet" if out.suffix == ".parquet" else "jsonl")
    summary = BatchSummary(items=len(items))
    sink: _Sink | _ParquetParts = _ParquetParts(out, 1000) if fmt == "parquet" else _Sink(out, summary)
    done = sink.resume(retry_failed)
    # The JSONL sink keys ids by their JSON form (so 7 and "7" differ); Parquet parts by the id itself.
    todo = [i for i in items if i.id not in done and id_key(i.id) not in done]
    summary.skipped = len(items) - len(todo)
    if not todo:
        summary.seconds = time.monotonic() - started
        return summary
    default_published = published.isoformat() if isinstance(published, dt.date) else published
    rows = [
        {"id": i.id, "text": i.text, "published": str(i.published or default_published or "")} for i in todo
    ]
    _connect(ray, address)
    # Non-secret settings reach the actors whether this call started the cluster or joined it.
    forwarded = {name: os.environ[name] for name in _FORWARDED_ENV if os.environ.get(name)}
    options = dict(extract_options, schema=schema, concurrency=concurrency, cache=cache)
    dataset = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 4 * actors)))
    results = dataset.map_batches(
        _Extractor,
        fn_constructor_kwargs={"spec": backend, "model": model, "options": options},
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=num_cpus,
        runtime_env={"env_vars": forwarded},
    )
    bar = _progress(progress, len(todo))
    try:
        for batch in results.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            for line in batch["record"]:
                record = json.loads(str(line))
                sink.write(record)
                summary.count(record)
                bar(summary)
    finally:
        sink.close()
        summary.seconds = time.monotonic() - started
    return summary


def _progress(enabled: bool, total: int) -> Callable[[BatchSummary], None]:
    if not enabled:
        return lambda _: None
    from rich.console import Console

    console = Console(stderr=True)

    def show(summary: BatchSummary) -> None:
        n = summary.done + summary.failed
        if n % 50 == 0 or n == total:
            console.print(f"{n}/{total} records ({summary.failed} failed)")

    return show


def _connect(ray: Any, address: str | None) -> None:
    """Join or start the cluster; the package travels with the job so workers run this very version."""
    if ray.is_initialized():
        return
    package = str(Path(__file__).resolve().parent)  # this package's folder, shipped to every worker
    kwargs: dict[str, Any] = {"runtime_env": {"py_modules": [package]}, "log_to_driver": False}
    if address in (None, "local"):
        kwargs.update(num_cpus=os.cpu_count() or 1, include_dashboard=False)
    else:
        kwargs["address"] = address
    ray.init(**kwargs)


def iter_records(out: str | Path) -> Iterator[dict[str, Any]]:
    """The records of an output written by :func:`extract_dataset` (JSONL file or Parquet folder)."""
    path = Path(out)
    if path.is_dir():
        import pyarrow.parquet as pq

        for part in sorted(path.glob("part-*.parquet")):
            for row in pq.read_table(part).to_pylist():
                record = {
                    k: v for k, v in row.items() if v is not None and k not in ("result", "error", "usage")
                }
                for name in ("result", "error", "usage"):
                    if row.get(name) is not None:
                        record[name] = json.loads(row[name])
                yield record
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def consolidate_dataset(
    source: str | Path, out: str | Path, *, schema: type[BaseModel] | None = None, address: str | None = None
) -> ConsolidationSummary:
    """Consolidate the JSONL records file ``source`` into events in ``out`` as a Ray Data step: the same
    events as ``consolidate`` (see ``_consolidating_ray``). ``address`` as for :func:`extract_dataset`."""
    import ray

    from ._consolidating_ray import run
    from ._document import Document

    if schema is not None and not (isinstance(schema, type) and issubclass(schema, Document)):
        raise ConfigurationError("consolidate_dataset needs an article type (a Document subclass) as schema.")
    _connect(ray, address)
    return run(ray, source, out, schema=schema)
