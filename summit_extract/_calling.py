"""Calling the model: instructor for parsing and re-asks, tenacity for transient failures and truncation.

Two loops, each owning one kind of failure:
- instructor re-asks when the output is not valid JSON or fails validation (``max_retries``);
- around it, tenacity retries transient HTTP failures (429 honouring Retry-After, 5xx, timeouts,
  connection errors) with exponential backoff and jitter, and truncated output (finish_reason
  "length", typically a small model repeating itself inside a JSON array) with a stronger
  anti-repetition strategy each time. The openai SDK's own retries are always off, so counts never
  multiply. A ledger counts every request and sums token usage over all of them.
"""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import functools
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import httpx2
import instructor
import openai
from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from instructor.core.hooks import Hooks
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from . import _secrets
from ._backend import Backend
from ._config import RetryPolicy
from ._context import ExtractionContext, active
from ._deadline import Deadline, guard, request_limits
from ._exceptions import (
    ConfigurationError,
    ExtractionError,
    OutputValidationError,
    RefusalError,
    TransportError,
    TruncatedOutputError,
    UnreachableError,
)
from ._salvaging import salvage
from ._usage import Usage, usage_of

__all__ = [
    "REFUSED_ATTEMPTS",
    "STRATEGIES",
    "Call",
    "Ledger",
    "Strategy",
    "call_async",
    "call_sync",
    "gave_up",
    "max_tokens_for",
]

log = logging.getLogger("summit_extract")
T = TypeVar("T", bound=BaseModel)
_secrets.guard_loggers()  # instructor logs a failed request's error body, echoed key included


@dataclass(frozen=True)
class Strategy:
    """Sampling settings for one attempt; later strategies fight runaway repetition harder."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    token_factor: float = 1.0


#: Tried in order: the first, then one more after each truncated answer.
STRATEGIES = (
    Strategy("greedy", {"temperature": 0.0}),
    Strategy("penalized", {"temperature": 0.0, "frequency_penalty": 0.5, "presence_penalty": 0.3}),
    Strategy(
        "penalized-sampled",
        {"temperature": 0.4, "frequency_penalty": 1.0, "presence_penalty": 0.6, "seed": 7},
        token_factor=1.5,
    ),
)


#: Requests of one call that may find nothing listening at the endpoint (connection refused, unknown host)
#: before it fails: one retry after a short wait, for a server that is restarting, never the whole backoff.
REFUSED_ATTEMPTS = 2


def gave_up(what: str, attempts: int, usage: Usage, backend: Backend) -> str:
    """The message of a failed extraction: what failed, after how many requests, at what token cost."""
    return (
        f"Extraction failed: {what}. Gave up after {attempts} request(s) to {backend.name} model "
        f"{backend.model!r}, spending {usage.total_tokens} tokens ({usage.prompt_tokens} prompt, "
        f"{usage.completion_tokens} completion)."
    )


def _unreachable(exc: BaseException) -> BaseException | None:
    """The connection failure under an openai connection error when nothing listens (not a timeout)."""
    if not isinstance(exc, openai.APIConnectionError) or isinstance(exc, openai.APITimeoutError):
        return None
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, (httpx2.ConnectError, ConnectionRefusedError)):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def max_tokens_for(text: str, context_tokens: int | None) -> int:
    """An output budget that fits what the article can hold: room for the facts, not for a runaway loop."""
    budget = 512 + len(text) // 3
    budget = min(budget, 4096)
    if context_tokens:
        prompt_estimate = 900 + len(text) // 3  # field guide and instructions, then the article
        budget = min(budget, max(256, context_tokens - prompt_estimate))
    return budget


@functools.cache
def _ready(schema: type[BaseModel]) -> type[BaseModel]:
    """instructor's own wrapper of ``schema``, made once, its JSON schema generated once.

    On every call instructor wraps the response model in a new class (``response_schema``) and generates
    its JSON schema again: ~3 ms of CPU a request, and a new class each time. A model that is already
    wrapped is used as it is, so the wrapper is made here once per schema and reused; its answers are the
    same class instructor would have made (a subclass of ``schema``), its schema the same dict, copied.
    """
    from instructor.v2.core.function_calls import ResponseSchema, response_schema

    if issubclass(schema, ResponseSchema):
        return schema
    wrapped = response_schema(schema)
    generate = wrapped.model_json_schema
    made: dict[tuple[Any, ...], dict[str, Any]] = {}

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if cls is not wrapped:  # a subclass: pydantic's own, uncached
            parent: Any = super(wrapped, cls)
            return dict(parent.model_json_schema(*args, **kwargs))
        key = (args, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = generate(*args, **kwargs)
        return copy.deepcopy(made[key])

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign,assignment]
    return wrapped


class Ledger:
    """Counts requests and sums token usage over every response, through instructor's hooks."""

    def __init__(self) -> None:
        self.attempts = 0
        self.usage = Usage()
        self.context: ExtractionContext | None = None
        #: What the last answer said instead of an answer: the model's refusal, or "no choices".
        self.declined: str | None = None
        #: Whether the last request got a response that parsed as a completion.
        self.answered = False

    def start_call(self, context: ExtractionContext | None, max_retries: int) -> Hooks:
        """Hooks for one instructor call; they number its answers in the context, for the validators."""
        self.context = context
        if context is not None:
            context.attempts.number, context.attempts.last = 0, max_retries + 1
        hooks = Hooks()
        hooks.on("completion:kwargs", self._on_request)
        hooks.on("completion:response", self._on_response)
        return hooks

    def _on_request(self, *args: Any, **kwargs: Any) -> None:
        self.attempts += 1
        self.answered = False
        if self.context is not None:
            self.context.attempts.number += 1  # the only writer: see ExtractionContext.final_attempt

    def _on_response(self, response: Any) -> None:
        self.answered = True
        choices = getattr(response, "choices", None)
        if not choices:
            self.declined = "an answer with no choices"
        else:
            refused = getattr(getattr(choices[0], "message", None), "refusal", None)
            self.declined = f"a refusal ({_clip(str(refused), 200)})" if refused else None
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage += usage_of(usage)


