"""The ``summit-extract`` command line: extract, export schemas, render an evidence report, evaluate.

Every command takes ``--schema``: the name of a registered article type (the default one if omitted), one
an installed package declares (the ``summit_extract.article_types`` entry points), or any pydantic model as
``package.module:Class``; nothing here names an article type.

Conventions: ``-o/--out`` on every command that writes, ``-o -`` for stdout; ``-v`` and ``--version``
before or after the command's name. Every error ends in one clear line on stderr and an exit code scripts
can rely on (see ``EXIT_CODES``); a traceback only with SUMMIT_EXTRACT_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from . import _input
from ._backend import Backend, load_provider, resolve_backend
from ._batch import BatchSummary, Item, extract_many
from ._document import (
    ENTRY_POINT_GROUP,
    Document,
    article_type,
    article_types,
    check_article_type,
    default_article_type,
    installed_article_types,
)
from ._exceptions import (
    ConfigurationError,
    ExtractionError,
    InputError,
    SchemaError,
    SchemaProblem,
    SchemaWarning,
)
from ._fields import WrittenDate
from ._grounding import Grounded, library_fields
from ._version import package_version

__all__ = [
    "DEBUG_ENV",
    "EXIT_CODES",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "BackendOpt",
    "BaseUrlOpt",
    "ModelOpt",
    "PublishedOpt",
    "SchemaOpt",
    "UngroundedOpt",
    "UsageProblem",
    "VerboseOpt",
    "VersionOpt",
    "build_backend",
    "check_command",
    "eval_command",
    "extract",
    "load_schema",
    "main",
    "print_summary",
    "printable",
    "read_items",
    "report",
    "schema_command",
    "to_stdout",
]

EXIT_OK = 0
#: Some items failed (their error records are in the output), or a schema or type check found a problem.
EXIT_FAILED = 1
#: Bad command line or input: unknown option, missing file, malformed JSONL or gold file, bad --schema.
EXIT_USAGE = 2
#: No usable backend, or the endpoint rejected the key or the model.
EXIT_CONFIG = 3

EXIT_CODES = (
    "Exit codes: 0 success; 1 some items failed (each has an error record), or check found a mistake; "
    "2 usage error (bad option, missing file, malformed input or gold file, an article type defined "
    "wrongly); 3 configuration error (no backend, key or model rejected)."
)

DEBUG_ENV = "SUMMIT_EXTRACT_DEBUG"

app = typer.Typer(
    name="summit-extract",
    help=f"Extract evidence-backed facts from news articles: {', '.join(sorted(article_types()))}, or your "
    f"own article type (--schema).\n\n{EXIT_CODES}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_VERBOSE_HELP = "Log retries and other warnings to stderr."
_VERSION_HELP = "Print the version and exit."


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        typer.echo(f"summit-extract {package_version()}")
        raise typer.Exit()


def _set_verbose(value: bool) -> None:
    if value:
        logging.getLogger("instructor").setLevel(logging.INFO)
        logging.getLogger("summit_extract").setLevel(logging.INFO)
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")


# The global options, taken after a command's name too ("summit-extract extract -v ..."), as git's are.
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", callback=_set_verbose, help=_VERBOSE_HELP)]
VersionOpt = Annotated[
    bool, typer.Option("--version", is_eager=True, callback=_show_version, help=_VERSION_HELP)
]


@app.callback()
def _options(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_VERBOSE_HELP)] = False,
    version: VersionOpt = False,
) -> None:
    # Retries are expected and counted in the records; without -v they would bury the one-line errors.
    loggers = [logging.getLogger("instructor"), logging.getLogger("summit_extract")]
    saved = [(logger, logger.level) for logger in loggers]

    def restore() -> None:  # the process may go on (tests, embedding apps): leave logging as found
        for logger, level in saved:
            logger.setLevel(level)

    ctx.call_on_close(restore)
    loggers[0].setLevel(logging.INFO if verbose else logging.CRITICAL)
    loggers[1].setLevel(logging.INFO if verbose else logging.ERROR)
    _set_verbose(verbose)


def to_stdout(out: Path | None) -> bool:
    """Whether ``-o`` asks for stdout (``-o -``)."""
    return out is not None and str(out) == "-"


class UsageProblem(Exception):
    """A problem with the command line or the input files (exit code 2)."""


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn every failure into one line on stderr and its exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted; run the same command again to resume where it stopped", 130)
    except UsageProblem as exc:
        _fail(str(exc), EXIT_USAGE)
    except SchemaError as exc:  # a bad --schema: the article type it names is defined wrongly
        _fail(str(exc), EXIT_USAGE)
    except ConfigurationError as exc:
        _fail(str(exc), EXIT_CONFIG)
    except InputError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ExtractionError as exc:
        _fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc), EXIT_USAGE)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)", EXIT_FAILED)


def _fail(message: str, code: int) -> None:
    typer.echo(f"summit-extract: error: {' '.join(printable(message).split())}", err=True)
    raise typer.Exit(code)


#: Control characters (C0 but tab and newline, DEL, C1), which include the ESC of terminal escape sequences.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: Any) -> Any:
    """``value`` with control characters removed from every string in it, for printing on a terminal.

    An article's title, an id or an endpoint's error message may carry ANSI escape sequences; shown raw
    they could rewrite the terminal (hide text, change the title, fake a prompt).
    """
    if isinstance(value, str):
        return _CONTROLS.sub("", value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


# -- options shared by the commands that call a model -----------------------------------------------

ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name (default: the backend's).")]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="An OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (implies "
        "--backend openai; the key comes from OPENAI_API_KEY).",
    ),
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend", help="openai or local (default: openai if OPENAI_API_KEY/_BASE_URL is set, else local)."
    ),
]
UngroundedOpt = Annotated[
    str, typer.Option("--ungrounded", help="Items whose evidence is not in the article: drop or flag.")
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema",
        help=f"The article type: a registered name ({', '.join(sorted(article_types()))}), one an installed "
        f"package declares ({ENTRY_POINT_GROUP} entry points), or your own pydantic model as "
        "package.module:Class (default: the default type).",
    ),
]
PublishedOpt = Annotated[
    str | None,
    typer.Option("--published", help="Publication date YYYY-MM-DD, to resolve dates like 'May 7'."),
]


def build_backend(backend: str | None, model: str | None, base_url: str | None) -> Backend:
    """The backend the options ask for (tests replace this to replay recorded model answers)."""
    if base_url:
        if backend not in (None, "openai"):
            raise UsageProblem("--base-url is for an OpenAI-compatible endpoint; it needs --backend openai")
        os.environ["OPENAI_BASE_URL"] = base_url  # read by the openai provider, as the SDK itself does
        backend = "openai"
    if backend is not None:
        if backend not in ("openai", "local"):
            raise UsageProblem(f"--backend must be 'openai' or 'local', not {backend!r}")
        return load_provider(backend, model)
    return resolve_backend(model)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageProblem(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _date(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UsageProblem(f"{where}: published date {value!r} is not YYYY-MM-DD") from None
    return str(value)[:10]


def load_schema(spec: str | None) -> type[BaseModel]:
    """The article type ``spec`` names: a registered name, or ``module:Class`` (the current folder is
    importable) checked to be a pydantic model. None: the default article type."""
    if not spec:
        return default_article_type()
    if ":" not in spec:
        registered = article_type(spec)
        if registered is None:
            names = ", ".join(sorted({*article_types(), *installed_article_types()}))
            raise UsageProblem(
                f"--schema {spec!r} is no known article type (known: {names}). Pass your own as "
                "package.module:Class, or make it known by name: register(MyType, 'name') in code the "
                f"process imports, or, in your package's pyproject.toml, [project.entry-points."
                f'"{ENTRY_POINT_GROUP}"] name = "package.module:MyType", then pip install it'
            )
        return registered
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise UsageProblem(f"--schema must look like module:Class, not {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageProblem(f"--schema {spec}: cannot import {module_name!r} ({exc})") from None
    schema: Any = module
    for part in class_name.split("."):
        schema = getattr(schema, part, None)
        if schema is None:
            raise UsageProblem(f"--schema {spec}: {module_name!r} has no {class_name!r}")
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise UsageProblem(f"--schema {spec}: {class_name!r} is not a pydantic model class")
    return schema


# -- reading the articles -----------------------------------------------------------------------------


def read_items(articles: list[str]) -> list[Item]:
    """Files, folders (their *.txt files), ``-`` for stdin, and .jsonl files, as batch items.

    A text file that is not UTF-8 is an item all the same (its bytes): its extraction fails with the
    same InputError whether it came from a file, a folder or stdin, and the rest of a batch goes on.
    """
    items: list[Item] = []
    for arg in articles:
        if arg == "-":
            items += _stdin_items(_read_stdin())
            continue
        path = Path(arg)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                raise UsageProblem(f"{arg}: the folder has no *.txt articles")
            items += [Item(str(p), _text(p)) for p in files]
        elif path.suffix == ".jsonl" and path.is_file():
            items += _jsonl_items(_read(path), str(path))
        elif path.is_file():
            items.append(Item(str(path), _text(path)))
        else:
            raise UsageProblem(f"{arg}: no such file or folder")
    if not items:
        raise UsageProblem("no articles to extract")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise UsageProblem(f"the id {item.id!r} appears twice in the input; ids key the output")
        seen.add(item.id)
    return items


def _read(path: Path) -> str:
    """A file that must be text (JSONL, a result, the article of a report): UTF-8, or as its BOM says."""
    return _decode(path.read_bytes(), str(path))


def _text(path: Path) -> str | bytes:
    """A file's text, or its bytes when they are not text: the extraction then says so, as for stdin."""
    data = path.read_bytes()
    try:
        return _input._decode(data)
    except InputError:
        return data


