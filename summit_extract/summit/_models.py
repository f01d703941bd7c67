"""The Summit article type: a summit, its participants, agreements, disputes and statements.

Field descriptions are written for the model (the prompt renders them as its field guide); the field order
is the order the model writes in, so facts come before the verdict. Validators reject malformed values with
messages that tell the model what to change. Fields the library fills (spans, ISO countries, resolved
dates) are hidden from the model and set only by the library.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Literal

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
    Rule,
    StatedText,
    WrittenDate,
    WrittenName,
    clean,
    country,
    default_same_fact,
    fold,
    same_words,
    spans_overlap,
    state_spans,
)
from ._events import same_participant, same_place, summit_same_event, summit_tokens
from ._normalizing import EVIDENCE_CHARS
from ._passes import DEFAULT_PASSES, EXAMPLES, INSTRUCTIONS, PASSES
from ._rules import RULES, finalize_summit

__all__ = [
    "Agreement",
    "AgreementStatus",
    "Dispute",
    "DisputeStatus",
    "Location",
    "Participant",
    "Statement",
    "Summit",
    "SummitDate",
]

AgreementStatus = Literal["agreed", "signed", "planned", "proposed", "offered", "in progress", "rejected"]
DisputeStatus = Literal["ongoing", "escalating", "easing", "resolved"]

#: Words that are titles, not names: a "name" made only of them is a title in the wrong field.
TITLE_WORDS = {
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


#: Most characters of a participant's evidence: a title and a full name ("Brazilian President Luiz Inacio
#: Lula da Silva" is 45); a small model otherwise copies whole sentences for each delegation.
PARTICIPANT_EVIDENCE_CHARS = 60

#: Items with subjects at least this similar (rapidfuzz token_sort_ratio, 0-100) are the same fact.
SUBJECT_SIMILARITY = 85.0


class Participant(Grounded):
    """A person (or a country's delegation) taking part in the summit."""

    evidence: str = Field(
        description="Short verbatim phrase of the article naming this participant.",
        json_schema_extra={"maxLength": PARTICIPANT_EVIDENCE_CHARS},
    )
    name: WrittenName = Field(
        description="The person's full name as written, e.g. 'Fumio Kishida'; null if only a country's "
        "delegation is mentioned."
    )
    title: OptionalText = Field(
        default=None,
        description="Title or role as written, e.g. 'President'; null if the article gives none.",
    )
    country: OptionalText = Field(default=None, description="Country the participant represents.")
    country_iso: SkipJsonSchema[Country | None] = Field(default=None, description="Filled in by the library.")

    written_fields: ClassVar[tuple[str, ...]] = ("name",)

    def fallback_evidence(self) -> list[str]:
        """Where the article names the person: the honest evidence when the quoted phrase was mangled."""
        return [self.name] if self.name else []

    def locate(self, text: str) -> tuple[int, int] | None:
        """A delegation the model named in English ("Belgium") where the article writes "Belgique": its
        state's first mention in the article, in any language."""
        iso = country(self.country) if self.country and not self.name else None
        if iso is None or not iso.known:
            return None
        return next(((start, end) for start, end, code in state_spans(text) if code == iso.alpha2), None)

    def check(self) -> None:
        """A participant has a name or, for a delegation, a country; a title is not a name."""
        if self.name is None and self.country is None:
            raise ValueError("a participant needs a name or, for a delegation, a country")
        if self.name and self.name.lower() in TITLE_WORDS:
            raise ValueError(
                f"name {self.name!r} is a title, not a name: put the title in 'title' and the person's "
                "name in 'name' (null if the article does not name the person)"
            )

    def same_item(self, other: Grounded) -> bool:
        """The same person ("Kishida" and "Fumio Kishida"), or the same country's delegation."""
        if not isinstance(other, Participant):
            return False
        if self.name and other.name:
            return same_words(self.name, other.name)
        if not self.name and not other.name and self.country and other.country:
            return fold(self.country) == fold(other.country)
        return False


class Location(Grounded):
    """Where the summit takes place, as the article states it."""

    evidence: str = Field(description="Short verbatim phrase of the article stating where the summit is.")
    city: OptionalText = Field(default=None, description="City as written; null if not stated.")
    venue: OptionalText = Field(default=None, description="Building or venue as written; null if not stated.")
    country: OptionalText = Field(default=None, description="Country as written; null if not stated.")

    written_fields: ClassVar[tuple[str, ...]] = ("venue", "city", "country")

    def fallback_evidence(self) -> list[str]:
        """The place names themselves, when the quoted phrase was not copied exactly ("in Damascus")."""
        return [v for v in (self.venue, self.city, self.country) if v]

    def check(self) -> None:
        """A location names a city, venue or country."""
        if not (self.city or self.venue or self.country):
            raise ValueError("a location needs a city, venue or country; use null for no location")


class SummitDate(WrittenDate):
    """When the summit takes place: the date as written, read and resolved by the library."""


def _same_subject(a: _Finding, b: Grounded) -> bool:
    if type(a) is not type(b) or not isinstance(b, _Finding):
        return False
    if spans_overlap(a.span, b.span):
        return True
    similar = fuzz.token_sort_ratio(fold(a.subject), fold(b.subject)) >= SUBJECT_SIMILARITY
    sa, sb = _stems(a.subject), _stems(b.subject)
    shared = len(sa & sb)
    # Told twice in other words ("paying compensation to Koreans forced to work" and "compensation for
    # Japan's use of Korean forced labor"): most content words of the shorter subject recur.
    similar = similar or (shared >= 3 and shared >= 0.6 * min(len(sa), len(sb)))
    pa, pb = {fold(p) for p in a.parties}, {fold(p) for p in b.parties}
    return similar and (not pa or not pb or bool(pa & pb))


def _stems(text: str) -> set[str]:
    """Content words of a subject, cut to five letters (a crude stem: "Koreans" and "Korean" agree)."""
    return {w[:5] for w in re.findall(r"\w+", fold(text)) if len(w) >= 4}


def _subject(value: str, what: str) -> str:
    value = " ".join(value.split()).strip(" .")
    if len(value) < 3:
        raise ValueError(f"subject must say in a few words what {what}")
    return value


def _parties(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        cleaned = clean(value)
        if cleaned and fold(cleaned) not in {fold(v) for v in out}:
            out.append(cleaned)  # a party listed twice is listed once, not re-asked
    return out


#: Parties are read from the article, not asked of the model: they cost a small model a tenth of its
#: output and were its least reliable field (people, "Side A"), while the article names them.
PARTIES = (
    "Filled in by the library: the states (English names) and organizations named in the sentence that "
    "states it, people standing for their state; for an agreement or a two-state dispute at a summit that "
    "names fewer than two, the states meeting."
)


class _Finding(Grounded):
    """What agreements and disputes share: their checks and what makes two of them the same. It declares
    no field, so each subclass keeps its own fields in the order the model writes them."""

    #: Completes "subject must say in a few words what ...".
    subject_says: ClassVar[str] = "it is about"
    #: A finding the model stated in its own words is grounded in the sentence stating it (_locating).
    locatable: ClassVar[bool] = True
    #: Subjects are English phrases whatever the article's language (the prompt asks; the engine translates
    #: what the model copied instead).
    gloss_field: ClassVar[str | None] = "subject"

    if TYPE_CHECKING:  # declared by each subclass, in its own writing order
        subject: str
        parties: list[str]

    @field_validator("subject", check_fields=False)
    @classmethod
    def _subject(cls, v: str) -> str:
        return _subject(v, cls.subject_says)

    @field_validator("parties", check_fields=False)
    @classmethod
    def _parties(cls, v: list[str]) -> list[str]:
        return _parties(v)

    def same_item(self, other: Grounded) -> bool:
        """The same finding: overlapping evidence, or near-identical subjects with a shared party."""
        return _same_subject(self, other)


class Agreement(_Finding):
    """Something two or more parties agreed, signed, planned, proposed or offered."""

    subject_says: ClassVar[str] = "was agreed"

    evidence: str = Field(
        description="The shortest words of the article that state this agreement.",
        json_schema_extra={"maxLength": EVIDENCE_CHARS},
    )
    subject: str = Field(
        description="What was agreed: a short English phrase, whatever the article's language."
    )
    status: AgreementStatus = Field(description="How far it got, as the article says.")
    parties: SkipJsonSchema[list[str]] = Field(default_factory=list, description=PARTIES)


class Dispute(_Finding):
    """A disagreement between parties that the article reports."""

    subject_says: ClassVar[str] = "the dispute is about"

    evidence: str = Field(
        description="The shortest words of the article that state this dispute.",
        json_schema_extra={"maxLength": EVIDENCE_CHARS},
    )
    subject: str = Field(
        description="What the dispute is about (not who): a short English phrase, whatever the article's "
        "language."
    )
    status: DisputeStatus = Field(description="Where the dispute stands, as the article says.")
    parties: SkipJsonSchema[list[str]] = Field(default_factory=list, description=PARTIES)


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

    def same_item(self, other: Grounded) -> bool:
        """The same quote, or one quote inside the other."""
        if not isinstance(other, Statement):
            return False
        if spans_overlap(self.span, other.span):
            return True
        a, b = fold(self.quote), fold(other.quote)
        return a in b or b in a

    def label(self) -> str:
        """The speaker and the start of the quote."""
        return f"{self.speaker}: “{self.quote[:60]}”"


class Summit(Document):
    """A diplomatic summit reported by a news article, or the finding that the article reports none.

    The model writes the frame facts first (participants, place, date) and its verdict ``is_summit``
    last; the library then checks the verdict against those facts (see ``finalize``). Agreements and
    disputes are kept whatever the verdict: an article may report a dispute without any summit.
    """

    participants: list[Participant] = Field(
        default_factory=list,
        description="Leaders, ministers or delegations of states taking part in the meeting, each once.",
    )
    location: Location | None = Field(default=None, description="Where they meet; null if not stated.")
    date: SummitDate | None = Field(default=None, description="When they meet; null if not stated.")
    name: StatedText = Field(default=None, description="The meeting's name as written; null if it has none.")
    host_country: StatedText = Field(
        default=None,
        description="Country hosting the meeting, only if the article makes it clear; else null.",
    )
    is_summit: bool = Field(
        default=False,
        description="True only if leaders or ministers of two or more states meet (held, under way or "
        "firmly scheduled). False for passing mentions, domestic or non-state 'summits', and stories "
        "that only report a dispute.",
    )
    agreements: list[Agreement] = Field(
        default_factory=list, description="What the parties agreed, signed, plan, proposed or offered."
    )
    disputes: list[Dispute] = Field(default_factory=list, description="Disagreements the article reports.")
    statements: list[Statement] = Field(
        default_factory=list, description="Notable quoted remarks by participants."
    )
    is_summit_reason: SkipJsonSchema[str | None] = Field(
        default=None,
        description="Filled in by the library: why it overruled the model's is_summit, or null.",
    )

    passes: ClassVar[tuple[Pass, ...]] = PASSES
    default_passes: ClassVar[tuple[str, ...] | None] = DEFAULT_PASSES
    examples: ClassVar[tuple[Example, ...]] = EXAMPLES
    instructions: ClassVar[str] = INSTRUCTIONS
    max_chunk_chars: ClassVar[int | None] = 4000
    #: The code rules, in the order they run, each with its action and languages (``summit._rules``).
    rules: ClassVar[tuple[Rule, ...]] = RULES
    event_fields: ClassVar[tuple[str, ...]] = ("participants", "location", "date", "name", "host_country")

    def reports_event(self) -> bool:
        """Whether the article reports a summit."""
        return self.is_summit

    def finalize(self, context: ExtractionContext) -> None:
        """Countries to ISO, titles unified, people merged; then the verdict checked against the facts."""
        finalize_summit(self, context)
        planted = any(isinstance(item, (Participant, Location)) for item in context.quarantined)
        if self.is_summit and planted and not any(p.name for p in self.participants):
            # Its people or place came from an instruction planted in the article, and no one the article
            # itself names takes part (states it mentions are no meeting: "Lithuania and Belarus traded
            # accusations" next to "report a summit in Paris").
            self.is_summit = False
            self.is_summit_reason = "the summit rests only on instructions inside the article"

    # Many articles, one meeting (``consolidate``): the rules are in ``summit/_events.py``.

    def event_tokens(self) -> frozenset[str]:
        """The states meeting, the place (any spelling of a capital), the states party to the findings."""
        return summit_tokens(self)

    def same_event(self, other: Document) -> bool:
        """One meeting: places not differing, states overlapping; a non-summit only by a shared finding."""
        return isinstance(other, Summit) and summit_same_event(self, other)

    @classmethod
    def same_fact(cls, a: Grounded, b: Grounded) -> bool:
        """People across spellings and partial names, a delegation as its named leader, places by alias."""
        if isinstance(a, Participant) and isinstance(b, Participant):
            return same_participant(a, b)
        if isinstance(a, Location) and isinstance(b, Location):
            return same_place(a, b)
        return default_same_fact(a, b)
