"""The TradeDeal article type: a trade agreement, its parties, what each side commits to, and the concerns.

Built only on the public hooks of the engine (``Document``, ``Grounded``, the field types) and the public
``summit_extract.toolkit`` (``fold``, ``same_words``, ``spans_overlap``, ``country``): it proves that a new
article type needs no change to the engine and nothing private. Field descriptions are the model's field
guide; the field order is the order the model writes in, facts before the verdict.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from rapidfuzz import fuzz

from ..toolkit import (
    Country,
    Document,
    Example,
    ExtractionContext,
    Grounded,
    OptionalText,
    Pass,
    StatedText,
    WrittenDate,
    country,
    fold,
    same_words,
    spans_overlap,
)
from ._passes import EXAMPLE, INSTRUCTIONS, PASSES

__all__ = [
    "Commitment",
    "CommitmentKind",
    "Concern",
    "DealDate",
    "DealStatus",
    "Party",
    "TradeDeal",
    "party_key",
]

DealStatus = Literal["negotiating", "concluded", "signed", "ratified", "in force", "suspended"]
CommitmentKind = Literal[
    "tariff removal", "tariff cut", "quota", "market access", "standards", "investment", "purchase", "other"
]

#: Items with subjects at least this similar (rapidfuzz token_sort_ratio, 0-100) are the same fact.
SUBJECT_SIMILARITY = 85.0


def party_key(name: str | None) -> str:
    """What identifies a party: its ISO 3166 alpha-3 code, else its folded name ("EU" stays "eu")."""
    if not name:
        return ""
    iso = country(name.replace(".", "").strip())
    return iso.alpha3 if iso.known and iso.alpha3 else fold(name)


def party_name(name: str) -> str:
    """A party's display name: the ISO 3166 common name when known ("U.S." becomes "United States")."""
    iso = country(name.replace(".", "").strip())
    return iso.name if iso.known else name


class Party(Grounded):
    """A country or bloc party to the deal; its name, as written, is its evidence."""

    evidence_field: ClassVar[str] = "name"

    name: str = Field(description="The country or bloc as written in the article, e.g. 'Peru'.")
    country_iso: SkipJsonSchema[Country | None] = Field(default=None, description="Filled in by the library.")

    def same_item(self, other: Grounded) -> bool:
        """The same party: the same ISO country, or the same words ("EU", "the EU")."""
        if not isinstance(other, Party):
            return False
        return party_key(self.name) == party_key(other.name) or same_words(self.name, other.name)


class DealDate(WrittenDate):
    """When the deal was signed (or concluded, if not yet signed): as written, resolved by the library."""


def _subject(value: str) -> str:
    value = " ".join(value.split()).strip(" .")
    if len(value) < 3:
        raise ValueError("subject must say in a few words what goods, sector or issue this is about")
    return value


def _similar(a: str, b: str) -> bool:
    return fuzz.token_sort_ratio(fold(a), fold(b)) >= SUBJECT_SIMILARITY


class Commitment(Grounded):
    """One thing a party commits to under the deal: a tariff cut, a quota, market access..."""

    evidence: str = Field(description="The shortest words of the article that state this commitment.")
    party: str = Field(
        description="The country or bloc that commits (the one cutting its tariff, opening...)."
    )
    kind: CommitmentKind = Field(description="What sort of commitment it is.")
    subject: str = Field(description="Goods or sector concerned: a short English phrase, e.g. 'frozen fish'.")
    detail: OptionalText = Field(
        default=None,
        description="The change in a few words, e.g. 'from 9% to zero over four years'; or null.",
    )

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        return _subject(v)

    def same_item(self, other: Grounded) -> bool:
        """The same commitment: overlapping evidence, or the same party and a near-identical subject."""
        if not isinstance(other, Commitment):
            return False
        if spans_overlap(self.span, other.span):
            return True
        return party_key(self.party) == party_key(other.party) and _similar(self.subject, other.subject)


class Concern(Grounded):
    """An objection, fear or dispute about the deal or about trade between the parties."""

    evidence: str = Field(description="The shortest words of the article that state this concern.")
    subject: str = Field(
        description="What the concern is about, not who raises it: a short English phrase, e.g. "
        "'labelling rules for coffee'."
    )
    raised_by: OptionalText = Field(
        default=None, description="Who raises it, as written, e.g. 'vegetable growers'; null if unnamed."
    )

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        return _subject(v)

    def same_item(self, other: Grounded) -> bool:
        """The same concern: overlapping evidence, or a near-identical subject."""
        if not isinstance(other, Concern):
            return False
        return spans_overlap(self.span, other.span) or _similar(self.subject, other.subject)


class TradeDeal(Document):
    """A trade agreement between states or blocs reported by an article, or the finding that there is none.

    The frame (parties, name, date, status) and the verdict ``is_trade_deal`` are cleared when the article
    reports no deal; commitments and concerns are findings and are kept.
    """

    parties: list[Party] = Field(
        default_factory=list, description="The countries or blocs party to the deal, each once."
    )
    name: StatedText = Field(default=None, description="The deal's name as written; null if it has none.")
    signing_date: DealDate | None = Field(
        default=None,
        description="When the deal was signed (or concluded, if not signed yet); null if not stated.",
    )
    status: DealStatus | None = Field(
        default=None,
        description="How far the deal has got, as the article says: 'concluded' when talks ended but it is "
        "not signed yet; null if there is no deal.",
    )
    is_trade_deal: bool = Field(
        default=False,
        description="True only if the article reports a trade agreement between two or more states or blocs "
        "(negotiated, concluded, signed or in force). "
        "False for tariff rows and trade news with no agreement.",
    )
    commitments: list[Commitment] = Field(
        default_factory=list, description="What each party commits to under the deal."
    )
    concerns: list[Concern] = Field(
        default_factory=list, description="Objections, fears and disputes the article reports."
    )
    is_trade_deal_reason: SkipJsonSchema[str | None] = Field(
        default=None,
        description="Filled in by the library: why is_trade_deal is False when the model said True, or null.",
    )

    passes: ClassVar[tuple[Pass, ...]] = PASSES
    examples: ClassVar[tuple[Example, ...]] = (EXAMPLE,)
    instructions: ClassVar[str] = INSTRUCTIONS
    max_chunk_chars: ClassVar[int | None] = 2500
    event_fields: ClassVar[tuple[str, ...]] = ("parties", "name", "signing_date", "status")

    def reports_event(self) -> bool:
        """Whether the article reports a trade deal."""
        return self.is_trade_deal

    def finalize(self, context: ExtractionContext) -> None:
        """Parties merged and normalized to ISO 3166; then the verdict checked: a deal needs two parties."""
        merged: list[Party] = []
        for party in self.parties:
            if not any(kept.same_item(party) for kept in merged):
                merged.append(party)
        for party in merged:
            iso = country(party.name.replace(".", "").strip())
            party.country_iso = iso
        self.parties = merged
        for commitment in self.commitments:
            commitment.party = party_name(commitment.party)
        if self.is_trade_deal and len({party_key(p.name) for p in merged}) < 2:
            self.is_trade_deal = False
            self.is_trade_deal_reason = "fewer than two parties to the deal were found in the article"
