"""Grounding: each evidence-backed fact (a :class:`Grounded` item) tied to the span of the article stating it.

Two steps, both plain functions with tests of their own (tests/test_grounding_stage.py):

- :func:`ground_item` locates one item's evidence in the text its request read (exactly, normalized,
  fuzzily, or through the item's fallback words) and ties the item to that span, the evidence rewritten
  to the article's own words. It runs as the model's answer is validated, because evidence that is not
  in the article is a reason to ask again: ``Grounded``'s validator raises :class:`~._context.Reask`,
  and the context decides between a re-ask and marking the item ``unaligned``.
- :func:`ground` is the pipeline's grounding stage over one validated answer: what rests only on an
  instruction planted inside the article (a prompt injection) is set aside as ungrounded.

What stays unaligned is dropped or flagged after the merge (``_finishing``), once the article type's
grounding rules have had their chance.

Fields the library fills itself (spans, resolved dates, ISO countries) are marked ``SkipJsonSchema``:
they are hidden from the schema the model sees, and whatever a model or endpoint sends for them anyway is
discarded before validation, so only the library ever sets them.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from . import _input
from ._aligning import RESPELL_SCORE, Match, align, contains, fold, similarity, spelling
from ._context import ExtractionContext, Reask, context_of, reasking
from ._exceptions import SchemaError, SchemaProblem

__all__ = [
    "LABEL_FIELDS",
    "UNALIGNED",
    "Grounded",
    "LibraryFilled",
    "Span",
    "drop_unaligned",
    "evidence_problem",
    "ground",
    "ground_item",
    "is_unaligned",
    "library_fields",
    "quarantine",
    "same_words",
    "spans_overlap",
    "unaligned",
    "walk",
]

log = logging.getLogger("summit_extract")
G = TypeVar("G", bound="Grounded")


#: How an item's evidence was found (see :attr:`Span.alignment`).
Alignment = Literal["exact", "normalized", "fuzzy", "sentence", "cited", "translated", "unaligned"]


class Span(BaseModel):
    """Where an item's evidence lies in the article: ``text[start:end]`` is the evidence."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, description="Offset of the first character of the evidence.")
    end: int = Field(ge=0, description="Offset just past the last character of the evidence.")
    alignment: Alignment = Field(
        description="How the evidence was found: verbatim, after folding case/space/quotes/dashes, "
        "fuzzily (see score), as the sentence stating what the model said in its own words (the "
        "evidence is then that sentence), as the sentence the model named by its number when asked "
        "where the article states it (likewise), in the English translation the model read of an "
        "article in another language (the evidence is then the article's sentence it translates, or "
        "the words of it that state the item), or not at all."
    )
    score: float = Field(
        ge=0,
        le=100,
        description="Match score, 100 for exact and normalized; for a sentence (located or cited), the share "
        "of the model's words it holds; translated: the score of the match in the translation.",
    )

    @property
    def is_sentence(self) -> bool:
        """Whether the evidence is a whole sentence the library chose for words the model wrote (located
        by its words or cited by its number), not words the model copied."""
        return self.alignment in ("sentence", "cited")


#: The span of an item whose evidence was never found.
UNALIGNED = Span(start=0, end=0, alignment="unaligned", score=0.0)


