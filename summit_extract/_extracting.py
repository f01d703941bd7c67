"""The public entry points: an article goes in, a validated and grounded model comes out.

The stages, top to bottom: plan the requests (_planning: check the text, split it if it is long, build
each pass's prompt), call the backend with retries (_calling; answers are validated and grounded inside
it), then join, merge, drop or flag and finalize (_planning.ArticlePlan.finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import instructor
import openai
from pydantic import BaseModel

from ._backend import Backend, client_backend, resolve_backend
from ._calling import call_async, call_sync
from ._config import RetryPolicy, Ungrounded
from ._exceptions import ExtractionError
from ._planning import ArticlePlan, plan_article, with_mode
from ._result import Extraction

__all__ = ["aextract", "aextract_result", "extract", "extract_result", "prepare", "request_slots"]

T = TypeVar("T", bound=BaseModel)
Client = openai.OpenAI | openai.AsyncOpenAI


def prepare(
    text: object,
    schema: type[BaseModel],
    *,
    published: dt.date | str | None = None,
    client: Client | None = None,
    backend: Backend | None = None,
    model: str | None = None,
    mode: instructor.Mode | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    policy: RetryPolicy | None = None,
    ungrounded: Ungrounded = "drop",
    instructions: str | None = None,
    passes: Sequence[str] | None = None,
    examples: bool = True,
) -> ArticlePlan:
    """The plan of one extraction with the caller's options applied (backend, budgets, passes)."""
    chosen = backend or (
        client_backend(client, model, mode) if client is not None else resolve_backend(model)
    )
    policy = policy or RetryPolicy()
    overrides: dict[str, Any] = {}
    if max_retries is not None:
        overrides["max_retries"] = max_retries
    if timeout is not None:
        overrides["timeout"] = timeout
    if overrides:
        policy = RetryPolicy(**{**policy.__dict__, **overrides})
    return plan_article(
        text,
        schema,
        backend=with_mode(chosen, mode),
        published=published,
        ungrounded=ungrounded,
        instructions=instructions,
        policy=policy,
        passes=passes,
        examples=examples,
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
    passes: Sequence[str] | None = None,
    examples: bool = True,
) -> Extraction[T]:
    """Extract ``schema`` from an article and return it with its usage, attempts, model and backend.

    ``published`` (a date) resolves dates such as "May 7" or "on Sunday"; without it, a dateline at the
    top of the article is used, else they stay partial. ``client`` is your own ``openai.OpenAI``;
    otherwise the backend comes from the environment (OPENAI_API_KEY / OPENAI_BASE_URL, else the
    embedded local model). ``ungrounded`` says what happens to items whose evidence is not found in the
    article: "drop" or "flag". ``passes`` names the article type's passes to run (default: its own
    choice; ``["main"]``: everything in one request); ``examples=False`` leaves out its worked examples.
    """
    plan = prepare(
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
        passes=passes,
        examples=examples,
    )
    try:
        values = {job.key: call_sync(job.call) for job in plan.jobs}
    except ExtractionError as exc:
        raise plan.charge(exc) from exc.__cause__
    return cast(Extraction[T], plan.finish(values))


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
    passes: Sequence[str] | None = None,
    examples: bool = True,
) -> Extraction[T]:
    """The async twin of :func:`extract_result`; passes run concurrently where the backend allows it."""
    plan = prepare(
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
        passes=passes,
        examples=examples,
    )
    # A batch shares its slots with every article's passes, so its concurrency bounds requests in flight.
    limit = _request_slots.get() or asyncio.Semaphore(max(1, plan.backend.max_concurrency))

    async def one(call: Any) -> BaseModel:
        async with limit:  # one at a time on a one-slot server keeps its prompt cache warm, in order
            return await call_async(call)

    try:
        async with asyncio.TaskGroup() as group:  # a failed pass cancels its siblings
            tasks = [group.create_task(one(job.call)) for job in plan.jobs]
    except* ExtractionError as failed:
        first = failed.exceptions[0]
        assert isinstance(first, ExtractionError)
        raise plan.charge(first) from first.__cause__
    values = {job.key: task.result() for job, task in zip(plan.jobs, tasks, strict=True)}
    return cast(Extraction[T], plan.finish(values))


_request_slots: ContextVar[asyncio.Semaphore | None] = ContextVar("summit_extract_slots", default=None)


@contextlib.contextmanager
def request_slots(slots: asyncio.Semaphore) -> Iterator[None]:
    """Bound the requests in flight of every extraction started inside the block (used by batches)."""
    token = _request_slots.set(slots)
    try:
        yield
    finally:
        _request_slots.reset(token)


def extract(text: str, schema: type[T], **options: Any) -> T:
    """Extract any pydantic model from an article (see :func:`extract_result` for the options)."""
    return extract_result(text, schema, **options).value


async def aextract(text: str, schema: type[T], **options: Any) -> T:
    """The async twin of :func:`extract`."""
    return (await aextract_result(text, schema, **options)).value
