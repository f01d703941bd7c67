"""Options shared by the commands that call a model, and what they build: the backend, the article type,
the items to extract (read by the runners' one reader, ``_runners.reading``).

Commands call :func:`build_backend` through this module (``options.build_backend``), so a test can replace it
once to replay recorded model answers in every command.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from ... import _input
from ..._backend import Backend, load_provider, resolve_backend
from ..._document import (
    ENTRY_POINT_GROUP,
    article_type,
    article_types,
    default_article_type,
    installed_article_types,
)
from ..._exceptions import InputError
from ..._runners.reading import read_articles
from ..._runners.records import Item
from .app import UsageProblem

__all__ = [
    "BackendOpt",
    "BaseUrlOpt",
    "ModelOpt",
    "PublishedOpt",
    "SchemaOpt",
    "UngroundedOpt",
    "build_backend",
    "check_choice",
    "load_schema",
    "read_items",
    "read_text",
]

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


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """A usage error unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise UsageProblem(f"{name} must be one of {', '.join(choices)}, not {value!r}")


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


def read_items(articles: list[str]) -> list[Item]:
    """Files, folders, ``-`` for stdin, and .jsonl or .parquet files, as batch items (``read_articles``).

    A text file that is not UTF-8 is an item all the same (its bytes): its extraction fails with the
    same InputError whether it came from a file, a folder or stdin, and the rest of a batch goes on.
    """
    items = read_articles(articles)
    if not items:
        raise UsageProblem("no articles to extract")
    return items


def read_text(path: Path) -> str:
    """A file that must be text (a result, the article of a report): UTF-8, or as its BOM says."""
    try:
        return _input._decode(path.read_bytes())
    except InputError as exc:
        raise UsageProblem(f"{path}: {exc}") from None
