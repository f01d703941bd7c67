"""A small article type, written on the public names only, for the tests of the extension points.

Truce talks: the sides (their names are their evidence), the verdict, and the terms agreed. With a worked
example, scoring rules, an article and what a model might answer for it, pass by pass. The entry-point test
installs this very file as a package of its own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from summit_extract import Document, Example, Grounded, ListRule, Pass, Scoring


class Side(Grounded):
    evidence_field: ClassVar[str] = "name"
    name: str = Field(description="A side as the article names it.")


class Term(Grounded):
    evidence: str = Field(description="The words of the article that state the term.")
    subject: str = Field(description="What was agreed, in a few words.")


class Truce(Document):
    """Truce talks between two sides and what they agreed."""

    sides: list[Side] = Field(default_factory=list, description="The sides at the talks.")
    is_truce: bool = Field(default=False, description="True if the article reports truce talks.")
    terms: list[Term] = Field(default_factory=list, description="What the sides agreed.")

    passes: ClassVar[tuple[Pass, ...]] = (
        Pass("frame", ("sides", "is_truce"), "List the sides; last, is_truce."),
        Pass("terms", ("terms",), "List every term the sides agreed."),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            text="Envoys of Ruritania and Freedonia met for truce talks and agreed to swap prisoners.",
            answer={
                "sides": [{"name": "Ruritania"}, {"name": "Freedonia"}],
                "is_truce": True,
                "terms": [{"evidence": "agreed to swap prisoners", "subject": "prisoner swap"}],
            },
        ),
    )
    event_fields: ClassVar[tuple[str, ...]] = ("sides",)

    def reports_event(self) -> bool:
        return self.is_truce


class GoldTruce(BaseModel):
    is_truce: bool
    sides: list[str] = []
    terms: list[str] = []


class TruceScoring(Scoring):
    gold = GoldTruce
    accuracy: ClassVar[dict[str, Any]] = {"is_truce": lambda gold, truce: gold.is_truce == truce.is_truce}
    lists: ClassVar[dict[str, ListRule]] = {
        "sides": ListRule(lambda gold, side: float(gold == side.name), threshold=1.0, gold_label=str),
        "terms": ListRule(lambda gold, term: float(gold == term.subject), threshold=1.0, gold_label=str),
    }


Truce.scoring = TruceScoring()

ARTICLE = (
    "Delegates of Elbonia and Kazakstania met for truce talks on Friday and agreed to reopen the border."
)
ANSWERS: dict[str, Any] = {
    "frame": {"sides": [{"name": "Elbonia"}, {"name": "Kazakstania"}], "is_truce": True},
    "terms": {
        "terms": [
            {"evidence": "agreed to reopen the border", "subject": "border reopening"},
            {"evidence": "agreed to a lasting peace", "subject": "lasting peace"},  # not in the article
        ]
    },
}
GOLD = {"is_truce": True, "sides": ["Elbonia", "Kazakstania"], "terms": ["border reopening"]}
