"""``summit-extract eval``: extract every dev set article and score it against its gold."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer

from . import options
from .app import EXIT_CODES, EXIT_FAILED, UsageProblem, VerboseOpt, VersionOpt, app, errors, to_stdout
from .options import BackendOpt, BaseUrlOpt, ModelOpt, SchemaOpt, UngroundedOpt, check_choice, load_schema

__all__ = ["eval_command"]


@app.command("eval", epilog=EXIT_CODES)
def eval_command(
    devset: Annotated[
        Path, typer.Argument(help="A dev set folder with articles/<stem>.txt and gold/<stem>.json.")
    ] = Path("devset"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for predictions.jsonl, report.md and report.json; '-' prints report.json on stdout.",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N articles.")] = None,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    ungrounded: UngroundedOpt = "drop",
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Extract every dev set article and score it against its gold, with the article type's rules."""
    with errors():
        try:
            from ..._evaluating import evaluate
        except ImportError:
            raise UsageProblem("evaluation is not available in this version") from None
        from ..._extracting import extract_result
        from ..._result import Extraction

        check_choice("--ungrounded", ungrounded, ("drop", "flag"))
        model_type = load_schema(schema)
        if not devset.is_dir():
            raise UsageProblem(f"{devset}: no such folder")
        # Built on the first article, once the gold files are read and valid: a bad dev set is exit 2.
        chosen = functools.cache(lambda: options.build_backend(backend, model, base_url))

        def extract_fn(text: str, published: str | None) -> Extraction[Any]:
            return extract_result(
                text,
                model_type,
                published=published,
                backend=chosen(),
                ungrounded=ungrounded,  # type: ignore[arg-type]
            )

        folder = None if to_stdout(out) else out
        result = evaluate(devset, schema=model_type, extract_fn=extract_fn, out_dir=folder, limit=limit)
        typer.echo(result.to_json() if to_stdout(out) else result.to_markdown())
        if any(a.error for a in result.articles):
            raise typer.Exit(EXIT_FAILED)
