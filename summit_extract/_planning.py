"""The plan of one article's extraction: which requests to send, and how their answers become one result.

A plan is made before any request is sent, so the live path (``_extracting``) and the OpenAI Batch API
path build exactly the same requests and run their answers through exactly the same steps:

1. the text is checked and, if the article states its own date in a dateline, that date is used to
   resolve "May 7" or "on Sunday" (unless the caller gave ``published``);
2. the article is split into chunks when it does not fit the backend's context;
3. each chunk is asked each pass of the article type (one request per chunk and pass), every request
   sharing the prompt prefix of its chunk;
4. each answer is validated and grounded against its chunk (inside the calling stage), then injected
   instructions are quarantined;
5. the passes of a chunk are joined into one object, the chunks merged, what the model wrote in its own
   words grounded in the sentence stating it (the type's grounding rules, ``_locating``), what is still
   ungrounded dropped or flagged, and the article type's ``finalize`` hook normalizes the whole and
   applies its other rules (``_rules``); an article that turns out
   not to report the event has its event fields cleared (never its findings).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import instructor
from instructor.core.exceptions import IncompleteOutputException
from instructor.processing import handle_response_model, process_response
from pydantic import BaseModel, ValidationError

from . import _chunking, _dates, _input, _prompting
from ._backend import Backend
from ._calling import Call, Ledger, gave_up, max_tokens_for
from ._chunking import Chunk
from ._config import RetryPolicy, Ungrounded
from ._context import DateSource, ExtractionContext, active
from ._deadline import Deadline
from ._document import Document, Pass, choose_passes, ensure_valid, pass_model
from ._exceptions import ConfigurationError, ExtractionError, OutputValidationError
from ._grounding import Grounded, drop_unaligned, is_unaligned, quarantine, walk
from ._merging import dedupe, merge_models
from ._result import Extraction
from ._rules import RuleContext
from ._usage import Usage, usage_of

__all__ = ["ArticlePlan", "PlannedRequest", "Request", "plan_article"]


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


@dataclass
class ArticlePlan:
    """Every request one article needs, and how to turn their answers into an :class:`Extraction`."""

    text: str
    schema: type[BaseModel]
    backend: Backend
    ungrounded: Ungrounded
    published: dt.date | None
    published_from: DateSource | None
    chunks: list[Chunk]
    jobs: list[Request]
    started: float = field(default_factory=time.monotonic)

    @property
    def requests(self) -> list[PlannedRequest]:
        """The request bodies, exactly as the live path sends them (for the OpenAI Batch API)."""
        out = []
        for job in self.jobs:
            kwargs = job.call.kwargs()
            for private in ("max_retries", "hooks", "strict", "context", "timeout"):
                kwargs.pop(private, None)
            response_model = kwargs.pop("response_model")
            out.append(PlannedRequest(job.key, _body(response_model, self.backend.mode, kwargs)))
        return out

    def runs(self, width: int) -> list[list[Request]]:
        """The jobs in runs that may be sent at once, in order: requests over chunks that start at the same
        offset share the prompt up to the end of the shorter chunk, so a run is those requests, at most
        ``width`` of them (``width`` 1: every request on its own)."""
        runs: list[list[Request]] = []
        for job in self.jobs:
            last = runs[-1] if runs else None
            if last and len(last) < width and last[0].chunk.start == job.chunk.start:
                last.append(job)
            else:
                runs.append([job])
        return runs

    def charge(self, error: ExtractionError) -> ExtractionError:
        """``error`` with the requests and tokens of the whole article, not just of the failed request."""
        ledgers = [j.call.ledger for j in self.jobs]
        error.attempts = sum(ledger.attempts for ledger in ledgers)
        error.usage = sum((ledger.usage for ledger in ledgers), Usage())
        if error.reason is not None:  # the message counts the whole article too, as the record does
            error.args = (gave_up(error.reason, error.attempts, error.usage, self.backend),)
        return error

    def whole_context(self) -> ExtractionContext:
        """The context of the whole article, as the article type's hooks see it."""
        return ExtractionContext(self.text, published=self.published, published_from=self.published_from)

    def assemble(self, answers: Mapping[str, Any]) -> Extraction[Any]:
        """The result from answers received elsewhere (a Batch API output file): no re-ask is made.

        ``answers`` maps each request key to its chat completion (the JSON body or an openai object).
        """
        values: dict[str, BaseModel] = {}
        for job in self.jobs:
            if job.key not in answers:
                raise OutputValidationError(f"Extraction failed: no answer for request {job.key!r}.")
            completion = answers[job.key]
            if isinstance(completion, dict):
                from openai.types.chat import ChatCompletion

                completion = ChatCompletion.model_validate(completion)
            context = job.call.context
            if context is not None:
                context.attempts.number = context.attempts.last = 1
            try:
                with active(context):
                    values[job.key] = process_response(
                        completion,
                        response_model=job.call.schema,
                        stream=False,
                        strict=False,
                        mode=self.backend.mode,
                    )
            except IncompleteOutputException as exc:
                # Cut off at max_tokens: keep its complete items, as the live path does (see _salvaging).
                kept = job.call.salvaged(exc)
                if kept is None:
                    raise OutputValidationError(
                        f"Extraction failed: the answer to {job.key!r} was cut off at max_tokens.", attempts=1
                    ) from None
                values[job.key] = kept
            except (ValidationError, ValueError) as exc:
                raise OutputValidationError(
                    f"Extraction failed: the answer to {job.key!r} does not validate against "
                    f"{job.call.schema.__name__}: {str(exc)[:300]}",
                    attempts=1,
                ) from None
            usage = getattr(completion, "usage", None)
            if usage is not None:
                job.call.ledger.attempts += 1
                job.call.ledger.usage += usage_of(usage)
        return self.finish(values)

    def finish(self, values: Mapping[str, BaseModel]) -> Extraction[Any]:
        """Merge each pass over its chunks, join the passes, drop or flag, finalize (module doc: 4-5)."""
        answers: list[tuple[Pass, BaseModel]] = []
        whole = self.whole_context()
        for asked in dict.fromkeys(j.asked for j in self.jobs):
            jobs = [j for j in self.jobs if j.asked == asked]
            for job in jobs:
                if job.call.context is not None:
                    whole.quarantined += quarantine(values[job.key], job.call.context)
            parts = [values[j.key] for j in jobs]
            answers.append((asked, parts[0] if len(parts) == 1 else self._merge(asked, parts)))
        value = self._join(answers)
        if isinstance(value, Document):
            # What the model said in its own words is grounded in the sentence stating it, before the
            # ungrounded rest is dropped or flagged (_locating).
            value.ground_rules(RuleContext.of(whole))
        dropped: list[Grounded] = []
        flagged: list[Grounded] = []
        if self.ungrounded == "drop":
            dropped = drop_unaligned(value)
        else:
            flagged = [g for g in walk(value) if is_unaligned(g)]
        if isinstance(value, Document):
            value.finalize(whole)
            if not value.reports_event():
                value.clear_event()
        ledgers = [j.call.ledger for j in self.jobs]
        return Extraction(
            value=value,
            usage=sum((ledger.usage for ledger in ledgers), Usage()),
            attempts=sum(ledger.attempts for ledger in ledgers),
            model=self.backend.model,
            backend=self.backend.name,
            seconds=round(time.monotonic() - self.started, 3),
            dropped=dropped,
            flagged=flagged,
            requests={j.key: j.call.ledger.attempts for j in self.jobs},
        )

    def _join(self, answers: Sequence[tuple[Pass, BaseModel]]) -> BaseModel:
        """One object of the schema from the (merged) answers of its passes."""
        if len(answers) == 1 and isinstance(answers[0][1], self.schema):
            return answers[0][1]
        fields = {name: getattr(answer, name) for asked, answer in answers for name in asked.fields}
        for name, value in fields.items():
            if isinstance(value, list) and value and all(isinstance(v, Grounded) for v in value):
                fields[name] = dedupe(value)  # a small model may list one fact twice
        return self.schema.model_construct(**fields)

    def _merge(self, asked: Pass, parts: list[BaseModel]) -> BaseModel:
        """One answer from a pass's answers over several chunks, by the article type's merge rule."""
        if not issubclass(self.schema, Document):
            return merge_models(parts)
        documents = [self.schema.model_construct(**{f: getattr(p, f) for f in asked.fields}) for p in parts]
        return self.schema.merge_chunks(documents)


