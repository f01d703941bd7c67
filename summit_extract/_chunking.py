"""Long articles: split into overlapping chunks that fit the model's context.

Each chunk is extracted with an ``ExtractionContext`` whose ``offset`` is the chunk's start, so every span
already points into the whole article; the chunks' results are merged by the article type's
``merge_chunks`` (see ``_merging``). Nothing is ever truncated: an article that does not fit is split, and
a context too small to hold even one useful chunk is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._exceptions import InputError

__all__ = ["Chunk", "budget", "plan", "split"]

#: Characters per token assumed when sizing chunks: conservative (English runs at 4-5, French ~3.6).
CHARS_PER_TOKEN = 3
#: Chat-template tokens around each message.
MESSAGE_OVERHEAD_TOKENS = 8
#: Output tokens a chunk must leave room for: the smallest budget ``_planning.max_tokens_for`` ever gives.
MIN_OUTPUT_TOKENS = 256
#: Below this many characters a chunk holds too little to extract anything from: refuse rather than split.
MIN_CHUNK_CHARS = 300

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
