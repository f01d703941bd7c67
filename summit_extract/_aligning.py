"""Aligning evidence with the article: find the span of the text that a piece of evidence rests on.

Three tiers, tried in order: the exact string; the string after folding case, whitespace, quote and dash
variants and Unicode compatibility forms (so typographic quotes and non-breaking spaces match, and CJK text
works as well as Latin); and a fuzzy match (rapidfuzz) above a threshold, with its score. Offsets always
index the original text, so ``text[span.start:span.end]`` gives the evidence back.

Folding works on clusters, not single characters: a base character with its combining marks, and a run
of conjoining Hangul jamo, are folded together, so decomposed text (NFD, as some systems and PDFs emit)
matches composed evidence and the other way round. Line endings (CRLF, CR) are whitespace like any other.
When the same words occur more than once, ``avoid`` lets the caller skip occurrences in given regions
(an instruction injected into the article) in favour of one outside them.

``spelling`` answers a different question for short values (a name, a place): where the article writes
the value in its own spelling, with a hyphen or a middle name more or fewer, or in another script.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from anyascii import anyascii
from rapidfuzz import fuzz

__all__ = [
    "FUZZY_THRESHOLD",
    "RESPELL_SCORE",
    "Alignment",
    "FoldedText",
    "Match",
    "align",
    "contains",
    "fold",
    "similarity",
    "spelling",
]

Alignment = Literal["exact", "normalized", "fuzzy"]

#: Minimum rapidfuzz partial-ratio score (0-100) for a fuzzy alignment to count as grounded.
FUZZY_THRESHOLD = 85.0

#: Least similarity (rapidfuzz ratio, 0-100) of a name's transliteration and the article's words in
#: another script for the article's spelling to stand for the model's ("Putin" and "Путін").
RESPELL_SCORE = 80.0

_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u300c": '"',
    "\u300d": '"',
    "\u300e": '"',
    "\u300f": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
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
    """A text folded for matching, with a map from each folded character back to the original offsets."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        origin: list[int] = []
        origin_end: list[int] = []
        for i, j in _clusters(text):
            folded = _fold_char(text[i]) if j == i + 1 else _fold_cluster(text[i:j])
            for out in folded:
                if out == " " and (not chars or chars[-1] == " "):
                    continue  # collapse runs of whitespace
                chars.append(out)
                origin.append(i)
                origin_end.append(j)
        self.text = "".join(chars)
        self.origin = origin
        self.origin_end = origin_end

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of folded characters [start, end)."""
        return self.origin[start], self.origin_end[end - 1]

    def index(self, offset: int) -> int:
        """The first folded character that comes from ``offset`` or later in the original text."""
        return bisect.bisect_left(self.origin, offset)


def _clusters(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each cluster: a character with the combining marks or jamo that compose with it."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and not text[j].isascii() and _joins(text[i:j], text[j]):
            j += 1
        yield i, j
        i = j


def _joins(cluster: str, ch: str) -> bool:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Mc", "Me"):
        return True
    if "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff":  # Hangul vowel and trailing jamo
        return len(unicodedata.normalize("NFC", cluster + ch)) <= len(unicodedata.normalize("NFC", cluster))
    return False


def _fold_cluster(cluster: str) -> str:
    return "".join(_fold_char(ch) for ch in unicodedata.normalize("NFKC", cluster))


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    # Cached: an article repeats few distinct characters, and the Unicode look-ups below are the cost of
    # folding (a third of an extraction's CPU before the cache).
    if ch in _FOLD:
        return _FOLD[ch]
    if ch.isspace() or unicodedata.category(ch) in ("Zs", "Cc", "Cf"):
        return " " if ch.isspace() or unicodedata.category(ch) == "Zs" else ""
    return unicodedata.normalize("NFKC", ch).casefold()


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """The folded form of a string, what the normalized tier compares: case, whitespace, quote and dash
    variants and Unicode compatibility forms made one ("Kim’s  SUMMIT" and "kim's summit" fold alike).
    Names and subjects recur across the records of a corpus, so the last 65,536 are kept."""
    return FoldedText(text).text.strip()


_EDGE_PUNCT = " \t\n.,;:!?\"'“”‘’«»()[]"


def align(
    evidence: str,
    text: str,
    folded: FoldedText | None = None,
    *,
    avoid: Sequence[tuple[int, int]] = (),
) -> Match | None:
    """Find ``evidence`` in ``text``; None when no tier finds it.

    ``avoid`` lists (start, end) regions of ``text``: an occurrence outside all of them is preferred to
    an earlier one inside; when every occurrence is inside, the first is returned.
    """
    # Models often close a quote with a period or wrap it in quotation marks the article places elsewhere.
    needle = evidence.strip(_EDGE_PUNCT)
    if not needle:
        return None
    exact = _first(_find_all(text, needle), len(needle), avoid)
    if exact is not None:
        return Match(exact, exact + len(needle), "exact", 100.0)
    folded = folded or FoldedText(text)
    folded_needle = fold(needle)
    if not folded_needle:
        return None
    spans = [folded.span(at, at + len(folded_needle)) for at in _find_all(folded.text, folded_needle)]
    if spans:
        s, e = next((sp for sp in spans if not _inside(sp, avoid)), spans[0])
        return Match(s, e, "normalized", 100.0)
    if len(folded_needle) < 12:
        return None  # short strings match fuzzily almost anywhere: demand an exact or normalized match
    hay = folded.text
    found = _fuzzy(folded_needle, hay, folded, text)
    if found is not None and avoid and _inside((found.start, found.end), avoid):
        # Look again with the avoided regions blanked out (same length, so offsets still hold).
        blanked = list(hay)
        for lo, hi in avoid:
            for k in range(folded.index(lo), min(folded.index(hi), len(blanked))):
                blanked[k] = "\x00"
        elsewhere = _fuzzy(folded_needle, "".join(blanked), folded, text)
        if elsewhere is not None:
            return elsewhere
    return found


def _fuzzy(needle: str, hay: str, folded: FoldedText, text: str) -> Match | None:
    result = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=FUZZY_THRESHOLD)
    if result is None or result.dest_end <= result.dest_start:
        return None
    # The matched region must cover about as much text as the evidence, or it quotes something else.
    if (result.dest_end - result.dest_start) < 0.8 * len(needle):
        return None
    ds, de = _best_window(needle, hay, result.dest_start, result.dest_end)
    s, e = _snap_to_words(text, *folded.span(ds, de))
    if e <= s:
        return None
    return Match(s, e, "fuzzy", round(result.score, 1))


def _find_all(hay: str, needle: str) -> Iterator[int]:
    at = hay.find(needle)
    while at >= 0:
        yield at
        at = hay.find(needle, at + 1)


def _inside(span: tuple[int, int], avoid: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= span[0] and span[1] <= hi for lo, hi in avoid)


def _first(starts: Iterator[int], length: int, avoid: Sequence[tuple[int, int]]) -> int | None:
    first = None
    for at in starts:
        if first is None:
            first = at
        if not _inside((at, at + length), avoid):
            return at
        if not avoid:
            break
    return first


def _best_window(needle: str, hay: str, start: int, end: int) -> tuple[int, int]:
    """Move a fuzzy window's edges to the word boundaries nearby that best match the whole needle.

    partial_ratio finds a window as long as the needle; a paraphrase is often shorter or longer than the
    text it stands for, so the edges are re-chosen among nearby word boundaries by full-string ratio.
    """
    reach = max(8, len(needle) // 4)
    starts = [
        i
        for i in range(max(0, start - reach), min(len(hay), start + reach) + 1)
        if i == 0 or (hay[i - 1] == " " and hay[i] != " ")
    ]
    ends = [
        j
        for j in range(max(0, end - reach), min(len(hay), end + reach) + 1)
        if j == len(hay) or (hay[j] == " " and hay[j - 1] != " ")
    ]
    best = (fuzz.ratio(needle, hay[start:end]), start, end)
    for i in starts or [start]:
        for j in ends or [end]:
            if j > i:
                score = fuzz.ratio(needle, hay[i:j])
                if score > best[0]:
                    best = (score, i, j)
    return best[1], best[2]


def _snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a fuzzy match to whole words, so the evidence never starts or ends mid-word."""
    if 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        while start < end and text[start].isalnum():
            start += 1
    while start < end and not text[start].isalnum():
        start += 1
    if 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        while end > start and text[end - 1].isalnum():
            end -= 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    return start, end


