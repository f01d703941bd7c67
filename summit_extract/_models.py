"""The schemas: a Summit, its participants, agreements, disputes and statements.

Field descriptions are written for the model (the prompt renders them as its field guide); validators
reject malformed values with messages that tell the model exactly what to change on a re-ask.
Fields the model does not fill (spans, normalized countries, resolved dates) are hidden from the JSON
Schema sent to it with ``SkipJsonSchema`` and filled in by the library.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from . import _dates
from ._aligning import contains, fold
from ._grounding import Grounded, Span, context_of

AgreementKind = Literal[
    "security",
    "trade",
    "economic",
    "technology",
    "energy",
    "environment",
    "political",
    "humanitarian",
    "cultural",
    "other",
]
AgreementStatus = Literal["agreed", "signed", "planned", "proposed", "offered", "in progress", "rejected"]
DisputeStatus = Literal["ongoing", "escalating", "easing", "resolved"]

_TITLE_WORDS = {
    "president",
    "prime minister",
    "premier",
    "chancellor",
    "king",
    "queen",
    "emperor",
    "minister",
    "foreign minister",
    "secretary",
    "secretary of state",
    "leader",
    "head of state",
    "ambassador",
    "sultan",
    "emir",
    "prince",
    "vice president",
    "governor",
    "mayor",
    "envoy",
    "delegate",
}


def _clean(value: str | None) -> str | None:
    """Strip a string; an empty or 'null'-like string means 'not stated'."""
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value.lower() in {"", "null", "none", "n/a", "unknown", "not stated"} else value


def _clean_any(value: object) -> object:
    return _clean(value) if isinstance(value, str) else value


#: An optional string where "", "null", "unknown" and the like mean "not stated".
OptionalText = Annotated[str | None, BeforeValidator(_clean_any)]


def _stated(value: str | None, info: ValidationInfo, what: str) -> str | None:
    """Keep a value only if the article states it; re-ask otherwise, and on the last attempt drop it."""
    context = context_of(info)
    if not value or context is None or "source_text" not in context:
        return value
    text = context["source_text"]
    if contains(text, value) or _country_in_text(value, text):
        return value
    if context.get("final_attempt"):
        return None
    raise ValueError(f"{what} {value!r} is not written in the article; copy it from the article, or use null")


class Country(BaseModel):
    """A country normalized to ISO 3166 by the library (never by the model)."""

    name: str = Field(description="Canonical English name, or the text as written when unknown.")
    alpha2: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code.")
    alpha3: str | None = Field(default=None, description="ISO 3166-1 alpha-3 code.")
    known: bool = Field(description="False when the name matched no ISO 3166 country.")


class Participant(Grounded):
    """A person (or a country's delegation) taking part in the summit."""

    evidence: str = Field(description="Short verbatim phrase of the article naming this participant.")
    name: OptionalText = Field(
        description="The person's full name as written, e.g. 'Fumio Kishida'; null if only a country's "
        "delegation is mentioned."
    )
    title: OptionalText = Field(
        default=None,
        description="Title or role as written, e.g. 'President'; null if the article gives none.",
    )
    country: OptionalText = Field(default=None, description="Country the participant represents.")
    country_iso: SkipJsonSchema[Country | None] = Field(default=None, description="Filled in by the library.")

    @field_validator("name")
    @classmethod
    def _name_stated(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _stated(v, info, "name")

    def fallback_evidence(self) -> list[str]:
        """Where the article names the person: the honest evidence when the quoted phrase was mangled."""
        return [self.name] if self.name else []

    def check(self) -> None:
        """A participant has a name or, for a delegation, a country; a title is not a name."""
        if self.name is None and self.country is None:
            raise ValueError("a participant needs a name or, for a delegation, a country")
        if self.name and self.name.lower() in _TITLE_WORDS:
            raise ValueError(
                f"name {self.name!r} is a title, not a name: put the title in 'title' and the person's "
                "name in 'name' (null if the article does not name the person)"
            )


class Location(Grounded):
    """Where the summit takes place, as the article states it."""

    evidence: str = Field(description="Short verbatim phrase of the article stating where the summit is.")
    city: OptionalText = Field(default=None, description="City as written; null if not stated.")
    venue: OptionalText = Field(default=None, description="Building or venue as written; null if not stated.")
    country: OptionalText = Field(default=None, description="Country as written; null if not stated.")

    def check(self) -> None:
        """A location names a city, venue or country."""
        if not (self.city or self.venue or self.country):
            raise ValueError("a location needs a city, venue or country; use null for no location")


class SummitDate(Grounded):
    """When the summit takes place: the date as written, read and resolved by the library."""

    evidence_field: ClassVar[str] = "text"

    text: str = Field(description="The date exactly as written in the article, e.g. 'May 7' or 'Sunday'.")
    year: SkipJsonSchema[int | None] = Field(default=None, description="Year, only if stated or resolved.")
    month: SkipJsonSchema[int | None] = Field(default=None, description="Month, if stated.")
    day: SkipJsonSchema[int | None] = Field(default=None, description="Day of month, if stated or resolved.")
    iso: SkipJsonSchema[str | None] = Field(default=None, description="YYYY-MM-DD when fully known.")

    @model_validator(mode="after")
    def _read(self, info: ValidationInfo) -> Self:
        if self.iso or self.month or self.year:
            return self  # already read (a re-validated result)
        context = context_of(info)
        try:
            parsed = _dates.parse(self.text)
        except _dates.NotADate as exc:
            if context is not None and context.get("final_attempt"):
                # Out of re-asks: lose the date, not the whole extraction.
                self.span = Span(start=0, end=0, alignment="unaligned", score=0.0)
                return self
            raise ValueError(str(exc)) from None
        published = context.get("published") if context is not None else None
        parsed = _dates.resolve(parsed, published)
        self.year, self.month, self.day, self.iso = parsed.year, parsed.month, parsed.day, parsed.iso
        return self


class Agreement(Grounded):
    """Something two or more parties agreed, signed, planned or proposed."""

    evidence: str = Field(description="Short verbatim sentence part of the article stating this agreement.")
    parties: list[str] = Field(description="Countries or organizations that are party to it.")
    subject: str = Field(description="What was agreed, in a few words.")
    kind: AgreementKind = Field(description="Area of the agreement.")
    status: AgreementStatus = Field(description="How far it got, as the article says.")
    date: OptionalText = Field(
        default=None, description="Date of the agreement as written; null if not stated."
    )

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        v = " ".join(v.split())
        if len(v) < 3:
            raise ValueError("subject must say in a few words what was agreed")
        return v

    @field_validator("parties")
    @classmethod
    def _parties(cls, v: list[str]) -> list[str]:
        return _unique_names(v, "party")


class Dispute(Grounded):
    """A disagreement between parties that the article reports."""

    evidence: str = Field(description="Short verbatim sentence part of the article stating this dispute.")
    parties: list[str] = Field(description="Countries or organizations in dispute.")
    subject: str = Field(description="What the dispute is about, in a few words.")
    background: OptionalText = Field(
        default=None, description="Historical background the article gives; null if none."
    )
    status: DisputeStatus = Field(description="Where the dispute stands, as the article says.")

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        v = " ".join(v.split())
        if len(v) < 3:
            raise ValueError("subject must say in a few words what the dispute is about")
        return v

    @field_validator("parties")
    @classmethod
    def _parties(cls, v: list[str]) -> list[str]:
        return _unique_names(v, "party")


class Statement(Grounded):
    """A notable remark, quoted verbatim."""

    evidence_field: ClassVar[str] = "quote"
    allow_fuzzy: ClassVar[bool] = False

    speaker: str = Field(description="Who said it, as named in the article.")
    quote: str = Field(description="The words exactly as quoted in the article, without quotation marks.")

    @field_validator("quote")
    @classmethod
    def _quote(cls, v: str) -> str:
        v = v.strip().strip("\"'“”‘’«» ")
        if len(v) < 8:
            raise ValueError("quote must be the speaker's words copied from the article")
        return v


def _unique_names(values: list[str], what: str) -> list[str]:
    cleaned = [c for v in values if (c := _clean(v))]
    seen: set[str] = set()
    for v in cleaned:
        if fold(v) in seen:
            raise ValueError(f"{what} {v!r} is listed twice; list each {what} once")
        seen.add(fold(v))
    return cleaned


class Summit(BaseModel):
    """A diplomatic summit reported by a news article, or the finding that the article reports none."""

    is_summit: bool = Field(
        description="True only if the article reports a specific meeting of leaders or ministers of two "
        "or more states (held, under way or firmly scheduled). False for passing mentions, domestic "
        "or non-state 'summits', and stories that only report a dispute."
    )
    name: OptionalText = Field(default=None, description="The summit's name as written; null if it has none.")
    location: Location | None = Field(default=None, description="Where it takes place; null if not stated.")
    date: SummitDate | None = Field(default=None, description="When it takes place; null if not stated.")
    host_country: OptionalText = Field(
        default=None, description="Country hosting the summit, only if the article makes it clear; else null."
    )
    participants: list[Participant] = Field(
        default_factory=list, description="Leaders and officials taking part, each once."
    )
    topics: list[str] = Field(default_factory=list, description="Main topics, a few words each.")
    agreements: list[Agreement] = Field(default_factory=list, description="What the parties agreed or plan.")
    disputes: list[Dispute] = Field(default_factory=list, description="Disagreements the article reports.")
    statements: list[Statement] = Field(
        default_factory=list, description="Notable quoted remarks by participants."
    )

    @field_validator("participants")
    @classmethod
    def _one_each(cls, v: list[Participant]) -> list[Participant]:
        seen: set[str] = set()
        for p in v:
            if p.name is None:
                continue
            key = fold(re.sub(r"[^\w\s]", "", p.name))
            if key in seen:
                raise ValueError(f"participant {p.name!r} is listed twice; list each person once")
            seen.add(key)
        return v

    @field_validator("host_country")
    @classmethod
    def _host_stated(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _stated(v, info, "host_country")

    @field_validator("name")
    @classmethod
    def _summit_name_stated(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _stated(v, info, "name")

    @model_validator(mode="after")
    def _no_summit_no_details(self) -> Self:
        # A story without a summit has no summit location, date, host or participants: drop them
        # rather than re-ask, since the model's is_summit judgement is what decides.
        if not self.is_summit:
            self.name = None
            self.location = None
            self.date = None
            self.host_country = None
            self.participants = []
        return self


def _country_in_text(country: str, text: str) -> bool:
    if contains(text, country):
        return True
    from ._normalizing import country_mentions  # local import: normalizing imports these models

    return country_mentions(country, text)
