"""``summit-extract consolidate RECORDS.jsonl -o EVENTS.jsonl``: many articles' records into events.

``--html VIEW.html`` also writes the event view, the sentences of each article taken from
``--articles`` (the same files, folders or JSONL that were given to ``extract``, so the ids match).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..._consolidating import ConsolidationSummary, consolidate, iter_jsonl
from ..._document import Document, default_article_type
from ..._events import Event
from ..._external_sort import DEFAULT_RUN_ROWS
from ..event_report import render_events_html
from .app import EXIT_CODES, UsageProblem, VerboseOpt, VersionOpt, app, errors, printable, to_stdout
from .options import SchemaOpt, load_schema, read_items

__all__ = ["consolidate_command"]


def _texts(articles: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for item in read_items(articles):
        text = item.text.decode("utf-8", "replace") if isinstance(item.text, bytes) else item.text
        texts[str(item.id)] = text
    return texts


@app.command("consolidate", epilog=EXIT_CODES)
def consolidate_command(
    records: Annotated[
        str,
        typer.Argument(
            help="The JSONL records extract, batch collect or --ray wrote ('-' for stdin).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The events file to write, one JSON event per line; '-': stdout."),
    ],
    schema: SchemaOpt = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the event view (HTML) to this file.")
    ] = None,
    articles: Annotated[
        list[str] | None,
        typer.Option(
            "--articles",
            help="The articles the records came from (as given to extract), for the sentences of --html.",
        ),
    ] = None,
    run_rows: Annotated[
        int, typer.Option("--run-rows", min=1000, help="Records sorted in memory at once.")
    ] = DEFAULT_RUN_ROWS,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Consolidate records of many articles into events: one per event, each fact with its sources."""
    with errors():
        chosen = load_schema(schema) if schema else default_article_type()
        if not (isinstance(chosen, type) and issubclass(chosen, Document)):
            raise UsageProblem(f"--schema {schema}: consolidate needs an article type (a Document subclass)")
        if articles and html is None:
            raise UsageProblem("--articles gives the sentences of the event view: it needs --html")
        texts = _texts(articles) if articles else {}
        started = time.monotonic()
        summary = ConsolidationSummary()
        events = consolidate(iter_jsonl(records), schema=chosen, run_rows=run_rows, summary=summary)
        kept: list[Event] = []
        stream = sys.stdout if to_stdout(out) else open(out, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for event in events:
                stream.write(event.model_dump_json() + "\n")
                if html is not None:
                    kept.append(event)  # the view is a page of them all: it holds what it shows
        finally:
            if stream is not sys.stdout:
                stream.close()
            else:
                stream.flush()
        if html is not None:
            html.write_text(render_events_html(kept, texts, title=f"Events of {records}"), encoding="utf-8")
        summary.seconds = time.monotonic() - started
        typer.echo(printable(str(summary)), err=True)
