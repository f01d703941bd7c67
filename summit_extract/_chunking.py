"""Long articles: split into overlapping chunks that fit the model's context, then merge what each chunk gave.

Each chunk is extracted with ``GroundingContext(chunk.text, offset=chunk.start)``, so every span already
points into the whole article; merging only removes what two chunks both found (the overlap between them,
or the same fact told twice) and puts the rest in article order. Nothing is ever truncated: an article
that does not fit is split, and a context too small to hold even one useful chunk is an error.

How results merge, field by field:

- Booleans are true if any chunk says so (``is_summit``: a summit reported in one chunk is in the article).
- Other scalars and nested objects (name, location, date, ...): the first non-null value in article order.
- Lists are concatenated and deduplicated. Grounded items are the same fact when their evidence spans
  overlap by at least half of the shorter one; for a Summit also participants with the same name
  ("Kishida" and "Fumio Kishida"), agreements and disputes with near-identical subjects (rapidfuzz) and
  shared parties, and statements with the same words. The fuller item is kept and completed with what
  the other knew. Grounded items are then ordered by evidence offset; other items keep first-seen order.
- A merged Summit is normalized once, as a whole (people merged, countries to ISO, the summit check): the
  chunks' own results are left unnormalized, since one chunk may name the leaders of only one country.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from rapidfuzz import fuzz

from ._aligning import fold
from ._exceptions import InputError, Usage
from ._grounding import Grounded, Span
from ._models import Agreement, Dispute, Participant, Statement, Summit
from ._normalizing import normalize

if TYPE_CHECKING:
    from ._extracting import Extraction

T = TypeVar("T", bound=BaseModel)
G = TypeVar("G", bound=Grounded)

#: Characters per token assumed when sizing chunks: conservative (English runs at 4-5, French ~3.6).
CHARS_PER_TOKEN = 3
#: Chat-template tokens around each message.
MESSAGE_OVERHEAD_TOKENS = 8
#: Output tokens a chunk must leave room for: the smallest budget ``_calling.max_tokens_for`` ever gives.
MIN_OUTPUT_TOKENS = 256
#: Below this many characters a chunk holds too little to extract anything from: refuse rather than split.
MIN_CHUNK_CHARS = 300
#: Items with subjects at least this similar (rapidfuzz token_sort_ratio, 0-100) are the same fact.
SUBJECT_SIMILARITY = 85.0

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+|(?<=[。！？])\s*")
_SPACE = re.compile(r"\s+")
_BOUNDARIES = (_PARAGRAPH, _LINE, _SENTENCE, _SPACE)


@dataclass(frozen=True)
class Chunk:
    """A piece of the article: ``article[start:start + len(text)] == text``."""

    start: int
    text: str

    @property
    def end(self) -> int:
        """Offset just past the chunk's last character."""
        return self.start + len(self.text)


