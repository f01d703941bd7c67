"""Grounded items: the base class every evidence-backed fact derives from, and the validation context.

Grounding happens inside pydantic validation, so evidence that is not in the article is a validation
error that instructor feeds back to the model (a re-ask). On the last attempt the item is kept but
flagged ``unaligned`` instead, and the extraction stage then drops or keeps it as the caller chose.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, ClassVar, Literal, Self

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

from ._aligning import FoldedText, align
from ._input import injected_spans


class Span(BaseModel):
    """Where an item's evidence lies in the article: ``text[start:end]`` is the evidence."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, description="Offset of the first character of the evidence.")
    end: int = Field(ge=0, description="Offset just past the last character of the evidence.")
    alignment: Literal["exact", "normalized", "fuzzy", "unaligned"] = Field(
        description="How the evidence was found: verbatim, after folding case/space/quotes/dashes, "
        "fuzzily (see score), or not at all."
    )
    score: float = Field(ge=0, le=100, description="Match score, 100 for exact and normalized.")


class GroundingContext(dict[str, Any]):
    """The pydantic validation context of one extraction: the article and how strict to be."""

    def __init__(self, text: str, *, published: dt.date | None = None, offset: int = 0) -> None:
        super().__init__(
            source_text=text,
            folded=FoldedText(text),
            published=published,
            offset=offset,
            final_attempt=False,
        )


_active: ContextVar[dict[str, Any] | None] = ContextVar("summit_extract_grounding", default=None)


@contextlib.contextmanager
def grounding(context: dict[str, Any] | None) -> Iterator[None]:
    """Make ``context`` the grounding context of validations run inside the block.

    The context travels in a ContextVar rather than instructor's ``context=``: given a context, instructor
    renders every message as a Jinja template, which would rewrite an article containing ``{{`` or ``{%``
    (and drop its final newline) before the model saw it.
    """
    token = _active.set(context)
    try:
        yield
    finally:
        _active.reset(token)


def context_of(info: ValidationInfo) -> dict[str, Any] | None:
    """The grounding context of a validation: pydantic's own context if given, else the active one."""
    if isinstance(info.context, dict):
        return info.context
    return _active.get()


class Grounded(BaseModel):
    """Base class of every fact taken from the article: it carries the verbatim evidence it rests on."""

    #: Name of the field holding the verbatim evidence.
    evidence_field: ClassVar[str] = "evidence"
    #: Whether a fuzzy match is good enough (verbatim quotes demand exact or normalized).
    allow_fuzzy: ClassVar[bool] = True

    span: SkipJsonSchema[Span | None] = Field(
        default=None, description="Filled in by the library: where the evidence lies in the article."
    )

    def check(self) -> None:
        """Raise ValueError when the item as a whole makes no sense (subclasses say what that means)."""

    def fallback_evidence(self) -> list[str]:
        """Strings that, found verbatim, ground the item when its evidence is not found (none by default)."""
        return []

    def evidence_text(self) -> str:
        """The verbatim evidence string of this item."""
        return str(getattr(self, self.evidence_field) or "")

    @model_validator(mode="after")
    def _ground(self, info: ValidationInfo) -> Self:
        self.check()
        context = context_of(info)
        if context is None or "source_text" not in context or self.span is not None:
            return self
        evidence = self.evidence_text()
        # Evidence that is also in an instruction injected into the article is taken where the honest text is.
        avoid = injected_spans(context["source_text"])
        match = align(evidence, context["source_text"], context.get("folded"), avoid=avoid)
        if match is None or (match.alignment == "fuzzy" and not self.allow_fuzzy):
            for fallback in self.fallback_evidence():
                match = align(fallback, context["source_text"], context.get("folded"), avoid=avoid)
                if match is not None and match.alignment != "fuzzy":
                    break
                match = None
        if match is not None and (self.allow_fuzzy or match.alignment != "fuzzy"):
            offset = int(context.get("offset", 0))
            found = context["source_text"][match.start : match.end]
            if found != evidence:
                # Keep the article's own words: the evidence is verbatim whatever tier or fallback found it.
                setattr(self, self.evidence_field, found)
            self.span = Span(
                start=match.start + offset,
                end=match.end + offset,
                alignment=match.alignment,
                score=match.score,
            )
            return self
        if context.get("final_attempt"):
            self.span = Span(start=0, end=0, alignment="unaligned", score=0.0)
            return self
        what = "quote" if not self.allow_fuzzy else "evidence"
        raise ValueError(
            f"{self.evidence_field} {evidence[:120]!r} is not in the article: the {what} must be a "
            "span copied character for character from the article"
        )

    @model_validator(mode="wrap")
    @classmethod
    def _salvage(cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        # Out of re-asks, one malformed item (a location with no place, a nameless participant) must cost
        # that item, not the whole extraction: it comes back marked unaligned, to be dropped or flagged.
        try:
            return handler(data)
        except ValidationError:
            context = context_of(info)
            if context is None or not context.get("final_attempt") or not isinstance(data, dict):
                raise
            item = cls.model_construct(**{k: v for k, v in data.items() if k in cls.model_fields})
            item.span = Span(start=0, end=0, alignment="unaligned", score=0.0)
            return item


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
                if (
                    isinstance(item, Grounded)
                    and item.span is not None
                    and item.span.alignment == "unaligned"
                ):
                    dropped.append(item)
                else:
                    if isinstance(item, BaseModel):
                        dropped.extend(drop_unaligned(item))
                    kept.append(item)
            setattr(model, name, kept)
        elif isinstance(value, Grounded) and value.span is not None and value.span.alignment == "unaligned":
            dropped.append(value)
            setattr(model, name, None)
        elif isinstance(value, BaseModel):
            dropped.extend(drop_unaligned(value))
    return dropped
