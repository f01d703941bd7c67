"""Sorting more rows than fit in memory: sorted runs of at most ``run_rows`` rows spilled to temporary files,
then merged lazily (``heapq.merge``), so memory holds one run while sorting and one row per run while merging.

Rows are JSON arrays whose leading elements are the sort key; they come back in key order, then in the
order they went in (the merge is stable). The temporary files are removed when the iteration ends, however
it ends.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import Any

__all__ = ["DEFAULT_RUN_ROWS", "external_sort"]

#: Rows sorted in memory at once.
DEFAULT_RUN_ROWS = 50_000


def _spill(run: list[tuple[Any, ...]], folder: str, width: int) -> str:
    run.sort(key=lambda row: row[:width])
    fd, path = tempfile.mkstemp(suffix=".jsonl", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for row in run:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def _read(path: str, stack: ExitStack) -> Iterator[tuple[Any, ...]]:
    fh = stack.enter_context(open(path, encoding="utf-8"))  # noqa: SIM115 - closed with the stack
    for line in fh:
        yield tuple(json.loads(line))


def external_sort(
    rows: Iterable[tuple[Any, ...]],
    *,
    key_length: int,
    run_rows: int = DEFAULT_RUN_ROWS,
    folder: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Rows sorted by their first ``key_length`` elements (JSON-able: numbers and strings), in bounded memory.

    Input order breaks ties. Fewer rows than ``run_rows`` are sorted in memory without touching the disk.
    """
    # The input position joins the key: ties keep input order, and rows never compare by their payload.
    numbered = ((*row[:key_length], n, *row[key_length:]) for n, row in enumerate(rows))
    width = key_length + 1
    with tempfile.TemporaryDirectory(prefix="summit-sort-", dir=folder) as tmp, ExitStack() as stack:
        run: list[tuple[Any, ...]] = []
        paths: list[str] = []
        for row in numbered:
            run.append(row)
            if len(run) >= run_rows:
                paths.append(_spill(run, tmp, width))
                run = []
        if not paths:
            run.sort(key=lambda row: row[:width])
            merged: Iterable[tuple[Any, ...]] = run
        else:
            if run:
                paths.append(_spill(run, tmp, width))
            run = []
            merged = heapq.merge(*(_read(p, stack) for p in paths), key=lambda row: row[:width])
        for row in merged:
            yield (*row[:key_length], *row[width:])
