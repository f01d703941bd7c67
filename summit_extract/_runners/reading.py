"""Reading articles as batch items: the one reader of the command line, the Ray runner and the Batch API.

A source is a text file (one article, its path the id), a folder (its ``*.txt`` files, else its ``.jsonl``
and ``.parquet`` files), a ``.jsonl`` or ``.parquet`` file of rows with a ``text`` field and optional
``id`` and ``published``, or ``-`` for stdin (one article, or JSONL recognised by its first line).

Ids keep their JSON type (``{"id": 7}`` is the item ``7``); a row without one is ``<file>:<row>``. Two rows
of one id (by JSON form) are refused, since ids key the output. A text that is not UTF-8 is an item all
the same (its bytes), so its extraction fails with one InputError and the rest of a batch goes on; a JSONL
file that is not text, a row without text, or a date that is not YYYY-MM-DD is an ``InputError`` at once.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import _input
from .._exceptions import InputError
from .records import Item, id_key

__all__ = ["published_text", "read_articles"]


def read_articles(sources: str | Path | Sequence[str | Path]) -> list[Item]:
    """The items of one source or several, in order (see the module's docstring for what a source is)."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    items = [item for source in sources for item in _read_source(source)]
    seen: set[str] = set()
    for item in items:
        key = id_key(item.id)
        if key in seen:
            raise InputError(f"the id {item.id!r} appears twice in the input; ids key the output")
        seen.add(key)
    return items


def _read_source(source: str | Path) -> list[Item]:
    if str(source) == "-":
        return _stdin_items(_read_stdin())
    path = Path(source)
    if path.is_dir():
        texts = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if texts:
            return [Item(str(p), _text(p)) for p in texts]
        files = sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".parquet") and p.is_file())
        if not files:
            raise InputError(f"{source}: the folder has no *.txt, *.jsonl or *.parquet articles")
        return [item for p in files for item in _read_source(p)]
    if not path.is_file():
        raise InputError(f"{source}: no such file or folder")
    if path.suffix == ".jsonl":
        return _jsonl_items(_decode(path.read_bytes(), str(path)), str(path))
    if path.suffix == ".parquet":
        return _rows_items(_parquet_rows(path), str(path), "row")
    return [Item(str(path), _text(path))]


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
        raise InputError(f"{where}: {exc}") from None


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
            row = json.loads(first)
        except ValueError:
            row = None
        if isinstance(row, dict) and "text" in row:
            return _jsonl_items(text, "stdin")
    return [Item("stdin", text)]


def _jsonl_items(text: str, source: str) -> list[Item]:
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except ValueError:
            raise InputError(f"{source}:{number}: not a JSON object") from None
    return _rows_items(rows, source, "line")


def _parquet_rows(path: Path) -> list[tuple[int, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: Parquet needs pyarrow: pip install 'summit-extract[ray]'") from None
    return list(enumerate(pq.read_table(path).to_pylist(), start=1))


def _rows_items(rows: list[tuple[int, Any]], source: str, what: str) -> list[Item]:
    items = []
    for number, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(f"{source}:{number}: each {what} needs a string field 'text'")
        item_id = row["id"] if row.get("id") is not None else f"{source}:{number}"
        items.append(Item(item_id, row["text"], published_text(row.get("published"), f"{source}:{number}")))
    return items


def published_text(value: Any, where: str) -> str | None:
    """A publication date as YYYY-MM-DD (a longer ISO timestamp is cut), None for none; ``where`` names it."""
    if value is None or value == "":
        return None
    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"{where}: published date {value!r} is not YYYY-MM-DD") from None
    return str(value)[:10]
