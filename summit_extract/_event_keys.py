"""What makes the records of several articles one event, as the engine sees it when an article type says
nothing more: a date window, blocking tokens, and sameness of events and of facts.

``Document.event_window``, ``event_tokens``, ``same_event`` and ``same_fact`` call these defaults; an article
type overrides the hooks (the Summit does, in ``summit/_events.py``) and may call them for the parts it keeps.

- **Window**: the days the event may lie in. The first date field of the document (a ``WrittenDate``), its
  missing year (or a weekday's calendar day) resolved against the record's publication date, a range such as
  "7-9 December" kept whole, a month without a day as the whole month; no date but a publication date: from
  :data:`DAYS_BEFORE_PUBLISHED` days before publication (a report) to :data:`DAYS_AFTER_PUBLISHED` after (a
  preview). Neither: no window, and the record is compared only inside its block (see ``_consolidating``).
- **Tokens**: ISO codes of every state the document names in library-filled ``Country`` values
  (``state:JP``), its ``name`` field, if it has one (``name:asean summit``), and the content words of its
  findings' subjects (``about:railw``: a report that is no summit has only those to be found by). Records
  are compared only when they share a token, never all pairs.
- **Same event**: two records that report the event (``reports_event()``) and share at least half the states
  of the one naming fewer, or the same name; a record that does not report it joins only through a finding
  (an item of a list field outside ``event_fields``) that ``same_fact`` calls the same.
- **Same fact**: ``Grounded.same_item`` of the two items without their spans (offsets into two different
  articles say nothing about each other); dates agree when no part either states differs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from . import _dates
from ._aligning import fold
from ._countries import Country
from ._fields import WrittenDate
from ._grounding import Grounded

if TYPE_CHECKING:
    from ._document import Document

__all__ = [
    "ABOUT",
    "DAYS_AFTER_PUBLISHED",
    "DAYS_BEFORE_PUBLISHED",
    "Window",
    "date_window",
    "default_same_event",
    "default_same_fact",
    "default_tokens",
    "default_window",
    "finding_tokens",
    "findings",
    "first_date",
    "published_window",
    "resolve_dates",
    "shares_finding",
    "states_in",
    "unspanned",
]

#: An article that gives no date of its event reports one at most this many days before it was published...
DAYS_BEFORE_PUBLISHED = 10
#: ... or previews one at most this many days after.
DAYS_AFTER_PUBLISHED = 14

G = TypeVar("G", bound=Grounded)

#: The prefix of the tokens of findings' subjects: they find candidates, but never block undated records
#: (a summit's place or states do; its agreements' words are shared by other summits).
ABOUT = "about:"


@dataclass(frozen=True, order=True)
class Window:
    """The days (inclusive) an event may lie in; ``firm`` when a date of the event gives them, not only the
    article's publication (a record placed only by publication joins one event, never ties two together)."""

    start: dt.date
    end: dt.date
    firm: bool = True

    def overlaps(self, other: Window) -> bool:
        """Whether the two windows share a day."""
        return self.start <= other.end and other.start <= self.end


_RANGE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:-|–|—|/|to|au|al|bis|a)\s*(\d{1,2})(?!\d)")


def _parts(date: WrittenDate) -> _dates.PartialDate:
    """The date's parts: those the library stored, completed by reading its text again (a weekday)."""
    try:
        parsed = _dates.parse(date.text)
    except _dates.NotADate:
        parsed = _dates.PartialDate(None, None, None)
    return _dates.PartialDate(
        date.year or parsed.year, date.month or parsed.month, date.day or parsed.day, parsed.weekday
    )


def date_window(date: WrittenDate | None, published: dt.date | None) -> Window | None:
    """The days a written date covers, its missing year resolved against ``published``; None if unplaced."""
    if date is None:
        return None
    parts = _dates.resolve(_parts(date), published) if published else _parts(date)
    year, month, day = parts.year, parts.month, parts.day
    if year is None or month is None:
        return None
    if day is None:
        return Window(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))
    try:
        start = dt.date(year, month, day)
    except ValueError:
        return None
    span = _RANGE.search(date.text)
    if span and int(span.group(1)) == day and day < int(span.group(2)) <= 31:
        return Window(start, start + dt.timedelta(days=int(span.group(2)) - day))  # "7-9 December"
    return Window(start, start)


def published_window(published: dt.date | None) -> Window | None:
    """The days an article published then may report (or preview) an event it gives no date of."""
    if published is None:
        return None
    return Window(
        published - dt.timedelta(days=DAYS_BEFORE_PUBLISHED),
        published + dt.timedelta(days=DAYS_AFTER_PUBLISHED),
        firm=False,
    )


