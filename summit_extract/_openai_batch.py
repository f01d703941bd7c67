"""The OpenAI Batch API: half-price extraction of a large corpus, with the same records as ``extract_many``.

Three steps, each safe to interrupt and re-run:

- :func:`submit_batch` plans every article (the engine's ``_planning`` builds the exact request bodies a
  live call sends, so this module never builds a prompt), packs the requests into jobs that respect the
  provider's per-file limits (requests, bytes), uploads each file and creates one batch per job. A
  manifest next to OUT (``OUT.batch/manifest.json``) records every job *before* it is uploaded, so an id
  already in a job, or already in OUT, is never submitted again. A job whose upload or creation was cut
  off is finished on the next run: the file and the batch are found again by their name and metadata.
- :func:`batch_status` asks the provider how each job is doing.
- :func:`collect_batch` downloads the output and error files of finished jobs, runs every answer through
  the engine's validation, grounding and finalize steps (``_extracting.assemble``), and appends the same
  JSONL records as ``extract_many`` to OUT. Answers that fail, and requests the batch rejected or never
  ran, are re-asked through the live path (bounded by ``max_live``; counted), or in a follow-up batch,
  or recorded as errors, as the caller chooses.

Usage is reported in tokens, batch and live apart, with the batch discount applied to the former.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openai
from pydantic import BaseModel

from ._backend import Backend, resolve_backend
from ._batch import Item, _error_record, _items, _ok_record, _Sink, extract_many
from ._cache import atomic_write
from ._document import default_article_type
from ._exceptions import (
    ConfigurationError,
    ExtractionError,
    InputError,
    OutputValidationError,
    TransportError,
    Usage,
)
from ._extracting import assemble
from ._planning import ArticlePlan, plan_article
from ._planning import published_date as _published

__all__ = [
    "BATCH_DISCOUNT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REQUESTS",
    "BatchCollect",
    "BatchJobStatus",
    "BatchStatus",
    "BatchSubmission",
    "batch_status",
    "collect_batch",
    "manifest_path",
    "submit_batch",
]

log = logging.getLogger("summit_extract")

#: OpenAI's documented per-file limits of the Batch API: 50,000 requests and 200 MB.
DEFAULT_MAX_REQUESTS = 50_000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: What the Batch API charges relative to the live API (half price).
BATCH_DISCOUNT = 0.5
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
_TERMINAL = {"completed", "failed", "expired", "cancelled"}
_MANIFEST_VERSION = 1

Reask = Literal["live", "batch", "none"]


# -- the manifest ---------------------------------------------------------------------------------------


def manifest_path(out: Path | str) -> Path:
    """Where the manifest of the batch writing ``out`` lives: ``OUT.batch/manifest.json``."""
    return _workdir(Path(out)) / "manifest.json"


def _workdir(out: Path) -> Path:
    return out.with_name(out.name + ".batch")


@dataclass
class _Manifest:
    """The jobs of one OUT file, and the settings every job was planned with."""

    path: Path
    run: str
    settings: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, out: Path) -> _Manifest | None:
        path = manifest_path(out)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, data["run"], data["settings"], data["jobs"])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": _MANIFEST_VERSION, "run": self.run, "settings": self.settings, "jobs": self.jobs}
        atomic_write(self.path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))

    def submitted_ids(self) -> set[str]:
        return {item_id for job in self.jobs for item_id in _read_ids(self.path.parent / job["items"])}

    def file(self, job: dict[str, Any], suffix: str) -> Path:
        return self.path.parent / f"{job['key']}.{suffix}"


def _read_ids(path: Path) -> list[str]:
    return [row["id"] for row in _jsonl(path)]


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _settings(
    schema: type[BaseModel], backend: Backend, ungrounded: str, instructions: str | None
) -> dict[str, Any]:
    return {
        "schema": f"{schema.__module__}:{schema.__qualname__}",
        "model": backend.model,
        "mode": backend.mode.value,
        "ungrounded": ungrounded,
        "instructions": instructions,
    }


def _done_ids(out: Path) -> set[str]:
    """Ids that already have a record in OUT (read only: collect repairs the file when it appends)."""
    done: set[str] = set()
    if not out.exists():
        return done
    with out.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break  # a partial last line is no record
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "id" in record:
                done.add(str(record["id"]))
    return done


# -- submit ---------------------------------------------------------------------------------------------


@dataclass
class BatchSubmission:
    """What a submit did: jobs created now, requests and bytes written, ids skipped as already submitted."""

    manifest: Path
    items: int = 0
    #: Already in OUT or in an earlier job of the manifest.
    skipped: int = 0
    #: Failed before any request (bad input): their error records are in OUT.
    failed: int = 0
    requests: int = 0
    bytes: int = 0
    #: The jobs of this run (a dry run lists what it would create).
    jobs: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "manifest": str(self.manifest),
            "items": self.items,
            "skipped": self.skipped,
            "failed": self.failed,
            "requests": self.requests,
            "bytes": self.bytes,
            "jobs": len(self.jobs),
            "batch_ids": [job.get("batch_id") for job in self.jobs],
            "dry_run": self.dry_run,
        }

    def __str__(self) -> str:
        verb = "would submit" if self.dry_run else "submitted"
        return (
            f"{self.items} items: {verb} {self.requests} requests ({self.bytes / 1e6:.1f} MB) in "
            f"{len(self.jobs)} job(s); {self.skipped} already submitted or done, {self.failed} failed"
        )


def submit_batch(
    items: Iterable[str | Item],
    *,
    out: Path | str,
    schema: type[BaseModel] | None = None,
    backend: Backend | None = None,
    model: str | None = None,
    published: dt.date | str | None = None,
    ungrounded: Literal["drop", "flag"] = "drop",
    instructions: str | None = None,
    max_requests_per_file: int = DEFAULT_MAX_REQUESTS,
    max_bytes_per_file: int = DEFAULT_MAX_BYTES,
    completion_window: Literal["24h"] = "24h",
    dry_run: bool = False,
) -> BatchSubmission:
    """Plan every article not yet submitted or done, write the request files and create the batch jobs.

    ``out`` is the JSONL file :func:`collect_batch` will write; the manifest lives next to it. Jobs are
    split so that no file holds more than ``max_requests_per_file`` requests or ``max_bytes_per_file``
    bytes (OpenAI's documented limits by default); an article's requests always share one job. A dry run
    plans and counts, and writes and sends nothing.
    """
    if max_requests_per_file < 1 or max_bytes_per_file < 1:
        raise ConfigurationError("max_requests_per_file and max_bytes_per_file must be positive.")
    out = Path(out)
    schema = schema or default_article_type()
    chosen = backend or resolve_backend(model)
    if model is not None and model != chosen.model:
        chosen = dataclasses.replace(chosen, model=model)
    settings = _settings(schema, chosen, ungrounded, instructions)
    manifest = _Manifest.load(out)
    if manifest is not None and manifest.settings != settings:
        raise ConfigurationError(
            f"{manifest.path} was planned with other settings ({manifest.settings}); "
            "use another --out for a batch with different settings."
        )
    if manifest is None:
        manifest = _Manifest(manifest_path(out), uuid.uuid4().hex[:12], settings)
    todo = _items(items)
    result = BatchSubmission(manifest.path, items=len(todo), dry_run=dry_run)
    seen = _done_ids(out) | manifest.submitted_ids()
    default_published = _published(published)
    sink = None if dry_run else _Sink(out, _summary())
    # Each job is committed as soon as it is full, so memory holds one job's requests at most.
    packer = _Packer(max_requests_per_file, max_bytes_per_file, lambda job: _commit(manifest, job, result))
    try:
        for item in todo:
            if item.id in seen:
                result.skipped += 1
                continue
            try:
                pub = _published(item.published) if item.published is not None else default_published
                plan = plan_article(
                    item.text,
                    schema,
                    backend=chosen,
                    published=pub,
                    ungrounded=ungrounded,
                    instructions=instructions,
                )
                packer.add(item, pub, plan)
            except (InputError, ConfigurationError) as exc:
                result.failed += 1
                if sink is not None:
                    failure = exc if isinstance(exc, InputError) else InputError(f"item {item.id!r}: {exc}")
                    sink.write(_error_record(item, chosen, failure, 0.0))
                continue
        packer.finish()
    finally:
        if sink is not None:
            sink.close()
    if not dry_run:
        _create_jobs(manifest, chosen, completion_window)
    return result


def _commit(manifest: _Manifest, job: _Job, result: BatchSubmission | None, followup: bool = False) -> None:
    """Count a full job and, unless this is a dry run, put its files on disk and its entry in the manifest."""
    key = f"job-{len(manifest.jobs) + (len(result.jobs) if result is not None and result.dry_run else 0):04d}"
    entry: dict[str, Any] = {
        "key": key,
        "items": f"{key}.items.jsonl",
        "requests": job.count,
        "bytes": job.size,
        "articles": len(job.items),
        "status": "planned",
        "input_file_id": None,
        "batch_id": None,
        "collected": False,
    }
    if followup:
        entry["followup"] = True
    if result is not None:
        result.requests += job.count
        result.bytes += job.size
        result.jobs.append(entry)
        if result.dry_run:
            return
    # The items and the request file are on disk, and the job in the manifest, before any upload:
    # from here on these ids count as submitted, whatever happens next.
    manifest.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(manifest.file(entry, "items.jsonl"), job.items_jsonl())
    atomic_write(manifest.file(entry, "requests.jsonl"), b"".join(job.lines))
    manifest.jobs.append(entry)
    manifest.save()


def _summary() -> Any:
    from ._batch import BatchSummary

    return BatchSummary()


@dataclass
class _Job:
    items: list[tuple[Item, str | None]] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    count: int = 0
    size: int = 0

    def items_jsonl(self) -> bytes:
        rows = [
            json.dumps({"id": item.id, "text": item.text, "published": pub}, ensure_ascii=False) + "\n"
            for item, pub in self.items
        ]
        return "".join(rows).encode("utf-8")


class _Packer:
    """Packs articles into jobs under the per-file limits, never splitting one article's requests."""

    def __init__(self, max_requests: int, max_bytes: int, full: Callable[[_Job], None]) -> None:
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.full = full
        self.job: _Job | None = None

    def add(self, item: Item, published: dt.date | None, plan: ArticlePlan) -> None:
        job = self.job
        lines = _request_lines(len(job.items) if job is not None else 0, plan)
        size = sum(len(line) for line in lines)
        if job is None or job.count + len(lines) > self.max_requests or job.size + size > self.max_bytes:
            self.finish()
            job = _Job()
            lines = _request_lines(0, plan)
            size = sum(len(line) for line in lines)
            if len(lines) > self.max_requests or size > self.max_bytes:
                raise InputError(
                    f"item {item.id!r} alone needs {len(lines)} requests and {size} bytes, over the "
                    f"per-file limits ({self.max_requests} requests, {self.max_bytes} bytes)"
                )
            self.job = job
        job.items.append((item, published.isoformat() if published is not None else None))
        job.lines.extend(lines)
        job.count += len(lines)
        job.size += size

    def finish(self) -> None:
        """Hand over the job being filled, if any."""
        if self.job is not None and self.job.items:
            self.full(self.job)
        self.job = None


def _request_lines(index: int, plan: ArticlePlan) -> list[bytes]:
    # custom_id: the article's position in its job's items file, then the request's key in the plan.
    return [
        (
            json.dumps(
                {
                    "custom_id": f"{index}/{request.key}",
                    "method": "POST",
                    "url": ENDPOINT,
                    "body": request.body,
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
        ).encode("utf-8")
        for request in plan.requests
    ]


def _split_custom_id(custom_id: str) -> tuple[int, str]:
    index, _, key = custom_id.partition("/")
    return int(index), key


def _client(backend: Backend) -> openai.OpenAI:
    return backend.make_client()


def _create_jobs(manifest: _Manifest, backend: Backend, completion_window: Literal["24h"]) -> None:
    """Upload and create every job that has no batch yet, finding what an interrupted run already made."""
    pending = [job for job in manifest.jobs if job.get("batch_id") is None]
    if not pending:
        return
    client = _client(backend)
    for job in pending:
        filename = f"{manifest.run}-{job['key']}.requests.jsonl"
        if job.get("input_file_id") is None:
            # "uploading" in the manifest means an earlier run may have uploaded it: look before uploading.
            found = _find_file(client, filename) if job["status"] == "uploading" else None
            job["status"] = "uploading"
            manifest.save()
            if found is None:
                content = manifest.file(job, "requests.jsonl").read_bytes()
                found = client.files.create(file=(filename, content), purpose="batch").id
            job["input_file_id"] = found
            job["status"] = "uploaded"
            manifest.save()
        metadata = {"summit_extract_run": manifest.run, "summit_extract_job": job["key"]}
        # Likewise "creating": the batch may exist although its id never reached us. The create call is
        # never retried blindly, so a lost answer cannot make a second batch of the same requests.
        batch_id = _find_batch(client, metadata) if job["status"] == "creating" else None
        job["status"] = "creating"
        manifest.save()
        if batch_id is None:
            batch = client.batches.create(
                input_file_id=job["input_file_id"],
                endpoint=ENDPOINT,
                completion_window=completion_window,
                metadata=metadata,
            )
            batch_id = batch.id
        job["batch_id"] = batch_id
        job["status"] = "submitted"
        manifest.save()
        log.info("submitted %s as batch %s (%d requests)", job["key"], batch_id, job["requests"])


def _find_file(client: openai.OpenAI, filename: str) -> str | None:
    for file in client.files.list(purpose="batch"):
        if file.filename == filename:
            return str(file.id)
    return None


def _find_batch(client: openai.OpenAI, metadata: dict[str, str]) -> str | None:
    for batch in client.batches.list(limit=100):
        meta = batch.metadata or {}
        if all(meta.get(k) == v for k, v in metadata.items()):
            return str(batch.id)
    return None


# -- status ---------------------------------------------------------------------------------------------


@dataclass
class BatchJobStatus:
    """One job as the provider last described it."""

    key: str
    batch_id: str | None
    status: str
    requests: int
    completed: int
    failed: int
    collected: bool


@dataclass
class BatchStatus:
    """Every job of a manifest, and whether all are finished (``collect_batch`` then has everything)."""

    jobs: list[BatchJobStatus]

    @property
    def finished(self) -> bool:
        """True when every job has reached a terminal state (completed, failed, expired, cancelled)."""
        return all(job.status in _TERMINAL or job.collected for job in self.jobs)

    @property
    def requests(self) -> int:
        return sum(job.requests for job in self.jobs)

    @property
    def completed(self) -> int:
        return sum(job.completed for job in self.jobs)

    @property
    def failed(self) -> int:
        return sum(job.failed for job in self.jobs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "finished": self.finished,
            "requests": self.requests,
            "completed": self.completed,
            "failed": self.failed,
            "jobs": [dataclasses.asdict(job) for job in self.jobs],
        }

    def __str__(self) -> str:
        lines = [
            f"{job.key} {job.batch_id or '-'}: {job.status}{' (collected)' if job.collected else ''}, "
            f"{job.completed}/{job.requests} done, {job.failed} failed"
            for job in self.jobs
        ]
        total = (
            f"{len(self.jobs)} job(s): {self.completed}/{self.requests} requests done, {self.failed} failed"
            f"{'; all finished' if self.finished else ''}"
        )
        return "\n".join([*lines, total])


def batch_status(out: Path | str, *, backend: Backend | None = None, model: str | None = None) -> BatchStatus:
    """Ask the provider about every job of the batch writing ``out``; the manifest records the answer."""
    manifest = _require_manifest(Path(out))
    client = _client(backend or resolve_backend(model or manifest.settings["model"]))
    for job in manifest.jobs:
        if job.get("batch_id") and not job.get("collected") and job.get("status") not in _TERMINAL:
            _refresh(client, job)
    manifest.save()
    return BatchStatus([_job_status(job) for job in manifest.jobs])


def _refresh(client: openai.OpenAI, job: dict[str, Any]) -> None:
    batch = client.batches.retrieve(job["batch_id"])
    job["status"] = batch.status
    job["output_file_id"] = batch.output_file_id
    job["error_file_id"] = batch.error_file_id
    counts = batch.request_counts
    job["counts"] = {"completed": counts.completed, "failed": counts.failed} if counts else {}


def _job_status(job: dict[str, Any]) -> BatchJobStatus:
    counts = job.get("counts") or {}
    return BatchJobStatus(
        key=job["key"],
        batch_id=job.get("batch_id"),
        status=str(job.get("status")),
        requests=int(job["requests"]),
        completed=int(counts.get("completed", 0)),
        failed=int(counts.get("failed", 0)),
        collected=bool(job.get("collected")),
    )


def _require_manifest(out: Path) -> _Manifest:
    manifest = _Manifest.load(out)
    if manifest is None:
        raise ConfigurationError(f"No batch was submitted for {out}: {manifest_path(out)} does not exist.")
    return manifest


# -- collect --------------------------------------------------------------------------------------------


@dataclass
class BatchCollect:
    """What a collect did, and what the batch cost in tokens."""

    #: Records written from batch answers.
    from_batch: int = 0
    #: Items re-asked through the live path (their records are extract_many's), and how many failed there.
    reasked: int = 0
    reask_failed: int = 0
    #: Items sent again in a follow-up batch job.
    resubmitted: int = 0
    #: Error records written without a re-ask (``reask="none"`` or over ``max_live``).
    failed: int = 0
    #: Items already in OUT.
    skipped: int = 0
    #: Jobs not finished yet (collect again later).
    pending_jobs: int = 0
    batch_usage: Usage = field(default_factory=Usage)
    live_usage: Usage = field(default_factory=Usage)
    live_attempts: int = 0
    #: Failures of batch answers, by error type (before any re-ask).
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def billed_tokens(self) -> float:
        """Tokens at live prices that the batch costs: batch tokens at the discount, live tokens in full."""
        return self.batch_usage.total_tokens * BATCH_DISCOUNT + self.live_usage.total_tokens

    @property
    def saved_tokens(self) -> float:
        """Live-price tokens the discount saved."""
        return self.batch_usage.total_tokens * (1 - BATCH_DISCOUNT)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "from_batch": self.from_batch,
            "reasked": self.reasked,
            "reask_failed": self.reask_failed,
            "resubmitted": self.resubmitted,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending_jobs": self.pending_jobs,
            "batch_prompt_tokens": self.batch_usage.prompt_tokens,
            "batch_completion_tokens": self.batch_usage.completion_tokens,
            "live_prompt_tokens": self.live_usage.prompt_tokens,
            "live_completion_tokens": self.live_usage.completion_tokens,
            "live_attempts": self.live_attempts,
            "discount": BATCH_DISCOUNT,
            "billed_tokens": self.billed_tokens,
            "saved_tokens": self.saved_tokens,
            "errors": dict(self.errors),
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        errors = ", ".join(f"{n} {kind}" for kind, n in sorted(self.errors.items()))
        return (
            f"{self.from_batch} records from batch answers, {self.reasked} re-asked live "
            f"({self.reask_failed} failed there), {self.resubmitted} resubmitted, {self.failed} failed, "
            f"{self.skipped} already done, {self.pending_jobs} job(s) still running"
            f"{f'; batch answers failing: {errors}' if errors else ''}. Tokens: batch "
            f"{self.batch_usage.total_tokens} at {BATCH_DISCOUNT:.0%} price, "
            f"live {self.live_usage.total_tokens}; "
            f"billed as {self.billed_tokens:.0f} live tokens, {self.saved_tokens:.0f} saved"
        )


def collect_batch(
    out: Path | str,
    *,
    schema: type[BaseModel] | None = None,
    backend: Backend | None = None,
    model: str | None = None,
    reask: Reask = "live",
    max_live: int | None = None,
    concurrency: int | None = None,
    wait: float | None = None,
    poll: float = 30.0,
) -> BatchCollect:
    """Download finished jobs, assemble every answer as a live call would, and append the records to ``out``.

    ``reask`` says what happens to an article whose batch answer failed (or that the batch rejected or
    never ran): "live" re-asks it through ``extract_many`` (at most ``max_live`` articles in all; the rest
    get error records), "batch" sends it again in a follow-up job (collect again later), "none" records
    the error. ``wait`` (seconds) polls every ``poll`` seconds until every job is finished. Re-running
    after an interruption writes only what is missing and re-asks nothing twice.
    """
    started = time.monotonic()
    out = Path(out)
    schema = schema or default_article_type()
    manifest = _require_manifest(out)
    chosen = backend or resolve_backend(model or manifest.settings["model"])
    settings = _settings(schema, chosen, manifest.settings["ungrounded"], manifest.settings["instructions"])
    if settings["schema"] != manifest.settings["schema"]:
        raise ConfigurationError(
            f"{out} was submitted for {manifest.settings['schema']}, not {settings['schema']}."
        )
    if chosen.mode.value != manifest.settings["mode"]:
        chosen = dataclasses.replace(chosen, mode=type(chosen.mode)(manifest.settings["mode"]))
    if chosen.model != manifest.settings["model"]:
        chosen = dataclasses.replace(chosen, model=manifest.settings["model"])
    client = _client(chosen)
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        for job in manifest.jobs:
            if job.get("batch_id") and not job.get("collected") and job.get("status") not in _TERMINAL:
                _refresh(client, job)
        manifest.save()
        running = [j for j in manifest.jobs if not j.get("collected") and j.get("status") not in _TERMINAL]
        if not running or deadline is None or time.monotonic() >= deadline:
            break
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    result = BatchCollect()
    done = _done_ids(out)
    retry: list[tuple[Item, BaseException]] = []
    sink = _Sink(out, _summary())
    sink.resume(retry_failed=False)  # repairs a partial last line left by an interrupted collect
    try:
        for job in manifest.jobs:
            if job.get("collected"):
                continue
            if job.get("status") not in _TERMINAL:
                result.pending_jobs += 1
                continue
            answers, failures = _download(client, manifest, job)
            for index, (item, published) in enumerate(_job_items(manifest, job)):
                if item.id in done:
                    result.skipped += 1
                    continue
                mine = answers.get(index, {})
                for answer in mine.values():
                    usage = answer.get("usage") or {}
                    result.batch_usage += Usage(
                        int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                    )
                try:
                    if index in failures:
                        raise TransportError(f"the batch did not answer: {failures[index]}")
                    plan = plan_article(
                        item.text,
                        schema,
                        backend=chosen,
                        published=published,
                        ungrounded=manifest.settings["ungrounded"],
                        instructions=manifest.settings["instructions"],
                    )
                    extraction = assemble(plan, mine)
                except Exception as exc:  # an answer the engine could not use: re-asked, never a crash
                    if not isinstance(exc, ExtractionError):
                        exc = OutputValidationError(f"the batch answer could not be used: {_brief(exc)}")
                    result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
                    retry.append((dataclasses.replace(item, published=published), exc))
                    continue
                sink.write(_ok_record(item, extraction, cached=False))
                done.add(item.id)
                result.from_batch += 1
    finally:
        sink.close()
    _reask(out, manifest, retry, result, chosen, schema, reask, max_live, concurrency)
    for job in manifest.jobs:
        if job.get("status") in _TERMINAL and not job.get("collected"):
            job["collected"] = all(
                i.id in _done_ids(out) or _resubmitted(manifest, i.id, job)
                for i, _ in _job_items(manifest, job)
            )
    manifest.save()
    result.seconds = time.monotonic() - started
    return result


def _resubmitted(manifest: _Manifest, item_id: str, job: dict[str, Any]) -> bool:
    later = manifest.jobs[manifest.jobs.index(job) + 1 :]
    return any(item_id in _read_ids(manifest.path.parent / j["items"]) for j in later)


def _reask(
    out: Path,
    manifest: _Manifest,
    retry: list[tuple[Item, BaseException]],
    result: BatchCollect,
    backend: Backend,
    schema: type[BaseModel],
    reask: Reask,
    max_live: int | None,
    concurrency: int | None,
) -> None:
    if not retry:
        return
    if reask == "batch":
        followup = [item for item, _ in retry if not _in_followup(manifest, item.id)]
        if followup:
            _submit_followup(manifest, followup, backend, schema)
        result.resubmitted += len(followup)
        return
    live = retry if reask == "live" else []
    if max_live is not None:
        live = live[: max(0, max_live)]
    live_ids = {item.id for item, _ in live}
    sink = _Sink(out, _summary())
    try:
        for item, exc in retry:
            if item.id not in live_ids:
                sink.write(_error_record(item, backend, exc, 0.0))
                result.failed += 1
    finally:
        sink.close()
    if not live:
        return
    summary = extract_many(
        [item for item, _ in live],
        schema=schema,
        out=out,
        backend=backend,
        concurrency=concurrency,
        cache=False,
        progress=False,
        ungrounded=manifest.settings["ungrounded"],
        instructions=manifest.settings["instructions"],
    )
    result.reasked += summary.done + summary.failed
    result.reask_failed += summary.failed
    result.live_usage += summary.usage
    result.live_attempts += summary.attempts


def _in_followup(manifest: _Manifest, item_id: str) -> bool:
    """Whether the item is already in a job whose answers are not collected yet (a follow-up in flight)."""
    return any(
        not job.get("collected")
        and job.get("status") not in _TERMINAL
        and item_id in _read_ids(manifest.path.parent / job["items"])
        for job in manifest.jobs
    )


def _submit_followup(
    manifest: _Manifest, items: list[Item], backend: Backend, schema: type[BaseModel]
) -> None:
    packer = _Packer(DEFAULT_MAX_REQUESTS, DEFAULT_MAX_BYTES, lambda job: _commit(manifest, job, None, True))
    for item in items:
        pub = _published(item.published)
        plan = plan_article(
            item.text,
            schema,
            backend=backend,
            published=pub,
            ungrounded=manifest.settings["ungrounded"],
            instructions=manifest.settings["instructions"],
        )
        packer.add(item, pub, plan)
    packer.finish()
    _create_jobs(manifest, backend, "24h")


def _job_items(manifest: _Manifest, job: dict[str, Any]) -> list[tuple[Item, dt.date | None]]:
    rows = _jsonl(manifest.path.parent / job["items"])
    return [(Item(str(r["id"]), r["text"]), _published(r.get("published"))) for r in rows]


def _download(
    client: openai.OpenAI, manifest: _Manifest, job: dict[str, Any]
) -> tuple[dict[int, dict[str, dict[str, Any]]], dict[int, str]]:
    """The job's answers (article index -> request key -> chat.completion) and its failures, kept on disk."""
    answers: dict[int, dict[str, dict[str, Any]]] = {}
    failures: dict[int, str] = {}
    for kind in ("output", "error"):
        file_id = job.get(f"{kind}_file_id")
        local = manifest.file(job, f"{kind}.jsonl")
        if file_id and not local.exists():
            atomic_write(local, client.files.content(file_id).read())
        for line in _jsonl(local):
            index, key = _split_custom_id(str(line.get("custom_id")))
            response = line.get("response") or {}
            body = response.get("body")
            if response.get("status_code") == 200 and isinstance(body, dict) and line.get("error") is None:
                answers.setdefault(index, {})[key] = body
            else:
                failures[index] = _failure_text(line)
    # A request neither answered nor failed (an expired or cancelled job) is a failure too.
    for index, _ in enumerate(_jsonl(manifest.path.parent / job["items"])):
        if index not in answers and index not in failures:
            failures[index] = f"no answer (job {job.get('status')})"
    return answers, failures


def _failure_text(line: dict[str, Any]) -> str:
    error = line.get("error") or ((line.get("response") or {}).get("body") or {}).get("error") or {}
    code = (line.get("response") or {}).get("status_code")
    message = error.get("message") if isinstance(error, dict) else str(error)
    return " ".join(f"HTTP {code}: {message}".split())[:300] if code else " ".join(str(message).split())[:300]


def _brief(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
