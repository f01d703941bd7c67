"""Consolidation as a Ray Data step: the same events as ``consolidate`` on the same records.

The stages of ``_consolidating`` spread over a cluster: the records file is read by Ray Data
(``read_text``), each block of lines is keyed in parallel (``map_batches``: reading a record into the article
type, its window and blocking tokens, by the very ``key_row`` of the single-process run), and the keyed rows
are sorted by the same key (``Dataset.sort``, which spills to disk as Ray needs). The driver then streams the
sorted rows through the same sweep (``cluster``) and merges each event as it closes. The same order and the
same sweep give the same events, event for event; Ray's share is the reading, keying and sorting, which is
where a million records spend their time, and the object store, which holds what memory cannot.

Error records are keyed into a section of their own, sorted last, and counted, as the single-process run
counts them. ``consolidate_dataset`` (public as ``summit_extract.ray.consolidate_dataset``) joins or
starts the cluster and calls :func:`run`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .._consolidating import KEY_LENGTH, ConsolidationSummary, cluster, key_row, parse_row, write_events
from .._document import Document, default_article_type, type_name
from .._event_merging import merge_event
from .._events import Event
from .._exceptions import ConfigurationError, InputError
from .cluster import _connect

__all__ = ["consolidate_dataset", "run", "run_events"]

_COLUMNS = ("section", "lo", "block", "idkey", "line", "hi", "tokens")
#: The section of error records: sorted after every event, counted, never consolidated.
_ERRORS = 9


def _key_batch(batch: dict[str, Any], schema: type[Document]) -> dict[str, list[Any]]:
    """Key a batch of JSONL lines (a Ray task per block): the single-process ``key_row`` on each line."""
    out: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    for line in batch["text"]:
        text = str(line)
        if not text.strip():
            continue
        row = key_row(text, schema)
        keyed = row if row is not None else (_ERRORS, 0, "", "", text, 0, [])
        for name, value in zip(_COLUMNS, keyed, strict=True):
            out[name].append(json.dumps(value) if name == "tokens" else value)
    return out


def _sorted_rows(ray: Any, source: Path, schema: type[Document]) -> Iterator[tuple[Any, ...]]:
    dataset = ray.data.read_text(str(source))
    keyed = dataset.map_batches(_key_batch, fn_kwargs={"schema": schema}, batch_format="numpy")
    ordered = keyed.sort(list(_COLUMNS[:KEY_LENGTH]))
    for row in ordered.iter_rows():
        yield tuple(json.loads(row[c]) if c == "tokens" else row[c] for c in _COLUMNS)


def run_events(
    ray: Any,
    source: str | Path,
    *,
    schema: type[Document] | None = None,
    summary: ConsolidationSummary | None = None,
) -> Iterator[Event]:
    """The events of the JSONL records file ``source``, keyed and sorted on the cluster ``ray`` joined."""
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file; give the JSONL records that extract writes")
    chosen = schema or default_article_type()
    name = type_name(chosen)
    summary = summary if summary is not None else ConsolidationSummary()

    def rows() -> Iterator[tuple[Any, ...]]:
        for row in _sorted_rows(ray, path, chosen):
            summary.records += 1
            if row[0] == _ERRORS:
                summary.skipped += 1
                continue
            yield parse_row(row, chosen)

    for members in cluster(rows()):
        event = merge_event(members, chosen, name)
        summary.count(event)
        yield event


def run(
    ray: Any, source: str | Path, out: str | Path | IO[str], *, schema: type[Document] | None = None
) -> ConsolidationSummary:
    """Consolidate the JSONL records of ``source`` on the cluster into ``out``, one JSON event per line."""
    started = time.monotonic()
    summary = ConsolidationSummary()
    write_events(run_events(ray, source, schema=schema, summary=summary), out)
    summary.seconds = time.monotonic() - started
    return summary


def consolidate_dataset(
    source: str | Path, out: str | Path, *, schema: type[Document] | None = None, address: str | None = None
) -> ConsolidationSummary:
    """Consolidate the JSONL records file ``source`` into events in ``out`` as a Ray Data step: the same
    events as ``consolidate``. ``address`` as for ``extract_dataset``."""
    import ray

    if schema is not None and not (isinstance(schema, type) and issubclass(schema, Document)):
        raise ConfigurationError("consolidate_dataset needs an article type (a Document subclass) as schema.")
    _connect(ray, address)
    return run(ray, source, out, schema=schema)
