"""How the jobs of a Batch API run are doing, as the provider says; the manifest records each answer."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from ..._backend import Backend, resolve_backend
from .manifest import TERMINAL, require_manifest
from .submit import client_of

__all__ = ["BatchJobStatus", "BatchStatus", "batch_status", "refresh"]


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
        return all(job.status in TERMINAL or job.collected for job in self.jobs)

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
    manifest = require_manifest(Path(out))
    client = client_of(backend or resolve_backend(model or manifest.settings["model"]))
    for job in manifest.jobs:
        if job.get("batch_id") and not job.get("collected") and job.get("status") not in TERMINAL:
            refresh(client, job)
    manifest.save()
    return BatchStatus([_job_status(job) for job in manifest.jobs])


def refresh(client: openai.OpenAI, job: dict[str, Any]) -> None:
    """Record what the provider says of one job: its status, its output and error files, its counts."""
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