@functools.cache
def library_fields(cls: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of ``cls`` that only the library fills (marked ``SkipJsonSchema``)."""
    return frozenset(
        name
        for name, info in cls.model_fields.items()
        if any(type(m).__name__ == "SkipJsonSchema" for m in info.metadata)
    )


class LibraryFilled(BaseModel):
    """Base of models with library-only fields: a model's answer can never set them."""

    @model_validator(mode="before")
    @classmethod
    def _discard_library_fields(cls, data: Any, info: ValidationInfo) -> Any:
        # Inside an extraction the input is the model's answer: what it says about spans, resolved
        # dates or ISO codes is not evidence of anything. Outside one (a stored result) it is kept.
        if isinstance(data, dict) and context_of(info) is not None:
            hidden = library_fields(cls)
            if hidden.intersection(data):
                data = {k: v for k, v in data.items() if k not in hidden}
        return data


def is_unaligned(item: Grounded) -> bool:
    """Whether an item's evidence was never found in the article."""
    return item.span is not None and item.span.alignment == "unaligned"


#: The fields an item is named by in reports, the first one filled wins (an item with none: its evidence).
LABEL_FIELDS = ("name", "subject", "title", "city", "text")


class Grounded(LibraryFilled):
    """Base class of every fact taken from the article: it carries the verbatim evidence it rests on.

    Subclasses may override the hooks ``check`` (is the item whole?), ``fallback_evidence`` (other words
    that ground it), ``same_item`` (is another item the same fact, e.g. found in two chunks or passes?)
    and ``label`` (how reports name it).
    """

    #: Name of the field holding the verbatim evidence.
    evidence_field: ClassVar[str] = "evidence"
    #: Whether a fuzzy match is good enough (verbatim quotes demand exact or normalized).
    allow_fuzzy: ClassVar[bool] = True
    #: Whether evidence the model wrote in its own words may be grounded in the sentence that states it
    #: (``_locating``): right for findings (an agreement, a dispute), wrong for names and quotes.
    locatable: ClassVar[bool] = False
    #: A field the model is asked to write in English whatever the article's language (a subject): where
    #: it copied the article's words instead, the engine translates it (``_glossing``). None: no such field.
    gloss_field: ClassVar[str | None] = None
    #: Fields holding words the article writes (a name, a place). When the article was read in an English
    #: translation (``_translating``), each takes back the article's own spelling where it writes one.
    written_fields: ClassVar[tuple[str, ...]] = ()

    span: SkipJsonSchema[Span | None] = Field(
        default=None, description="Filled in by the library: where the evidence lies in the article."
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # A class that names its evidence field must name a real one. One that keeps the default may be an
        # abstract base: it is checked where it is used (a Document's field, the schema of a plan).
        if "evidence_field" in cls.__dict__ and (problem := evidence_problem(cls)) is not None:
            raise SchemaError(str(problem), (problem,))

    def check(self) -> None:
        """Raise ValueError when the item as a whole makes no sense (subclasses say what that means)."""

    def fallback_evidence(self) -> list[str]:
        """Strings that, found verbatim, ground the item when its evidence is not found (none by default)."""
        return []

    def locate(self, text: str) -> tuple[int, int] | None:
        """Where ``text`` states this item in other words than its evidence, by what the item knows
        (a state the model wrote in English, named in the article's language), or None (the default)."""
        return None

    def restore_evidence(self, sentence: str) -> tuple[int, int] | None:
        """Read in translation, the (start, end) of the words of ``sentence`` (the article's sentence whose
        translation holds the evidence) that state this item, or None if none does: by default where it
        writes the first of the ``written_fields`` it writes, else all of it."""
        for name in self.written_fields:
            value = getattr(self, name, None)
            match = align(value, sentence) if isinstance(value, str) and value else None
            if match is not None and match.alignment != "fuzzy":
                return match.start, match.end
        return (0, len(sentence)) if sentence else None

    def evidence_text(self) -> str:
        """The verbatim evidence string of this item."""
        return str(getattr(self, self.evidence_field) or "")

    def same_item(self, other: Grounded) -> bool:
        """Whether ``other`` states the same fact: by default, evidence spans overlapping by half."""
        return type(self) is type(other) and (spans_overlap(self.span, other.span) or self == other)

    def label(self) -> str:
        """A short human-readable name of the item, for reports."""
        for name in LABEL_FIELDS:
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                return value
        return self.evidence_text()

    @model_validator(mode="after")
    @reasking
    def _ground(self, info: ValidationInfo) -> Self:
        self.check()
        context = context_of(info)
        if context is None or self.span is not None or ground_item(self, context):
            return self
        what = "quote" if not self.allow_fuzzy else "evidence"
        raise Reask(
            f"{self.evidence_field} {self.evidence_text()[:120]!r} is not in the article: the {what} must be "
            "a span copied character for character from the article",
            instead=unaligned(self),
        )

    @model_validator(mode="wrap")
    @classmethod
    @reasking
    def _salvage(cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        # One malformed item (a location with no place, a nameless participant) must cost that item, not
        # the whole extraction: when no re-ask is wanted it comes back unaligned, to be dropped or flagged.
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            known = {k: v for k, v in data.items() if k in cls.model_fields and k not in library_fields(cls)}
            raise Reask(exc, instead=unaligned(cls.model_construct(**known))) from None


def unaligned(item: G) -> G:
    """``item`` marked as grounded nowhere (its evidence was never found); returned for convenience."""
    item.span = UNALIGNED
    return item


def ground_item(item: Grounded, context: ExtractionContext) -> bool:
    """Tie ``item`` to where its evidence lies in ``context.text``; False (item untouched) if nowhere.

    The evidence is looked for exactly, then normalized, then fuzzily (if the item allows it); failing
    that, each of its ``fallback_evidence`` strings, exactly or normalized. Words that are also in an
    instruction planted inside the article are taken where the honest text is. Found, the item's
    evidence becomes the article's own words and its span offsets into the whole article.
    """
    evidence = item.evidence_text()
    avoid = _input.injected_spans(context.text)
    match = align(evidence, context.text, context.folded, avoid=avoid)
    if match is None or (match.alignment == "fuzzy" and not item.allow_fuzzy):
        for fallback in item.fallback_evidence():
            match = align(fallback, context.text, context.folded, avoid=avoid)
            if match is not None and match.alignment != "fuzzy":
                break
            match = None
    if match is None or (match.alignment == "fuzzy" and not item.allow_fuzzy):
        match = _respelled(item, context)
    if match is None and (where := item.locate(context.text)) is not None:
        match = Match(where[0], where[1], "fuzzy", RESPELL_SCORE)  # the same thing, in the article's words
    if match is None:
        return False
    found = context.text[match.start : match.end]
    if found != evidence:
        # Keep the article's own words: the evidence is verbatim whatever tier or fallback found it.
        setattr(item, item.evidence_field, found)
    write_as_the_article(item, found, context.text)
    item.span = Span(
        start=match.start + context.offset,
        end=match.end + context.offset,
        alignment=match.alignment,
        score=match.score,
    )
    return True


def write_as_the_article(item: Grounded, evidence: str, text: str, *, any_script: bool = False) -> None:
    """Each of the item's ``written_fields`` the article does not write as the model did takes the
    article's spelling, from its evidence first, else from anywhere in the article ("Seoul" for an
    evidence "서울 용산 대통령실" is "서울"): a field "as written" holds the article's words, in any script.
    A value the article holds in no spelling is left as the model wrote it. ``any_script``: close
    spellings in one script count too (``_aligning.spelling``), for a value translated from ``evidence``."""
    for name in type(item).written_fields:
        value = getattr(item, name, None)
        if not isinstance(value, str) or not value or contains(text, value):
            continue
        where, found = evidence, spelling(value, evidence, any_script=any_script)
        if found is None:
            where, found = text, spelling(value, text, any_script=any_script)
        if found is not None:
            setattr(item, name, where[found[0] : found[1]])


def _respelled(item: Grounded, context: ExtractionContext) -> Match | None:
    """Where the article writes, in its own spelling, one of the words the item holds (``written_fields``:
    "Peking" as "Пекіна", "Kim Jong Un" as "Kim Jong-un"), or None if it writes none of them: a name or
    a place the article holds is grounded, not dropped for its spelling; a fuzzy alignment, with how alike
    the two spellings are as its score (the field then takes the article's words from the evidence, as
    every grounded item's do: ``write_as_the_article``)."""
    for name in type(item).written_fields:
        value = getattr(item, name, None)
        found = spelling(value, context.text) if isinstance(value, str) and value else None
        if found is not None and isinstance(value, str):
            return Match(found[0], found[1], "fuzzy", similarity(value, context.text[found[0] : found[1]]))
    return None


def evidence_problem(cls: type[Grounded]) -> SchemaProblem | None:
    """What is wrong with the field a Grounded class keeps its evidence in, if anything."""
    name = cls.evidence_field
    info = cls.model_fields.get(name)
    where = f"{cls.__name__}.{name}"
    fields = ", ".join(f for f in cls.model_fields if f not in library_fields(cls)) or "none"
    if info is None:
        if "evidence_field" not in cls.__dict__ and name == "evidence":
            return SchemaProblem(
                where,
                f"{cls.__name__} has no field 'evidence' for the article's words it rests on: add "
                "`evidence: str = Field(description=...)`, or set `evidence_field` to a str field holding "
                f"words copied from the article (its fields: {fields})",
            )
        return SchemaProblem(
            f"{cls.__name__}.evidence_field",
            f"names {name!r}, which is not a field of {cls.__name__}: name a str field holding words "
            f"copied from the article (its fields: {fields})",
        )
    if name in library_fields(cls):
        return SchemaProblem(
            where,
            "holds the evidence but is filled by the library (SkipJsonSchema): the model never sees "
            "it; make it a plain `str` field the model fills",
        )
    if info.annotation is not str:
        annotation = info.annotation
        shown = annotation.__name__ if type(annotation) is type else str(annotation).replace("typing.", "")
        return SchemaProblem(
            where,
            f"holds the evidence but is `{shown}`: the evidence field must be `str` (words copied "
            "from the article)",
        )
    return None


def spans_overlap(a: Span | None, b: Span | None) -> bool:
    """Two aligned evidence spans overlapping by at least half of the shorter one."""
    if a is None or b is None or a.alignment == "unaligned" or b.alignment == "unaligned":
        return False
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > 0 and shared >= 0.5 * min(a.end - a.start, b.end - b.start)


def same_words(a: str | None, b: str | None) -> bool:
    """Two names made of the same words, or one's words all in the other's ("Kishida", "Fumio Kishida"):
    compared folded (see ``fold``) with punctuation other than hyphens ignored; accents count."""
    if not a or not b:
        return False
    wa = set(fold(re.sub(r"[^\w\s-]", " ", a)).split())
    wb = set(fold(re.sub(r"[^\w\s-]", " ", b)).split())
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def walk(model: BaseModel) -> Iterator[Grounded]:
    """Every Grounded item inside a model, depth first."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Grounded):
                yield item
            if isinstance(item, BaseModel):
                yield from walk(item)


def drop_unaligned(model: BaseModel) -> list[Grounded]:
    """Remove every item whose evidence was never found; return what was removed."""
    dropped: list[Grounded] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, list):
            kept = []
            for item in value:
                if isinstance(item, Grounded) and is_unaligned(item):
                    dropped.append(item)
                else:
                    if isinstance(item, BaseModel):
                        dropped.extend(drop_unaligned(item))
                    kept.append(item)
            setattr(model, name, kept)
        elif isinstance(value, Grounded) and is_unaligned(value):
            dropped.append(value)
            setattr(model, name, None)
        elif isinstance(value, BaseModel):
            dropped.extend(drop_unaligned(value))
    return dropped


def ground(answer: BaseModel, context: ExtractionContext | None) -> list[Grounded]:
    """The grounding stage over one validated answer (its items were located as it validated, see the
    module doc): what rests only on an instruction inside the article is set aside; returns those items.
    Without a context (no article to check against) nothing is."""
    return quarantine(answer, context) if context is not None else []


def quarantine(result: BaseModel, context: ExtractionContext) -> list[Grounded]:
    """Mark as unaligned what rests only on an instruction inside the article (a prompt injection).

    Grounding alone cannot catch it: the injected words are in the article. Returns the items marked.
    """
    spans = _input.injected_spans(context.text)
    if not spans:
        return []
    hit: list[Grounded] = []
    for item in walk(result):
        span = item.span
        if span is None or span.alignment == "unaligned":
            continue
        start, end = span.start - context.offset, span.end - context.offset
        if any(lo <= start and end <= hi for lo, hi in spans):
            item.span = UNALIGNED
            hit.append(item)
    if hit:
        log.warning(
            "%d item(s) rest only on an instruction inside the article; treated as ungrounded", len(hit)
        )
    return hit
