"""Article types: the document base class, its checks, and the registry through which the command line finds
an article type by name (registered in code, or installed: the ``summit_extract.article_types`` entry points).

The hooks an article type declares are documented on :class:`Document` itself.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar, Self, get_origin

from pydantic import BaseModel, create_model

from ._checking import example_problems, grounded_problems, name_problems, settle, text_warnings
from ._context import ExtractionContext
from ._event_keys import Window, default_same_event, default_same_fact, default_tokens, default_window
from ._exceptions import ConfigurationError, SchemaError, SchemaProblem
from ._grounding import Grounded, LibraryFilled, library_fields
from ._locating import SENTENCE_GROUNDING
from ._merging import merge_models
from ._rules import Rule, RuleContext, run_rules

if TYPE_CHECKING:
    from ._evaluating import Scoring

__all__ = [
    "ENTRY_POINT_GROUP",
    "ONE_PASS",
    "Document",
    "Example",
    "Pass",
    "PassAnswer",
    "article_type",
    "article_types",
    "check_article_type",
    "choose_passes",
    "default_article_type",
    "ensure_valid",
    "installed_article_types",
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
    #: Read in an English translation when the article is in another language (``_translating``): the
    #: answer is brought back to the article's own words before anything else sees it. False: the pass
    #: reads the article as written.
    translated: bool = False


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
    """Base class of an article type: the object one article is extracted into.

    The engine (prompting, calling, chunking, batch, report, eval) knows no article type. A subclass
    declares its fields (facts with evidence are :class:`Grounded` items; text the article must contain is
    ``StatedText``, the model's own words ``OptionalText``) and, as class attributes and methods:

    - ``passes``: focused requests (:class:`Pass`), each asking for a few fields, the frame first, all
      sharing one prompt prefix (the system message and the article). None declared: one request for all.
      ``default_passes`` names those run when the caller does not choose.
    - ``examples``: worked examples (:class:`Example`, an invented article and its full answer); each pass
      shows the part of the answer it asks for.
    - ``instructions``: what the model should know about this article type, in the shared system message.
    - ``finalize(context)``: normalization in code once every pass (and chunk) is merged.
    - ``reports_event()`` and ``event_fields``: whether the article reports the event at all, and which
      fields are cleared when it does not (lists of findings such as agreements are never cleared).
    - ``merge_chunks(values)``: how the results of a long article's chunks merge; the default joins lists
      and removes items that ``Grounded.same_item`` says are the same fact.
    - ``max_chunk_chars``: most characters of a long article a ``piecewise`` pass reads at once.
    - ``rules``: the code rules checked against the model's answer (:class:`~summit_extract.Rule`: a name,
      what it may do, the languages its words cover), in order; the engine's sentence grounding by default.
    - ``scoring``: the matching rules ``evaluate()`` uses against gold annotations (a ``Scoring``).
    - ``event_window(published)``, ``event_tokens()``, ``same_event(other)`` and ``same_fact(a, b)``: how
      ``consolidate`` makes events of many articles' records: the days the event may lie in, the tokens
      records are blocked by (only records sharing one are compared), whether two records tell one event,
      and whether two items of two articles are one fact (defaults in ``_event_keys``).

    Mistakes are caught when the class is defined, before any request: a ``SchemaError`` names the class,
    the field and the fix (a missing evidence field, a pass or ``event_fields`` naming no field, an example
    whose answer has an unknown key, does not validate, or quotes words its own text does not hold); a
    plain ``str`` field gets a ``SchemaWarning``. ``scoring`` is checked when the type is registered or
    first planned. ``check_article_type(cls)`` (or ``summit-extract check --schema NAME``) lists them all.
    """

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
    #: The code rules checked against the model's answer, in order (``_rules.Rule``): each declares what
    #: it may do and the languages its wording covers. Rules that ground ("ground") run before ungrounded
    #: items are dropped; the others run in ``finalize``. By default the engine's sentence grounding only.
    rules: ClassVar[tuple[Rule, ...]] = (SENTENCE_GROUNDING,)
    #: The names of the rules switched on (None: all); the benchmarks switch them off one at a time.
    enabled_rules: ClassVar[frozenset[str] | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__pydantic_complete__:  # else (unresolved forward references): when registered or planned
            settle(cls, _problems(cls, scoring=False))

    def finalize(self, context: ExtractionContext) -> None:
        """Normalize in code, in place, once the passes (and chunks) are merged; by default only the
        type's rules run (``apply_rules``). An override calls ``apply_rules`` where its rules belong."""
        self.apply_rules(RuleContext.of(context))

    def apply_rules(self, context: RuleContext, enabled: frozenset[str] | None = None) -> list[str]:
        """Apply the type's rules other than grounding (see ``rules``); return the names of those that ran.
        ``enabled`` defaults to the class's ``enabled_rules``."""
        chosen = [r for r in type(self).rules if r.action != "ground"]
        return run_rules(self, chosen, context, type(self).enabled_rules if enabled is None else enabled)

    def ground_rules(self, context: RuleContext, enabled: frozenset[str] | None = None) -> list[str]:
        """Apply the type's grounding rules (before ungrounded items are dropped); return those that ran."""
        chosen = [r for r in type(self).rules if r.action == "ground"]
        return run_rules(self, chosen, context, type(self).enabled_rules if enabled is None else enabled)

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
        return merge_models(values)

    # -- many articles, one event (``consolidate``) ------------------------------------------------------

    def event_window(self, published: dt.date | None) -> Window | None:
        """The days the event this record tells of may lie in (None: unknown); by default its first date,
        resolved against ``published``, else the days around ``published`` (``_event_keys``)."""
        return default_window(self, published)

    def event_tokens(self) -> frozenset[str]:
        """Blocking tokens: only records sharing one are compared. By default the states it names."""
        return default_tokens(self)

    def same_event(self, other: Document) -> bool:
        """Whether ``other`` (a record whose window overlaps this one's) tells of the same event."""
        return default_same_event(self, other)

    @classmethod
    def same_fact(cls, a: Grounded, b: Grounded) -> bool:
        """Whether two items of two articles state one fact; by default ``same_item`` without spans."""
        return default_same_fact(a, b)


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


