"""The public entry points: an article goes in, a validated and grounded model comes out.

The stages, top to bottom: check the text (_input), build the prompt (_prompting), call the backend with
retries (_calling), parse and validate with grounding in the validators (_models, _grounding), drop or
flag what could not be grounded, normalize (_normalizing), and wrap the result with its costs.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar, cast

import instructor
import openai
from pydantic import BaseModel

from . import _chunking, _input, _prompting
from ._backend import Backend, client_backend, resolve_backend
from ._calling import Call, Ledger, call_async, call_sync, max_tokens_for
from ._config import RetryPolicy, Ungrounded
from ._exceptions import ConfigurationError, Usage
from ._grounding import Grounded, GroundingContext, drop_unaligned
from ._models import Summit
from ._normalizing import normalize

T = TypeVar("T", bound=BaseModel)
Client = openai.OpenAI | openai.AsyncOpenAI


@dataclass
class Extraction(Generic[T]):
    """An extraction's value and what it cost."""

    value: T
    usage: Usage
    attempts: int
    model: str
    backend: str
    seconds: float
    #: Items whose evidence was never found in the article and were removed (``ungrounded="drop"``).
    dropped: list[Grounded] = field(default_factory=list)
    #: Items kept although their evidence was never found (``ungrounded="flag"``).
    flagged: list[Grounded] = field(default_factory=list)


@dataclass
class _Job:
    text: str
    schema: type[BaseModel]
    backend: Backend
    call: Call
    ungrounded: Ungrounded
    started: float


def _prepare(
    text: object,
    schema: type[BaseModel],
    *,
    published: dt.date | str | None,
    client: Client | None,
    backend: Backend | None,
    model: str | None,
    mode: instructor.Mode | None,
    max_retries: int | None,
    timeout: float | None,
    policy: RetryPolicy | None,
    ungrounded: Ungrounded,
    instructions: str | None,
) -> _Job:
    started = time.monotonic()
    article = _input.check_text(text)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise ConfigurationError(f"schema must be a pydantic model class, not {schema!r}.")
    if ungrounded not in ("drop", "flag"):
        raise ConfigurationError(f"ungrounded must be 'drop' or 'flag', not {ungrounded!r}.")
    pub = _published(published)
    chosen = backend or (
        client_backend(client, model, mode) if client is not None else resolve_backend(model)
    )
    if mode is not None and chosen.mode != mode:
        chosen = _with_mode(chosen, mode)
    policy = policy or RetryPolicy()
    overrides: dict[str, Any] = {}
    if max_retries is not None:
        overrides["max_retries"] = max_retries
    if timeout is not None:
        overrides["timeout"] = timeout
    if overrides:
        policy = RetryPolicy(**{**policy.__dict__, **overrides})
    context = GroundingContext(article, published=pub)
    call = Call(
        backend=chosen,
        schema=schema,
        messages=_prompting.messages(article, schema, published=pub, instructions=instructions),
        context=context,
        policy=policy,
        max_tokens=max_tokens_for(article, chosen.context_tokens),
    )
    return _Job(article, schema, chosen, call, ungrounded, started)


def _with_mode(backend: Backend, mode: instructor.Mode) -> Backend:
    from dataclasses import replace

    return replace(backend, mode=mode)