class _Truncated(Exception):
    """Internal: the answer hit max_tokens; retried with the next strategy."""


class _BadBody(Exception):
    """Internal: an HTTP 200 whose body is not a completion (a proxy's error page); retried like a 5xx."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (_Truncated, _BadBody, openai.APITimeoutError, openai.APIConnectionError)):
        return True  # APITimeoutError is an APIConnectionError; both are listed for the reader
    if isinstance(exc, openai.RateLimitError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409) or exc.status_code >= 500
    return False


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds a 429/503 asks us to wait (Retry-After as seconds or an HTTP date), if it says."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    if ms := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class _StopAt(stop_base):
    """Stop retrying once the deadline has passed."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline.expired()


class _Wait:
    """Retry-After if given, else exponential backoff and full jitter; 0 after truncation."""

    def __init__(self, call: Call, deadline: Deadline | None = None) -> None:
        self.call = call
        self.deadline = deadline or Deadline(call.policy.total_timeout)
        self.policy = call.policy
        self.backoff = wait_random_exponential(
            multiplier=self.policy.backoff_initial, max=self.policy.backoff_max
        )

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Truncated):
            return 0.0
        told = _retry_after(exc)
        if told is not None:
            left = self.deadline.remaining()
            if told > left:
                raise self.call._fail(
                    TransportError,
                    f"the endpoint answered HTTP {getattr(exc, 'status_code', '?')} and asked to wait "
                    f"{told:.0f} s (Retry-After), more than the {max(left, 0):.0f} s left of total_timeout",
                )
            return told
        wait = float(self.backoff(state))
        if exc is not None and wait >= self.deadline.remaining():
            raise self.call.exhausted(exc)  # no time left for another request after the wait
        return wait


