"""``summit-extract batch submit|status|collect``: the OpenAI Batch API from the command line.

Options, input formats and exit codes are the ``extract`` command's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..._runners.openai_batch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REQUESTS,
    batch_status,
    collect_batch,
    submit_batch,
)
from ..._runners.reading import published_text
from . import options
from .app import EXIT_CODES, EXIT_FAILED, UsageProblem, VerboseOpt, VersionOpt, app, errors, to_stdout
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

__all__ = ["batch_app"]

batch_app = typer.Typer(
    help="Extract through the OpenAI Batch API (half price, answers within 24 h): submit, status, collect.",
    no_args_is_help=True,
)

OutOpt = Annotated[
    Path,
    typer.Option("--out", "-o", help="The JSONL records file; the batch's manifest lives in OUT.batch/."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _file(out: Path) -> Path:
    if to_stdout(out):
        raise UsageProblem(
            "batch needs --out to be a file: its manifest (OUT.batch/) lives beside it, so the jobs resume"
        )
    return out


def _echo(value: object, as_json: bool, data: dict[str, object]) -> None:
    typer.echo(json.dumps(data, indent=2) if as_json else str(value))


@batch_app.command("submit", epilog=EXIT_CODES)
def submit(
    articles: Annotated[
        list[str],
        typer.Argument(
            help="Article files, folders, '-' or .jsonl files, as for 'extract'.", show_default=False
        ),
    ],
    out: OutOpt,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    published: PublishedOpt = None,
    ungrounded: UngroundedOpt = "drop",
    max_requests: Annotated[
        int, typer.Option("--max-requests", min=1, help="Requests per batch file (the provider's limit).")
    ] = DEFAULT_MAX_REQUESTS,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Bytes per batch file (the provider's limit).")
    ] = DEFAULT_MAX_BYTES,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and count; write and send nothing.")
    ] = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Write the requests of every article not yet submitted, upload them and create the batch jobs."""
    with errors():
        check_choice("--ungrounded", ungrounded, ("drop", "flag"))
        result = submit_batch(
            read_items(articles),
            out=_file(out),
            schema=load_schema(schema),
            backend=options.build_backend(backend, model, base_url),
            published=published_text(published, "--published"),
            ungrounded="flag" if ungrounded == "flag" else "drop",
            max_requests_per_file=max_requests,
            max_bytes_per_file=max_bytes,
            dry_run=dry_run,
        )
        _echo(result, as_json, result.to_dict())


@batch_app.command("status", epilog=EXIT_CODES)
def status(
    out: OutOpt,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Show how far each job of the batch has got."""
    with errors():
        result = batch_status(_file(out), backend=options.build_backend(backend, model, base_url))
        _echo(result, as_json, result.to_dict())


@batch_app.command("collect", epilog=EXIT_CODES)
def collect(
    out: OutOpt,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    reask: Annotated[
        str,
        typer.Option(
            "--reask", help="Failed answers: 'live' (re-ask now), 'batch' (a follow-up job) or 'none'."
        ),
    ] = "live",
    max_live: Annotated[
        int | None, typer.Option("--max-live", min=0, help="At most this many live re-asks; the rest fail.")
    ] = None,
    wait: Annotated[
        float | None, typer.Option("--wait", min=0, help="Poll up to this many seconds for running jobs.")
    ] = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Download finished jobs and append one record per article to OUT, as 'extract' writes them."""
    with errors():
        check_choice("--reask", reask, ("live", "batch", "none"))
        result = collect_batch(
            _file(out),
            schema=load_schema(schema),
            backend=options.build_backend(backend, model, base_url),
            reask="batch" if reask == "batch" else "none" if reask == "none" else "live",
            max_live=max_live,
            wait=wait,
        )
        _echo(result, as_json, result.to_dict())
        if result.failed or result.reask_failed:
            raise typer.Exit(EXIT_FAILED)


app.add_typer(batch_app, name="batch")
