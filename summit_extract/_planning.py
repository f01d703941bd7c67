"""The plan of one article's extraction: which requests to send, each with its budgets and context.

A plan is made before any request is sent, and nothing in it sends one, so the live path
(``_extracting``) and the OpenAI Batch API path build exactly the same requests:

1. the text is checked and, if the article states its own date in a dateline, that date is used to
   resolve "May 7" or "on Sunday" (unless the caller gave ``published``);
2. the article is split into chunks when it does not fit the backend's context;
3. each chunk is asked each pass of the article type (one request per chunk and pass, a :class:`Call`),
   every request sharing the prompt prefix of its chunk, all of them one wall-clock deadline. A pass that
   reads the article in English (``Pass.translated``), when it is given a translation, reads that
   translation's chunks instead.

What happens to the answers is the business of the stages after it (see ``_extracting``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import instructor
from pydantic import BaseModel

from . import _chunking, _dates, _input, _instructing, _prompting
from ._backend import Backend
from ._chunking import Chunk
from ._config import STRATEGIES, RetryPolicy, Strategy, Ungrounded
from ._context import DateSource, ExtractionContext
from ._deadline import Deadline
from ._document import Document, Pass, choose_passes, ensure_valid, pass_model
from ._exceptions import ConfigurationError
from ._usage import Ledger

if TYPE_CHECKING:  # _translating builds its requests with Call: only the type is needed here
    from ._translating import Translation

__all__ = ["ArticlePlan", "Call", "PlannedRequest", "Request", "max_tokens_for", "plan_article"]


@dataclass
class Call:
    """One structured request: what to ask, of whom, within which budgets; its ledger counts what it cost."""

    backend: Backend
    schema: type[BaseModel]
    messages: list[dict[str, str]]
    context: ExtractionContext | None
    policy: RetryPolicy
    max_tokens: int
    ledger: Ledger = field(default_factory=Ledger)
    #: Wall-clock limit shared by every request of this call (and of any call given the same one);
    #: None: ``policy.total_timeout`` from the call's start.
    deadline: Deadline | None = None
    #: Keep the complete items of an answer cut off at max_tokens instead of asking again.
    salvage: bool = False

    def body(self, strategy: Strategy = STRATEGIES[0]) -> dict[str, Any]:
        """The JSON body a live call POSTs to ``/v1/chat/completions`` with ``strategy``'s settings."""
        arguments = dict(
            messages=self.messages,
            model=self.backend.model,
            max_tokens=math.ceil(self.max_tokens * strategy.token_factor),
            **strategy.params,
        )
        return _instructing.request_body(_instructing.ready(self.schema), self.backend.mode, arguments)


@dataclass(frozen=True)
class PlannedRequest:
    """One request of a plan as JSON: ``body`` is what a live call POSTs to ``/v1/chat/completions``."""

    key: str
    body: dict[str, Any]


@dataclass
class Request:
    """One request of a plan: a pass over a chunk, with its call (messages, model, context, budgets)."""

    key: str
    chunk: Chunk
    asked: Pass
    call: Call
    #: Whether it reads the article's English translation (its chunk is a piece of it), not the article.
    translated: bool = False


@dataclass
class ArticlePlan:
    """Every request one article needs, and what the stages after the calls need to know of the article."""

    text: str
    schema: type[BaseModel]
    backend: Backend
    ungrounded: Ungrounded
    published: dt.date | None
    published_from: DateSource | None
    chunks: list[Chunk]
    jobs: list[Request]
    started: float = field(default_factory=time.monotonic)
    #: The article in English, read by the passes that read it so (None: every pass reads the article).
    translation: Translation | None = None

    @property
    def requests(self) -> list[PlannedRequest]:
        """The request bodies, exactly as the live path sends them first (for the OpenAI Batch API)."""
        return [PlannedRequest(job.key, job.call.body()) for job in self.jobs]

    def runs(self, width: int) -> list[list[Request]]:
        """The jobs in runs that may be sent at once, in order: requests over chunks that start at the same
        offset share the prompt up to the end of the shorter chunk, so a run is those requests, at most
        ``width`` of them (``width`` 1: every request on its own)."""
        runs: list[list[Request]] = []
        for job in self.jobs:
            last = runs[-1] if runs else None
            if (
                last
                and len(last) < width
                and last[0].chunk.start == job.chunk.start
                and last[0].translated == job.translated
            ):
                last.append(job)
            else:
                runs.append([job])
        return runs

    def by_pass(self) -> dict[Pass, list[Request]]:
        """The requests of each pass (one per chunk it reads), the passes in the order first asked."""
        asked = dict.fromkeys(j.asked for j in self.jobs)
        return {one: [j for j in self.jobs if j.asked == one] for one in asked}

    def whole_context(self) -> ExtractionContext:
        """The context of the whole article, as the article type's hooks see it."""
        return ExtractionContext(self.text, published=self.published, published_from=self.published_from)

    @property
    def ledgers(self) -> list[Ledger]:
        """The ledger of each request, in plan order."""
        return [job.call.ledger for job in self.jobs]

    def follow_up(self, schema: type[BaseModel], system: str, user: str, max_tokens: int) -> Call:
        """A short request the stages after the calls send about this article (citing, gloss): the plan's
        backend, retry policy and deadline; no extraction context, since its answer is no evidence."""
        first = self.jobs[0].call
        return Call(
            backend=self.backend,
            schema=schema,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            context=None,
            policy=first.policy,
            max_tokens=max_tokens,
            deadline=first.deadline,
        )


