"""The event: what the records of many articles tell of one happening, each value traced to its articles.

An :class:`Event` holds, for each field of the article type, what its articles say: a scalar field (the place,
the date, the name) as a :class:`Claim`, every distinct value with its :class:`Source` list and the one most
articles support; a list field (participants, agreements) as :class:`Fact` items, each merged across articles
by the type's own sameness and listing every article, span and evidence that states it. Values the sources
disagree on are never resolved silently: the claim keeps each of them, and ``disagreements`` names them.

Values are JSON (``model_dump(mode="json")`` of the article type's own items), so an event reads the same
whatever type produced it; ``schemas/event.schema.json`` describes the format.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ._grounding import Span

__all__ = ["ArticleRef", "Claim", "ClaimValue", "Event", "Fact", "Source"]

ArticleId = str | int


class Source(BaseModel):
    """Where an article states a value: its id, and the span and evidence in its text (None if the value is
    not an evidence-backed item, e.g. a name the article writes)."""

    article: ArticleId = Field(description="The record's id (the article's).")
    span: Span | None = Field(default=None, description="Where the evidence lies: text[start:end].")
    evidence: str | None = Field(default=None, description="The article's own words stating the value.")


class ClaimValue(BaseModel):
    """One value articles give, and which articles give it."""

    value: Any = Field(description="The value, as JSON (an item without its span, or a plain value).")
    label: str = Field(description="The value in a few words, for reports.")
    sources: list[Source] = Field(description="Every article (and span) stating this value.")

    @property
    def articles(self) -> int:
        """How many distinct articles state it."""
        return len({repr(s.article) for s in self.sources})


class Claim(BaseModel):
    """What the articles say of one field: each distinct value with its sources, and the majority's."""

    values: list[ClaimValue] = Field(description="Distinct values, most-supported first.")
    majority: int | None = Field(
        description="Index in values of the value most articles state; null on a tie."
    )
    agreed: bool = Field(description="True when every article stating the field states the same value.")


class Fact(BaseModel):
    """One item (a participant, an agreement...) merged across the articles that state it."""

    label: str = Field(description="The item in a few words, for reports.")
    value: Any = Field(description="The merged item as JSON, without a span: the fullest one, completed.")
    sources: list[Source] = Field(description="Each article, span and evidence stating it.")
    claims: dict[str, Claim] = Field(
        default_factory=dict,
        description="Fields of the item the articles may disagree on (a status, a kind), with their sources.",
    )


class ArticleRef(BaseModel):
    """An article of the event."""

    id: ArticleId
    published: str | None = Field(default=None, description="Publication date, YYYY-MM-DD, if known.")
    reports_event: bool = Field(
        description="Whether the article reports the event (else: joined by a finding)."
    )


class Event(BaseModel):
    """One event told by one or more articles: each value with the articles, spans and evidence stating it."""

    event: str = Field(description="A stable id: a hash of the ids of its articles.")
    type: str = Field(description="The article type its records are of (its registered name).")
    articles: list[ArticleRef] = Field(
        description="The articles telling of it, in the order consolidation met them (by window start)."
    )
    window: tuple[str, str] | None = Field(
        default=None, description="First and last day the event may lie in (YYYY-MM-DD), if known."
    )
    fields: dict[str, Claim] = Field(
        default_factory=dict, description="Scalar fields (place, date, name...): what the articles say."
    )
    facts: dict[str, list[Fact]] = Field(
        default_factory=dict, description="List fields (participants, agreements...): merged items."
    )
    disagreements: list[str] = Field(
        default_factory=list,
        description="Where the articles disagree: a field ('date'), or an item's ('agreements[0].status').",
    )
