"""Calling the model: instructor for parsing and re-asks, tenacity for transient failures and truncation.

Two loops, each owning one kind of failure:
- instructor re-asks when the output is not valid JSON or fails validation (``max_retries``), a
  validator asking for it with :class:`~summit_extract._context.Reask`;
- around it, tenacity retries transient HTTP failures (429 honouring Retry-After, 5xx, timeouts,
  connection errors) with exponential backoff and jitter, and truncated output (finish_reason
  "length", typically a small model repeating itself inside a JSON array) with a stronger
  anti-repetition strategy each time. The openai SDK's own retries are always off, so counts never
  multiply. The call's ledger counts every request and sums token usage over all of them.

What instructor or openai raise is mapped to a retryable signal or the library's own error by one table
(``_ERRORS``). An answer received without a live call (the OpenAI Batch API) becomes a value through
:func:`answer_value`, validated as a live answer is and salvaged the same way when cut off.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx2
import instructor
import openai
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

from . import _instructing, _secrets
from ._backend import Backend
from ._config import STRATEGIES
from ._context import active
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
from ._instructing import IncompleteOutputException, InstructorRetryException, ResponseParsingError
from ._planning import Call
from ._salvaging import salvage
from ._usage import Ledger, Usage

__all__ = [
    "REFUSED_ATTEMPTS",
    "answer_value",
    "call_async",
    "call_sync",
    "charged",
    "gave_up",
]

log = logging.getLogger("summit_extract")
_secrets.guard_loggers()  # instructor logs a failed request's error body, echoed key included


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


def charged(error: ExtractionError, ledgers: list[Ledger], backend: Backend) -> ExtractionError:
    """``error`` with the requests and tokens of the whole article, not just of the failed request."""
    error.attempts = sum(ledger.attempts for ledger in ledgers)
    error.usage = sum((ledger.usage for ledger in ledgers), Usage())
    if error.reason is not None:  # the message counts the whole article too, as the record does
        error.args = (gave_up(error.reason, error.attempts, error.usage, backend),)
    return error


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
                raise _fail(
                    self.call,
                    TransportError,
                    f"the endpoint answered HTTP {getattr(exc, 'status_code', '?')} and asked to wait "
                    f"{told:.0f} s (Retry-After), more than the {max(left, 0):.0f} s left of total_timeout",
                )
            return told
        wait = float(self.backoff(state))
        if exc is not None and wait >= self.deadline.remaining():
            raise _exhausted(self.call, exc)  # no time left for another request after the wait
        return wait


def _fail(call: Call, kind: type[ExtractionError], what: str) -> ExtractionError:
    u = call.ledger.usage
    attempts = call.ledger.attempts
    error = kind(gave_up(what, attempts, u, call.backend), attempts=attempts, usage=u)
    error.reason = what
    return error


def _exhausted(call: Call, exc: BaseException) -> ExtractionError:
    """The error to raise when tenacity gave up on a transient failure."""
    if isinstance(exc, ExtractionError):
        return exc
    if isinstance(exc, _Truncated):
        return _fail(call, TruncatedOutputError, "the model's output kept being cut off at max_tokens")
    return _fail(call, TransportError, f"the endpoint kept failing: {_describe(exc)}")


def _salvaged(call: Call, completion: Any) -> BaseModel | None:
    """The complete items of an answer cut off at max_tokens, if it holds any (see _salvaging)."""
    return salvage(completion, call.schema, call.ledger) if call.salvage else None


@dataclass
class _Run:
    """One call being run: the sampling strategy it is on, and the failures it has counted so far."""

    call: Call
    strategy_index: int = 0
    #: Requests that timed out (see ``Backend.timeout_attempts``).
    timeouts: int = 0
    #: Requests that found nothing listening (see ``REFUSED_ATTEMPTS``).
    refusals: int = 0

    def kwargs(
        self, retrying: type[Retrying] | type[AsyncRetrying] = Retrying, deadline: Deadline | None = None
    ) -> dict[str, Any]:
        call, strategy = self.call, STRATEGIES[self.strategy_index]
        call.ledger.begin(call.context, call.policy.max_retries + 1)
        # Our own re-ask loop rather than an int: instructor would also stop re-asking once ``timeout``
        # (meant per request) had passed in all, and would re-ask a refusal, which only costs tokens.
        reasks = retrying(
            stop=stop_after_attempt(call.policy.max_retries + 1),
            retry=retry_if_exception_type(_PARSE_ERRORS)
            & retry_if_exception(lambda _: call.ledger.answered and not call.ledger.declined),
            reraise=True,
        )
        return dict(
            response_model=_instructing.ready(call.schema),
            messages=call.messages,
            model=call.backend.model,
            max_retries=reasks,
            context=None,  # the extraction context travels in a ContextVar: see _context.active
            strict=False,
            hooks=_instructing.hooks(call.ledger.on_request, call.ledger.on_response),
            max_tokens=math.ceil(call.max_tokens * strategy.token_factor),
            timeout=deadline.cap(call.policy.timeout) if deadline else call.policy.timeout,
            **strategy.params,
        )

    def retrying_args(self, deadline: Deadline) -> dict[str, Any]:
        return dict(
            stop=stop_after_attempt(self.call.policy.max_attempts) | _StopAt(deadline),
            wait=_Wait(self.call, deadline),
            retry=retry_if_exception(_is_transient),
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("attempt %d failed (%s); retrying", state.attempt_number, _describe(exc))

    def salvaged(self, exc: BaseException) -> BaseModel | None:
        if not isinstance(exc, IncompleteOutputException):
            return None
        return _salvaged(self.call, exc.last_completion)

    def translate(self, exc: BaseException) -> BaseException:
        """Map what instructor or openai raised to a retryable signal or the library's own error: the
        first rule of ``_ERRORS`` that matches and gives an answer."""
        for kinds, rule in _ERRORS:
            if isinstance(exc, kinds) and (translated := rule(self, exc)) is not None:
                return translated
        raise AssertionError("the last rule of _ERRORS matches everything")  # pragma: no cover

    def fail(self, kind: type[ExtractionError], what: str) -> ExtractionError:
        return _fail(self.call, kind, what)


# -- what instructor or openai raised, and what it becomes --------------------------------------------
# Each rule returns the translation, or None to let the next rule try.

_Rule = Callable[[_Run, Any], BaseException | None]


def _backend_gone(run: _Run, exc: openai.APIConnectionError) -> BaseException | None:
    # The backend's own check before sending (the embedded server is gone for good): not transient.
    cause = exc.__cause__
    return run.fail(type(cause), str(cause).rstrip(".")) if isinstance(cause, ExtractionError) else None


def _nothing_listening(run: _Run, exc: openai.APIConnectionError) -> BaseException | None:
    if (refused := _unreachable(exc)) is None:
        return None
    run.refusals += 1
    if run.refusals < REFUSED_ATTEMPTS:
        return exc
    request = getattr(exc, "request", None)
    url = str(request.url).removesuffix("/chat/completions") if request is not None else "?"
    why = _secrets.clip(str(refused), 120) or "connection refused"
    return run.fail(
        UnreachableError,
        f"nothing answered at {_secrets.clip(url, 200)} ({why}): start the server, or fix the base URL "
        "(--base-url, OPENAI_BASE_URL)",
    )


def _stuck(run: _Run, exc: openai.APITimeoutError) -> BaseException | None:
    run.timeouts += 1
    limit = run.call.backend.timeout_attempts
    if limit is None or run.timeouts < limit:
        return None  # an ordinary timeout: transient, further down
    return run.fail(
        TransportError,
        f"{run.timeouts} request(s) ran past the {run.call.policy.timeout:.0f} s timeout, the most "
        f"backend {run.call.backend.name} allows in one call (a generation that gets stuck)",
    )


def _cut_off(run: _Run, exc: IncompleteOutputException) -> BaseException:
    if run.strategy_index + 1 < len(STRATEGIES):
        run.strategy_index += 1
        log.warning("output truncated at max_tokens; retrying with %s", STRATEGIES[run.strategy_index].name)
        return _Truncated()
    return run.fail(
        TruncatedOutputError,
        "the model's output was cut off at max_tokens every time (it kept repeating itself), "
        f"even with {len(STRATEGIES)} anti-repetition strategies",
    )


def _never_valid(run: _Run, exc: InstructorRetryException) -> BaseException:
    cause, ledger = exc.__cause__, run.call.ledger
    if cause is not None and (_is_transient(cause) or isinstance(cause, openai.APIError)):
        return run.translate(cause)
    if cause is not None and not ledger.answered:
        # The request itself failed, so there was no output to validate.
        if isinstance(cause, json.JSONDecodeError):
            return _BadBody(f"HTTP 200 whose body is not a chat completion ({_short(cause, 120)})")
        return run.translate(cause)
    if ledger.declined:
        return run.fail(RefusalError, f"the endpoint returned {ledger.declined}")
    last = cause if cause is not None else exc
    return run.fail(
        OutputValidationError,
        f"the model's output never validated against {run.call.schema.__name__}: {_short(last)}",
    )


def _declined(run: _Run, exc: BaseException) -> BaseException | None:
    declined = run.call.ledger.declined
    return run.fail(RefusalError, f"the endpoint returned {declined}") if declined else None


def _unusable(run: _Run, exc: BaseException) -> BaseException | None:
    if not run.call.ledger.answered:
        return None
    return run.fail(RefusalError, f"the endpoint returned no usable answer ({_describe(exc)})")


def _says(kind: type[ExtractionError], template: str) -> _Rule:
    """A rule that always fails with ``kind``; ``template`` may name the {model}, the HTTP {status}, and
    the error in {short} (its message) or {described} (its type too)."""

    def rule(run: _Run, exc: BaseException) -> BaseException:
        status = getattr(exc, "status_code", "?")
        model = repr(run.call.backend.model)
        what = template.format(model=model, status=status, short=_short(exc), described=_describe(exc))
        return run.fail(kind, what)

    return rule


def _passes(run: _Run, exc: BaseException) -> BaseException:
    return exc


#: In order, the first answer wins: later rules see only what earlier ones passed on.
_ERRORS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], _Rule], ...] = (
    (openai.APIConnectionError, _backend_gone),
    (openai.APIConnectionError, _nothing_listening),
    (openai.APITimeoutError, _stuck),
    (IncompleteOutputException, _cut_off),
    (InstructorRetryException, _never_valid),
    (BaseException, _declined),
    (BaseException, lambda run, exc: exc if _is_transient(exc) else None),
    (
        openai.AuthenticationError,
        _says(ConfigurationError, "the endpoint rejected the API key (401); check OPENAI_API_KEY"),
    ),
    (
        openai.NotFoundError,
        _says(
            ConfigurationError,
            "the endpoint does not know model {model} or its URL is wrong (404); "
            "check SUMMIT_EXTRACT_MODEL and OPENAI_BASE_URL",
        ),
    ),
    (openai.APIStatusError, _says(TransportError, "the endpoint answered HTTP {status}: {short}")),
    ((IndexError, AttributeError, TypeError), _unusable),
    (ExtractionError, _passes),
    (BaseException, _says(ExtractionError, "the request failed unexpectedly: {described}")),
)


_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, _BadBody):
        return _short(exc)
    return f"{type(exc).__name__}: {_short(exc)}"


def _short(exc: BaseException, limit: int = 400) -> str:
    return _secrets.clip(str(exc), limit)


def _reraise(translated: BaseException, exc: BaseException) -> NoReturn:
    """Raise what ``exc`` was translated to, chained to it, unless it is ``exc`` or its own cause."""
    if translated is exc or translated is exc.__cause__:
        # Chaining it to instructor's wrapper would overwrite its real cause and make a loop.
        raise translated.with_traceback(translated.__traceback__) from translated.__cause__
    raise translated from exc


def _start(call: Call) -> Deadline:
    deadline = call.deadline or Deadline(call.policy.total_timeout)
    if deadline.expired():
        raise _fail(call, TransportError, "no time was left of total_timeout for this request")
    return deadline


@_secrets.scrubbed
def call_sync(call: Call) -> BaseModel:
    """Run one structured request with all the budgets of its policy, within ``call.deadline``."""
    deadline = _start(call)
    run = _Run(call)
    client = _instructing.client(guard(call.backend.make_client()), call.backend.mode)
    start = time.monotonic()
    try:
        for attempt in Retrying(**run.retrying_args(deadline)):
            with attempt:
                try:
                    with active(call.context), request_limits(call.policy.timeout, deadline):
                        result: BaseModel = client.create(**run.kwargs(deadline=deadline))
                    return result
                except Exception as exc:  # every failure is translated: none leaks raw
                    if (kept := run.salvaged(exc)) is not None:
                        return kept
                    _reraise(run.translate(exc), exc)
    except ExtractionError:
        raise
    except Exception as exc:
        raise _exhausted(call, exc) from exc
    raise _exhausted(call, TimeoutError(f"no attempt finished in {time.monotonic() - start:.0f} s"))


@_secrets.ascrubbed
async def call_async(call: Call) -> BaseModel:
    """The async twin of call_sync."""
    deadline = _start(call)
    run = _Run(call)
    client = _instructing.client(guard(call.backend.make_async_client()), call.backend.mode)
    start = time.monotonic()
    try:
        async for attempt in AsyncRetrying(**run.retrying_args(deadline)):
            with attempt:
                try:
                    with active(call.context), request_limits(call.policy.timeout, deadline):
                        result: BaseModel = await client.create(**run.kwargs(AsyncRetrying, deadline))
                    return result
                except Exception as exc:
                    if (kept := run.salvaged(exc)) is not None:
                        return kept
                    _reraise(run.translate(exc), exc)
    except ExtractionError:
        raise
    except Exception as exc:
        raise _exhausted(call, exc) from exc
    raise _exhausted(call, TimeoutError(f"no attempt finished in {time.monotonic() - start:.0f} s"))


def answer_value(call: Call, key: str, completion: Any, mode: instructor.Mode) -> BaseModel:
    """The value of an answer received without a live call (a Batch API output file): validated as the
    live path validates its last answer (no re-ask follows), its complete items kept when it was cut off,
    counted in the call's ledger. ``completion`` is the chat completion (its JSON body or an openai
    object); ``key`` names the request in errors."""
    if isinstance(completion, dict):
        from openai.types.chat import ChatCompletion

        completion = ChatCompletion.model_validate(completion)
    call.ledger.begin(call.context, answers=1)
    call.ledger.last_answer()
    try:
        with active(call.context):
            value = _instructing.parse(completion, call.schema, mode)
    except IncompleteOutputException as exc:
        kept = _salvaged(call, exc.last_completion)  # as the live path does
        if kept is None:
            raise OutputValidationError(
                f"Extraction failed: the answer to {key!r} was cut off at max_tokens.", attempts=1
            ) from None
        value = kept
    except (ValidationError, ValueError) as exc:
        raise OutputValidationError(
            f"Extraction failed: the answer to {key!r} does not validate against "
            f"{call.schema.__name__}: {str(exc)[:300]}",
            attempts=1,
        ) from None
    call.ledger.received(completion)
    return value
