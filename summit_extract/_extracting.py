"""The public entry points: an article goes in, a validated and grounded model comes out.

One way through, each stage a call into the module named after it, none entered twice:

0. translate (``_translating``, only when asked: ``translate=True``): an article in another language than
   English is translated sentence by sentence (a request per few thousand characters) for the passes that
   read it in English (``Pass.translated``);
1. plan (``_planning``): check the text, split it if it is long, build each pass's request;
2. call (``_calling``): each request sent with its budgets and retries; its answer validated, the
   evidence of each item located as it validates (``_grounding.ground_item``), since evidence that is not
   in the article may be worth a re-ask;
3. ground (``_grounding.ground``): what rests only on an instruction planted in the article set aside;
   the answers of passes that read the translation brought back to the article's own words
   (``_translating.restore``: its sentences, its spelling of names), what no sentence of it holds ungrounded;
4. merge (``_merging``): each pass's answers over the chunks merged, the passes joined;
4b. cite (``_citing``): findings that no sentence holds in their words (a translation, mostly) placed by
   the model in one short request naming each one's sentence by number (only when there are any);
5. finalize (``_finishing``): the type's grounding rules, the ungrounded rest dropped or flagged, the
   type's ``finalize`` hook;
6. gloss (``_glossing``): labels asked in English but copied from a non-English article, translated by
   one short request (only when there are any);
7. result (``_result``): the value with the requests and tokens it cost.

The OpenAI Batch API path (:func:`prepare`, :func:`assemble`) differs in steps 0 and 2: it reads the
article as written, and its answers were received elsewhere (``_calling.answer_value``); its citing and
gloss, if any, are sent live. Requests over
one piece of the article go out together when the backend takes several at once
(``Backend.parallel_passes``), after the backend has been given their shared prefix
(``Backend.share_prefix``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import instructor
import openai
from pydantic import BaseModel

from ._backend import Backend, client_backend, resolve_backend
from ._calling import answer_value, call_async, call_sync, charged
from ._citing import Citation, plan_cite
from ._citing import apply as apply_citation
from ._config import RetryPolicy, Ungrounded
from ._document import choose_passes
from ._exceptions import ExtractionError, OutputValidationError
from ._finishing import finalize
from ._glossing import Gloss, plan_gloss
from ._glossing import apply as apply_gloss
from ._grounding import Grounded, ground
from ._input import check_text
from ._merging import merge
from ._planning import ArticlePlan, Call, Request, plan_article, with_mode
from ._result import Extraction, result
from ._translating import Reading, Translation, plan_reading, read, restore

__all__ = [
    "aextract",
    "aextract_result",
    "assemble",
    "extract",
    "extract_result",
    "prepare",
    "request_slots",
]

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
    translation: Translation | None = None,
    translated: frozenset[str] = frozenset(),
) -> ArticlePlan:
    """The plan of one extraction with the caller's options applied (backend, budgets, passes); the
    article is read as written unless given its ``translation`` for the passes named in ``translated``
    (the live paths make one when asked, see ``translate`` of :func:`extract_result`)."""
    chosen, policy = _setup(client, backend, model, mode, policy, max_retries, timeout)
    return plan_article(
        text,
        schema,
        backend=chosen,
        published=published,
        ungrounded=ungrounded,
        instructions=instructions,
        policy=policy,
        passes=passes,
        examples=examples,
        translation=translation,
        translated=translated,
    )


def _setup(
    client: Client | None,
    backend: Backend | None,
    model: str | None,
    mode: instructor.Mode | None,
    policy: RetryPolicy | None,
    max_retries: int | None,
    timeout: float | None,
) -> tuple[Backend, RetryPolicy]:
    """The backend and retry policy the caller's options choose."""
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
    return with_mode(chosen, mode), policy


def _reading(
    text: object,
    schema: type[BaseModel],
    backend: Backend,
    policy: RetryPolicy,
    translate: bool,
    passes: Sequence[str] | None,
) -> tuple[Reading | None, frozenset[str]]:
    """The requests translating the article and the passes that will read the translation (those that
    declare it, else every pass), or None: it is read as written (not asked, in English, or in no
    language one can tell)."""
    if not translate or not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return None, frozenset()
    chosen = choose_passes(schema, passes)
    names = frozenset(p.name for p in chosen if p.translated) or frozenset(p.name for p in chosen)
    reading = plan_reading(check_text(text), backend, policy)
    return reading, names if reading is not None else frozenset()


