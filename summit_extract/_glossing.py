"""Glossing: labels the model was asked to write in English, but copied from the article, translated.

An article type asks for some labels in English whatever the article's language (a Summit's subjects:
"joint patrols of undersea cables", so that a corpus in ten languages can be searched and compared in
one). A small model often copies them from a German or Korean article instead ("Ausbau der Bahnstrecke
Wien-Prag"), whatever the prompt says (measured: ``benchmarks/tuning/SOURCES.md``). Those labels, and only
those, are sent in one short request after the article is final: the model translates phrases, a task it
does well, and each label is replaced by its translation. The evidence is never touched: it stays the
article's own words.

A label is glossed when its item's class names it (``Grounded.gloss_field``) and the article is not in
English: every such label, not only those a detector reads as another language, since a small model
half-translates ("survol of islands of the mer Égée", "cable submarine between Dunkerque and Zeebruges")
and a language detector reads those as English (measured: ``benchmarks/tuning/``). An English label comes
back as it went. A failed gloss request leaves the labels as the model wrote them: it never costs the
article its findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
        "- Keep names of people; write a place or a country by its English name; add nothing the phrase "
        "does not say.",
        "- A phrase already in English comes back as it is.",
    ]
)


@dataclass
class Gloss:
    """The labels of one article to translate, and the request that translates them."""

    items: list[Grounded]
    call: Call


def _label(item: Grounded) -> str | None:
    """The item's label to write in English (None: its type declares none, or it is empty)."""
    name = type(item).gloss_field
    label = getattr(item, name, None) if name is not None else None
    return label if isinstance(label, str) and label.strip() else None


def _answer_model(count: int) -> type[BaseModel]:
    """``{"english": [...]}`` with exactly ``count`` phrases (a grammar-constrained backend writes no other
    number)."""
    phrases: Any = (list[str], Field(min_length=count, max_length=count, description="One per phrase."))
    return create_model("Glosses", english=phrases)


def plan_gloss(plan: ArticlePlan, value: BaseModel) -> Gloss | None:
    """The request translating ``value``'s labels that need it, or None when none does."""
    if not plan.jobs or detect_language(plan.text) in (ENGLISH, UNKNOWN):
        return None
    chosen = [(item, label) for item in walk(value) if (label := _label(item)) is not None]
    if not chosen:
        return None
    phrases = [label for _, label in chosen]
    call = plan.follow_up(
        _answer_model(len(phrases)),
        SYSTEM,
        json.dumps({"phrases": phrases}, ensure_ascii=False),
        max_tokens=64 + 24 * len(phrases),
    )
    return Gloss([item for item, _ in chosen], call)


def apply(gloss: Gloss, answer: BaseModel | None) -> None:
    """Replace each label by its translation (nothing, when there is no whole answer)."""
    english = getattr(answer, "english", None) if answer is not None else None
    if not isinstance(english, list) or len(english) != len(gloss.items):
        return
    for item, translated in zip(gloss.items, english, strict=True):
        if str(translated).strip():
            setattr(item, str(type(item).gloss_field), str(translated).strip())
