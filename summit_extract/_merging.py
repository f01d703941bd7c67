"""The merge stage: the answers of a long article's chunks merged into one, then the passes joined.

Each chunk's spans already point into the whole article, so merging only removes what two chunks both
found (the overlap between them, or the same fact told twice) and puts the rest in article order. An
article type may merge its chunks its own way (``Document.merge_chunks``); the default, ``merge_models``:

- Booleans are true if any chunk says so (a summit reported in one chunk is in the article).
- Other scalars and nested objects: the first non-null value in article order.
- Lists are concatenated; Grounded items that ``Grounded.same_item`` calls the same fact are merged,
  keeping the fuller item completed with what the other knew, then ordered by evidence offset. Other
  items keep first-seen order, duplicates removed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ._aligning import fold
from ._grounding import Grounded, Span

if TYPE_CHECKING:
    from ._document import Pass

__all__ = ["dedupe", "merge", "merge_models"]

T = TypeVar("T", bound=BaseModel)
G = TypeVar("G", bound=Grounded)


def merge(schema: type[BaseModel], answers: Sequence[tuple[Pass, Sequence[BaseModel]]]) -> BaseModel:
    """One object of ``schema`` from each pass's answers, one per chunk it read, in article order: a
    pass's chunks are merged first (by the article type's ``merge_chunks``), then the passes joined."""
    merged = [(asked, _merge_chunks(schema, asked, parts)) for asked, parts in answers]
    if len(merged) == 1 and isinstance(merged[0][1], schema):
        return merged[0][1]
    fields = {name: getattr(answer, name) for asked, answer in merged for name in asked.fields}
    for name, value in fields.items():
        if isinstance(value, list) and value and all(isinstance(v, Grounded) for v in value):
            fields[name] = dedupe(value)  # a small model may list one fact twice
    return schema.model_construct(**fields)


def _merge_chunks(schema: type[BaseModel], asked: Pass, parts: Sequence[BaseModel]) -> BaseModel:
    """One answer from a pass's answers over its chunks, by the article type's merge rule."""
    if len(parts) == 1:
        return parts[0]
    merge_chunks = getattr(schema, "merge_chunks", None)  # an article type's hook (Document)
    if merge_chunks is None:
        return merge_models(parts)
    documents = [schema.model_construct(**{f: getattr(p, f) for f in asked.fields}) for p in parts]
    merged: BaseModel = merge_chunks(documents)
    return merged


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