def max_tokens_for(text: str, context_tokens: int | None) -> int:
    """An output budget that fits what the article can hold: room for the facts, not for a runaway loop."""
    budget = 512 + len(text) // 3
    budget = min(budget, 4096)
    if context_tokens:
        prompt_estimate = 900 + len(text) // 3  # field guide and instructions, then the article
        budget = min(budget, max(256, context_tokens - prompt_estimate))
    return budget


def _budget(text: str, backend: Backend, focused: bool) -> int:
    """Output tokens for one request. A focused pass writes a few fields, so a runaway loop is cut sooner
    (and salvaged): 200 plus one token per five characters of text holds a dozen list items."""
    budget = max_tokens_for(text, backend.context_tokens)
    return min(budget, 200 + len(text) // 5) if focused else budget


def _size(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages)


def published_date(value: dt.date | str | None) -> dt.date | None:
    """A caller's ``published`` as a date ('YYYY-MM-DD' accepted)."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigurationError(f"published must be a date or 'YYYY-MM-DD', not {value!r}.") from None


def plan_article(
    text: object,
    schema: type[BaseModel],
    *,
    backend: Backend,
    published: dt.date | str | None = None,
    ungrounded: Ungrounded = "drop",
    instructions: str | None = None,
    policy: RetryPolicy | None = None,
    passes: Sequence[str] | None = None,
    examples: bool = True,
    translation: Translation | None = None,
    translated: frozenset[str] = frozenset(),
) -> ArticlePlan:
    """Plan the requests for one article (see the module docstring); nothing is sent.

    ``translation``: the article in English, read by the passes named in ``translated``."""
    started = time.monotonic()
    article = _input.check_text(text)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise ConfigurationError(f"schema must be a pydantic model class, not {schema!r}.")
    ensure_valid(schema)  # a mistake in the article type is a SchemaError before any request
    if ungrounded not in ("drop", "flag"):
        raise ConfigurationError(f"ungrounded must be 'drop' or 'flag', not {ungrounded!r}.")
    policy = policy or RetryPolicy()
    pub = published_date(published)
    source: DateSource | None = "published" if pub is not None else None
    if pub is None and (stated := _dates.dateline(article)) is not None:
        pub, source = _dates.anchor(stated), "dateline"
    document = issubclass(schema, Document)
    chosen = choose_passes(schema, passes)

    def request_messages(chunk_text: str, asked: Pass) -> list[dict[str, str]]:
        note = pub if source == "published" else None  # a dateline is already in the text
        if not document:
            return _prompting.messages(chunk_text, schema, published=note, instructions=instructions)
        return _prompting.messages(
            chunk_text,
            schema,
            published=note,
            instructions=instructions,
            chosen=asked,
            passes=chosen,
            examples=examples,
        )

    piece = getattr(schema, "max_chunk_chars", None)

    def chunked(read: str) -> tuple[list[Chunk], list[Chunk]]:
        """The whole-article chunks of a text and its pieces for piecewise passes."""
        longest = max((request_messages(read, p) for p in chosen), key=_size)
        whole = _chunking.plan(read, longest, backend.context_tokens) or [Chunk(0, read)]
        if piece and len(read) > piece and max(len(c.text) for c in whole) > piece:
            # The first piece starts the article, so a server that cached the whole article reuses it.
            return whole, _chunking.split(read, piece, overlap=piece // 8)
        return whole, whole

    english = translation is not None and any(p.name in translated for p in chosen)
    texts = {False: (article, *chunked(article))}
    if english and translation is not None:
        texts[True] = (translation.text, *chunked(translation.text))
    jobs: list[Request] = []
    # One wall-clock budget for the whole article: every pass, chunk, re-ask and retry draws on it.
    deadline = Deadline(policy.total_timeout)
    for asked in chosen:
        in_english = english and asked.name in translated
        read, whole, pieces = texts[in_english]
        chunks = pieces if asked.piecewise else whole
        for n, chunk in enumerate(chunks, start=1):
            context = ExtractionContext(
                chunk.text,
                published=pub,
                published_from=source,
                offset=chunk.start,
                reask_ungrounded=policy.reask_ungrounded,
                whole_text=read,
                pass_name=asked.name,
            )
            call = Call(
                backend=backend,
                schema=pass_model(schema, asked) if document else schema,
                messages=request_messages(chunk.text, asked),
                context=context,
                policy=policy,
                max_tokens=_budget(chunk.text, backend, document),
                ledger=Ledger(),
                salvage=document,
                deadline=deadline,
            )
            key = asked.name if len(chunks) == 1 else f"{asked.name}@{n}"
            jobs.append(Request(key, chunk, asked, call, translated=in_english))
    # Requests over the same piece go together, whole-article passes first: each request then shares
    # the longest possible prefix with the one before it (llama.cpp keeps one cached prompt per slot).
    # Those reading the translation go first, then those reading the article.
    jobs.sort(
        key=lambda j: (not j.translated, j.chunk.start, len(j.chunk.text) != len(texts[j.translated][0]))
    )
    chunks = sorted(
        {(c.start, c.text): c for j in jobs if not j.translated for c in [j.chunk]}.values(),
        key=lambda c: c.start,
    )
    return ArticlePlan(
        text=article,
        schema=schema,
        backend=backend,
        ungrounded=ungrounded,
        published=pub,
        published_from=source,
        chunks=chunks,
        jobs=jobs,
        started=started,
        translation=translation if english else None,
    )


def with_mode(backend: Backend, mode: instructor.Mode | None) -> Backend:
    """The backend, speaking another instructor mode if one is asked for."""
    if mode is None or backend.mode == mode:
        return backend
    from dataclasses import replace

    return replace(backend, mode=mode)
