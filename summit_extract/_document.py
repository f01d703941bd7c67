"""Article types: the document base class, and the hooks through which an article type plugs in.

The engine (prompting, calling, chunking, the pipeline, batch, report, eval) knows no article type. An
article type is a :class:`Document` subclass that declares, as class attributes and methods:

- ``passes``: focused requests, each asking for a few of its fields (the frame first, then lists), all
  sharing one prompt prefix (the system message and the article). None declared: one request for all.
- ``examples``: worked examples (an invented article and its full answer); each pass shows the part of
  the answer it asks for.
- ``instructions``: what the model should know about this article type, in the shared system message.
- ``finalize(context)``: normalization in code once every pass (and chunk) is merged.
- ``reports_event()`` and ``event_fields``: whether the article reports the event at all, and which
  fields are cleared when it does not (lists of findings such as agreements are never cleared).
- ``merge_chunks(values)``: how the results of a long article's chunks merge; the default joins lists
  and removes items that ``Grounded.same_item`` says are the same fact.
- ``scoring``: the matching rules ``evaluate()`` uses against gold annotations of this type.

Article types register themselves with :func:`register` so the command line, ``schema`` export and
``extract_many``'s default find them without the engine importing them.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self, get_origin

from pydantic import BaseModel, create_model

from ._context import ExtractionContext
from ._exceptions import ConfigurationError
from ._grounding import LibraryFilled, library_fields

if TYPE_CHECKING:
    from ._evaluating import Scoring

__all__ = [
    "ONE_PASS",
    "Document",
    "Example",
    "Pass",
    "PassAnswer",
    "article_type",
    "article_types",
    "choose_passes",
    "default_article_type",
    "one_pass",
    "pass_model",
    "passes_of",
    "register",
]


@dataclass(frozen=True)
class Pass:
    """One focused request: the fields it asks for, in the order the model writes them, and why."""

    name: str
    fields: tuple[str, ...]
    instruction: str
    #: Ask it of each piece of at most ``Document.max_chunk_chars`` rather than of the whole article: a
    #: small model lists more of a long article's agreements when shown a part at a time.
    piecewise: bool = False
    #: Most items each list field of this pass may hold in one answer, sent as the JSON Schema's
    #: ``maxItems`` of the pass's response model only (a grammar-constrained server enforces it): at
    #: temperature 0 a small model can repeat one item until its token budget runs out. None: no limit.
    max_items: int | None = None


@dataclass(frozen=True)
class Example:
    """A worked example: an article written for the project (never from an evaluation set) and its answer.

    ``answer`` holds the fields the model fills (no spans, no resolved dates), as the model should write
    them; evidence must be copied from ``text`` (a test checks it).
    """

    text: str
    answer: dict[str, Any]


class PassAnswer(LibraryFilled):
    """Base of the response models the engine derives for each pass."""


class Document(LibraryFilled):
    """Base class of an article type: the object one article is extracted into (see the module docstring)."""

    passes: ClassVar[tuple[Pass, ...]] = ()
    #: The passes run when the caller does not choose (None: all of ``passes``).
    default_passes: ClassVar[tuple[str, ...] | None] = None
    examples: ClassVar[tuple[Example, ...]] = ()
    instructions: ClassVar[str] = ""
    #: Fields cleared when ``reports_event()`` is False (the event's frame, never the findings).
    event_fields: ClassVar[tuple[str, ...]] = ()
    #: Most article characters a ``piecewise`` pass reads at once (None: as many as the context holds).
    max_chunk_chars: ClassVar[int | None] = None
    #: Matching rules for ``evaluate()``; None: this type cannot be scored.
    scoring: ClassVar[Scoring | None] = None

    def finalize(self, context: ExtractionContext) -> None:
        """Normalize in code, in place, once the passes (and chunks) are merged. Nothing by default."""

    def reports_event(self) -> bool:
        """Whether the article reports the event this type describes (after ``finalize``)."""
        return True

    def clear_event(self) -> None:
        """Reset ``event_fields`` to their defaults: the article does not report the event."""
        for name in self.event_fields:
            info = type(self).model_fields[name]
            setattr(self, name, info.get_default(call_default_factory=True))

    @classmethod
    def merge_chunks(cls, values: Sequence[Self]) -> Self:
        """One value from the values of an article's chunks, in article order (see ``_merging``)."""
        from ._merging import merge_models

        return merge_models(values)