def contains(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` after folding (used for short values such as names)."""
    return bool(phrase.strip()) and fold(phrase) in _folded(text)


@functools.lru_cache(maxsize=32)
def _folded(text: str) -> str:
    """The folded text, kept for the next call: validators ask about one article many times in a row."""
    return FoldedText(text).text


# -- a value in the article's own spelling ---------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    key: str  # transliterated, folded, letters and digits only: comparable across scripts
    latin: bool


def _key(text: str) -> str:
    """A word sequence as comparable letters across scripts: transliterated, folded, letters only."""
    return re.sub(r"[^a-z0-9]", "", anyascii(fold(text)).lower())


def similarity(a: str, b: str) -> float:
    """How alike two spellings are across scripts (rapidfuzz ratio of their transliterations, 0-100)."""
    return float(fuzz.ratio(_key(a), _key(b)))


def _is_latin(word: str) -> bool:
    return all(ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in word if ch.isalpha())


@functools.lru_cache(maxsize=32)
def _words(text: str) -> tuple[_Word, ...]:
    # A hyphen or an apostrophe splits words ("Jong-un"), so "Kim Jong Un" and "Kim Jong-un" are the same
    # three words; cached because a validator asks about one article many times in a row.
    return tuple(
        _Word(m.start(), m.end(), _key(m.group()), _is_latin(m.group())) for m in _WORD.finditer(text)
    )


def _joined(text: str, words: Sequence[_Word]) -> bool:
    """Whether consecutive words form one name: only spaces, hyphens, apostrophes or an initial's period
    between them ("George W. Bush"), never a comma or a sentence's end."""
    for a, b in itertools.pairwise(words):
        gap = text[a.end : b.start].strip()
        if gap not in ("", "-", "'", "’", "‐", "‑") and not (gap == "." and a.end - a.start == 1):
            return False
    return True


def _one_word_apart(a: Sequence[str], b: Sequence[str]) -> bool:
    """Equal, or equal once one word is taken out of the longer ("José Pepe Mujica" / "José Mujica")."""
    if list(a) == list(b):
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return len(long) == len(short) + 1 and any(
        list(long[:k]) + list(long[k + 1 :]) == list(short) for k in range(len(long))
    )


def _same_words(value: Sequence[str], text: str) -> tuple[int, int] | None:
    words = _words(text)
    n = len(value)
    if n == 0 or any(not k for k in value):
        return None
    for i, first in enumerate(words):
        if first.key != value[0]:
            continue
        if n == 1:
            return first.start, first.end
        for j in range(i + max(n - 2, 1), min(i + n + 1, len(words))):
            run = words[i : j + 1]
            inner = [w.key for w in run[1:-1]]
            if run[-1].key == value[-1] and _one_word_apart(inner, value[1:-1]) and _joined(text, run):
                return run[0].start, run[-1].end
    return None


#: Consonants a transliteration back from Hangul or kana spells otherwise: "트럼프" is "teuleompeu" for
#: "Trump" (l for r), "トランプ" is "toranpu" (n for m), "마크롱" is "makeulong" (k for c, ng for n).
_SOUNDS = str.maketrans("lmbgdcqzvfx", "rnpktkkspps")
#: Fewest consonants a name must have to be compared by its consonants alone.
_MIN_SOUNDS = 4
#: How alike the letters must be at least, besides the consonants: the same consonants in other vowels
#: ("Donald" and "Daniel") are another name.
_VOWELED_SCORE = 50.0


def _consonants(key: str) -> str:
    """A name's consonants in order, the ones a transliteration confuses made one, doubles single."""
    sounds = re.sub(r"[aeiouyhw0-9]", "", key.replace("ng", "n")).translate(_SOUNDS)
    return re.sub(r"(.)\1+", r"\1", sounds)


def _sounded(wanted: str, sounds: str, key: str) -> bool:
    """Whether a Latin name (``wanted``, its consonants ``sounds``) and a transliteration from a script that
    writes a vowel after every consonant (Hangul, kana) are the same name: "donaldtrump" and
    "doneoldeuteuleompeu" have the same consonants in the same order, enough of them, and their letters
    are half alike."""
    return (
        len(sounds) >= _MIN_SOUNDS
        and sounds == _consonants(key)
        and fuzz.ratio(wanted, key) >= _VOWELED_SCORE
    )


def _transliterated(value: str, text: str, *, any_script: bool = False) -> tuple[int, int] | None:
    """Where ``text`` writes ``value`` in another script: the run of as many words (up to one more)
    whose transliteration is most like the value's, at least :data:`RESPELL_SCORE` ("Lisbon" and
    "Лісабон", "Moon Jae-in" and "문재인"), or failing that a run of as many words with the same consonants
    (``_sounded``: "Donald Trump" and "도널드 트럼프"); None if no run is like it, or the value is too short
    to tell.

    Within one script a close spelling is another word ("Kim Jong Il" is not "Kim Jong-un"), so runs in
    the value's own script are compared only with ``any_script``: a caller that knows the words stand
    for the value (a sentence and its translation: "Lisbon" and "Lisboa")."""
    wanted = _key(value)
    if len(wanted) < 3:
        return None
    latin = _is_latin(value)
    words = _words(text)
    size = len(_WORD.findall(value))
    sounds = _consonants(wanted) if latin else ""
    best: tuple[float, int, int] | None = None
    for width in range(1, size + 2):
        for n in range(len(words) - width + 1):
            run = words[n : n + width]
            if not any_script and any(w.latin == latin for w in run):
                continue  # the same script: spelled otherwise is another word, not a transliteration
            key = "".join(w.key for w in run)
            score = fuzz.ratio(wanted, key)
            by_sound = sounds and width == size and not any(w.latin for w in run)
            if score < RESPELL_SCORE and by_sound and _sounded(wanted, sounds, key):
                score = RESPELL_SCORE  # by its consonants, word for word: never above a spelling's match
            if score >= RESPELL_SCORE and (best is None or score > best[0]):
                best = (score, run[0].start, run[-1].end)
    return None if best is None else (best[1], best[2])


def spelling(
    value: str, text: str, *, surname: bool = False, any_script: bool = False
) -> tuple[int, int] | None:
    """Where ``text`` writes ``value`` in its own spelling, as (start, end), or None if it does not.

    Tried in order: as written (``align``'s exact and folded tiers); the same words with hyphens or
    spaces between them and at most one word more or fewer in the middle ("Kim Jong Un" and "Kim
    Jong-un", "José Mujica" and "José Pepe Mujica"); in another script, by transliteration
    (``_transliterated``; ``any_script`` lets it compare close spellings in one script too). With
    ``surname`` (a person's name), last its final word alone, when the article calls the person by it
    ("Emmanuel Macron" and "Macron"), if it is long enough to be a name.
    """
    match = align(value, text)
    if match is not None and match.alignment != "fuzzy":
        return match.start, match.end
    words = _WORD.findall(value)
    keys = [_key(w) for w in words]
    found = _same_words(keys, text) if len(keys) >= 2 else None
    found = found or _transliterated(value, text, any_script=any_script)
    if found is None and surname and len(keys) >= 2 and len(keys[-1]) >= 4:
        found = _same_words(keys[-1:], text) or _transliterated(words[-1], text, any_script=any_script)
    return found