def budget(messages: Sequence[dict[str, str]], article: str, context_tokens: int | None) -> int | None:
    """Most article characters one request can carry (None: the context is unknown, so unbounded)."""
    if not context_tokens:
        return None
    fixed_chars = sum(len(m["content"]) for m in messages) - len(article)
    fixed = math.ceil(fixed_chars / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * len(messages)
    return (context_tokens - fixed - MIN_OUTPUT_TOKENS) * CHARS_PER_TOKEN


def plan(article: str, messages: Sequence[dict[str, str]], context_tokens: int | None) -> list[Chunk] | None:
    """The chunks a too-long article is split into, or None when it fits in one request."""
    limit = budget(messages, article, context_tokens)
    if limit is None or len(article) <= limit:
        return None
    if limit < MIN_CHUNK_CHARS:
        raise InputError(
            f"The article ({len(article):,} characters) does not fit the model's context of {context_tokens} "
            f"tokens, and the fixed prompt leaves room for only {max(limit, 0)} characters per request, too "
            "few to split it into. Use a backend with a larger context window (Backend.context_tokens)."
        )
    return split(article, limit, overlap=limit // 8)


def split(text: str, max_chars: int, overlap: int = 0) -> list[Chunk]:
    """Cut ``text`` into chunks of at most ``max_chars``, each overlapping the previous by about ``overlap``.

    Cuts fall on a paragraph break if one lies in the second half of the chunk, else a line break, a
    sentence end, a space, and only as a last resort mid-word. The next chunk starts on a sentence (else
    word) boundary about ``overlap`` characters before the cut. Deterministic, and the chunks cover the text.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    overlap = max(0, min(overlap, max_chars // 2))
    chunks: list[Chunk] = []
    start = _skip_space(text, 0)
    while start < len(text):
        if len(text) - start <= max_chars:
            chunks.append(Chunk(start, text[start:]))
            break
        cut = _cut(text, start, start + max_chars)
        chunks.append(Chunk(start, text[start:cut]))
        start = _skip_space(text, _next_start(text, start, cut, overlap))
    return chunks


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _cut(text: str, start: int, limit: int) -> int:
    """Where a chunk starting at ``start`` ends: the best boundary in the second half of its room."""
    floor = start + (limit - start) // 2
    for pattern in _BOUNDARIES:
        ends = [m.end() for m in pattern.finditer(text, floor, limit) if floor < m.end() <= limit]
        if ends:
            return ends[-1]
    return limit


def _next_start(text: str, start: int, cut: int, overlap: int) -> int:
    """Where the next chunk starts: a sentence (else word) boundary about ``overlap`` before ``cut``."""
    if overlap == 0:
        return cut
    target = cut - overlap
    low = max(start + 1, target - overlap)
    # The latest paragraph, line or sentence start at or before the target keeps the whole overlap;
    # failing those, the latest word start does (a fragment the previous chunk holds whole).
    for pattern in _BOUNDARIES:
        starts = [m.end() for m in pattern.finditer(text, low, target) if low <= m.end() <= target]
        if starts:
            return starts[-1]
    return max(start + 1, target)


# -- merging ---------------------------------------------------------------------------------------


def merge(parts: Sequence[Extraction[T]]) -> Extraction[T]:
    """One extraction from the extractions of an article's chunks, in chunk order (see the module doc)."""
    if not parts:
        raise ValueError("nothing to merge")
    values = [p.value for p in parts]
    value = merge_values(values)
    return dataclasses.replace(
        parts[0],
        value=value,
        usage=sum((p.usage for p in parts), Usage()),
        attempts=sum(p.attempts for p in parts),
        seconds=round(sum(p.seconds for p in parts), 3),
        dropped=[d for p in parts for d in p.dropped],
        flagged=[f for p in parts for f in p.flagged],
    )


def merge_values(values: Sequence[T]) -> T:
    """Merge the values extracted from an article's chunks, given in chunk order."""
    first = values[0]
    merged = _merge_models(list(values)).model_copy(deep=True)  # the parts stay as they were
    if isinstance(first, Summit) and isinstance(merged, Summit):
        merged.participants = _dedupe(merged.participants, _same_person) if merged.is_summit else []
        merged.agreements = _dedupe(merged.agreements, _same_subject)
        merged.disputes = _dedupe(merged.disputes, _same_subject)
        merged.statements = _dedupe(merged.statements, _same_quote)
        merged.topics = _unique_text(merged.topics)
        normalize(merged)
    return merged


def _merge_models(values: list[T]) -> T:
    """Field by field: booleans any, scalars first non-null, lists joined (Grounded items deduplicated)."""
    first = values[0]
    update: dict[str, Any] = {}
    for name in type(first).model_fields:
        items = [getattr(v, name) for v in values]
        if all(isinstance(i, list) for i in items):
            joined = [x for i in items for x in i]
            if joined and all(isinstance(x, Grounded) for x in joined):
                update[name] = _dedupe(joined, _same_span)
            else:
                update[name] = _unique(joined)
        elif all(isinstance(i, bool) for i in items):
            update[name] = any(items)
        else:
            update[name] = next((i for i in items if i is not None), None)
    return first.model_copy(update=update)


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


def _dedupe(items: list[G], same: Callable[[G, G], bool]) -> list[G]:
    """Drop duplicates (keeping the fuller item, completed from the other), ordered by evidence offset."""
    kept: list[G] = []
    for item in sorted(items, key=_order):
        for i, other in enumerate(kept):
            if same(other, item):
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
        elif name == "parties" and isinstance(mine, list) and isinstance(theirs, list):
            update[name] = _unique_text([*mine, *theirs])
    return keep.model_copy(update=update)


def _fullness(item: Grounded) -> tuple[int, int, int]:
    name = getattr(item, "name", None) if isinstance(item, Participant) else None
    span = item.span
    length = span.end - span.start if span is not None and _aligned(span) else 0
    filled = sum(getattr(item, f) not in (None, [], "") for f in type(item).model_fields)
    # Fuller name first (for people), then more fields filled, then longer evidence.
    return (len(name or ""), filled, length)


def _overlap(a: Grounded, b: Grounded) -> bool:
    """Evidence spans overlapping by at least half of the shorter one."""
    sa, sb = a.span, b.span
    if sa is None or sb is None or not (_aligned(sa) and _aligned(sb)):
        return False
    shared = min(sa.end, sb.end) - max(sa.start, sb.start)
    return shared > 0 and shared >= 0.5 * min(sa.end - sa.start, sb.end - sb.start)


def _same_span(a: Grounded, b: Grounded) -> bool:
    return type(a) is type(b) and (_overlap(a, b) or (not _aligned(a.span) and a == b))


def _name_words(name: str) -> set[str]:
    return set(fold(re.sub(r"[^\w\s-]", " ", name)).split())


def _same_person(a: Participant, b: Participant) -> bool:
    if a.name and b.name:
        wa, wb = _name_words(a.name), _name_words(b.name)
        return bool(wa and wb) and (wa <= wb or wb <= wa)
    if not a.name and not b.name and a.country and b.country:
        return fold(a.country) == fold(b.country)
    return False


def _same_subject(a: Agreement | Dispute, b: Agreement | Dispute) -> bool:
    if _overlap(a, b):
        return True
    similar = fuzz.token_sort_ratio(fold(a.subject), fold(b.subject)) >= SUBJECT_SIMILARITY
    pa, pb = {fold(p) for p in a.parties}, {fold(p) for p in b.parties}
    return similar and (not pa or not pb or bool(pa & pb))


def _same_quote(a: Statement, b: Statement) -> bool:
    if _overlap(a, b):
        return True
    qa, qb = fold(a.quote), fold(b.quote)
    return qa in qb or qb in qa
