"""Translating: an article in another language is read in English, and what is found in it is brought back
to the article's own words.

A small model asked in English about a French, Portuguese or Korean article reads it poorly: it calls a
summit of heads of state no summit, misses what was signed, and writes its evidence half translated, so
that no sentence of the article holds it (measured on the validation set: the non-English articles score
half the English ones). It translates well, sentence by sentence. So, before the passes:

1. the article's sentences (``_language.sentences``) are numbered and sent in one request per
   :data:`GROUP_CHARS` of text; the model answers exactly one English sentence for each, in order, names
   of people and places kept as the article writes them;
2. the English sentences, joined as the article's are, make the text every pass reads; each remembers
   the article's sentence it translates (:class:`Reading`);
3. once the result is settled, every grounded item is brought back (:func:`restore`): its evidence becomes
   the words of the article's sentence that the English evidence lay in, or as few of them as the item
   says state it (``Grounded.restore_evidence``: a name, a date), its span there, marked
   ``alignment="translated"``; and each field holding words the article writes (``Grounded.written_fields``:
   a name, a place) takes the article's own spelling of them where that sentence holds one, across
   scripts by transliteration ("Lisbon" -> "Lisboa", "Putin" -> "Путін"); so does each StatedText field
   of the answer (a meeting's name), or becomes None where the article writes it in no spelling.

A group whose request fails is read as written: its sentences stand in the text untranslated, so nothing
of the article is lost. English articles, and those whose language cannot be told, are never translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from ._aligning import align
from ._backend import Backend
from ._config import RetryPolicy
from ._deadline import Deadline
from ._fields import respell_stated
from ._grounding import Grounded, Span, is_unaligned, unaligned, walk, write_as_the_article
from ._language import UNKNOWN, detect_language, sentences
from ._planning import Call

__all__ = ["GROUP_CHARS", "READ_IN", "Reading", "Translation", "plan_reading", "read", "restore"]

#: The language the passes read best (their instructions and worked examples are written in it).
READ_IN = "en"

#: Most characters of the article one translation request carries: a small model keeps count of a dozen
#: sentences, and a shorter request costs less when it must be sent again.
GROUP_CHARS = 2_500

SYSTEM = "\n".join(
    [
        "You translate a news article into English, sentence by sentence.",
        "The article's sentences are numbered [1], [2], ...",
        "Answer, in order, one English translation for each numbered sentence.",
        "Write names of people and places exactly as the article writes them, in the same letters.",
        "Add nothing the sentence does not say: no year, month or name it does not give.",
    ]
)


@dataclass
class Reading:
    """The requests translating one article: its sentences and, for each group of them, the request."""

    original: str
    language: str
    #: (start, end) of each of the article's sentences.
    sentences: tuple[tuple[int, int], ...]
    #: The sentences each request translates, by index, and the request.
    groups: list[tuple[range, Call]]

    @property
    def calls(self) -> list[tuple[str, Call]]:
        """Each request with its key in the result's ``requests`` ("translate", "translate@2", ...)."""
        many = len(self.groups) > 1
        return [
            (f"translate@{n}" if many else "translate", call) for n, (_, call) in enumerate(self.groups, 1)
        ]


@dataclass(frozen=True)
class Translation:
    """An article read in English: the text the passes read, and where each of its sentences comes from."""

    #: The article's language (ISO 639-1).
    language: str
    #: The English text the passes read.
    text: str
    #: For each sentence of ``text``, its (start, end) there and the (start, end) in the article of the
    #: sentence it translates.
    pairs: tuple[tuple[tuple[int, int], tuple[int, int]], ...]

    def source(self, start: int, end: int) -> tuple[int, int] | None:
        """The article's sentences (start, end) whose translations hold ``text[start:end]``."""
        held = [orig for (a, b), orig in self.pairs if a < max(end, start + 1) and start < b]
        return (held[0][0], held[-1][1]) if held else None


def _answer_model(count: int) -> type[BaseModel]:
    """``{"sentences": [...]}``: exactly ``count`` translations."""
    line = Annotated[str, Field(max_length=2_000)]
    answer: Any = (list[line], Field(min_length=count, max_length=count, description="One per sentence."))
    return create_model("Translation", sentences=answer)