def extract_result(
    text: str | bytes,
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
    translate: bool = False,
) -> Extraction[T]:
    """Extract ``schema`` from an article and return it with its usage, attempts, model and backend.

    ``text`` is a str, or bytes in UTF-8 (or as their byte order mark says).

    ``published`` (a date) resolves dates such as "May 7" or "on Sunday"; without it, a dateline at the
    top of the article is used, else they stay partial. ``client`` is your own ``openai.OpenAI``;
    otherwise the backend comes from the environment (OPENAI_API_KEY / OPENAI_BASE_URL, else the
    embedded local model). ``ungrounded`` says what happens to items whose evidence is not found in the
    article: "drop" or "flag". ``passes`` names the article type's passes to run (default: its own
    choice; ``["main"]``: everything in one request); ``examples=False`` leaves out its worked examples.
    ``translate=True``: an article in another language than English is first translated into English by
    the model, for the passes that read it so (``Pass.translated``: the Summit's frame; a schema that
    declares none reads it in every request); what they find is brought back to the article's own words.
    """
    started = time.monotonic()
    chosen, policy = _setup(client, backend, model, mode, policy, max_retries, timeout)
    reading, in_english = _reading(text, schema, chosen, policy, translate, passes)
    translation = None if reading is None else read(reading, [_ask(call) for _, call in reading.calls])
    plan = prepare(
        text,
        schema,
        published=published,
        backend=chosen,
        policy=policy,
        ungrounded=ungrounded,
        instructions=instructions,
        passes=passes,
        examples=examples,
        translation=translation,
        translated=in_english,
    )
    plan.started = started
    try:
        answers = _answers(plan)
    except ExtractionError as exc:
        raise charged(exc, _ledgers(plan, reading), plan.backend) from exc.__cause__
    merged = _merge(plan, answers)
    citation = _cite(plan, merged)
    settled = _settle(plan, merged)
    return cast(Extraction[T], _result(plan, settled, citation, _gloss(plan, settled), reading))


def _ledgers(plan: ArticlePlan, reading: Reading | None) -> list[Any]:
    """Every request's ledger, the translation's first."""
    return [call.ledger for _, call in (reading.calls if reading else [])] + plan.ledgers


def _cite(plan: ArticlePlan, merged: _Merged) -> Citation | None:
    """Place the findings no sentence holds in their words (one request, only if there are any)."""
    citation = plan_cite(plan, merged.value)
    if citation is not None:
        apply_citation(citation, _ask(citation.call), merged.value)
    return citation


def _gloss(plan: ArticlePlan, settled: _Settled) -> Gloss | None:
    """Translate the labels copied from a non-English article (one request, only if there are any)."""
    gloss = plan_gloss(plan, settled.value)
    if gloss is not None:
        apply_gloss(gloss, _ask(gloss.call))
    return gloss


def _ask(call: Call) -> BaseModel | None:
    """A follow-up request's answer (citing, gloss), or None: a failed one never costs the findings."""
    try:
        return call_sync(call)
    except ExtractionError:
        return None


async def _aask(call: Call, limit: asyncio.Semaphore) -> BaseModel | None:
    """The async twin of :func:`_ask`; its request holds one of the batch's slots."""
    try:
        async with limit:
            return await call_async(call)
    except ExtractionError:
        return None


@dataclass
class _Merged:
    value: BaseModel
    quarantined: list[Grounded]


@dataclass
class _Settled:
    value: BaseModel
    dropped: list[Grounded]
    flagged: list[Grounded]


def _merge(plan: ArticlePlan, answers: Mapping[str, BaseModel]) -> _Merged:
    """Ground, merge: the stages after the calls, the same on every path."""
    by_pass = plan.by_pass()
    jobs = [job for asked in by_pass.values() for job in asked]
    quarantined = [item for job in jobs for item in ground(answers[job.key], job.call.context)]
    if plan.translation is not None:
        for job in jobs:
            if job.translated:  # what it lost is unaligned now, dropped or flagged when finalized
                restore(answers[job.key], plan.text, plan.translation)
    value = merge(plan.schema, [(asked, [answers[j.key] for j in part]) for asked, part in by_pass.items()])
    return _Merged(value, quarantined)


def _settle(plan: ArticlePlan, merged: _Merged) -> _Settled:
    """Finalize, the same on every path."""
    whole = plan.whole_context()
    whole.quarantined += merged.quarantined  # the type's finalize hook sees them
    dropped, flagged = finalize(merged.value, whole, plan.ungrounded)
    return _Settled(merged.value, dropped, flagged)


def _result(
    plan: ArticlePlan,
    settled: _Settled,
    citation: Citation | None = None,
    gloss: Gloss | None = None,
    reading: Reading | None = None,
) -> Extraction[Any]:
    ledgers = {key: call.ledger for key, call in (reading.calls if reading else [])}
    ledgers |= {job.key: job.call.ledger for job in plan.jobs}
    if citation is not None:
        ledgers["cite"] = citation.call.ledger
    if gloss is not None:
        ledgers["gloss"] = gloss.call.ledger
    return result(
        settled.value,
        ledgers,
        model=plan.backend.model,
        backend=plan.backend.name,
        started=plan.started,
        dropped=settled.dropped,
        flagged=settled.flagged,
        translation=plan.translation,
    )


