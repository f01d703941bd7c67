"""Checking a model before any request is sent: each mistake named by class and field, with its fix.

The parts of an article type that only a model's answer would otherwise exercise are checked here, once,
when the type is defined (``Document``), registered, or first planned:

- every :class:`Grounded` class a schema uses keeps its evidence in a ``str`` field the model fills;
- the fields a declaration names (``event_fields``, a pass's fields) exist;
- every worked example's answer has no unknown key, validates against each pass's response model, and
  every evidence in it is found (exactly, or after normalizing case, spaces, quotes and dashes) in the
  example's own text, as the model is told to copy it;
- a plain ``str`` field of a ``Document`` gets a :class:`SchemaWarning`: the article is never checked for
  it, so a value the article does not contain would be kept.

This module knows nothing of passes or article types: ``_document`` hands it what to check.
"""

from __future__ import annotations

import difflib
import sys
import types
import typing
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    PlainValidator,
    ValidationError,
    WrapValidator,
)

from ._context import Attempts, ExtractionContext
from ._exceptions import SchemaError, SchemaProblem, SchemaWarning
from ._grounding import Grounded, evidence_problem, library_fields, walk

if TYPE_CHECKING:
    from ._document import Example, Pass

__all__ = [
    "example_problems",
    "grounded_problems",
    "models_in",
    "name_problems",
    "settle",
    "text_warnings",
]

_VALIDATORS = (AfterValidator, BeforeValidator, PlainValidator, WrapValidator)


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic classes inside an annotation: ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from models_in(arg)


def _reachable(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every pydantic class its fields hold, at any depth, each once."""
    seen: list[type[BaseModel]] = []
    todo = [model]
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        for info in cls.model_fields.values():
            todo += [m for m in models_in(info.annotation) if m not in seen]
    return seen


def grounded_problems(model: type[BaseModel]) -> list[SchemaProblem]:
    """Each Grounded class ``model`` uses (or is) whose evidence field is missing or not a str."""
    problems = []
    for cls in _reachable(model):
        if issubclass(cls, Grounded) and (problem := evidence_problem(cls)) is not None:
            problems.append(problem)
    return problems


def name_problems(where: str, names: Sequence[str], known: Sequence[str], what: str) -> list[SchemaProblem]:
    """A problem for each of ``names`` that is not among ``known`` (``what`` says what they should be)."""
    problems = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                SchemaProblem(
                    where, f"names {name!r}, which is not {what}: {hint}use one of {_listed(known)}"
                )
            )
    return problems


def _listed(names: Sequence[str]) -> str:
    return ", ".join(map(repr, names)) if names else "(none)"


def _str_field(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return set(typing.get_args(annotation)) == {str, type(None)}
    return False


def text_warnings(cls: type[BaseModel]) -> list[SchemaProblem]:
    """A warning for each field of ``cls`` that is a plain ``str``: neither grounded, nor checked against the
    article (``StatedText``), nor marked as the model's own words (``OptionalText``), nor validated."""
    decorators = cls.__pydantic_decorators__.field_validators.values()
    validated = {name for decorator in decorators for name in decorator.info.fields}
    problems = []
    for name, info in cls.model_fields.items():
        if name in library_fields(cls) or name in validated or "*" in validated:
            continue
        if any(isinstance(m, _VALIDATORS) for m in info.metadata) or not _str_field(info.annotation):
            continue
        problems.append(
            SchemaProblem(
                f"{cls.__name__}.{name}",
                "is a plain str: the article is never checked for it, so a value the article does not "
                "contain is kept. Use StatedText (kept only if written in the article), a Grounded item "
                "(with its evidence), or OptionalText for words of the model's own (not checked)",
                warning=True,
            )
        )
    return problems


def _strict(text: str) -> ExtractionContext:
    """A context in which an ungrounded or malformed item fails validation instead of being dropped."""
    return ExtractionContext(text, reask_ungrounded=True, attempts=Attempts(1, 2))


def _unknown_keys(value: Any, model: type[BaseModel] | None, path: str, where: str) -> list[SchemaProblem]:
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unknown_keys(item, model, f"{path}[{i}]", where)]
    if not isinstance(value, dict) or model is None:
        return []
    hidden = library_fields(model)
    fillable = [f for f in model.model_fields if f not in hidden]
    problems = []
    for key, sub in value.items():
        if key in hidden:
            problems.append(
                SchemaProblem(
                    where, f"{path}: {key!r} is filled by the library, never by the model: remove it"
                )
            )
        elif key not in model.model_fields:
            close = difflib.get_close_matches(str(key), fillable, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                SchemaProblem(
                    where,
                    f"{path}: {key!r} is not a field of {model.__name__}: {hint}its fields are "
                    f"{_listed(fillable)}",
                )
            )
        else:
            inner = next(models_in(model.model_fields[key].annotation), None)
            problems += _unknown_keys(sub, inner, f"{path}[{key!r}]", where)
    return problems