def plan_reading(
    text: str, backend: Backend, policy: RetryPolicy, *, language: str | None = None
) -> Reading | None:
    """The requests translating ``text`` into English, or None when it is in English or no language tells."""
    language = language or detect_language(text)
    if language in (READ_IN, UNKNOWN):
        return None
    bounds = sentences(text, language)
    if not bounds:
        return None
    groups: list[range] = []
    first, size = 0, 0
    for n, (a, b) in enumerate(bounds):
        if n > first and size + (b - a) > GROUP_CHARS:
            groups.append(range(first, n))
            first, size = n, 0
        size += b - a
    groups.append(range(first, len(bounds)))
    deadline = Deadline(policy.total_timeout)
    calls = []
    for group in groups:
        numbered = "\n".join(
            f"[{k}] {' '.join(text[bounds[i][0] : bounds[i][1]].split())}" for k, i in enumerate(group, 1)
        )
        chars = sum(bounds[i][1] - bounds[i][0] for i in group)
        call = Call(
            backend=backend,
            schema=_answer_model(len(group)),
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": numbered}],
            context=None,
            policy=policy,
            # An English sentence takes about a token per four characters of its source, a Korean one more.
            max_tokens=64 + 8 * len(group) + chars // 2,
            deadline=deadline,
        )
        calls.append((group, call))
    return Reading(text, language, bounds, calls)


def read(reading: Reading, answers: list[BaseModel | None]) -> Translation | None:
    """The article in English, from each group's answer (None: that group's sentences stay as written);
    None when no group was answered: the article is then read as written."""
    if all(answer is None for answer in answers):
        return None
    translated: list[str] = []
    for (group, _), answer in zip(reading.groups, answers, strict=True):
        lines = getattr(answer, "sentences", None) if answer is not None else None
        if not isinstance(lines, list) or len(lines) != len(group):
            lines = [reading.original[reading.sentences[i][0] : reading.sentences[i][1]] for i in group]
        translated += [" ".join(str(line).split()) or "-" for line in lines]
    parts: list[str] = []
    pairs = []
    at = 0
    for n, (sentence, bounds) in enumerate(zip(translated, reading.sentences, strict=True)):
        if n:
            gap = reading.original[reading.sentences[n - 1][1] : bounds[0]]
            parts.append("\n" * gap.count("\n") if "\n" in gap else " ")
            at += len(parts[-1])
        pairs.append(((at, at + len(sentence)), bounds))
        parts.append(sentence)
        at += len(sentence)
    return Translation(reading.language, "".join(parts), tuple(pairs))


def restore(value: BaseModel, original: str, translation: Translation) -> list[Grounded]:
    """Bring every grounded item of ``value`` back to the article's words (see the module docstring);
    return those that no sentence of the article holds (their evidence lay in no translated sentence, or
    the words they rest on are not in it: a date the translation added), now unaligned."""
    respell_stated(value, original)
    lost = []
    for item in walk(value):
        if item.span is None or is_unaligned(item):
            continue
        found = translation.source(item.span.start, item.span.end)
        if found is None:
            lost.append(unaligned(item))
            continue
        start, end = found
        sentence = original[start:end]
        copied = align(item.evidence_text(), sentence)
        if copied is not None and copied.alignment != "fuzzy":
            # The words are the article's own (a name, a sentence left untranslated): keep them as found.
            setattr(item, item.evidence_field, sentence[copied.start : copied.end])
            span = Span(
                start=start + copied.start, end=start + copied.end, alignment=copied.alignment, score=100.0
            )
            item.span = span
            continue
        write_as_the_article(item, sentence, original, any_script=True)
        bounds = item.restore_evidence(sentence)
        if bounds is None:
            lost.append(unaligned(item))
            continue
        lo, hi = bounds
        setattr(item, item.evidence_field, sentence[lo:hi])
        item.span = Span(start=start + lo, end=start + hi, alignment="translated", score=item.span.score)
    return lost