@dataclass
class Call:
    """One structured request: what to ask, of whom, within which budgets."""

    backend: Backend
    schema: type[BaseModel]
    messages: list[dict[str, str]]
    context: ExtractionContext | None
    policy: RetryPolicy
    max_tokens: int
    ledger: Ledger = field(default_factory=Ledger)
    strategy_index: int = 0
    #: Wall-clock limit shared by every request of this call (and of any call given the same one);
    #: None: ``policy.total_timeout`` from the call's start.
    deadline: Deadline | None = None
    #: Requests of this call that timed out (see ``Backend.timeout_attempts``).
    timeouts: int = 0
    #: Requests of this call that found nothing listening (see ``REFUSED_ATTEMPTS``).
    refusals: int = 0
    #: Keep the complete items of an answer cut off at max_tokens instead of asking again.
    salvage: bool = False

    def kwargs(
        self, retrying: type[Retrying] | type[AsyncRetrying] = Retrying, deadline: Deadline | None = None
    ) -> dict[str, Any]:
        strategy = STRATEGIES[self.strategy_index]
        hooks = self.ledger.start_call(self.context, self.policy.max_retries)
        # Our own re-ask loop rather than an int: instructor would also stop re-asking once ``timeout``
        # (meant per request) had passed in all, and would re-ask a refusal, which only costs tokens.
        reasks = retrying(
            stop=stop_after_attempt(self.policy.max_retries + 1),
            retry=retry_if_exception_type(_PARSE_ERRORS)
            & retry_if_exception(lambda _: self.ledger.answered and not self.ledger.declined),
            reraise=True,
        )
        return dict(
            response_model=_ready(self.schema),
            messages=self.messages,
            model=self.backend.model,
            max_retries=reasks,
            context=None,  # the extraction context travels in a ContextVar: see _context.active
            strict=False,
            hooks=hooks,
            max_tokens=math.ceil(self.max_tokens * strategy.token_factor),
            timeout=deadline.cap(self.policy.timeout) if deadline else self.policy.timeout,
            **strategy.params,
        )

    def retrying_args(self, deadline: Deadline) -> dict[str, Any]:
        return dict(
            stop=stop_after_attempt(self.policy.max_attempts) | _StopAt(deadline),
            wait=_Wait(self, deadline),
            retry=retry_if_exception(_is_transient),
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("attempt %d failed (%s); retrying", state.attempt_number, _describe(exc))

    def salvaged(self, exc: BaseException) -> BaseModel | None:
        """The complete items of an answer cut off at max_tokens, if it holds any (see _salvaging)."""
        if not (self.salvage and isinstance(exc, IncompleteOutputException)):
            return None
        return salvage(exc.last_completion, self.schema, self.context)

    def translate(self, exc: BaseException) -> BaseException:
        """Map what instructor or openai raised to a retryable signal or the library's own error."""
        if isinstance(exc, openai.APIConnectionError) and isinstance(exc.__cause__, ExtractionError):
            # The backend's own check before sending (the embedded server is gone for good): not transient.
            return self._fail(type(exc.__cause__), str(exc.__cause__).rstrip("."))
        if (refused := _unreachable(exc)) is not None:
            self.refusals += 1
            if self.refusals >= REFUSED_ATTEMPTS:
                request = getattr(exc, "request", None)
                url = str(request.url).removesuffix("/chat/completions") if request is not None else "?"
                why = _clip(str(refused), 120) or "connection refused"
                return self._fail(
                    UnreachableError,
                    f"nothing answered at {_clip(url, 200)} ({why}): start the server, or fix the base URL "
                    "(--base-url, OPENAI_BASE_URL)",
                )
            return exc
        if isinstance(exc, openai.APITimeoutError):
            self.timeouts += 1
            limit = self.backend.timeout_attempts
            if limit is not None and self.timeouts >= limit:
                return self._fail(
                    TransportError,
                    f"{self.timeouts} request(s) ran past the {self.policy.timeout:.0f} s timeout, the most "
                    f"backend {self.backend.name} allows in one call (a generation that gets stuck)",
                )
        if isinstance(exc, IncompleteOutputException):
            if self.strategy_index + 1 < len(STRATEGIES):
                self.strategy_index += 1
                name = STRATEGIES[self.strategy_index].name
                log.warning("output truncated at max_tokens; retrying with %s", name)
                return _Truncated()
            return self._fail(
                TruncatedOutputError,
                "the model's output was cut off at max_tokens every time (it kept repeating itself), "
                f"even with {len(STRATEGIES)} anti-repetition strategies",
            )
        if isinstance(exc, InstructorRetryException):
            cause = exc.__cause__
            if cause is not None and (_is_transient(cause) or isinstance(cause, openai.APIError)):
                return self.translate(cause)
            if cause is not None and not self.ledger.answered:
                # The request itself failed, so there was no output to validate.
                if isinstance(cause, json.JSONDecodeError):
                    return _BadBody(f"HTTP 200 whose body is not a chat completion ({_short(cause, 120)})")
                return self.translate(cause)
            if self.ledger.declined:
                return self._fail(RefusalError, f"the endpoint returned {self.ledger.declined}")
            last = cause if cause is not None else exc
            return self._fail(
                OutputValidationError,
                f"the model's output never validated against {self.schema.__name__}: {_short(last)}",
            )
        if self.ledger.declined:
            return self._fail(RefusalError, f"the endpoint returned {self.ledger.declined}")
        if _is_transient(exc):
            return exc
        if isinstance(exc, openai.AuthenticationError):
            return self._fail(
                ConfigurationError, "the endpoint rejected the API key (401); check OPENAI_API_KEY"
            )
        if isinstance(exc, openai.NotFoundError):
            return self._fail(
                ConfigurationError,
                f"the endpoint does not know model {self.backend.model!r} or its URL is wrong (404); "
                "check SUMMIT_EXTRACT_MODEL and OPENAI_BASE_URL",
            )
        if isinstance(exc, openai.APIStatusError):
            return self._fail(TransportError, f"the endpoint answered HTTP {exc.status_code}: {_short(exc)}")
        if self.ledger.answered and isinstance(exc, (IndexError, AttributeError, TypeError)):
            return self._fail(RefusalError, f"the endpoint returned no usable answer ({_describe(exc)})")
        if isinstance(exc, ExtractionError):
            return exc
        return self._fail(ExtractionError, f"the request failed unexpectedly: {_describe(exc)}")

    def exhausted(self, exc: BaseException) -> ExtractionError:
        """The error to raise when tenacity gave up on a transient failure."""
        if isinstance(exc, ExtractionError):
            return exc
        if isinstance(exc, _Truncated):
            return self._fail(TruncatedOutputError, "the model's output kept being cut off at max_tokens")
        return self._fail(TransportError, f"the endpoint kept failing: {_describe(exc)}")

    def _fail(self, kind: type[ExtractionError], what: str) -> ExtractionError:
        u = self.ledger.usage
        attempts = self.ledger.attempts
        error = kind(gave_up(what, attempts, u, self.backend), attempts=attempts, usage=u)
        error.reason = what
        return error


_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)


