"""``summit-extract schema``: export the request schema of each pass and the result schema of each type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .app import EXIT_CODES, EXIT_FAILED, UsageProblem, VerboseOpt, VersionOpt, app, errors, fail, to_stdout
from .options import load_schema

__all__ = ["schema_command"]


@app.command("schema", epilog=EXIT_CODES)
def schema_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder of <name>.schema.json files; '-' prints them as one JSON object."
        ),
    ] = Path("schemas"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a file is missing or out of date.")
    ] = False,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help="Only this article type: a registered name or package.module:Class (default: every "
            "registered article type).",
        ),
    ] = None,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Export the request schema of each pass and the result schema of each article type."""
    from ..schemas import schema_files, stale_schemas, write_schemas

    with errors():
        models = [load_schema(schema)] if schema else None
        if to_stdout(out):
            if check:
                raise UsageProblem("--check compares the files of a folder: give --out the folder, not '-'")
            files = {name: json.loads(content) for name, content in schema_files(models).items()}
            typer.echo(json.dumps(files, indent=2, ensure_ascii=False))
            return
        if check:
            stale = stale_schemas(out, models)
            if stale:
                fail(
                    f"out of date in {out}: {', '.join(stale)} (run: summit-extract schema --out {out})",
                    EXIT_FAILED,
                )
            typer.echo(f"{out}: all schemas up to date")
            return
        for path in write_schemas(out, models):
            typer.echo(str(path))
