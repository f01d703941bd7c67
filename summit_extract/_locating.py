"""Sentence grounding: a finding the model stated in its own words is located, not dropped.

A small model often writes the right finding with its own summary as evidence ("Japan's objection to
China's oil drilling in the East China Sea"): those words are not in the article, so verbatim grounding
finds nothing. Instead of dropping the item, the sentence of the article that states it is found (the
sentence sharing most of the evidence's and the subject's content words) and the item is grounded there,
honestly marked: ``span.alignment == "sentence"``, the evidence becomes that sentence's words, and
``span.score`` is the share of the model's words the sentence holds. What no sentence supports is still
dropped (or flagged).

Only item types that opt in (``Grounded.locatable``: findings, not names or quotes) are located, and
only items that are otherwise valid: one the model wrote malformed stays ungrounded. Nor is a finding
the model took from a worked example rather than the article (its subject is an example's, word for
word, or its evidence an example's sentence): a small model reading an article in another language
echoes the example it read last ("fishing quotas in the Barents Sea" in a Lithuanian-Finnish summit),
and placing that in some sentence of the article would turn an invention into a grounded finding.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from ._aligning import fold
from ._countries import states_named
from ._grounding import LABEL_FIELDS, Grounded, Span, is_unaligned
from ._input import injected_spans
from ._rules import Rule, RuleContext

__all__ = [
    "MIN_SHARE",
    "MIN_SHARED",
    "SENTENCE_GROUNDING",
    "echoes_example",
    "features",
    "ground_in_sentences",
    "honest_sentences",
    "locate",
    "unplaced",
]

#: Least share of the model's content words a sentence must hold to ground a finding.
MIN_SHARE = 0.5
#: Least number of content words it must share (one shared name proves nothing).
MIN_SHARED = 2


def _is_spaced(text: str) -> bool:
    """Whether a text is written with spaces between words (not Japanese, Chinese or Thai)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    unspaced = sum(
        1 for ch in letters if unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "THAI"))
    )
    return unspaced < 0.3 * len(letters)


def features(text: str) -> set[str]:
    """The content of a text, comparable across inflections: words of four letters or more cut to their
    first five (a crude stem: "objection" and "objected" agree), or pairs of characters for scripts
    written without spaces. Names of states are left out: an article about two states names them in
    every sentence, so they tell no sentence from another."""
    folded = fold(text)
    if not _is_spaced(folded):
        chars = [ch for ch in folded if ch.isalnum()]
        return {a + b for a, b in itertools.pairwise(chars)}
    return {w[:5] for w in re.findall(r"[^\W_]+", folded) if len(w) >= 4 and not _names_state(w)}


@functools.lru_cache(maxsize=4096)
def _names_state(word: str) -> bool:
    return bool(states_named(word))


def locate(
    evidence: str, subject: str, text: str, sentences: tuple[tuple[int, int], ...]
) -> tuple[int, int, float] | None:
    """The sentence of ``text`` that best states what the model wrote: (start, end, score), or None.

    A sentence must hold at least :data:`MIN_SHARE` of the evidence's content words (and at least
    :data:`MIN_SHARED` of them); among those, the one holding most of the evidence's and, a quarter as
    much, of the subject's words wins. The evidence rules: a subject says what, and its words recur in
    other sentences about the same matter."""
    wanted = features(evidence)
    about = features(subject)
    if len(wanted) < MIN_SHARED:
        return None
    best: tuple[float, int, int] | None = None
    for start, end in sentences:
        held = features(text[start:end])
        shared = len(wanted & held)
        share = shared / len(wanted)
        if shared < MIN_SHARED or share < MIN_SHARE:
            continue
        score = 0.75 * share + 0.25 * (len(about & held) / len(about) if about else share)
        if best is None or score > best[0]:
            best = (score, start, end)
    return None if best is None else (best[1], best[2], best[0])


def honest_sentences(context: RuleContext) -> tuple[tuple[int, int], ...]:
    """The article's sentences but those of an instruction planted in it (a prompt injection): the model
    may well have obeyed it, and its words are no report of anything."""
    planted = injected_spans(context.text)
    return tuple(b for b in context.sentences if not any(lo < b[1] and b[0] < hi for lo, hi in planted))


