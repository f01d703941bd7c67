"""Field types any article type can use: text that may be absent, text that must be written in the article
(a person's name among it), and a date kept as written and resolved by the library.

They are ``Annotated`` types, so their validators travel with the field into every pass model the engine
derives from an article type.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationInfo, model_validator
from pydantic.json_schema import SkipJsonSchema

from . import _dates
from ._aligning import contains, spelling
from ._context import DateSource, Reask, context_of, reasking
from ._countries import country_mentions
from ._grounding import UNALIGNED, Grounded, unaligned

__all__ = ["OptionalText", "StatedText", "WrittenDate", "WrittenName", "clean", "respell_stated"]

_NOT_STATED = {"", "null", "none", "n/a", "unknown", "not stated", "not mentioned", "none mentioned"}


def clean(value: str | None) -> str | None:
    """A string with its spacing collapsed; an empty or 'null'-like string means 'not stated' (None)."""
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value.lower() in _NOT_STATED else value


def _clean_any(value: object) -> object:
    return clean(value) if isinstance(value, str) else value


def _written(value: str | None, info: ValidationInfo, *, name: bool) -> str | None:
    """Keep a value only if the article states it (a country also by any of its ISO names), in the
    article's own spelling where the model wrote it otherwise (``_aligning.spelling``: "Kim Jong Un" for
    "Kim Jong-un", "Putin" for "Путін", and for a ``name`` the surname alone the article calls the person
    by): a value the article holds is grounded, not dropped for its spelling."""
    context = context_of(info)
    if not value or context is None:
        return value
    if context.is_written(value) or country_mentions(value, context.text):
        return value
    found = spelling(value, context.text, surname=name)
    if found is not None:
        return context.text[found[0] : found[1]]
    raise Reask(  # or, when no re-ask is worth it, the value is dropped and the rest of the answer kept
        f"{info.field_name} {value!r} is not written in the article; copy it from the article, or use null",
        instead=None,
    )


@reasking
def _stated(value: str | None, info: ValidationInfo) -> str | None:
    return _written(value, info, name=False)


@reasking
def _named(value: str | None, info: ValidationInfo) -> str | None:
    return _written(value, info, name=True)


@functools.cache  # per class: restoring every translated answer asks the same pass models again
def _stated_fields(cls: type[BaseModel]) -> dict[str, bool]:
    """The model's StatedText and WrittenName fields, each with whether it holds a person's name."""
    found = {}
    for name, info in cls.model_fields.items():
        checks = [m.func for m in info.metadata if isinstance(m, AfterValidator)]
        if _named in checks or _stated in checks:
            found[name] = _named in checks
    return found


def respell_stated(value: BaseModel, text: str) -> None:
    """Give each StatedText or WrittenName field of ``value`` (not of its items: they have their
    ``written_fields``) the spelling ``text`` writes it in, or None where ``text`` states it in none: for
    a value checked against another text than the article (its English translation) and now brought back
    to the article. A country the article names in its own language stays as written ("Germany" for
    "Allemagne"), like any StatedText."""
    for name, is_name in _stated_fields(type(value)).items():
        written = getattr(value, name, None)
        if not isinstance(written, str) or not written:
            continue
        if contains(text, written) or country_mentions(written, text):
            continue
        found = spelling(written, text, surname=is_name, any_script=True)
        setattr(value, name, None if found is None else text[found[0] : found[1]])


#: An optional string where "", "null", "unknown" and the like mean "not stated".
OptionalText = Annotated[str | None, BeforeValidator(_clean_any)]
#: An optional string that must be written in the article (or name a country the article names).
StatedText = Annotated[str | None, BeforeValidator(_clean_any), AfterValidator(_stated)]
#: A person's name, written in the article: as StatedText, and the surname alone where the article calls
#: the person only by it ("Macron" for the model's "Emmanuel Macron").
WrittenName = Annotated[str | None, BeforeValidator(_clean_any), AfterValidator(_named)]


class WrittenDate(Grounded):
    """A date as the article writes it, read and resolved by the library (never by the model)."""

    evidence_field: ClassVar[str] = "text"

    text: str = Field(description="The date exactly as written in the article, e.g. 'May 7' or 'Sunday'.")
    year: SkipJsonSchema[int | None] = Field(default=None, description="Year, only if stated or resolved.")
    month: SkipJsonSchema[int | None] = Field(default=None, description="Month, if stated.")
    day: SkipJsonSchema[int | None] = Field(default=None, description="Day of month, if stated or resolved.")
    iso: SkipJsonSchema[str | None] = Field(default=None, description="YYYY-MM-DD when fully known.")
    year_from: SkipJsonSchema[DateSource | None] = Field(
        default=None,
        description="Where the year came from: the date as written ('text'), the caller's publication "
        "date ('published') or the article's dateline ('dateline'); null when the year is unknown.",
    )

    @model_validator(mode="after")
    @reasking
    def _read(self, info: ValidationInfo) -> Self:
        context = context_of(info)
        if context is None or self.span == UNALIGNED:
            return self  # a stored result keeps what it says; a salvaged one has nothing to read
        try:
            parsed = _dates.parse(self.text)
        except _dates.NotADate as exc:
            raise Reask(str(exc), instead=unaligned(self)) from None  # or lose the date, not the extraction
        resolved = _dates.resolve(parsed, context.published)
        self.year, self.month, self.day, self.iso = resolved.year, resolved.month, resolved.day, resolved.iso
        if parsed.year is not None:
            self.year_from = "text"
        elif resolved.year is not None:
            self.year_from = context.published_from
        return self

    def restore_evidence(self, sentence: str) -> tuple[int, int] | None:
        """The fewest words of ``sentence`` stating the same date as ``text`` (its translation), or None:
        a month or year the translation added is stated by no words of the article."""
        try:
            wanted = _dates.parse(self.text)
        except _dates.NotADate:
            return None
        words = [m.span() for m in re.finditer(r"\S+", sentence)]
        for width in range(1, 7):
            for n in range(len(words) - width + 1):
                lo, hi = words[n][0], words[n + width - 1][1]
                try:
                    if _dates.parse(sentence[lo:hi]) == wanted:
                        return lo, len(sentence[:hi].rstrip(".,;:"))
                except _dates.NotADate:
                    continue
        return None