def _published(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigurationError(f"published must be a date or 'YYYY-MM-DD', not {value!r}.") from None


# -- long articles (see _chunking): one job per chunk, spans offset into the whole article ----------


def _chunk_jobs(job: _Job) -> list[_Job] | None:
    """One job per chunk when the article does not fit the backend's context, else None."""
    chunks = _chunking.plan(job.text, job.call.messages, job.backend.context_tokens)
    if chunks is None:
        return None
    published = job.call.context.get("published") if job.call.context else None
    jobs = []
    for chunk in chunks:
        # Same system message (instructions included, so a cached prompt prefix is reused), chunk as article.
        user = _prompting.messages(chunk.text, job.schema, published=published)[1]
        call = replace(
            job.call,
            messages=[job.call.messages[0], user],
            context=GroundingContext(chunk.text, published=published, offset=chunk.start),
            max_tokens=max_tokens_for(chunk.text, job.backend.context_tokens),
            ledger=Ledger(),
            strategy_index=0,
        )
        jobs.append(replace(job, text=chunk.text, call=call, started=time.monotonic()))
    return jobs


def _finish(job: _Job, value: BaseModel, *, whole: bool = True) -> Extraction[Any]:
    dropped: list[Grounded] = []
    flagged: list[Grounded] = []
    if job.ungrounded == "drop":
        dropped = drop_unaligned(value)
    else:
        from ._grounding import walk

        flagged = [g for g in walk(value) if g.span is not None and g.span.alignment == "unaligned"]
    if isinstance(value, Summit) and whole:  # a chunk's Summit is normalized once merged (see _chunking)
        normalize(value, dropped, job.text)
    ledger = job.call.ledger
    return Extraction(
        value=value,
        usage=ledger.usage,
        attempts=ledger.attempts,
        model=job.backend.model,
        backend=job.backend.name,
        seconds=round(time.monotonic() - job.started, 3),
        dropped=dropped,
        flagged=flagged,
    )


def extract_result(
    text: str,
    schema: type[T],
    *,
    published: dt.date | str | None = None,
    client: openai.OpenAI | None = None,
    backend: Backend | None = None,
    model: str | None = None,
    mode: instructor.Mode | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    policy: RetryPolicy | None = None,
    ungrounded: Ungrounded = "drop",
    instructions: str | None = None,
) -> Extraction[T]:
    """Extract ``schema`` from an article and return it with its usage, attempts, model and backend.

    ``published`` (a date) resolves dates such as "May 7" or "on Sunday"; without it they stay partial.
    ``client`` is your own ``openai.OpenAI``; otherwise the backend comes from the environment
    (OPENAI_API_KEY / OPENAI_BASE_URL, else the embedded local model). ``ungrounded`` says what happens
    to items whose evidence is still not found in the article after the re-asks: "drop" or "flag".
    """
    job = _prepare(
        text,
        schema,
        published=published,
        client=client,
        backend=backend,
        model=model,
        mode=mode,
        max_retries=max_retries,
        timeout=timeout,
        policy=policy,
        ungrounded=ungrounded,
        instructions=instructions,
    )
    if (chunk_jobs := _chunk_jobs(job)) is not None:
        parts = [_finish(cj, call_sync(cj.call), whole=False) for cj in chunk_jobs]
        return cast(Extraction[T], _chunking.merge(parts))
    return cast(Extraction[T], _finish(job, call_sync(job.call)))


async def aextract_result(
    text: str,
    schema: type[T],
    *,
    published: dt.date | str | None = None,
    client: openai.AsyncOpenAI | None = None,
    backend: Backend | None = None,
    model: str | None = None,
    mode: instructor.Mode | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    policy: RetryPolicy | None = None,
    ungrounded: Ungrounded = "drop",
    instructions: str | None = None,
) -> Extraction[T]:
    """The async twin of :func:`extract_result`."""
    job = _prepare(
        text,
        schema,
        published=published,
        client=client,
        backend=backend,
        model=model,
        mode=mode,
        max_retries=max_retries,
        timeout=timeout,
        policy=policy,
        ungrounded=ungrounded,
        instructions=instructions,
    )
    if (chunk_jobs := _chunk_jobs(job)) is not None:
        parts = [_finish(cj, await call_async(cj.call), whole=False) for cj in chunk_jobs]
        return cast(Extraction[T], _chunking.merge(parts))
    return cast(Extraction[T], _finish(job, await call_async(job.call)))


def extract(text: str, schema: type[T], **options: Any) -> T:
    """Extract any pydantic model from an article (see :func:`extract_result` for the options)."""
    return extract_result(text, schema, **options).value


async def aextract(text: str, schema: type[T], **options: Any) -> T:
    """The async twin of :func:`extract`."""
    return (await aextract_result(text, schema, **options)).value


def extract_summit(text: str, **options: Any) -> Summit:
    """Extract the summit an article reports (``is_summit`` is False when it reports none)."""
    return extract_result(text, Summit, **options).value


async def aextract_summit(text: str, **options: Any) -> Summit:
    """The async twin of :func:`extract_summit`."""
    return (await aextract_result(text, Summit, **options)).value
