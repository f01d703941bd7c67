"""Aligning evidence with the article: find the span of the source text that a quoted piece of evidence rests on.

Three tiers, tried in order: the exact string; the string after folding case, whitespace, quote and dash
variants and Unicode compatibility forms (so typographic quotes and non-breaking spaces match, and CJK text
works as well as Latin); and a fuzzy match (rapidfuzz) above a threshold, with its score. Offsets always
index the original text, so ``text[span.start:span.end]`` gives the evidence back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

Alignment = Literal["exact", "normalized", "fuzzy"]

#: Minimum rapidfuzz partial-ratio score (0-100) for a fuzzy alignment to count as grounded.
FUZZY_THRESHOLD = 90.0

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
}


@dataclass(frozen=True)
class Match:
    """Where a piece of evidence lies in the text, and how it was found."""

    start: int
    end: int
    alignment: Alignment
    score: float


class FoldedText:
    """A text folded for matching, with a map from each folded character back to the original offset."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            folded = _fold_char(ch)
            for out in folded:
                if out == " " and (not chars or chars[-1] == " "):
                    continue  # collapse runs of whitespace
                chars.append(out)
                origin.append(i)
        self.text = "".join(chars)
        self.origin = origin

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of folded characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _fold_char(ch: str) -> str:
    if ch in _FOLD:
        return _FOLD[ch]
    if ch.isspace() or unicodedata.category(ch) in ("Zs", "Cc", "Cf"):
        return " " if ch.isspace() or unicodedata.category(ch) == "Zs" else ""
    return unicodedata.normalize("NFKC", ch).casefold()


def fold(text: str) -> str:
    """The folded form of a string (what the normalized tier compares)."""
    return FoldedText(text).text.strip()


def align(evidence: str, text: str, folded: FoldedText | None = None) -> Match | None:
    """Find ``evidence`` in ``text``; None when no tier finds it."""
    needle = evidence.strip()
    if not needle:
        return None
    start = text.find(needle)
    if start >= 0:
        return Match(start, start + len(needle), "exact", 100.0)
    folded = folded or FoldedText(text)
    folded_needle = fold(needle)
    if not folded_needle:
        return None
    at = folded.text.find(folded_needle)
    if at >= 0:
        s, e = folded.span(at, at + len(folded_needle))
        return Match(s, e, "normalized", 100.0)
    if len(folded_needle) < 12:
        return None  # short strings match fuzzily almost anywhere: demand an exact or normalized match
    result = fuzz.partial_ratio_alignment(folded_needle, folded.text, score_cutoff=FUZZY_THRESHOLD)
    if result is None or result.dest_end <= result.dest_start:
        return None
    # The matched region must cover about as much text as the evidence, or it quotes something else.
    if (result.dest_end - result.dest_start) < 0.8 * len(folded_needle):
        return None
    s, e = folded.span(result.dest_start, result.dest_end)
    return Match(s, e, "fuzzy", round(result.score, 1))


def contains(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` after folding (used for short values such as names)."""
    return bool(phrase.strip()) and fold(phrase) in FoldedText(text).text
