"""The ``summit-extract`` app: global options, exit codes, and one line on stderr for every failure.

Every command takes ``--schema``: the name of a registered article type (the default one if omitted), one
an installed package declares (the ``summit_extract.article_types`` entry points), or any pydantic model as
``package.module:Class``; nothing here names an article type. Each command is a module of this package.

Conventions: ``-o/--out`` on every command that writes, ``-o -`` for stdout; ``-v`` and ``--version``
before or after the command's name. Every error ends in one clear line on stderr and an exit code scripts
can rely on (see ``EXIT_CODES``; :func:`exit_code` is the one table from errors to codes); a traceback only
with SUMMIT_EXTRACT_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ... import _exceptions
from ..._document import article_types
from ..._exceptions import ConfigurationError, ExtractionError, InputError, SchemaError
from ..._runners.records import Record
from ..._version import package_version

__all__ = [
    "DEBUG_ENV",
    "EXIT_CODES",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageProblem",
    "VerboseOpt",
    "VersionOpt",
    "app",
    "errors",
    "exit_code",
    "fail",
    "fail_on_error",
    "main",
    "printable",
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
def _global_options(
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


#: What each error means to a script: the first class of an error's MRO found here gives its exit code.
_EXIT_BY_ERROR: dict[type[BaseException], int] = {
    UsageProblem: EXIT_USAGE,
    SchemaError: EXIT_USAGE,  # a bad --schema: the article type it names is defined wrongly
    ConfigurationError: EXIT_CONFIG,
    InputError: EXIT_USAGE,
    ExtractionError: EXIT_FAILED,
}


def exit_code(error: type[BaseException] | str) -> int:
    """The exit code of an error class, or of its name as a record carries it (unknown: ``EXIT_FAILED``)."""
    if isinstance(error, str):
        error = _error_classes().get(error, ExtractionError)
    for cls in error.__mro__:
        if cls in _EXIT_BY_ERROR:
            return _EXIT_BY_ERROR[cls]
    return EXIT_FAILED


def _error_classes() -> dict[str, type[BaseException]]:
    """The library's error classes by name (an error record names its class)."""
    return {
        cls.__name__: cls
        for cls in vars(_exceptions).values()
        if isinstance(cls, type) and issubclass(cls, ExtractionError)
    }


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """Turn every failure into one line on stderr and its exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume where it stopped", 130)
    except (UsageProblem, ExtractionError) as exc:
        code = exit_code(type(exc))
        fail(f"{type(exc).__name__}: {exc}" if code == EXIT_FAILED else str(exc), code)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc), EXIT_USAGE)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)", EXIT_FAILED)


def fail_on_error(record: Record, what: str) -> None:
    """Fail with an error record's type and message, and the exit code of its error, unless it is ok."""
    if record.error is not None and not record.ok:
        fail(f"{what}: {record.error.type}: {record.error.message}", exit_code(record.error.type))


def fail(message: str, code: int) -> None:
    """Print ``message`` as the command's one error line and exit with ``code``."""
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
