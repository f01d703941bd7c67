"""``summit-extract extract``: a summary for one article, JSONL records for several; ``--dry-run`` plans
only, ``--ray`` runs on a cluster (``extract_ray``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from ..._backend import Backend
from ..._exceptions import InputError
from ..._runners.batch import extract_many
from ..._runners.reading import published_text
from ..._runners.records import Item, Record
from . import options
from .app import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_USAGE,
    UsageProblem,
    VerboseOpt,
    VersionOpt,
    app,
    errors,
    fail,
    fail_on_error,
    to_stdout,
)
from .options import (
    BackendOpt,
    BaseUrlOpt,
    ModelOpt,
    PublishedOpt,
    SchemaOpt,
    UngroundedOpt,
    check_choice,
    load_schema,
    read_items,
)
from .summary import print_batch_summary, print_summary

__all__ = ["extract"]


@app.command(epilog=EXIT_CODES)
def extract(
    articles: Annotated[
        list[str],
        typer.Argument(
            help="Article files, folders (every *.txt inside), '-' for stdin, or .jsonl files with a 'text' "
            "field (optional 'id' and 'published').",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write JSONL here (appends; ids already in it are skipped, so "
            "re-running resumes); '-' for stdout. Default: a summary for one article, JSONL on stdout for "
            "several.",
        ),
    ] = None,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    published: PublishedOpt = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, help="Requests at once (default: the backend's; 1 for local)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Always ask the model; do not read or write the result cache.")
    ] = False,
    ungrounded: UngroundedOpt = "drop",
    translate: Annotated[
        bool,
        typer.Option(
            "--translate",
            help="Have the model translate an article in another language than English first, and read "
            "its frame (who meets, where) in English; findings keep the article's words (slower).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSONL even for a single article.")] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a terminal)."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run on Ray: 'local' starts a cluster; 'auto', ray://HOST:10001 join."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print the requests each article needs, as JSON (one line per article), and send none: "
            "no model is started.",
        ),
    ] = False,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Extract the article type (default: summit) from articles: a summary for one, JSONL for several."""
    with errors():
        check_choice("--ungrounded", ungrounded, ("drop", "flag"))
        published = published_text(published, "--published")
        model_type = load_schema(schema)
        items = read_items(articles)
        if dry_run:
            chosen = options.build_backend(backend, model, base_url)
            _dry_run(items, model_type, chosen, published, ungrounded, out)
            return
        if ray is not None:  # summit-extract[ray]: see extract_ray
            if to_stdout(out):
                raise UsageProblem("--ray writes a file or a folder: give --out a path, not '-'")
            from .extract_ray import run

            run(
                items,
                ray,
                out,
                model_type,
                backend=backend,
                model=model,
                base_url=base_url,
                concurrency=concurrency,
                cache=not no_cache,
                published=published,
                ungrounded=ungrounded,
                progress=bool(progress),
            )
            return
        chosen = options.build_backend(backend, model, base_url)
        run_options: dict[str, Any] = dict(
            schema=model_type,
            backend=chosen,
            concurrency=concurrency,
            cache=not no_cache,
            progress=progress,
            published=published,
            ungrounded=ungrounded,
        )
        if translate:
            run_options["translate"] = True
        if len(items) == 1 and out is None and not as_json:
            summary = extract_many(items, out=None, **run_options)
            record = Record.from_json(summary.records[0])
            fail_on_error(record, str(items[0].id))
            print_summary(record, items[0], model_type)
            return
        target = None if to_stdout(out) else out
        summary = extract_many(items, out=target if target is not None else sys.stdout, **run_options)
        print_batch_summary(summary, target)
        if summary.failed:
            raise typer.Exit(EXIT_FAILED)


def _dry_run(
    items: list[Item],
    schema: type[BaseModel],
    backend: Backend,
    published: str | None,
    ungrounded: str,
    out: Path | None,
) -> None:
    """One JSON line per article: the requests a run would send (as the Batch API sends them), or why none."""
    from ..._planning import plan_article

    lines: list[str] = []
    failed: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {"id": item.id, "backend": backend.name, "model": backend.model}
        try:
            plan = plan_article(
                item.text,
                schema,
                backend=backend,
                published=item.published or published,
                ungrounded="flag" if ungrounded == "flag" else "drop",
            )
        except InputError as exc:
            row["error"] = {"type": type(exc).__name__, "message": " ".join(str(exc).split())}
            failed.append(row)
        else:
            row["requests"] = [{"key": r.key, "body": r.body} for r in plan.requests]
        lines.append(json.dumps(row, ensure_ascii=False))
    if len(items) == 1 and failed:
        error = failed[0]["error"]
        fail(f"{items[0].id}: {error['type']}: {error['message']}", EXIT_USAGE)
    text = "".join(line + "\n" for line in lines)
    if out is None or to_stdout(out):
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(items) - len(failed)} of {len(items)} article(s) planned -> {out}", err=True)
    if failed:
        raise typer.Exit(EXIT_FAILED)
