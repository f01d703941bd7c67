"""Merging the results of a long article's chunks into one, deterministically and with offsets intact.

Each chunk's spans already point into the whole article, so merging only removes what two chunks both
found (the overlap between them, or the same fact told twice) and puts the rest in article order:

- Booleans are true if any chunk says so (a summit reported in one chunk is in the article).
- Other scalars and nested objects: the first non-null value in article order.
- Lists are concatenated; Grounded items that ``Grounded.same_item`` calls the same fact are merged,
  keeping the fuller item completed with what the other knew, then ordered by evidence offset. Other
  items keep first-seen order, duplicates removed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from ._aligning import fold
from ._grounding import Grounded, Span

__all__ = ["dedupe", "merge_models"]

T = TypeVar("T", bound=BaseModel)
G = TypeVar("G", bound=Grounded)


def merge_models(values: Sequence[T]) -> T:
    """Field by field: booleans any, scalars first non-null, lists joined (Grounded items deduplicated)."""
    if not values:
        raise ValueError("nothing to merge")
    first = values[0]
    update: dict[str, Any] = {}
    for name in type(first).model_fields:
        items = [getattr(v, name) for v in values]
        if all(isinstance(i, list) for i in items):
            joined = [x for i in items for x in i]
            if joined and all(isinstance(x, Grounded) for x in joined):
                update[name] = dedupe(joined)
            elif joined and all(isinstance(x, str) for x in joined):
                update[name] = _unique_text(joined)
            else:
                update[name] = _unique(joined)
        elif all(isinstance(i, bool) for i in items):
            update[name] = any(items)
        else:
            update[name] = next((i for i in items if i is not None), None)
    # deep=True copies only the fields not updated: the joined items are the parts' own objects, which
    # finalizing the merged value would otherwise change (the parts stay as their chunks answered).
    return first.model_copy(update=copy.deepcopy(update), deep=True)


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _unique_text(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if fold(item) not in seen:
            seen.add(fold(item))
            out.append(item)
    return out


def _aligned(span: Span | None) -> bool:
    return span is not None and span.alignment != "unaligned" and span.end > span.start


def _order(item: Grounded) -> tuple[int, int]:
    span = item.span
    if span is None or not _aligned(span):
        return (1 << 62, 0)  # ungrounded (flagged) items go last, in first-seen order
    return (span.start, -(span.end - span.start))


def dedupe(items: Sequence[G]) -> list[G]:
    """Drop duplicates (keeping the fuller item, completed from the other), ordered by evidence offset."""
    kept: list[G] = []
    for item in sorted(items, key=_order):
        for i, other in enumerate(kept):
            if other.same_item(item):
                kept[i] = _combine(other, item)
                break
        else:
            kept.append(item)
    return sorted(kept, key=_order)


def _combine(a: G, b: G) -> G:
    """The fuller of two items describing one fact, with the empty fields filled from the other."""
    keep, other = (b, a) if _fullness(b) > _fullness(a) else (a, b)
    update: dict[str, Any] = {}
    for name in type(keep).model_fields:
        mine, theirs = getattr(keep, name), getattr(other, name)
        if mine is None and theirs is not None:
            update[name] = theirs
        elif (
            isinstance(mine, list)
            and isinstance(theirs, list)
            and all(isinstance(x, str) for x in mine + theirs)
        ):
            update[name] = _unique_text([*mine, *theirs])
    return keep.model_copy(update=update)


def _fullness(item: Grounded) -> tuple[int, int, int]:
    name = getattr(item, "name", None)
    span = item.span
    length = span.end - span.start if span is not None and _aligned(span) else 0
    filled = sum(getattr(item, f) not in (None, [], "") for f in type(item).model_fields)
    # Fuller name first (for people), then more fields filled, then longer evidence.
    return (len(name) if isinstance(name, str) else 0, filled, length)
