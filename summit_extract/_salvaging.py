"""Salvaging an answer cut off at max_tokens: keep the complete items written before the cut.

A small model sometimes loops inside a JSON array ("the same agreement again and again") until it runs
out of tokens. Everything it wrote before the loop is usually right, and asking again costs the whole
budget once more. So the cut-off JSON is closed after its last complete array element and validated as
usual (leniently, since no re-ask follows); duplicates the loop produced are merged later like any
other duplicate.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel, ValidationError

from ._context import active
from ._usage import Ledger

__all__ = ["close_json", "salvage"]

log = logging.getLogger("summit_extract")

_CLOSE = {"{": "}", "[": "]"}


def close_json(partial: str) -> str | None:
    """The longest prefix of ``partial`` that ends after a complete array element, closed into valid JSON."""
    stack: list[str] = []
    in_string = escaped = False
    cuts: list[tuple[int, str]] = []  # (end of a complete element inside an array, closing suffix)
    for i, ch in enumerate(partial):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in _CLOSE:
            stack.append(ch)
        elif ch in "}]":
            if not stack:
                return None
            stack.pop()
            if stack and stack[-1] == "[":
                cuts.append((i + 1, "".join(_CLOSE[b] for b in reversed(stack))))
    for end, suffix in reversed(cuts):
        candidate = partial[:end] + suffix
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return candidate
    return None


def _content(completion: Any) -> str | None:
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(getattr(getattr(calls[0], "function", None), "arguments", "") or "") or None
    content = getattr(message, "content", None)
    return str(content) if content else None


def salvage(completion: Any, schema: type[BaseModel], ledger: Ledger) -> BaseModel | None:
    """The complete part of a cut-off answer, validated against ``schema`` in the context of the request
    ``ledger`` counts; None when nothing is usable."""
    content = _content(completion)
    closed = close_json(content) if content else None
    if closed is None:
        return None
    ledger.last_answer()  # no re-ask follows: ungrounded items are dropped
    try:
        with active(ledger.context):
            value = schema.model_validate_json(closed)
    except ValidationError:
        return None
    log.warning("answer cut off at max_tokens; kept its %d complete characters", len(closed))
    return value
