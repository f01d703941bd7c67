"""Reading dates as the article writes them, and resolving them against the publication date.

The model copies the date as written ("May 7", "Sunday", "13 janvier 2007"); this module, not the model,
decides what it means. Without a publication date a year-less date stays year-less: nothing is invented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["NotADate", "PartialDate", "anchor", "dateline", "parse", "resolve"]

_MONTHS: dict[str, int] = {}
for _names in (
    # English, French, Portuguese, Spanish, German, Italian (full names and common abbreviations)
    "january february march april may june july august september october november december",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "jan feb mar apr may jun jul aug sep oct nov dec",
):
    for _n, _name in enumerate(_names.split(), start=1):
        _MONTHS.setdefault(_name, _n)
_MONTHS["sept"] = 9

_WEEKDAYS: dict[str, int] = {}
for _names in (
    "monday tuesday wednesday thursday friday saturday sunday",
    "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
    "lunes martes miércoles jueves viernes sábado domingo",
):
    for _n, _name in enumerate(_names.split()):
        _WEEKDAYS.setdefault(_name, _n)

_MONTH_RE = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(map(re.escape, _WEEKDAYS), key=len, reverse=True))
_YEAR = r"(?P<year>(?:1[5-9]|20)\d\d)"

_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})\b"),
    # A range ("7-9 December", "7 au 9 décembre 2004"): the meeting starts on its first day.
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:er)?\s*(?:[-–—]|to|au|a|al|bis)\s*\d{{1,2}}\.?\s+(?:de\s+)?"
        rf"(?P<mname>{_MONTH_RE})\b\.?(?:,?\s+(?:de\s+)?{_YEAR}\b)?",
        re.I,
    ),
    re.compile(r"(?P<year>\d{4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]\s*(?:(?P<day>\d{1,2})\s*[日일])?"),
    re.compile(r"(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})\s*[日일]"),
    re.compile(
        rf"\b(?P<mname>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*[-–]\s*\d{{1,2}}\b)?"
        rf"(?:,?\s+{_YEAR}\b)?",
        re.I,
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:er|º|st|nd|rd|th)?\.?\s+(?:de\s+)?(?P<mname>{_MONTH_RE})\b\.?"
        rf"(?:,?\s+(?:de\s+)?{_YEAR}\b)?",
        re.I,
    ),
    re.compile(rf"\b(?P<mname>{_MONTH_RE})\.?,?\s+(?:de\s+)?{_YEAR}\b", re.I),
    re.compile(rf"\b{_YEAR}\b"),
]
_WEEKDAY_PATTERN = re.compile(rf"\b(?P<weekday>{_WEEKDAY_RE})\b", re.I)


@dataclass(frozen=True)
class PartialDate:
    """A date with only the parts the text states; ``iso`` is set only when all three are known."""

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None = None

    @property
    def iso(self) -> str | None:
        """YYYY-MM-DD when year, month and day are all known."""
        if self.year and self.month and self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return None


class NotADate(ValueError):
    """The string names no calendar date."""


def parse(text: str) -> PartialDate:
    """Read the date parts a string states; raise NotADate when it states none."""
    for pattern in _PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        year = int(groups["year"]) if groups.get("year") else None
        month = _MONTHS[groups["mname"].lower()] if groups.get("mname") else None
        if month is None and groups.get("month"):
            month = int(groups["month"])
        day = int(groups["day"]) if groups.get("day") else None
        _check(year, month, day, text)
        return PartialDate(year, month, day)
    if m := _WEEKDAY_PATTERN.search(text):
        return PartialDate(None, None, None, weekday=_WEEKDAYS[m.group("weekday").lower()])
    raise NotADate(
        f"{text!r} is not a date: give the date exactly as the article writes it "
        "(for example 'May 7', '13 January 2007' or 'Sunday'), or null if the article gives none"
    )


def _check(year: int | None, month: int | None, day: int | None, text: str) -> None:
    if month is not None and not 1 <= month <= 12:
        raise NotADate(f"{text!r} is not a date: month {month} does not exist")
    if day is not None:
        try:
            dt.date(year or 2000, month or 1, day)  # 2000 is a leap year, so 29 February passes
        except ValueError as exc:
            raise NotADate(f"{text!r} is not a date: {exc}") from None


def resolve(date: PartialDate, published: dt.date | None) -> PartialDate:
    """Fill in what the publication date implies: the year of "May 7", the calendar day of "Sunday"."""
    if published is None:
        return date
    if date.weekday is not None and date.month is None:
        # News speaks of the last few days: the latest such weekday on or before publication.
        back = (published.weekday() - date.weekday) % 7
        day = published - dt.timedelta(days=back)
        return PartialDate(day.year, day.month, day.day, date.weekday)
    if date.year is None and date.month is not None:
        # The year that puts the date closest to publication ("Dec 30" in a 2 January story is last year).
        candidates = [published.year - 1, published.year, published.year + 1]

        def distance(year: int) -> int:
            try:
                return abs((dt.date(year, date.month or 1, date.day or 1) - published).days)
            except ValueError:  # 29 February in a non-leap year
                return 10**6

        return PartialDate(min(candidates, key=distance), date.month, date.day)
    return date


_DATELINE_CITY = re.compile(r"^[A-ZÀ-Þ][A-ZÀ-Þ .'’-]{1,40},\s*")
_DATELINE_COUNTRY = re.compile(r"^[A-Z][\w.'’ -]{1,30}\s*[-–—,]\s*")
_DATELINE_WEEKDAY = re.compile(rf"^(?:{_WEEKDAY_RE}),?\s+", re.I)
#: How many non-empty lines at the top of an article may hold its dateline (title, byline, dateline).
DATELINE_LINES = 5


def dateline(text: str) -> PartialDate | None:
    """The publication date an article states at its top ("November 16, 2004", "17 août 2012. -").

    Only a date that opens one of the first lines (after an optional "CITY, " and weekday) and states a
    year counts: a date inside a title or a sentence is an event's date, not the article's.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()][:DATELINE_LINES]
    for line in lines:
        after_city = _DATELINE_CITY.sub("", line)
        # "BRASÍLIA, Brazil – November 16, 2004" and "WASHINGTON, December 8, 2004": try both readings.
        for rest in (after_city, _DATELINE_COUNTRY.sub("", after_city)):
            head = _DATELINE_WEEKDAY.sub("", rest)[:40]
            for pattern in _PATTERNS[:-1]:  # a bare year is not a dateline
                m = pattern.match(head)
                if not m or not m.groupdict().get("year"):
                    continue
                try:
                    found = parse(m.group(0))
                except NotADate:
                    continue
                if found.year and found.month:
                    return found
    return None


def anchor(date: PartialDate) -> dt.date | None:
    """A calendar day to resolve other dates against: the date itself, or mid-month for "December 2004"."""
    if date.year is None or date.month is None:
        return None
    return dt.date(date.year, date.month, date.day or 15)