# -- checks ------------------------------------------------------------------------------------------

_RESERVED = (ONE_PASS, REST_PASS)


def _problems(cls: type[Document], *, scoring: bool) -> list[SchemaProblem]:
    """Every mistake and probable mistake of an article type (its scoring rules too, with ``scoring``)."""
    name = cls.__name__
    problems = grounded_problems(cls)
    fillable = [f for f in cls.model_fields if f not in library_fields(cls)]
    seen: set[str] = set()
    for asked in cls.passes:
        if not isinstance(asked, Pass):
            problems.append(SchemaProblem(f"{name}.passes", f"holds {asked!r}: each must be a Pass(...)"))
            continue
        where = f"{name}.passes[{asked.name!r}]"
        if asked.name in seen:
            problems.append(SchemaProblem(where, "is declared twice: give each pass its own name"))
        if asked.name in _RESERVED:
            problems.append(SchemaProblem(where, f"{asked.name!r} is a name the library uses: pick another"))
        seen.add(asked.name)
        problems += name_problems(where, asked.fields, fillable, f"a field of {name} the model fills")
    problems += name_problems(
        f"{name}.default_passes", cls.default_passes or (), [p.name for p in cls.passes], "a declared pass"
    )
    problems += name_problems(f"{name}.event_fields", cls.event_fields, fillable, f"a field of {name}")
    if not problems:  # the examples are validated by the passes' response models
        problems += example_problems(cls, cls.examples, passes_of(cls), functools.partial(pass_model, cls))
    problems += text_warnings(cls)
    if scoring and cls.scoring is not None:
        check = getattr(cls.scoring, "problems", None)
        if isinstance(cls.scoring, type) or not callable(check):
            problems.append(
                SchemaProblem(f"{name}.scoring", "must be an instance of a Scoring subclass: MyScoring()")
            )
        else:
            problems += check(cls)
    return problems


def check_article_type(schema: type[BaseModel]) -> list[SchemaProblem]:
    """Every mistake (and, marked ``warning``, probable mistake) of an article type or plain schema, found
    without any request: what ``summit-extract check`` prints. An empty list: nothing found."""
    if isinstance(schema, type) and issubclass(schema, Document):
        return _problems(schema, scoring=True)
    return grounded_problems(schema)


def ensure_valid(schema: type[BaseModel]) -> None:
    """Raise a SchemaError naming every mistake of ``schema`` (checked once per class and scoring)."""
    _ensure_valid(schema, getattr(schema, "scoring", None))


@functools.cache
def _ensure_valid(schema: type[BaseModel], scoring: object) -> None:
    settle(schema, check_article_type(schema), warn=False)  # warnings were given when it was defined


# -- the registry of article types -----------------------------------------------------------------

#: The entry-point group through which an installed package makes its article types known by name.
ENTRY_POINT_GROUP = "summit_extract.article_types"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

_types: dict[str, type[Document]] = {}
_default: list[type[Document]] = []


def register(cls: type[Document], name: str, *, default: bool = False) -> type[Document]:
    """Make an article type known by ``name`` to the command line, schema export and batch defaults.

    The type is checked first, its scoring rules included: a mistake is a SchemaError, before any request.
    """
    if not (isinstance(cls, type) and issubclass(cls, Document)):
        raise SchemaError(f"register() takes a Document subclass, not {cls!r}: define `class X(Document)`.")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SchemaError(
            f"register({cls.__name__}, {name!r}): a name is letters, digits, '_', '.' and '-' (no ':', "
            "which --schema reads as module:Class), e.g. 'ceasefire'."
        )
    ensure_valid(cls)
    _types[name] = cls
    if default:
        _default[:] = [cls]
    return cls


def article_types() -> dict[str, type[Document]]:
    """The registered article types, by name (installed ones once loaded: see :func:`article_type`)."""
    return dict(_types)


def type_name(model: type[BaseModel]) -> str:
    """The registered name of an article type, else its class name in snake case."""
    for name, registered in article_types().items():
        if registered is model:
            return name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", model.__name__).lower()


def installed_article_types() -> dict[str, str]:
    """Article types installed packages declare (entry points), by name: where each is, ``module:Class``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def article_type(name: str) -> type[Document] | None:
    """The article type called ``name``: a registered one, else one an installed package declares in the
    ``summit_extract.article_types`` entry-point group (loaded, checked and registered on first use)."""
    found = _types.get(name)
    if found is not None:
        return found
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            loaded = ep.load()
        except SchemaError:
            raise
        except Exception as exc:
            raise ConfigurationError(
                f"The article type {name!r} is installed as {ep.value}, but loading it failed "
                f"({type(exc).__name__}: {exc}); fix or reinstall the package that declares it."
            ) from exc
        if not (isinstance(loaded, type) and issubclass(loaded, Document)):
            raise SchemaError(
                f"The entry point {name!r} ({ep.value}) in group {ENTRY_POINT_GROUP} is not a Document "
                "subclass: point it at the article type's class."
            )
        return _types.get(name) or register(loaded, name)
    return None


def default_article_type() -> type[Document]:
    """The article type used when none is given."""
    if not _default:
        raise ConfigurationError("No default article type is registered; pass schema=... explicitly.")
    return _default[0]
