"""Citing: a finding that no sentence holds in its words is placed by the model, by the sentence's number.

Sentence grounding (``_locating``) places a finding the model wrote in its own words by the words it
shares with a sentence. A translation shares few: asked about a Spanish article, a small model writes
"both mandataries agreed to eliminate the visa for students" for "Ambos mandatarios ... acordaron eliminar
el visado para estudiantes", and about a Korean one it shares none (measured: ``benchmarks/tuning``).
Such findings would be dropped. Those, and only those (a finding in the article's own language that no
sentence holds is a loose paraphrase or an invention, not a translation), are sent in one short request
after the answers are merged: the article's sentences numbered, the findings listed, and the model answers
for each the number of the sentence stating it, or 0. Picking a number is a task it does well where
copying a foreign sentence word for word is not; code then takes that sentence's words as the evidence,
marked ``alignment="cited"``, so the evidence is still the article's own and says how it was found.

A finding whose words are an instruction planted in the article is never asked about. A cited sentence
written in the finding's own script that shares not one content word with it is a miscount or a number
picked at random: the sentence before or after it is taken if it shares at least two (measured on
``benchmarks/tuning``: "agreed to double direct flights between Algeciras and Gotemburgo" was cited one
sentence early), else none. A cited sentence is refused when an instruction planted in the article holds
it, or when it already grounds another item of the same list about the same thing. A failed request cites
nothing: the findings are then dropped or flagged as before.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from ._aligning import fold
from ._grounding import Grounded, Span, is_unaligned
from ._input import injected_spans
from ._language import UNKNOWN, detect_language
from ._locating import MIN_SHARED, features, honest_sentences, unplaced
from ._planning import ArticlePlan, Call
from ._rules import RuleContext

__all__ = ["MAX_CHARS", "Citation", "apply", "plan_cite"]

#: Longest article whose sentences are numbered in one request: beyond it the request would cost more
#: than the few findings it may place (and a small model loses count).
MAX_CHARS = 12_000

SYSTEM = "\n".join(
    [
        "You find where a news article states each finding.",
        "The article's sentences are numbered [1], [2], ...",
        "The findings may be written in another language than the article.",
        "For each finding, in order, answer the number of the one sentence that states it, or 0 if none.",
    ]
)


@dataclass
class Citation:
    """The findings of one article to place, the sentences they may be placed in, and the request."""

    text: str
    #: Each finding with the name of the list that holds it.
    items: list[tuple[str, Grounded]]
    sentences: list[tuple[int, int]]
    call: Call


def _answer_model(count: int, sentences: int) -> type[BaseModel]:
    """``{"sentence": [...]}``: exactly ``count`` numbers from 0 to ``sentences``."""
    number = Annotated[int, Field(ge=0, le=sentences)]
    cited: Any = (list[number], Field(min_length=count, max_length=count, description="One per finding."))
    return create_model("Citations", sentence=cited)


def plan_cite(plan: ArticlePlan, value: BaseModel) -> Citation | None:
    """The request placing ``value``'s findings that no sentence holds in their words, or None."""
    if not plan.jobs or len(plan.text) > MAX_CHARS:
        return None
    ctx = RuleContext.of(plan.whole_context())
    # Never a finding set aside because its words are an instruction planted in the article: placing
    # it in an honest sentence would launder what the injection made the model say.
    planted = [fold(plan.text[lo:hi]) for lo, hi in injected_spans(plan.text)]
    items = [
        (f, it)
        for f, it in unplaced(value, ctx)
        if _translated(it, ctx.language) and not any(fold(it.evidence_text()) in p for p in planted)
    ]
    if not items:
        return None
    sentences = list(honest_sentences(ctx))
    numbered = "\n".join(f"[{n}] {' '.join(plan.text[a:b].split())}" for n, (a, b) in enumerate(sentences, 1))
    findings = "\n".join(f"{n}. {it.label()}: {it.evidence_text()}" for n, (_, it) in enumerate(items, 1))
    call = plan.follow_up(
        _answer_model(len(items), len(sentences)),
        SYSTEM,
        f"Article:\n{numbered}\n\nFindings:\n{findings}",
        max_tokens=32 + 8 * len(items),
    )
    return Citation(plan.text, items, sentences, call)


def _translated(item: Grounded, language: str) -> bool:
    """Whether the finding is written in another language than the article's (or one not told): what
    citing is for. One in the article's own language that no sentence holds in its words is a loose
    paraphrase or an invention ("the leaders pledged a rail link to Lyon" in an article about Seoul), and
    numbering the article for it would cost a request for nothing."""
    return language == UNKNOWN or detect_language(item.evidence_text()) != language


def _script(text: str) -> str:
    """The script most of a text's letters are written in ("LATIN", "HANGUL", "CYRILLIC", "CJK", ...)."""
    names = Counter(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())
    return names.most_common(1)[0][0] if names else ""


def apply(citation: Citation, answer: BaseModel | None, value: BaseModel) -> list[Grounded]:
    """Ground each finding in the sentence cited for it, where that holds; return the findings placed."""
    numbers = getattr(answer, "sentence", None) if answer is not None else None
    if not isinstance(numbers, list) or len(numbers) != len(citation.items):
        return []
    text = citation.text
    placed = []
    for (field, item), number in zip(citation.items, numbers, strict=True):
        if not (isinstance(number, int) and 1 <= number <= len(citation.sentences)):
            continue
        start, end = citation.sentences[number - 1]
        said = f"{item.evidence_text()} {item.label()}"
        if _script(said) == _script(text[start:end]) and not features(said) & features(text[start:end]):
            # The same script and not one word in common: a number next to the right one (a small model
            # miscounts by one) or a number at random; only a neighbour that shares words is taken.
            nearby = _neighbour(citation, number, said)
            if nearby is None:
                continue
            start, end = nearby
        sentence = text[start:end]
        if _taken(getattr(value, field), item, start, end):
            continue
        wanted = features(item.evidence_text())
        score = 100 * len(wanted & features(sentence)) / len(wanted) if wanted else 0.0
        setattr(item, item.evidence_field, sentence)
        item.span = Span(start=start, end=end, alignment="cited", score=round(score, 1))
        placed.append(item)
    return placed


def _neighbour(citation: Citation, number: int, said: str) -> tuple[int, int] | None:
    """The sentence before or after sentence ``number`` sharing most content words with ``said`` (at
    least :data:`MIN_SHARED` of them), or None."""
    wanted = features(said)
    best: tuple[int, tuple[int, int]] | None = None
    for near in (number - 1, number + 1):
        if 1 <= near <= len(citation.sentences):
            bounds = citation.sentences[near - 1]
            shared = len(wanted & features(citation.text[bounds[0] : bounds[1]]))
            if shared >= MIN_SHARED and (best is None or shared > best[0]):
                best = (shared, bounds)
    return None if best is None else best[1]


def _taken(items: list[Any], item: Grounded, start: int, end: int) -> bool:
    """Whether another item of the list, about the same thing, is grounded in that sentence already."""
    about = features(item.label())
    for other in items:
        if other is item or not isinstance(other, Grounded) or other.span is None or is_unaligned(other):
            continue
        if other.span.start < end and start < other.span.end:
            theirs = features(other.label())
            if not about or not theirs or len(about & theirs) >= 0.5 * min(len(about), len(theirs)):
                return True
    return False