def _validation_lines(error: ValidationError) -> str:
    lines = []
    for detail in error.errors()[:5]:
        loc = "".join(f"[{part}]" if isinstance(part, int) else f"[{part!r}]" for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        lines.append(f"answer{loc}: {message}" if loc else message)
    return "; ".join(lines)


def example_problems(
    cls: type[BaseModel],
    examples: Sequence[Example],
    passes: Sequence[Pass],
    pass_model: Callable[[Pass], type[BaseModel]],
) -> list[SchemaProblem]:
    """What is wrong with each worked example: unknown keys, answers that do not validate against their
    pass, evidence not found in the example's own text (a fuzzy match is not a copy)."""
    problems: list[SchemaProblem] = []
    for n, example in enumerate(examples):
        where = f"{cls.__name__}.examples[{n}]"
        answer = getattr(example, "answer", None)
        text = getattr(example, "text", None)
        if not isinstance(answer, dict) or not isinstance(text, str) or not text.strip():
            problems.append(
                SchemaProblem(where, "must be Example(text=<an invented article>, answer={<field>: <value>})")
            )
            continue
        problems += _unknown_keys(answer, cls, "answer", where)
        for asked in passes:
            missing = [f for f in asked.fields if f not in answer]
            problems += [
                SchemaProblem(
                    where,
                    f"the answer has no {name!r} (asked in pass {asked.name!r}), so the model is shown null "
                    "for it: add it to the answer",
                    warning=True,
                )
                for name in missing
            ]
            part = {f: answer[f] for f in asked.fields if f in answer}
            try:
                value = pass_model(asked).model_validate(part, context=_strict(text))
            except ValidationError as exc:
                problems.append(
                    SchemaProblem(
                        where,
                        f"pass {asked.name!r}: {_validation_lines(exc)} (an example's evidence is copied "
                        "character for character from its own text)",
                    )
                )
                continue
            for item in walk(value):
                if item.span is not None and item.span.alignment == "fuzzy":
                    problems.append(
                        SchemaProblem(
                            where,
                            f"pass {asked.name!r}: the evidence of {type(item).__name__} {item.label()!r} "
                            f"is only close to the text ({item.evidence_text()!r} there): copy it exactly",
                        )
                    )
    return problems


def _caller_level() -> int:
    """The stack level of the first frame outside this library and pydantic: where a class is defined."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in (
        "summit_extract",
        "pydantic",
        "pydantic_core",
    ):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    return level


def schema_message(cls: type[Any], errors: Sequence[SchemaProblem]) -> str:
    """One error message for every problem of ``cls``, each on its own line."""
    name = getattr(cls, "__name__", repr(cls))
    if len(errors) == 1:
        return f"{name} is not a valid article type: {errors[0]}"
    return f"{name} is not a valid article type ({len(errors)} problems):\n" + "\n".join(
        f"  - {p}" for p in errors
    )


def settle(cls: type[Any], problems: Sequence[SchemaProblem], *, warn: bool = True) -> None:
    """Warn of each probable mistake (``warn``), then raise one SchemaError naming every mistake."""
    if warn:
        for problem in problems:
            if problem.warning:
                warnings.warn(str(problem), SchemaWarning, stacklevel=_caller_level())
    errors = tuple(p for p in problems if not p.warning)
    if errors:
        raise SchemaError(schema_message(cls, errors), errors)
