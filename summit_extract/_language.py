"""The language an article is written in, and its sentences.

Rules whose wording covers some languages only run on articles in those languages (see ``_rules``); both
the language and the sentence bounds come from maintained multilingual libraries: ``py3langid`` (a
compact langid.py model covering 97 languages) and ``sentencex`` (Wikimedia's segmenter, with fallbacks
for about 250 languages), never from word lists written here.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["UNKNOWN", "detect_language", "sentence_at", "sentences"]

#: What :func:`detect_language` answers for a text too short or too mixed to tell.
UNKNOWN = "und"

#: Fewer letters than this tell nothing reliable about a language.
_MIN_LETTERS = 20


@functools.lru_cache(maxsize=256)
def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language a text is written in ("en", "fr", "ko"), or ``UNKNOWN``."""
    letters = sum(ch.isalpha() for ch in text[:5000])
    if letters < _MIN_LETTERS:
        return UNKNOWN
    language, _ = _identifier().classify(text[:5000])
    return str(language)


@functools.cache
def _identifier() -> Any:
    """A langid identifier of our own (the module-level one is shared with the caller's code), limited to
    the languages with a two-letter code: on a short text the full set answers rare languages ("pcm" for
    "President Yoon Suk Yeol spoke.")."""
    from py3langid import langid  # imported on first use: loading its model costs ~0.3 s

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE)
    identifier.set_languages([code for code in identifier.labels if len(code) == 2])
    return identifier


@functools.lru_cache(maxsize=64)
def sentences(text: str, language: str = UNKNOWN) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of ``text``, without the spaces around it, in order.

    A line break also ends a sentence: headlines, datelines and captions stand on lines of their own.
    """
    from sentencex import segment

    bounds: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        at = line.start()
        for piece in segment(language if language != UNKNOWN else "en", line.group(0)):
            found = text.find(piece.strip(), at) if piece.strip() else -1
            if found < 0:
                continue
            end = found + len(piece.strip())
            bounds.append((found, end))
            at = end
    return tuple(bounds)


def sentence_at(text: str, start: int, end: int, language: str = UNKNOWN) -> tuple[int, int]:
    """The bounds of the sentence (or run of sentences) holding ``text[start:end]``."""
    bounds = sentences(text, language)
    first = next((s for s, e in bounds if s <= start < e), start)
    last = next((e for s, e in reversed(bounds) if s < end <= e), end)
    if end <= start:
        last = next((e for s, e in bounds if s <= start < e), end)
    return min(first, start), max(last, end)