def first_date(document: BaseModel) -> WrittenDate | None:
    """The first top-level field of the document holding a date as written."""
    for name in type(document).model_fields:
        value = getattr(document, name)
        if isinstance(value, WrittenDate):
            return value
    return None


def default_window(document: Document, published: dt.date | None) -> Window | None:
    """The engine's window: the document's first date, else around its publication, else None."""
    date = first_date(document) if document.reports_event() else None
    return date_window(date, published) or published_window(published)


def resolve_dates(document: BaseModel, published: dt.date | None) -> None:
    """Fill in place the year (and calendar day) of the document's year-less dates from ``published``."""
    if published is None:
        return
    for name in type(document).model_fields:
        value = getattr(document, name)
        if isinstance(value, WrittenDate) and value.year is None:
            parts = _dates.resolve(_parts(value), published)
            if parts.year is not None and parts.month is not None:
                value.year, value.month, value.day, value.iso = parts.year, parts.month, parts.day, parts.iso
                value.year_from = "published"


def _countries(value: Any) -> Iterator[Country]:
    if isinstance(value, Country):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _countries(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from _countries(item)


def states_in(value: Any) -> set[str]:
    """ISO alpha-2 codes of the states named by library-filled ``Country`` values anywhere in ``value``."""
    return {c.alpha2 for c in _countries(value) if c.known and c.alpha2}


def default_tokens(document: Document) -> frozenset[str]:
    """The engine's blocking tokens: ``state:XX`` for each state named, ``name:...`` for a name field."""
    tokens = {f"state:{code}" for code in states_in(document)}
    name = getattr(document, "name", None)
    if isinstance(name, str) and name.strip():
        tokens.add(f"name:{fold(name)}")
    return frozenset(tokens | finding_tokens(document))


def _stems(text: str) -> set[str]:
    """Content words, cut to five letters (a crude stem: "railway" and "railways" agree)."""
    return {w[:5] for w in re.findall(r"\w+", fold(text)) if len(w) >= 4}


def finding_tokens(document: Document) -> set[str]:
    """``about:`` tokens of the content words of the subjects of the document's findings."""
    subjects = [getattr(item, "subject", None) for item in findings(document)]
    return {f"{ABOUT}{stem}" for s in subjects if isinstance(s, str) for stem in _stems(s)}


def findings(document: Document) -> Iterator[Grounded]:
    """The items of the document's list fields outside its ``event_fields``: what it reports whether or not
    it reports the event (agreements, disputes, commitments...)."""
    for name in type(document).model_fields:
        if name in type(document).event_fields:
            continue
        value = getattr(document, name)
        if isinstance(value, list):
            yield from (item for item in value if isinstance(item, Grounded))


def unspanned(item: G) -> G:
    """The item without its span: offsets into one article say nothing about another article."""
    return item.model_copy(update={"span": None}) if item.span is not None else item


def _dates_agree(a: WrittenDate, b: WrittenDate) -> bool:
    pa, pb = _parts(a), _parts(b)
    pairs = ((pa.year, pb.year), (pa.month, pb.month), (pa.day, pb.day))
    stated = [(x, y) for x, y in pairs if x is not None and y is not None]
    if not stated:  # nothing placed on either side ("Tuesday" without a publication date): the words
        return pa.weekday == pb.weekday if pa.weekday is not None else fold(a.text) == fold(b.text)
    return all(x == y for x, y in stated)


def default_same_fact(a: Grounded, b: Grounded) -> bool:
    """The same fact told by two articles: ``same_item`` without spans; dates by their stated parts."""
    if isinstance(a, WrittenDate) and isinstance(b, WrittenDate):
        return _dates_agree(a, b)
    return unspanned(a).same_item(unspanned(b))


def shares_finding(a: Document, b: Document) -> bool:
    """Whether the two documents report one same finding (by the type's ``same_fact``)."""
    theirs = list(findings(b))
    return any(type(a).same_fact(mine, other) for mine in findings(a) for other in theirs)


def default_same_event(a: Document, b: Document) -> bool:
    """The engine's sameness: two reports sharing half the states of the smaller or the same name; a record
    that does not report the event joins through a shared finding only."""
    if a.reports_event() and b.reports_event():
        ta, tb = a.event_tokens(), b.event_tokens()
        named = {t for t in ta & tb if t.startswith("name:")}
        sa, sb = {t for t in ta if t.startswith("state:")}, {t for t in tb if t.startswith("state:")}
        if named:
            return True
        if sa and sb and len(sa & sb) >= 0.5 * min(len(sa), len(sb)):
            return True
    return shares_finding(a, b)
