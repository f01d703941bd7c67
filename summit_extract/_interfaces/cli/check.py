"""``summit-extract check``: check an article type without any request."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Annotated

import typer
from pydantic import BaseModel

from ..._document import Document, article_types, check_article_type
from ..._exceptions import SchemaError, SchemaProblem, SchemaWarning
from ..._grounding import Grounded
from .app import EXIT_CODES, EXIT_FAILED, VerboseOpt, VersionOpt, app, errors, printable
from .options import load_schema

__all__ = ["check_command"]


@app.command("check", epilog=EXIT_CODES)
def check_command(
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help="The article type to check: a registered or installed name, or package.module:Class "
            "(default: every registered article type).",
        ),
    ] = None,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Check an article type without any request: evidence fields, passes, examples, scoring, text fields.

    Prints what it found; exit 1 if there is a mistake (a warning alone is exit 0).
    """
    with errors():
        try:
            with warnings.catch_warnings():  # what defining the type warns of is listed below, once
                warnings.simplefilter("ignore", SchemaWarning)
                models = [load_schema(schema)] if schema else list(article_types().values())
        except SchemaError as exc:  # its module defines it wrongly: say what, as for a loaded type
            _print_problems(schema or "?", exc.problems or (SchemaProblem(schema or "?", str(exc)),))
            raise typer.Exit(EXIT_FAILED) from None
        mistakes = 0
        for model in models:
            problems = check_article_type(model)
            typer.echo(_describe_type(model))
            _print_problems(model.__name__, problems)
            mistakes += sum(not p.warning for p in problems)
        if mistakes:
            raise typer.Exit(EXIT_FAILED)


def _print_problems(name: str, problems: Sequence[SchemaProblem]) -> None:
    for problem in problems:
        typer.echo(printable(f"  {'warning' if problem.warning else 'error'}: {problem}"))
    mistakes = sum(not p.warning for p in problems)
    warned = len(problems) - mistakes
    verdict = f"{mistakes} mistake(s)" if mistakes else "no mistakes"
    typer.echo(f"  {name}: {verdict}" + (f", {warned} warning(s)" if warned else ""))


def _describe_type(model: type[BaseModel]) -> str:
    """What the checks went over: the type's name, passes, examples, evidence fields and scoring."""
    from ..._checking import models_in
    from ..._document import passes_of
    from ..schemas import type_name

    lines = [f"{model.__name__} ({type_name(model)})"]
    passes = passes_of(model)
    lines.append("  passes: " + "; ".join(f"{p.name} ({', '.join(p.fields)})" for p in passes))
    grounded = []
    for cls in [model, *{m for info in model.model_fields.values() for m in models_in(info.annotation)}]:
        if isinstance(cls, type) and issubclass(cls, Grounded):
            grounded.append(f"{cls.__name__}.{cls.evidence_field}")
    lines.append("  evidence: " + (", ".join(sorted(grounded)) or "no Grounded items"))
    if isinstance(model, type) and issubclass(model, Document):
        lines.append(f"  examples: {len(model.examples)}, each checked against every pass and its own text")
        scoring = model.scoring
        if scoring is None:
            lines.append("  scoring: none (evaluate() needs one)")
        else:
            lists = ", ".join(scoring.lists) or "none"
            accuracy = ", ".join(scoring.accuracy) or "none"
            lines.append(f"  scoring: gold {scoring.gold.__name__}; accuracy {accuracy}; lists {lists}")
    return str(printable("\n".join(lines)))