def _valid(item: Grounded) -> bool:
    """Whether the item as the model wrote it passes its own checks (a malformed one is not located)."""
    try:
        type(item).model_validate(item.model_dump(exclude={"span"}))
    except (ValidationError, ValueError, AttributeError):
        return False
    return True


def _unaligned(value: BaseModel, text: str) -> Iterator[tuple[str, list[Any], Grounded]]:
    """Each unaligned, locatable item of ``value``'s lists that passes its own checks and is not taken
    from a worked example instead of ``text``, with its list's name and the list."""
    examples = getattr(type(value), "examples", ())
    for name in type(value).model_fields:
        items = getattr(value, name)
        if not isinstance(items, list):
            continue
        for item in items:
            if (
                isinstance(item, Grounded)
                and type(item).locatable
                and is_unaligned(item)
                and _valid(item)
                and not echoes_example(item, name, examples, text)
            ):
                yield name, items, item


#: Fewest words of an example's sentence an evidence must repeat to count as copied from it.
_ECHO_WORDS = 4


def echoes_example(item: Grounded, field: str, examples: Any, text: str = "") -> bool:
    """Whether ``item`` (of the list ``field``) repeats a worked example instead of the article: its label
    has the content words of the label of an item of the example's same list (at least two), or its
    evidence is a run of at least four words of the example's text. Only unaligned items are asked about,
    and a label whose words are all in the article ``text`` is the article's own: an English article about
    a "gas supply deal" may have the model paraphrase its evidence and name it as the example does."""
    label = features(item.label())
    if label and label <= _text_features(text):
        return False
    evidence = fold(item.evidence_text())
    for example in examples if isinstance(examples, (list, tuple)) else ():
        if len(evidence.split()) >= _ECHO_WORDS and evidence in fold(example.text):
            return True
        answers = example.answer.get(field) if isinstance(example.answer, dict) else None
        for answer in answers if isinstance(answers, list) else ():
            theirs = _label_of(answer)
            if len(label) >= MIN_SHARED and theirs is not None and features(theirs) == label:
                return True
    return False


@functools.lru_cache(maxsize=8)
def _text_features(text: str) -> frozenset[str]:
    """The content words of a whole article, read once for all its findings."""
    return frozenset(features(text))


def _label_of(answer: Any) -> str | None:
    """An example's item's label, as :meth:`Grounded.label` reads an item's (its name, subject, ...)."""
    if not isinstance(answer, dict):
        return None
    for name in LABEL_FIELDS:
        value = answer.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def ground_in_sentences(value: BaseModel, context: RuleContext) -> list[Grounded]:
    """Ground each unaligned, locatable item in the sentence that states it; return the items grounded.

    A sentence that already grounds an item of the same list keeps that one: a paraphrase landing there
    says the same thing again, or something the sentence does not say."""
    grounded = []
    honest = honest_sentences(context)
    for _, items, item in _unaligned(value, context.text):
        found = locate(item.evidence_text(), item.label(), context.text, honest)
        if found is None:
            continue
        start, end, score = found
        span = Span(start=start, end=end, alignment="sentence", score=round(100 * score, 1))
        taken = [o.span for o in items if o is not item and isinstance(o, Grounded) and not is_unaligned(o)]
        if any(o is not None and o.start < end and start < o.end for o in taken):
            continue
        setattr(item, item.evidence_field, context.text[start:end])
        item.span = span
        grounded.append(item)
    return grounded


def unplaced(value: BaseModel, context: RuleContext) -> list[tuple[str, Grounded]]:
    """The unaligned, locatable, valid findings of ``value`` that no sentence holds in their words (what
    sentence grounding would drop), each with the name of its list."""
    honest = honest_sentences(context)
    return [
        (name, item)
        for name, _, item in _unaligned(value, context.text)
        if locate(item.evidence_text(), item.label(), context.text, honest) is None
    ]


def _apply(value: Any, context: RuleContext) -> None:
    ground_in_sentences(value, context)


#: The engine's grounding rule, for every article type: it needs no wording, so it runs in any language.
SENTENCE_GROUNDING = Rule(
    "sentence_grounding",
    "ground",
    _apply,
    languages=None,
    doc="A finding whose evidence is not in the article is grounded in the sentence that states it, "
    "marked alignment='sentence'; only what no sentence supports is dropped.",
)