#: The name of the pass that asks for every field at once.
ONE_PASS = "main"


#: The name of the pass that asks for the fields no declared pass asks for (a subclass's own fields).
REST_PASS = "rest"


def passes_of(schema: type[BaseModel]) -> tuple[Pass, ...]:
    """Every pass a schema declares, or one pass over all the fields the model fills.

    A subclass that adds fields to an article type with passes gets one more pass asking for them, so
    no field the model should fill is ever left unasked.
    """
    if isinstance(schema, type) and issubclass(schema, Document) and schema.passes:
        covered = {f for p in schema.passes for f in p.fields}
        rest = tuple(f for f in schema.model_fields if f not in covered and f not in library_fields(schema))
        return schema.passes + ((Pass(REST_PASS, rest, "Fill in the remaining fields."),) if rest else ())
    return (one_pass(schema),)


def one_pass(schema: type[BaseModel]) -> Pass:
    """A single pass asking for every field the model fills, in declaration order."""
    fields = tuple(f for f in schema.model_fields if f not in library_fields(schema))
    instruction = " ".join(p.instruction for p in getattr(schema, "passes", ()))
    return Pass(ONE_PASS, fields, instruction if issubclass(schema, Document) else "")


def choose_passes(schema: type[BaseModel], names: Sequence[str] | None) -> tuple[Pass, ...]:
    """The passes to run: the named ones (``["main"]`` for one request), else the schema's default ones."""
    declared = passes_of(schema)
    if names is None:
        default = getattr(schema, "default_passes", None)
        return tuple(p for p in declared if default is None or p.name in (*default, REST_PASS))
    if list(names) == [ONE_PASS]:
        return (one_pass(schema),)
    known = {p.name: p for p in declared}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigurationError(
            f"{schema.__name__} has no pass named {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {sorted(known)} or ['{ONE_PASS}'] for one request."
        )
    return tuple(known[n] for n in names)


@functools.cache
def pass_model(schema: type[BaseModel], chosen: Pass) -> type[BaseModel]:
    """The response model of one pass: the schema's own fields (types, descriptions, validators) it asks for.

    A plain pydantic schema asked in one pass is its own response model, so its model validators run.
    """
    if not issubclass(schema, Document) and chosen.fields == one_pass(schema).fields:
        return schema
    name = chosen.name
    fields: dict[str, Any] = {}
    for field in chosen.fields:
        info = schema.model_fields.get(field)
        if info is None:
            raise ConfigurationError(f"pass {name!r} of {schema.__name__} names unknown field {field!r}.")
        if chosen.max_items is not None and get_origin(info.annotation) is list:
            info = copy.copy(info)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            info.json_schema_extra = {**extra, "maxItems": chosen.max_items}
        fields[field] = (info.annotation, info)
    title = "".join(part.capitalize() for part in name.split("_"))
    model: type[BaseModel] = create_model(
        f"{schema.__name__}{title}",
        __base__=PassAnswer,
        __doc__=chosen.instruction or None,
        **fields,
    )
    return model


# -- the registry of article types -----------------------------------------------------------------

_types: dict[str, type[Document]] = {}
_default: list[type[Document]] = []


def register(cls: type[Document], name: str, *, default: bool = False) -> type[Document]:
    """Make an article type known by ``name`` to the command line, schema export and batch defaults."""
    _types[name] = cls
    if default:
        _default[:] = [cls]
    return cls


def article_types() -> dict[str, type[Document]]:
    """The registered article types, by name."""
    return dict(_types)


def article_type(name: str) -> type[Document] | None:
    """The registered article type called ``name``, if any."""
    return _types.get(name)


def default_article_type() -> type[Document]:
    """The article type used when none is given."""
    if not _default:
        raise ConfigurationError("No default article type is registered; pass schema=... explicitly.")
    return _default[0]
