"""Glossing: labels the model was asked to write in English, but copied from the article, translated.

An article type asks for some labels in English whatever the article's language (a Summit's subjects:
"joint patrols of undersea cables", so that a corpus in ten languages can be searched and compared in
one). A small model often copies them from a German or Korean article instead ("Ausbau der Bahnstrecke
Wien-Prag"), whatever the prompt says (measured: ``benchmarks/tuning/SOURCES.md``). Those labels, and only
those, are sent in one short request after the article is final: the model translates phrases, a task it
does well, and each label is replaced by its translation. The evidence is never touched: it stays the
article's own words.

A label is glossed when its item's class names it (``Grounded.gloss_field``), the article is not in
English, and the label itself does not read as English. A failed gloss request leaves the labels as the
model wrote them: it never costs the article its findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, create_model

from ._grounding import Grounded, walk
from ._language import UNKNOWN, detect_language
from ._planning import ArticlePlan, Call

__all__ = ["Gloss", "apply", "plan_gloss"]

ENGLISH = "en"

SYSTEM = "\n".join(
    [
        "You translate short phrases from a news article into English.",
        "Rules:",
        "- Translate each phrase into a short English phrase of the same meaning, in the same order.",
        "- Keep names of people and places; add nothing the phrase does not say.",
    ]
)


@dataclass
class Gloss:
    """The labels of one article to translate, and the request that translates them."""

    items: list[Grounded]
    call: Call
    #: The translations, once answered (None: not answered, the labels stay as written).
    english: list[str] | None = field(default=None)


def _needs_gloss(item: Grounded, article_language: str) -> bool:
    name = type(item).gloss_field
    if name is None or article_language in (ENGLISH, UNKNOWN):
        return False
    label = getattr(item, name, None)
    return isinstance(label, str) and bool(label.strip()) and detect_language(label) != ENGLISH


def _answer_model(count: int) -> type[BaseModel]:
    """``{"english": [...]}`` with exactly ``count`` phrases (a grammar-constrained backend writes no other
    number)."""
    phrases: Any = (list[str], Field(min_length=count, max_length=count, description="One per phrase."))
    return create_model("Glosses", english=phrases)


def plan_gloss(plan: ArticlePlan, value: BaseModel) -> Gloss | None:
    """The request translating ``value``'s labels that need it, or None when none does."""
    if not plan.jobs:
        return None
    language = detect_language(plan.text)
    items = [item for item in walk(value) if _needs_gloss(item, language)]
    if not items:
        return None
    phrases = [str(getattr(item, str(type(item).gloss_field))) for item in items]
    listed = json.dumps({"phrases": phrases}, ensure_ascii=False)
    first = plan.jobs[0].call
    call = Call(
        backend=plan.backend,
        schema=_answer_model(len(phrases)),
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": listed}],
        context=None,
        policy=first.policy,
        max_tokens=64 + 24 * len(phrases),
        deadline=first.deadline,
    )
    return Gloss(items, call)


def apply(gloss: Gloss, answer: BaseModel | None) -> None:
    """Replace each label by its translation (nothing, when there is no whole answer)."""
    english = getattr(answer, "english", None) if answer is not None else None
    if not isinstance(english, list) or len(english) != len(gloss.items):
        return
    gloss.english = [str(e).strip() for e in english]
    for item, translated in zip(gloss.items, gloss.english, strict=True):
        if translated:
            setattr(item, str(type(item).gloss_field), translated)