def _decode(data: bytes, where: str) -> str:
    try:
        return _input._decode(data)
    except InputError as exc:
        raise UsageProblem(f"{where}: {exc}") from None


def _read_stdin() -> str | bytes:
    """Stdin as text: bytes decoded as UTF-8 (or as their byte order mark says), else the bytes."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        text = sys.stdin.read()
        return text if isinstance(text, str) else bytes(text)
    data: bytes = stream.read()
    try:
        return _input._decode(data)
    except InputError:
        return data


def _stdin_items(text: str | bytes) -> list[Item]:
    if isinstance(text, bytes):
        return [Item("stdin", text)]
    # JSONL on stdin is recognised by its first line: a JSON object with a "text" field.
    first = text.lstrip().split("\n", 1)[0]
    if first.startswith("{"):
        try:
            looks_jsonl = isinstance(json.loads(first), dict) and "text" in json.loads(first)
        except ValueError:
            looks_jsonl = False
        if looks_jsonl:
            return _jsonl_items(text, "stdin")
    return [Item("stdin", text)]


def _jsonl_items(text: str, source: str) -> list[Item]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise UsageProblem(f"{source}:{number}: not a JSON object") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise UsageProblem(f"{source}:{number}: each line needs a string field 'text'")
        raw_id = row.get("id")
        published = _date(row.get("published"), f"{source}:{number}")
        item_id = str(raw_id) if raw_id is not None else f"{source}:{number}"
        items.append(Item(item_id, row["text"], published))
    return items


# -- extract ------------------------------------------------------------------------------------------


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
    with _errors():
        _check_choice("--ungrounded", ungrounded, ("drop", "flag"))
        published = _date(published, "--published")
        model_type = load_schema(schema)
        items = read_items(articles)
        if dry_run:
            _dry_run(items, model_type, build_backend(backend, model, base_url), published, ungrounded, out)
            return
        if ray is not None:  # summit-extract[ray]: see _cli_ray
            if to_stdout(out):
                raise UsageProblem("--ray writes a file or a folder: give --out a path, not '-'")
            importlib.import_module("summit_extract._cli_ray").run(items, ray, out, model_type, locals())
            return
        chosen = build_backend(backend, model, base_url)
        options: dict[str, Any] = dict(
            schema=model_type,
            backend=chosen,
            concurrency=concurrency,
            cache=not no_cache,
            progress=progress,
            published=published,
            ungrounded=ungrounded,
        )
        if len(items) == 1 and out is None and not as_json:
            summary = extract_many(items, out=None, **options)
            record = summary.records[0]
            if record["status"] != "ok":
                error = record["error"]
                _fail(f"{items[0].id}: {error['type']}: {error['message']}", _code_of(error["type"]))
            print_summary(record, items[0], model_type)
            return
        target = None if to_stdout(out) else out
        summary = extract_many(items, out=target if target is not None else sys.stdout, **options)
        _print_batch_summary(summary, target)
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
    from ._planning import plan_article

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
        _fail(f"{items[0].id}: {error['type']}: {error['message']}", EXIT_USAGE)
    text = "".join(line + "\n" for line in lines)
    if out is None or to_stdout(out):
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(items) - len(failed)} of {len(items)} article(s) planned -> {out}", err=True)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _code_of(error_type: str) -> int:
    if error_type == "ConfigurationError":
        return EXIT_CONFIG
    return EXIT_USAGE if error_type == "InputError" else EXIT_FAILED


def _print_batch_summary(summary: BatchSummary, out: Path | None) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False)
    where = f" -> {printable(str(out))}" if out is not None else ""
    console.print(f"[bold]summit-extract[/bold]: {escape(printable(str(summary)))}{where}", soft_wrap=True)


def print_summary(record: dict[str, Any], item: Item, schema: type[BaseModel] | None = None) -> None:
    """A readable summary of one record: what the article reports, each fact with its evidence.

    Generic over article types: the verdict (for a type that says whether the article reports its event),
    then each top-level field in order, items with their evidence and where it lies in the article.
    """
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    record = printable(record)
    item = Item(printable(str(item.id)), item.text, item.published)
    console.print(f"[bold]{escape(item.id)}[/bold]")
    value: BaseModel | None = None
    if schema is not None:
        with contextlib.suppress(ValueError):
            value = schema.model_validate(record["result"])
    if value is None:
        console.print(escape(json.dumps(record["result"], indent=2, ensure_ascii=False)))
    else:
        for line in _summary_lines(value):
            console.print(line)
    usage = record["usage"]
    cost = (
        "from cache, no request"
        if record.get("cached")
        else (
            f"{record['attempts']} request(s), {usage['prompt_tokens'] + usage['completion_tokens']} tokens, "
            f"{record['seconds']:.1f} s"
        )
    )
    dropped = f", {record['dropped']} ungrounded item(s) dropped" if record.get("dropped") else ""
    flagged = f", {record['flagged']} ungrounded item(s) flagged" if record.get("flagged") else ""
    who = escape(f"{record['backend']} {record['model']}")
    console.print(f"[dim]{who}: {cost}{dropped}{flagged}[/dim]")


def _words(name: str) -> str:
    """A class or field name as words: "PeaceTreaty" -> "peace treaty", "host_country" -> "host country"."""
    import re

    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


def _plain(value: Any) -> str:
    if isinstance(value, WrittenDate):
        return value.text + (f" ({value.iso})" if value.iso else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value if v is not None)
    if isinstance(value, BaseModel):
        return ", ".join(_plain(getattr(value, f)) for f in type(value).model_fields if getattr(value, f))
    return "" if value is None else str(value)


def _evidence(item: Grounded, described: str) -> str:
    from rich.markup import escape

    span = item.span
    where = f" [{span.start}:{span.end}]" if span is not None else ""
    mark = " (unaligned)" if span is not None and span.alignment == "unaligned" else ""
    evidence = item.evidence_text()
    if evidence and evidence in described:  # a quote is its own evidence: say only where it is
        return f" [dim]{escape(where.strip())}{mark}[/dim]" if where or mark else ""
    return f'\n      [dim]evidence: "{escape(evidence)}"{escape(where)}{mark}[/dim]'


def _describe(item: Grounded) -> str:
    """An item in one line: its label, its other short fields in brackets, its list fields named."""
    label = item.label()
    hidden = {"span", item.evidence_field, *library_fields(type(item))}
    extras: list[str] = []
    lists: list[str] = []
    for name in type(item).model_fields:
        field_value = getattr(item, name)
        if name in hidden or field_value in (None, "", []):
            continue
        text = _plain(field_value)
        if isinstance(field_value, list):
            lists.append(f"{_words(name)}: {text}")
        elif text and text not in label:
            extras.append(text)
    return label + (f" [{', '.join(extras)}]" if extras else "") + "".join(f" {x}" for x in lists)


def _summary_lines(value: BaseModel) -> list[str]:
    from rich.markup import escape

    lines: list[str] = []
    model = type(value)
    verdict: bool | None = None
    if isinstance(value, Document) and type(value).reports_event is not Document.reports_event:
        verdict = value.reports_event()
        what = _words(model.__name__)
        name = getattr(value, "name", None)
        suffix = escape(f": {name}") if isinstance(name, str) and name else ""
        lines.append(f"Reports [bold]{'a' if verdict else 'no'} {escape(what)}[/bold]{suffix}")
    for field_name, info in model.model_fields.items():
        field_value = getattr(value, field_name)
        title = escape(_words(field_name).capitalize())
        holds_items = _holds_grounded(info.annotation)
        if field_name == "name" and verdict is not None:
            continue
        if isinstance(field_value, bool) and verdict is not None and field_value == verdict:
            continue  # the verdict, already said
        if isinstance(field_value, list) and holds_items:
            lines.append(f"[bold]{title}[/bold] ({len(field_value)})")
            for entry in field_value:
                if isinstance(entry, Grounded):
                    described = _describe(entry)
                    lines.append(f"  - {escape(described)}{_evidence(entry, described)}")
                else:
                    lines.append(f"  - {escape(_plain(entry))}")
        elif isinstance(field_value, Grounded):
            described = (
                _plain(field_value) if isinstance(field_value, WrittenDate) else _describe(field_value)
            )
            lines.append(f"[bold]{title}[/bold]: {escape(described)}{_evidence(field_value, described)}")
        elif field_value is None and holds_items:
            lines.append(f"[bold]{title}[/bold]: not stated")
        elif field_value not in (None, "", []):
            lines.append(f"[bold]{title}[/bold]: {escape(_plain(field_value))}")
    return lines


def _holds_grounded(annotation: Any) -> bool:
    import typing

    if isinstance(annotation, type):
        return issubclass(annotation, Grounded)
    return any(_holds_grounded(arg) for arg in typing.get_args(annotation))


# -- schema -------------------------------------------------------------------------------------------


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
    from ._schemas import schema_files, stale_schemas, write_schemas

    with _errors():
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
                _fail(
                    f"out of date in {out}: {', '.join(stale)} (run: summit-extract schema --out {out})",
                    EXIT_FAILED,
                )
            typer.echo(f"{out}: all schemas up to date")
            return
        for path in write_schemas(out, models):
            typer.echo(str(path))


# -- report -------------------------------------------------------------------------------------------


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
    with _errors():
        try:
            render_html = importlib.import_module("summit_extract._report").render_html
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
        text = _read(article)
        model_type = load_schema(schema)
        if result is not None:
            value = _load_result(result, str(article), model_type)
        else:
            _check_choice("--ungrounded", ungrounded, ("drop", "flag"))
            chosen = build_backend(backend, model, base_url)
            summary = extract_many(
                [Item(str(article), text)],
                schema=model_type,
                backend=chosen,
                cache=not no_cache,
                progress=False,
                published=_date(published, "--published"),
                ungrounded=ungrounded,
            )
            record = summary.records[0]
            if record["status"] != "ok":
                error = record["error"]
                _fail(f"{article}: {error['type']}: {error['message']}", _code_of(error["type"]))
            value = model_type.model_validate(record["result"])
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
    text = _read(path)
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


# -- eval ---------------------------------------------------------------------------------------------


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
    with _errors():
        try:
            from ._evaluating import evaluate
        except ImportError:
            raise UsageProblem("evaluation is not available in this version") from None
        from ._extracting import extract_result
        from ._result import Extraction

        _check_choice("--ungrounded", ungrounded, ("drop", "flag"))
        model_type = load_schema(schema)
        if not devset.is_dir():
            raise UsageProblem(f"{devset}: no such folder")
        # Built on the first article, once the gold files are read and valid: a bad dev set is exit 2.
        chosen = functools.cache(lambda: build_backend(backend, model, base_url))

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


# -- check ----------------------------------------------------------------------------------------------


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
    with _errors():
        try:
            with warnings.catch_warnings():  # what defining the type warns of is listed below, once
                warnings.simplefilter("ignore", SchemaWarning)
                models = [load_schema(schema)] if schema else list(article_types().values())
        except SchemaError as exc:  # its module defines it wrongly: say what, as for a loaded type
            _print_problems(schema or "?", exc.problems or (SchemaProblem(schema or "?", str(exc)),))
            raise typer.Exit(EXIT_FAILED) from None
        errors = 0
        for model in models:
            problems = check_article_type(model)
            typer.echo(_describe_type(model))
            _print_problems(model.__name__, problems)
            errors += sum(not p.warning for p in problems)
        if errors:
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
    from ._checking import models_in
    from ._document import passes_of
    from ._schemas import type_name

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


app.add_typer(importlib.import_module("summit_extract._cli_batch").batch_app, name="batch")
_consolidate = importlib.import_module("summit_extract._cli_consolidate").consolidate_command
app.command("consolidate", epilog=EXIT_CODES)(_consolidate)


def main() -> None:
    """Entry point of the ``summit-extract`` script."""
    try:
        app()
    finally:
        _quiet_closed_stdout()


def _quiet_closed_stdout() -> None:
    """After a reader closed our stdout (``| head``), let the interpreter exit without a second error."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
