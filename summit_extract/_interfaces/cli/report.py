"""``summit-extract report``: one self-contained HTML page, the article's evidence beside the result."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from ..._runners.batch import extract_many
from ..._runners.reading import published_text
from ..._runners.records import Item, Record
from . import options
from .app import (
    EXIT_CODES,
    UsageProblem,
    VerboseOpt,
    VersionOpt,
    app,
    errors,
    fail_on_error,
    printable,
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
    read_text,
)

__all__ = ["report"]


@app.command(epilog=EXIT_CODES)
def report(
    article: Annotated[Path, typer.Argument(help="The article's text file.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The HTML file to write (default: <article>.html); '-' for stdout."),
    ] = None,
    result: Annotated[
        Path | None,
        typer.Option(
            "--result",
            help="Use this result instead of extracting: a JSON file holding a result of the article type, "
            "or a JSONL output of 'extract' (the record whose id is the article's path).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title of the page.")] = None,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    backend: BackendOpt = None,
    published: PublishedOpt = None,
    ungrounded: UngroundedOpt = "drop",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the result cache.")] = False,
    verbose: VerboseOpt = False,
    version: VersionOpt = False,
) -> None:
    """Render one self-contained HTML page: the article with its evidence highlighted, beside the result."""
    with errors():
        try:
            render_html = importlib.import_module("summit_extract._interfaces.report").render_html
        except ImportError:
            raise UsageProblem("the HTML report is not available in this version") from None
        if article.is_dir():
            raise UsageProblem(
                f"{article}: is a folder; report renders one article file (extract takes folders)"
            )
        if not article.is_file():
            raise UsageProblem(f"{article}: no such file")
        target = out or article.with_suffix(".html")
        for source in (article, result):
            if source is not None and not to_stdout(target) and _same_file(target, source):
                raise UsageProblem(
                    f"{target}: the report would overwrite its input {source}; choose another --out"
                )
        text = read_text(article)
        model_type = load_schema(schema)
        if result is not None:
            value = _load_result(result, str(article), model_type)
        else:
            check_choice("--ungrounded", ungrounded, ("drop", "flag"))
            chosen = options.build_backend(backend, model, base_url)
            summary = extract_many(
                [Item(str(article), text)],
                schema=model_type,
                backend=chosen,
                cache=not no_cache,
                progress=False,
                published=published_text(published, "--published"),
                ungrounded=ungrounded,
            )
            record = Record.from_json(summary.records[0])
            fail_on_error(record, str(article))
            value = model_type.model_validate(record.result)
        page = render_html(text, value, title=title or article.stem)
        if to_stdout(target):
            sys.stdout.write(page)
            return
        target.write_text(page, encoding="utf-8")
        typer.echo(printable(str(target)))


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _load_result(path: Path, article_id: str, schema: type[BaseModel]) -> BaseModel:
    if not path.is_file():
        raise UsageProblem(f"{path}: no such file")
    text = read_text(path)
    candidates: list[Any] = []
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                row = json.loads(line)
                if isinstance(row, dict) and row.get("id") == article_id and row.get("status") == "ok":
                    candidates.append(row["result"])
        if not candidates:
            raise UsageProblem(f"{path}: no successful record with id {article_id!r}")
    else:
        try:
            data = json.loads(text)
        except ValueError:
            raise UsageProblem(f"{path}: not JSON") from None
        candidates.append(data.get("result", data) if isinstance(data, dict) else data)
    try:
        return schema.model_validate(candidates[-1])
    except ValueError as exc:
        raise UsageProblem(f"{path}: not a {schema.__name__} result ({str(exc).splitlines()[0]})") from None