def _clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, with anything key-like masked."""
    text = _secrets.mask(" ".join(text.split()))
    return text if len(text) <= limit else text[:limit] + "..."


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, _BadBody):
        return _short(exc)
    return f"{type(exc).__name__}: {_short(exc)}"


def _short(exc: BaseException, limit: int = 400) -> str:
    return _clip(str(exc), limit)


def _reraise(translated: BaseException, exc: BaseException) -> NoReturn:
    """Raise what ``exc`` was translated to, chained to it, unless it is ``exc`` or its own cause."""
    if translated is exc or translated is exc.__cause__:
        # Chaining it to instructor's wrapper would overwrite its real cause and make a loop.
        raise translated.with_traceback(translated.__traceback__) from translated.__cause__
    raise translated from exc


def _instructor(client: Any, mode: instructor.Mode) -> Any:
    return instructor.from_openai(client, mode=mode)


def _start(call: Call) -> Deadline:
    deadline = call.deadline or Deadline(call.policy.total_timeout)
    if deadline.expired():
        raise call._fail(TransportError, "no time was left of total_timeout for this request")
    return deadline


@_secrets.scrubbed
def call_sync(call: Call) -> BaseModel:
    """Run one structured request with all the budgets of its policy, within ``call.deadline``."""
    deadline = _start(call)
    client = _instructor(guard(call.backend.make_client()), call.backend.mode)
    start = time.monotonic()
    try:
        for attempt in Retrying(**call.retrying_args(deadline)):
            with attempt:
                try:
                    with active(call.context), request_limits(call.policy.timeout, deadline):
                        result: BaseModel = client.create(**call.kwargs(deadline=deadline))
                    return result
                except Exception as exc:  # every failure is translated: none leaks raw
                    if (kept := call.salvaged(exc)) is not None:
                        return kept
                    _reraise(call.translate(exc), exc)
    except ExtractionError:
        raise
    except Exception as exc:
        raise call.exhausted(exc) from exc
    raise call.exhausted(TimeoutError(f"no attempt finished in {time.monotonic() - start:.0f} s"))


@_secrets.ascrubbed
async def call_async(call: Call) -> BaseModel:
    """The async twin of call_sync."""
    deadline = _start(call)
    client = _instructor(guard(call.backend.make_async_client()), call.backend.mode)
    start = time.monotonic()
    try:
        async for attempt in AsyncRetrying(**call.retrying_args(deadline)):
            with attempt:
                try:
                    with active(call.context), request_limits(call.policy.timeout, deadline):
                        result: BaseModel = await client.create(**call.kwargs(AsyncRetrying, deadline))
                    return result
                except Exception as exc:
                    if (kept := call.salvaged(exc)) is not None:
                        return kept
                    _reraise(call.translate(exc), exc)
    except ExtractionError:
        raise
    except Exception as exc:
        raise call.exhausted(exc) from exc
    raise call.exhausted(TimeoutError(f"no attempt finished in {time.monotonic() - start:.0f} s"))
