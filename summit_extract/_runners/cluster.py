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

from .._backend import Backend, load_provider, resolve_backend
from .._document import default_article_type
from .._exceptions import ConfigurationError
from .batch import extract_many
from .reading import read_articles
from .records import BatchSummary, Item, ParquetSink, Record, Sink, batch_items, error_record, id_key

__all__ = ["Endpoint", "extract_dataset"]

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

        from .._backend import DEFAULT_OPENAI_MODEL

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
        # Ids travel as their JSON form (a column of one type, whatever types the ids mix) and come back
        # in their own type inside the records.
        items = [
            Item(json.loads(str(i)), str(t), str(p) if p else None)
            for i, t, p in zip(batch["id"], batch["text"], batch["published"], strict=True)
        ]
        records: list[Record] = []
        if self.backend is not None:
            try:
                summary = extract_many(items, out=None, backend=self.backend, progress=False, **self.options)
                records = [Record.from_json(r) for r in summary.records]
            except Exception as exc:
                self.failure = exc
        seen = {r.key for r in records}
        backend = self.backend or _unavailable(self.model)
        for item in items:
            if id_key(item.id) not in seen:
                records.append(error_record(item, backend, self.failure or RuntimeError("no record"), 0.0))
        return {"id": [r.key for r in records], "record": [r.to_line() for r in records]}


def _unavailable(model: str | None) -> Backend:
    """What an error record names when the actor could not build its backend."""
    import instructor

    def missing() -> Any:
        raise ConfigurationError("this actor has no backend")

    return Backend("unavailable", model or "", instructor.Mode.TOOLS, missing, missing)


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
    items = read_articles(source) if isinstance(source, (str, Path)) else batch_items(source)
    out = Path(out)
    fmt = output_format or ("parquet" if out.suffix == ".parquet" else "jsonl")
    summary = BatchSummary(items=len(items))
    with ParquetSink(out) if fmt == "parquet" else Sink(out) as sink:
        done = sink.resume(retry_failed, {id_key(i.id) for i in items})
        todo = [i for i in items if id_key(i.id) not in done]
        summary.skipped = len(items) - len(todo)
        if todo:
            _connect(ray, address)
            options = dict(extract_options, schema=schema, concurrency=concurrency, cache=cache)
            pool = _Pool(backend, model, options, actors, num_cpus, batch_size)
            bar = _progress(progress, len(todo))
            for record in pool.records(ray, todo, published):
                sink.write(record)
                summary.count(record)
                bar(summary)
    summary.seconds = time.monotonic() - started
    return summary


@dataclass(frozen=True)
class _Pool:
    """The actor pool of one run: what each actor builds, and how the items are cut into batches."""

    backend: BackendSpec
    model: str | None
    options: dict[str, Any]
    actors: int
    num_cpus: float
    batch_size: int

    def records(self, ray: Any, todo: list[Item], published: dt.date | str | None) -> Iterator[Record]:
        """Run ``todo`` through the pool and yield each record as it arrives at the driver."""
        default_published = published.isoformat() if isinstance(published, dt.date) else published
        rows = [
            {"id": id_key(i.id), "text": i.text, "published": str(i.published or default_published or "")}
            for i in todo
        ]
        # Non-secret settings reach the actors whether this call started the cluster or joined it.
        forwarded = {name: os.environ[name] for name in _FORWARDED_ENV if os.environ.get(name)}
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 4 * self.actors)))
        results = dataset.map_batches(
            _Extractor,
            fn_constructor_kwargs={"spec": self.backend, "model": self.model, "options": self.options},
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_cpus=self.num_cpus,
            runtime_env={"env_vars": forwarded},
        )
        for batch in results.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            for line in batch["record"]:
                yield Record.from_line(str(line))


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
    package = str(Path(__file__).resolve().parent.parent)  # this package's folder, shipped to every worker
    kwargs: dict[str, Any] = {"runtime_env": {"py_modules": [package]}, "log_to_driver": False}
    if address in (None, "local"):
        kwargs.update(num_cpus=os.cpu_count() or 1, include_dashboard=False)
    else:
        kwargs["address"] = address
    ray.init(**kwargs)
