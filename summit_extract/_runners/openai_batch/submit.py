"""Submitting to the Batch API: plan each article, pack the requests into jobs, upload them, create batches.

The engine's planner (``plan_article``) builds the exact request bodies a live call sends, so nothing here
builds a prompt. An article's requests always share one job, and a job respects the provider's per-file
limits (requests, bytes). Each job is in the manifest, with its files on disk, before it is uploaded; a
job whose upload or creation was cut off is finished on the next run, its file and batch found again by
name and metadata, never created twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openai
from pydantic import BaseModel

from ..._backend import Backend, resolve_backend
from ..._cache import atomic_write
from ..._document import default_article_type
from ..._exceptions import ConfigurationError, InputError
from ..._planning import ArticlePlan, plan_article
from ..._planning import published_date as _published
from ..records import Item, Sink, batch_items, done_ids, error_record, id_key
from .manifest import Manifest, manifest_path, settings_of

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REQUESTS",
    "ENDPOINT",
    "BatchSubmission",
    "Packer",
    "client_of",
    "commit",
    "create_jobs",
    "split_custom_id",
    "submit_batch",
]

log = logging.getLogger("summit_extract")

#: OpenAI's documented per-file limits of the Batch API: 50,000 requests and 200 MB.
DEFAULT_MAX_REQUESTS = 50_000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"


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
    settings = settings_of(schema, chosen, ungrounded, instructions)
    todo = batch_items(items)
    # OUT and its manifest are written under OUT's lock (a dry run writes nothing, so takes none).
    with Sink(None if dry_run else out) as sink:
        sink.resume(retry_failed=False)  # repairs a partial last line before an error record follows it
        manifest = Manifest.load(out)
        if manifest is not None and manifest.settings != settings:
            raise ConfigurationError(
                f"{manifest.path} was planned with other settings ({manifest.settings}); "
                "use another --out for a batch with different settings."
            )
        if manifest is None:
            manifest = Manifest(manifest_path(out), uuid.uuid4().hex[:12], settings)
        result = BatchSubmission(manifest.path, items=len(todo), dry_run=dry_run)
        seen = done_ids(out) | manifest.submitted_ids()
        default_published = _published(published)
        # Each job is committed as soon as it is full, so memory holds one job's requests at most.
        packer = Packer(max_requests_per_file, max_bytes_per_file, lambda job: commit(manifest, job, result))
        for item in todo:
            if id_key(item.id) in seen:
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
                if not dry_run:
                    failure = exc if isinstance(exc, InputError) else InputError(f"item {item.id!r}: {exc}")
                    sink.write(error_record(item, chosen, failure, 0.0))
                continue
        packer.finish()
        if not dry_run:
            create_jobs(manifest, chosen, completion_window)
    return result


def commit(manifest: Manifest, job: Job, result: BatchSubmission | None, followup: bool = False) -> None:
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


@dataclass
class Job:
    """One job being packed: its articles (with their dates), its request lines, their count and size."""

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


class Packer:
    """Packs articles into jobs under the per-file limits, never splitting one article's requests."""

    def __init__(self, max_requests: int, max_bytes: int, full: Callable[[Job], None]) -> None:
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.full = full
        self.job: Job | None = None

    def add(self, item: Item, published: dt.date | None, plan: ArticlePlan) -> None:
        job = self.job
        lines = _request_lines(len(job.items) if job is not None else 0, plan)
        size = sum(len(line) for line in lines)
        if job is None or job.count + len(lines) > self.max_requests or job.size + size > self.max_bytes:
            self.finish()
            job = Job()
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


def split_custom_id(custom_id: str) -> tuple[int, str]:
    """A request's custom id as the article's index in its job and the request's key in the plan."""
    index, _, key = custom_id.partition("/")
    return int(index), key


def client_of(backend: Backend) -> openai.OpenAI:
    """The synchronous OpenAI client of ``backend``, for the Files and Batch APIs."""
    return backend.make_client()


def create_jobs(manifest: Manifest, backend: Backend, completion_window: Literal["24h"]) -> None:
    """Upload and create every job that has no batch yet, finding what an interrupted run already made."""
    pending = [job for job in manifest.jobs if job.get("batch_id") is None]
    if not pending:
        return
    client = client_of(backend)
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