def assemble(plan: ArticlePlan, completions: Mapping[str, Any], *, gloss: bool = True) -> Extraction[Any]:
    """The result of a plan from answers received elsewhere (a Batch API output file): no re-ask is made.

    ``completions`` maps each request key to its chat completion (the JSON body or an openai object).
    ``gloss``: findings no sentence holds in their words are placed, and labels copied from a non-English
    article translated, by live requests to the plan's backend, as the live path does (the only requests
    this sends; False: none, those findings are dropped or flagged and the labels stay as written).
    """
    answers: dict[str, BaseModel] = {}
    for job in plan.jobs:
        if job.key not in completions:
            raise OutputValidationError(f"Extraction failed: no answer for request {job.key!r}.")
        answers[job.key] = answer_value(job.call, job.key, completions[job.key], plan.backend.mode)
    merged = _merge(plan, answers)
    citation = _cite(plan, merged) if gloss else None
    settled = _settle(plan, merged)
    return _result(plan, settled, citation, _gloss(plan, settled) if gloss else None)


def _share(run: list[Request]) -> None:
    share = run[0].call.backend.share_prefix
    if share is not None and len(run) > 1:
        share([job.call.messages for job in run])


def _answers(plan: ArticlePlan) -> dict[str, BaseModel]:
    """Every request's answer; a run of requests that share a prefix goes out at once, one thread each."""
    values: dict[str, BaseModel] = {}
    for run in plan.runs(plan.backend.parallel_passes):
        if len(run) == 1:
            values[run[0].key] = call_sync(run[0].call)
            continue
        _share(run)
        with ThreadPoolExecutor(len(run), thread_name_prefix="summit-extract-pass") as pool:
            # Each thread runs in a copy of the caller's context (the extraction context travels in one).
            futures = [pool.submit(contextvars.copy_context().run, call_sync, job.call) for job in run]
        for job, future in zip(run, futures, strict=True):
            values[job.key] = future.result()  # the first failure in plan order is the one raised
    return values


async def aextract_result(
    text: str | bytes,
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
    translate: bool = False,
) -> Extraction[T]:
    """The async twin of :func:`extract_result`; passes run concurrently where the backend allows it."""
    started = time.monotonic()
    chosen, policy = _setup(client, backend, model, mode, policy, max_retries, timeout)
    # A batch shares its slots with every article's passes, so its concurrency bounds requests in flight.
    limit = _request_slots.get() or asyncio.Semaphore(max(1, chosen.max_concurrency))
    reading, in_english = _reading(text, schema, chosen, policy, translate, passes)
    translation = None
    if reading is not None:
        translation = read(reading, [await _aask(call, limit) for _, call in reading.calls])
    plan = prepare(
        text,
        schema,
        published=published,
        backend=chosen,
        policy=policy,
        ungrounded=ungrounded,
        instructions=instructions,
        passes=passes,
        examples=examples,
        translation=translation,
        translated=in_english,
    )
    plan.started = started

    async def answer(call: Any) -> BaseModel:
        return await call_async(call)

    async def together(run: list[Request]) -> list[BaseModel]:
        # A run holds one slot however many requests it sends: on a server that takes several at once
        # they are decoded together; one at a time (width 1) keeps a one-slot server's cache warm, in order.
        async with limit:
            if len(run) > 1:
                await asyncio.to_thread(_share, run)
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(answer(job.call)) for job in run]
            return [task.result() for task in tasks]

    runs = plan.runs(plan.backend.parallel_passes)
    try:
        async with asyncio.TaskGroup() as group:  # a failed pass cancels its siblings
            answers = [group.create_task(together(run)) for run in runs]
    except* ExtractionError as failed:
        first = failed.exceptions[0]
        while isinstance(first, BaseExceptionGroup):  # a run's own group nests the failure once more
            first = first.exceptions[0]
        assert isinstance(first, ExtractionError)
        raise charged(first, _ledgers(plan, reading), plan.backend) from first.__cause__
    values = {
        job.key: value
        for run, task in zip(runs, answers, strict=True)
        for job, value in zip(run, task.result(), strict=True)
    }
    merged = _merge(plan, values)
    citation = plan_cite(plan, merged.value)
    if citation is not None:
        apply_citation(citation, await _aask(citation.call, limit), merged.value)
    settled = _settle(plan, merged)
    gloss = plan_gloss(plan, settled.value)
    if gloss is not None:
        apply_gloss(gloss, await _aask(gloss.call, limit))
    return cast(Extraction[T], _result(plan, settled, citation, gloss, reading))


_request_slots: ContextVar[asyncio.Semaphore | None] = ContextVar("summit_extract_slots", default=None)


@contextlib.contextmanager
def request_slots(slots: asyncio.Semaphore) -> Iterator[None]:
    """Bound the requests in flight of every extraction started inside the block (used by batches)."""
    token = _request_slots.set(slots)
    try:
        yield
    finally:
        _request_slots.reset(token)


def extract(text: str | bytes, schema: type[T], **options: Any) -> T:
    """Extract any pydantic model from an article (see :func:`extract_result` for the options)."""
    return extract_result(text, schema, **options).value


async def aextract(text: str | bytes, schema: type[T], **options: Any) -> T:
    """The async twin of :func:`extract`."""
    return (await aextract_result(text, schema, **options)).value
