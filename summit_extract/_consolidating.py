"""Many articles, one event: the records of a corpus consolidated into events, streaming, in bounded memory.

``consolidate(records)`` reads the JSONL records that ``extract``, ``extract_many``, ``batch collect`` and the
Ray runner write (one per article; error records are counted and skipped) and yields one :class:`Event` per
event, in three stages:

1. **key**: each record is read (``read_record``: the only function that knows the record format) into the
   article type's document, and the type's hooks give its window (``event_window``: the days its event may
   lie in) and blocking tokens (``event_tokens``: the states it names...);
2. **sort**: records are sorted on disk (``_external_sort``) by window start; records with no window (no date
   and no publication date) come after, grouped by their block: their smallest token other than a
   finding's words (``place:...`` before ``state:...``), else their smallest;
3. **sweep** (``cluster``): records are met in that order. A record is compared (``same_event``) only with
   the records of open events that share a token with it and whose windows overlap its own, never all
   pairs (the words of its findings' subjects are looked up only when it has no other token: they let a
   report that is no summit find its summit, but too many events share them to block the rest); it
   joins every event it matches (single link), or opens one; a record placed only by its
   publication date (no date of its own) joins the first event it matches and never ties two events
   together, nor keeps one open longer. An event closes, is merged
   (``_event_merging``) and is yielded as soon as the sweep has passed the end of its window, or the end
   of its block for records without one.

Memory holds one sorted run while sorting, then the events still open: those of one date window, or of one
block, however long the corpus. The same sorted order gives the same events, which is how the Ray step
(``_consolidating_ray``) gives those of the single-process run.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ._document import Document, default_article_type, type_name
from ._event_keys import ABOUT, resolve_dates
from ._event_merging import Article, merge_event
from ._events import Event
from ._exceptions import InputError
from ._external_sort import DEFAULT_RUN_ROWS, external_sort

__all__ = [
    "COMPARED_MEMBERS",
    "ConsolidationSummary",
    "RecordView",
    "cluster",
    "consolidate",
    "consolidate_file",
    "iter_jsonl",
    "key_row",
    "parse_row",
    "read_record",
    "write_events",
]

log = logging.getLogger("summit_extract")

#: Most records of an open event a new record is compared with (the first ones, which opened it): a hub
#: event of thousands of reports is joined through any of them as well as through all.
COMPARED_MEMBERS = 32

#: A keyed row: (section, window start, block, id key, record line, window end, tokens). Its first five
#: elements are its sort key: section 0 holds records with a window, by start; 1 those without, by block.
Row = tuple[int, int, str, str, str, int, list[str]]
KEY_LENGTH = 5


@dataclass(frozen=True)
class RecordView:
    """What consolidation reads of a record: its id, publication date (if the record has one) and result."""

    id: str | int
    published: dt.date | None
    result: dict[str, Any]


def read_record(raw: Any, where: str = "record") -> RecordView | None:
    """The one reader of the record format (``_batch``'s JSONL record): None for an error record.

    Today's record: ``{"id", "status": "ok"|"error", "result": {...}, ...}``, optionally ``"published":
    "YYYY-MM-DD"`` (the article's publication date, which resolves year-less dates and places undated events).
    """
    if not isinstance(raw, dict) or "id" not in raw:
        raise InputError(
            f"{where}: not a record (a JSON object with an 'id'); give the JSONL that extract writes"
        )
    if raw.get("status", "ok") != "ok":
        return None
    result = raw.get("result")
    if not isinstance(result, dict):
        raise InputError(f"{where}: record {raw['id']!r} has status ok but no 'result' object")
    ident = raw["id"]
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        ident = json.dumps(ident, sort_keys=True, ensure_ascii=False)
    published = raw.get("published")
    try:
        day = dt.date.fromisoformat(str(published)[:10]) if published else None
    except ValueError:
        raise InputError(f"{where}: record {ident!r} has published={published!r}: give YYYY-MM-DD") from None
    return RecordView(ident, day, result)


def _article(view: RecordView, schema: type[Document], where: str) -> Article:
    try:
        value = schema.model_validate(view.result)
    except ValueError as exc:
        first = str(exc).splitlines()[:3]
        raise InputError(
            f"{where}: record {view.id!r} is not a {schema.__name__} ({' '.join(first)}); pass the article "
            "type its records were extracted with (--schema)"
        ) from None
    resolve_dates(value, view.published)
    return Article(view.id, view.published, value, value.event_window(view.published))


def _id_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def key_row(line: str, schema: type[Document], where: str = "record") -> Row | None:
    """The keyed row of one JSONL record (None for an error record): what the sort and the sweep need."""
    try:
        raw = json.loads(line)
    except ValueError:
        raise InputError(f"{where}: not JSON; give the JSONL records that extract writes") from None
    view = read_record(raw, where)
    if view is None:
        return None
    article = _article(view, schema, where)
    tokens = sorted(article.value.event_tokens())
    window = article.window
    if window is not None:
        return (0, window.start.toordinal(), "", _id_key(view.id), line, window.end.toordinal(), tokens)
    framed = _framed(tokens)
    return (1, 0, framed[0] if framed else "", _id_key(view.id), line, 0, tokens)


def _framed(tokens: Iterable[str]) -> list[str]:
    """The tokens a record is looked up and blocked by: all but its findings' words, unless it has none."""
    ordered = sorted(tokens)
    return [t for t in ordered if not t.startswith(ABOUT)] or ordered


def parse_row(row: Row | tuple[Any, ...], schema: type[Document]) -> tuple[int, str, Article, frozenset[str]]:
    """A sorted row back to its article: (section, block, article, tokens)."""
    view = read_record(json.loads(row[4]))
    assert view is not None  # only ok records are keyed
    return row[0], row[2], _article(view, schema, "record"), frozenset(row[6])


@dataclass
class _Open:
    """An event still open in the sweep: its records (in the order met) and where its window ends."""

    number: int
    members: list[tuple[int, Article]]
    tokens: set[str]
    end: int

    @property
    def framed(self) -> bool:
        """Whether a record of it has a token other than its findings' words (a place, a state...)."""
        return any(not t.startswith(ABOUT) for t in self.tokens)


def _matches(article: Article, event: _Open) -> bool:
    for _, other in event.members[:COMPARED_MEMBERS]:
        if (
            article.window is not None
            and other.window is not None
            and not article.window.overlaps(other.window)
        ):
            continue
        if other.value.same_event(article.value):
            return True
    return False


def cluster(rows: Iterable[tuple[int, str, Article, frozenset[str]]]) -> Iterator[list[Article]]:
    """The events of sorted, parsed rows, as lists of articles, each yielded once the sweep has passed it."""
    opened: dict[int, _Open] = {}
    index: dict[str, set[int]] = {}  # every token of every open event
    loose: dict[str, set[int]] = {}  # the findings' words of the open events that have nothing else
    closing: list[tuple[int, int]] = []  # (window end, event number): events with a window
    block: tuple[int, str] | None = None

    def close(number: int) -> list[Article]:
        event = opened.pop(number)
        for token in event.tokens:
            for table in (index, loose):
                if token in table:
                    table[token].discard(number)
                    if not table[token]:
                        del table[token]
        return [a for _, a in sorted(event.members, key=lambda m: m[0])]

    counter = 0
    for counter, (section, key, article, tokens) in enumerate(rows):
        if section == 0:
            start = article.window.start.toordinal() if article.window else 0
            while closing and closing[0][0] < start:
                end, number = heapq.heappop(closing)
                if number in opened and opened[number].end == end:
                    yield close(number)
        elif block != (section, key):
            block = (section, key)
            for number in sorted(opened):  # a new block: every open event (of the last block, or dated) ends
                yield close(number)
            closing.clear()
        framed = _framed(tokens)
        if framed and not framed[0].startswith(ABOUT):  # by its place and states, and the loose events' words
            found = {n for t in framed for n in index.get(t, ())}
            found |= {n for t in tokens if t.startswith(ABOUT) for n in loose.get(t, ())}
        else:  # by its findings' words alone: every event sharing one
            found = {n for t in tokens for n in index.get(t, ())}
        candidates = sorted(found)
        weak = article.window is not None and not article.window.firm
        joined = []
        for n in candidates:
            if _matches(article, opened[n]):
                joined.append(n)
                if weak:
                    break
        end = article.window.end.toordinal() if article.window else 0
        if not joined:
            event = _Open(counter, [(counter, article)], set(tokens), end)
            opened[counter] = event
        else:
            event = opened[joined[0]]
            for number in joined[1:]:  # the record ties events together: they are one
                other = opened[number]
                close(number)
                event.members += other.members
                event.tokens |= other.tokens
                event.end = max(event.end, other.end)
            event.members.append((counter, article))
            event.tokens |= tokens
            event.end = event.end if weak else max(event.end, end)
        for token in event.tokens:
            index.setdefault(token, set()).add(event.number)
            if event.framed:
                if event.number in loose.get(token, ()):
                    loose[token].discard(event.number)
                    if not loose[token]:
                        del loose[token]
            else:
                loose.setdefault(token, set()).add(event.number)
        if not tokens:  # nothing to block it by: compared with nothing, an event of its own
            yield close(event.number)
            continue
        if section == 0:
            heapq.heappush(closing, (event.end, event.number))
    for number in sorted(opened):
        yield close(number)


@dataclass
class ConsolidationSummary:
    """What a consolidation read and wrote."""

    records: int = 0
    #: Error records (an article whose extraction failed): counted, not consolidated.
    skipped: int = 0
    events: int = 0
    #: Events told by more than one article.
    merged: int = 0
    seconds: float = 0.0
    disagreements: int = 0
    by_size: dict[int, int] = field(default_factory=dict)

    def count(self, event: Event) -> None:
        """Count one event written."""
        self.events += 1
        n = len(event.articles)
        self.merged += n > 1
        self.disagreements += bool(event.disagreements)
        self.by_size[n] = self.by_size.get(n, 0) + 1

    def __str__(self) -> str:
        return (
            f"{self.records} records ({self.skipped} error records skipped) -> {self.events} events, "
            f"{self.merged} told by several articles, {self.disagreements} with disagreements; "
            f"{self.seconds:.1f} s"
        )


def _lines(records: Iterable[dict[str, Any] | str]) -> Iterator[str]:
    for record in records:
        yield record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)


def consolidate(
    records: Iterable[dict[str, Any] | str],
    *,
    schema: type[Document] | None = None,
    run_rows: int = DEFAULT_RUN_ROWS,
    summary: ConsolidationSummary | None = None,
) -> Iterator[Event]:
    """The events of ``records`` (dicts, or JSONL lines, as the extract commands write them), streaming.

    ``schema`` is the article type of the records (default: the default one). At most ``run_rows`` records
    are held while sorting; see the module's docstring for what else is held. A record that is not a record
    of ``schema`` is an ``InputError`` naming it; error records are skipped (counted in ``summary``).
    """
    chosen = schema or default_article_type()
    name = type_name(chosen)
    summary = summary if summary is not None else ConsolidationSummary()

    def keyed() -> Iterator[Row]:
        for number, line in enumerate(_lines(records), start=1):
            if not line.strip():
                continue
            summary.records += 1
            row = key_row(line, chosen, f"record {number}")
            if row is None:
                summary.skipped += 1
            else:
                yield row

    ordered = external_sort(keyed(), key_length=KEY_LENGTH, run_rows=run_rows)
    for members in cluster(parse_row(row, chosen) for row in ordered):
        event = merge_event(members, chosen, name)
        summary.count(event)
        yield event


def iter_jsonl(path: Path | str) -> Iterator[str]:
    """The non-empty lines of a JSONL file, read lazily (``-``: stdin)."""
    import sys

    if str(path) == "-":
        yield from (line for line in sys.stdin if line.strip())
        return
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file; give the JSONL records that extract writes")
    with open(path, encoding="utf-8-sig") as fh:
        yield from (line for line in fh if line.strip())


def consolidate_file(
    source: Path | str,
    out: Path | str | IO[str],
    *,
    schema: type[Document] | None = None,
    run_rows: int = DEFAULT_RUN_ROWS,
) -> ConsolidationSummary:
    """Consolidate the JSONL records of ``source`` into ``out``, one JSON event per line."""
    import time

    started = time.monotonic()
    summary = ConsolidationSummary()
    write_events(consolidate(iter_jsonl(source), schema=schema, run_rows=run_rows, summary=summary), out)
    summary.seconds = time.monotonic() - started
    return summary


def write_events(events: Iterable[Event], out: Path | str | IO[str]) -> None:
    """Write events as JSONL, one per line, as they come (a path is written whole, then closed)."""
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8") as fh:
            write_events(events, fh)
        return
    for event in events:
        out.write(event.model_dump_json() + "\n")
    out.flush()
