"""Masking credentials: the one place that knows what an API key looks like and scrubs it from errors.

An endpoint may echo the caller's key in an error body ("Incorrect API key provided: sk-..."); that body
becomes the openai exception's message, which instructor wraps and the library chains to its own error.
:func:`mask` hides key-like strings in a text; :func:`scrub` does it to an exception and to every
exception in its ``__cause__``/``__context__`` chain, in place, so that the message, the chain, a
formatted traceback and any log line made from them carry no key, while the chain keeps its types for
debugging.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["MASK", "MaskingFilter", "ascrubbed", "clip", "guard_loggers", "mask", "scrub", "scrubbed"]

P = ParamSpec("P")
R = TypeVar("R")

#: What a key is replaced with (after its recognisable prefix, so a reader still knows which key it was).
MASK = "***"

_TOKEN = r"[A-Za-z0-9._~+/=\-]"
_PATTERNS = [
    # Authorization headers and their values, whatever the token looks like.
    re.compile(rf"(\bBearer\s+){_TOKEN}{{6,}}", re.IGNORECASE),
    re.compile(rf"(\b(?:Basic|Token)\s+)(?=\S*\d){_TOKEN}{{8,}}", re.IGNORECASE),
    # Provider prefixes: OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-), Groq (gsk_), xAI (xai-),
    # Hugging Face (hf_), Replicate (r8_), Perplexity (pplx-), GitHub (ghp_...), Slack (xox?-), AWS (AKIA).
    re.compile(
        r"(\b(?:sk-(?:proj-|ant-(?:api\d+-)?|svcacct-|admin-)?|gsk_|xai-|hf_|r8_|pplx-|nvapi-|"
        r"gh[pousr]_|github_pat_|xox[abpr]-|glpat-|AKIA))[A-Za-z0-9_\-]{6,}"
    ),
    # Google API keys: AIza followed by 35 characters.
    re.compile(r"(\bAIza)[0-9A-Za-z_\-]{10,}"),
    # Keys in URLs and in key=value text: ?key=..., &api_key=..., access_token: ..., "apiKey": "..." (a value
    # of 8+ characters with a digit, so "key=max_tokens" or "token: '}'" in a parse error stay readable).
    re.compile(
        r"""((?:\b|_)(?:api[_-]?key|apikey|key|access[_-]?token|token|secret|password|auth)"""
        r"""["']?\s*[=:]\s*["']?)(?=[^\s&"'#,;)}\]]*\d)[^\s&"'#,;)}\]]{8,}""",
        re.IGNORECASE,
    ),
    # Credentials in a URL's userinfo: scheme://user:password@host.
    re.compile(r"(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]*:[^/\s@]+@", re.IGNORECASE),
]


def mask(text: str) -> str:
    """``text`` with every key-like string replaced by its prefix and ``***``."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK + ("@" if m.group(0).endswith("@") else ""), text)
    return text


def clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, with anything key-like masked: safe to put in a message."""
    text = mask(" ".join(text.split()))
    return text if len(text) <= limit else text[:limit] + "..."


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_clean(v, depth + 1) for v in value)
    return value


#: Attributes of openai, httpx and instructor errors that may hold the text of an error body.
_ATTRIBUTES = ("message", "body", "msg", "doc", "text", "detail")


def scrub(exc: BaseException) -> BaseException:
    """Mask keys in ``exc`` and every exception chained to it (``__cause__`` and ``__context__``), in place.

    Returns ``exc``. Arguments, the usual message and body attributes, notes and, for HTTP errors, the
    response's buffered body are all cleaned; the chain itself (types, tracebacks) is kept.
    """
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        with contextlib.suppress(AttributeError, TypeError):
            current.args = tuple(_clean(a) for a in current.args)
        for name in _ATTRIBUTES:
            value = current.__dict__.get(name) if hasattr(current, "__dict__") else None
            if isinstance(value, (str, dict, list, tuple)):
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(current, name, _clean(value))
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [mask(n) if isinstance(n, str) else n for n in notes]
        _scrub_response(current)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
        # instructor keeps the failed attempts' exceptions on its retry error.
        for attempt in getattr(current, "failed_attempts", None) or []:
            inner = getattr(attempt, "exception", None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return exc


def _scrub_response(exc: BaseException) -> None:
    """Replace the buffered body of an HTTP error's response (httpx2 keeps it in ``_content``)."""
    response = getattr(exc, "response", None)
    content = getattr(response, "_content", None)
    if isinstance(content, bytes):
        text = content.decode("utf-8", "replace")
        cleaned = mask(text)
        if cleaned != text:
            with contextlib.suppress(AttributeError, TypeError):
                response._content = cleaned.encode("utf-8")  # type: ignore[union-attr]
    decoded = getattr(response, "_text", None)
    if isinstance(decoded, str):
        with contextlib.suppress(AttributeError, TypeError):
            response._text = mask(decoded)  # type: ignore[union-attr]


def scrubbed(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function so that whatever it raises is scrubbed (chain included) on its way out."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            scrub(exc)
            raise

    return wrapper


def ascrubbed(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The async twin of :func:`scrubbed`."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except BaseException as exc:
            scrub(exc)
            raise

    return wrapper


class MaskingFilter(logging.Filter):
    """A logging filter that masks keys in a record's message, arguments and exception before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        record.msg = mask(message)
        record.args = None
        if record.exc_info and isinstance(record.exc_info[1], BaseException):
            scrub(record.exc_info[1])
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


_FILTER = MaskingFilter()
#: Loggers of the libraries that see request and error bodies (children included, as far as they exist).
LOGGERS = ("summit_extract", "instructor", "openai", "httpx2", "httpcore2", "httpx", "httpcore")


def guard_loggers(prefixes: tuple[str, ...] = LOGGERS) -> None:
    """Attach :class:`MaskingFilter` to the loggers under ``prefixes`` that exist now (idempotent).

    A filter on a logger applies only to records created on that very logger, so each existing
    descendant gets it too; call again after importing a library that creates more loggers.
    """
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in prefixes]
    for name in {*prefixes, *names}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