def _budget(text: str, backend: Backend, focused: bool) -> int:
    """Output tokens for one request. A focused pass writes a few fields, so a runaway loop is cut sooner
    (and salvaged): 200 plus one token per five characters of text holds a dozen list items."""
    budget = max_tokens_for(text, backend.context_tokens)
    return min(budget, 200 + len(text) // 5) if focused else budget


def _size(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages)


#: instructor rebuilds a request's schema part (JSON schema, tools) on every call, ~3 ms each; it depends
#: only on the response model, the mode and the sampling settings, so a batch builds it once per pass.
_TEMPLATES: dict[tuple[Any, ...], dict[str, Any]] = {}
_MARK_MESSAGES = [{"role": "user", "content": "\x00summit-extract-template\x00"}]
_MARK_TOKENS = 987_654_321


def _body(response_model: Any, mode: instructor.Mode, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What ``handle_response_model`` makes of these arguments, its schema part built once and reused."""
    messages, max_tokens = kwargs.pop("messages"), kwargs.pop("max_tokens")
    key = (response_model, mode, json.dumps(kwargs, sort_keys=True, default=str))
    template = _TEMPLATES.get(key)
    if template is None:
        _, template = handle_response_model(
            response_model, mode=mode, messages=_MARK_MESSAGES, max_tokens=_MARK_TOKENS, **kwargs
        )
        _TEMPLATES[key] = template
    if template.get("messages") != _MARK_MESSAGES or template.get("max_tokens") != _MARK_TOKENS:
        # This mode writes into the messages (e.g. the schema into the system prompt): build it in full.
        _, body = handle_response_model(
            response_model, mode=mode, messages=messages, max_tokens=max_tokens, **kwargs
        )
        return dict(body)
    body = copy.deepcopy({k: v for k, v in template.items() if k not in ("messages", "max_tokens")})
    return {**body, "messages": messages, "max_tokens": max_tokens}


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
) -> ArticlePlan:
    """Plan the requests for one article (see the module docstring); nothing is sent."""
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

    longest = max((request_messages(article, p) for p in chosen), key=_size)
    whole = _chunking.plan(article, longest, backend.context_tokens) or [Chunk(0, article)]
    piece = getattr(schema, "max_chunk_chars", None)
    pieces = whole
    if piece and len(article) > piece and max(len(c.text) for c in whole) > piece:
        # The first piece starts the article, so a server that cached the whole article reuses it.
        pieces = _chunking.split(article, piece, overlap=piece // 8)
    jobs: list[Request] = []
    # One wall-clock budget for the whole article: every pass, chunk, re-ask and retry draws on it.
    deadline = Deadline(policy.total_timeout)
    for asked in chosen:
        chunks = pieces if asked.piecewise else whole
        for n, chunk in enumerate(chunks, start=1):
            context = ExtractionContext(
                chunk.text,
                published=pub,
                published_from=source,
                offset=chunk.start,
                reask_ungrounded=policy.reask_ungrounded,
                whole_text=article,
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
            jobs.append(Request(key, chunk, asked, call))
    # Requests over the same piece go together, whole-article passes first: each request then shares
    # the longest possible prefix with the one before it (llama.cpp keeps one cached prompt per slot).
    jobs.sort(key=lambda j: (j.chunk.start, len(j.chunk.text) != len(article)))
    chunks = sorted({(c.start, c.text): c for j in jobs for c in [j.chunk]}.values(), key=lambda c: c.start)
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
    )


def with_mode(backend: Backend, mode: instructor.Mode | None) -> Backend:
    """The backend, speaking another instructor mode if one is asked for."""
    if mode is None or backend.mode == mode:
        return backend
    from dataclasses import replace

    return replace(backend, mode=mode)
