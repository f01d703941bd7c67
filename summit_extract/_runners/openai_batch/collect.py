"""Collecting a Batch API run: download the answers, assemble each article as a live call would, write OUT.

Every answer goes through the engine's validation, grounding and finalize steps (``_extracting.assemble``)
and becomes the same record ``extract_many`` writes. Answers that fail, and requests the batch rejected or
never ran, are re-asked through the live path (bounded by ``max_live``; its records reach OUT through the
sink this collect holds), sent in a follow-up batch, or recorded as errors, as the caller chooses. OUT is
locked for the whole collect; re-running after an interruption writes only what is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any, Literal

import openai
from pydantic import BaseModel

from ..._backend import Backend, resolve_backend
from ..._cache import atomic_write
from ..._document import default_article_type
from ..._exceptions import ConfigurationError, ExtractionError, OutputValidationError, TransportError, Usage
from ..._extracting import assemble
from ..._planning import published_date as _published
from ..batch import extract_many
from ..records import Item, LineSink, Sink, done_ids, error_record, id_key, ok_record
from .cost import BatchCollect
from .manifest import TERMINAL, Manifest, jsonl, read_ids, require_manifest, settings_of
from .status import refresh
from .submit import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REQUESTS,
    Packer,
    client_of,
    commit,
    create_jobs,
    split_custom_id,
)

__all__ = ["Reask", "collect_batch"]

Reask = Literal["live", "batch", "none"]


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
    with Sink(out) as sink:  # OUT and its manifest are written under OUT's lock, re-asks included
        result = _collect(sink, out, schema, backend, model, reask, max_live, concurrency, wait, poll)
    result.seconds = time.monotonic() - started
    return result


def _collect(
    sink: Sink,
    out: Path,
    schema: type[BaseModel],
    backend: Backend | None,
    model: str | None,
    reask: Reask,
    max_live: int | None,
    concurrency: int | None,
    wait: float | None,
    poll: float,
) -> BatchCollect:
    manifest = require_manifest(out)
    chosen = backend or resolve_backend(model or manifest.settings["model"])
    settings = settings_of(schema, chosen, manifest.settings["ungrounded"], manifest.settings["instructions"])
    if settings["schema"] != manifest.settings["schema"]:
        raise ConfigurationError(
            f"{out} was submitted for {manifest.settings['schema']}, not {settings['schema']}."
        )
    if chosen.mode.value != manifest.settings["mode"]:
        chosen = dataclasses.replace(chosen, mode=type(chosen.mode)(manifest.settings["mode"]))
    if chosen.model != manifest.settings["model"]:
        chosen = dataclasses.replace(chosen, model=manifest.settings["model"])
    client = client_of(chosen)
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        for job in manifest.jobs:
            if job.get("batch_id") and not job.get("collected") and job.get("status") not in TERMINAL:
                refresh(client, job)
        manifest.save()
        running = [j for j in manifest.jobs if not j.get("collected") and j.get("status") not in TERMINAL]
        if not running or deadline is None or time.monotonic() >= deadline:
            break
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    result = BatchCollect()
    sink.resume(retry_failed=False)  # repairs a partial last line left by an interrupted collect
    done = done_ids(out)
    retry: list[tuple[Item, BaseException]] = []
    for job in manifest.jobs:
        if job.get("collected"):
            continue
        if job.get("status") not in TERMINAL:
            result.pending_jobs += 1
            continue
        answers, failures = _download(client, manifest, job)
        for index, (item, published) in enumerate(_job_items(manifest, job)):
            if id_key(item.id) in done:
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
                plan = manifest.plan(item.text, schema, chosen, published)
                extraction = assemble(plan, mine)
            except Exception as exc:  # an answer the engine could not use: re-asked, never a crash
                if not isinstance(exc, ExtractionError):
                    exc = OutputValidationError(f"the batch answer could not be used: {_brief(exc)}")
                result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
                retry.append((dataclasses.replace(item, published=published), exc))
                continue
            sink.write(ok_record(item, extraction))
            done.add(id_key(item.id))
            result.from_batch += 1
    _reask(sink, manifest, retry, result, chosen, schema, reask, max_live, concurrency)
    done = done_ids(out)
    for job in manifest.jobs:
        if job.get("status") in TERMINAL and not job.get("collected"):
            items = _job_items(manifest, job)
            job["collected"] = all(
                id_key(i.id) in done or _resubmitted(manifest, i.id, job) for i, _ in items
            )
    manifest.save()
    return result


def _resubmitted(manifest: Manifest, item_id: Any, job: dict[str, Any]) -> bool:
    later = manifest.jobs[manifest.jobs.index(job) + 1 :]
    return any(id_key(item_id) in read_ids(manifest.path.parent / j["items"]) for j in later)


def _reask(
    sink: Sink,
    manifest: Manifest,
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
    live_ids = {id_key(item.id) for item, _ in live}
    for item, exc in retry:
        if id_key(item.id) not in live_ids:
            sink.write(error_record(item, backend, exc, 0.0))
            result.failed += 1
    if not live:
        return
    # The live records reach OUT through the sink this collect holds, one line at a time as they are made.
    summary = extract_many(
        [item for item, _ in live],
        schema=schema,
        out=LineSink(sink.write_line),
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


def _in_followup(manifest: Manifest, item_id: Any) -> bool:
    """Whether the item is already in a job whose answers are not collected yet (a follow-up in flight)."""
    return any(
        not job.get("collected")
        and job.get("status") not in TERMINAL
        and id_key(item_id) in read_ids(manifest.path.parent / job["items"])
        for job in manifest.jobs
    )


def _submit_followup(
    manifest: Manifest, items: list[Item], backend: Backend, schema: type[BaseModel]
) -> None:
    packer = Packer(DEFAULT_MAX_REQUESTS, DEFAULT_MAX_BYTES, lambda job: commit(manifest, job, None, True))
    for item in items:
        pub = _published(item.published)
        plan = manifest.plan(item.text, schema, backend, pub)
        packer.add(item, pub, plan)
    packer.finish()
    create_jobs(manifest, backend, "24h")


def _job_items(manifest: Manifest, job: dict[str, Any]) -> list[tuple[Item, dt.date | None]]:
    rows = jsonl(manifest.path.parent / job["items"])
    return [(Item(r["id"], r["text"]), _published(r.get("published"))) for r in rows]


def _download(
    client: openai.OpenAI, manifest: Manifest, job: dict[str, Any]
) -> tuple[dict[int, dict[str, dict[str, Any]]], dict[int, str]]:
    """The job's answers (article index -> request key -> chat.completion) and its failures, kept on disk."""
    answers: dict[int, dict[str, dict[str, Any]]] = {}
    failures: dict[int, str] = {}
    for kind in ("output", "error"):
        file_id = job.get(f"{kind}_file_id")
        local = manifest.file(job, f"{kind}.jsonl")
        if file_id and not local.exists():
            atomic_write(local, client.files.content(file_id).read())
        for line in jsonl(local):
            index, key = split_custom_id(str(line.get("custom_id")))
            response = line.get("response") or {}
            body = response.get("body")
            if response.get("status_code") == 200 and isinstance(body, dict) and line.get("error") is None:
                answers.setdefault(index, {})[key] = body
            else:
                failures[index] = _failure_text(line)
    # A request neither answered nor failed (an expired or cancelled job) is a failure too.
    for index, _ in enumerate(jsonl(manifest.path.parent / job["items"])):
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
