"""Reading dates as the article writes them, and resolving them against the publication date.

The model copies the date as written ("May 7", "Sunday", "13 janvier 2007", "24 жовтня 2014", "10월 24일");
this module, not the model, decides what it means. Without a publication date a year-less date stays
year-less: nothing is invented.

Month and weekday names come from the Unicode CLDR through Babel, for every locale in ``_LOCALES``: wide and
abbreviated names, in both the format context (the Slavic genitive "24 жовтня", "24 października") and the
stand-alone one ("жовтень"). A name that means one month in a language and another month in another
(Croatian "listopad" is October, Czech and Polish "listopad" is November) is dropped rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babel.core import UnknownLocaleError
from babel.dates import get_day_names, get_month_names

__all__ = ["NotADate", "PartialDate", "anchor", "calendar_word", "dateline", "parse", "resolve"]

#: CLDR locales whose month and weekday names are read. A script or regional variant is listed only
#: where it writes the names differently (Serbian in Latin, Levantine and Maghrebi Arabic, Austrian
#: "Jänner", Peruvian "setiembre", ...).
_LOCALES = (
    "en", "fr", "fr_CA", "es", "es_PE", "pt", "de", "de_AT", "it", "nl", "pl", "ru", "uk", "be", "tr", "ro",
    "cs", "sk", "sl", "hr", "sr", "sr_Latn", "bs", "bs_Cyrl", "bg", "mk", "sq", "el", "hu", "lt", "lv", "et",
    "fi", "sv", "da", "no", "nb", "nn", "is", "ga", "cy", "mt", "ca", "gl", "eu", "af", "sw", "zu", "xh",
    "so", "ha", "yo", "am", "ar", "ar_SY", "ar_MA", "ar_DZ", "he", "fa", "fa_AF", "ps", "ur", "hi", "bn",
    "pa", "gu", "mr", "ne", "ta", "te", "kn", "ml", "si", "ka", "hy", "az", "az_Cyrl", "kk", "ky", "uz",
    "uz_Cyrl", "tk", "tg", "mn", "id", "ms", "fil", "vi", "th", "lo", "km", "my", "zh", "zh_Hant", "ja",
    "ko",
)  # fmt: skip
#: Shorter names are mostly one- or two-letter weekday abbreviations ("Mo", "пн", "日"), too ambiguous.
_MIN_NAME = 3
#: Hebrew writes "in October" as one word: the preposition ב joined to the month ("24 באוקטובר 2014").
_JOINED_PREPOSITIONS = {"he": ("ב", "ב-")}
#: "в пятницу", "у середу", "w środę", "ve středu": a feminine weekday after "on" takes the accusative.
_ACCUSATIVE: dict[str, dict[str, str]] = {
    **{locale: {"а": "у", "я": "ю"} for locale in ("ru", "uk", "be", "sr", "bs_Cyrl")},
    **{locale: {"a": "u"} for locale in ("cs", "sk", "sl", "hr", "sr_Latn", "bs")},
    "pl": {"a": "ę"},
}
_APOSTROPHES = "'’ʼ"
#: Scripts that write words without spaces between them, or glue particles to them (Korean "금요일에"):
#: their names are found without word boundaries.
_UNSPACED_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR"})

_YEAR = r"(?P<year>(?:1[5-9]|20)\d\d)"
#: What may stand between a month and its year: Spanish and Portuguese "de", Vietnamese "năm".
_BEFORE_YEAR = r"(?:(?:de|năm)\s+)?"


def _fold(name: str) -> str:
    """The key a name is looked up by: case-folded, Turkish dotted and dotless i made one, spaces single."""
    return " ".join(name.casefold().replace("ı", "i").replace("\u0307", "").split())


@dataclass(frozen=True)
class _Names:
    """Folded name -> month (1-12) or weekday (0 = Monday), and the written forms to search for."""

    number: dict[str, int]
    forms: frozenset[str]


def _variants(name: str, locale: str, *, weekday: bool) -> set[str]:
    forms = {" ".join(name.lower().split()).rstrip(".")}
    if any(a in name for a in _APOSTROPHES):
        forms |= {re.sub(f"[{_APOSTROPHES}]", a, f) for f in forms for a in _APOSTROPHES}
    if weekday and (endings := _ACCUSATIVE.get(locale)):
        forms |= {f[:-1] + endings[f[-1]] for f in forms if f and f[-1] in endings}
    if not weekday:
        forms |= {p + f for f in forms for p in _JOINED_PREPOSITIONS.get(locale.split("_")[0], ())}
    return {f for f in forms if len(f) >= _MIN_NAME and not re.search(r"\d\s*[月월]", f)}


def _unambiguous(found: dict[str, set[int]], forms: dict[str, set[str]]) -> _Names:
    """Keep the names that mean one thing in every locale: a collision is dropped, never decided."""
    number = {key: next(iter(numbers)) for key, numbers in found.items() if len(numbers) == 1}
    return _Names(number, frozenset(f for key in number for f in forms[key]))


@functools.cache
def _names() -> tuple[_Names, _Names, _Names, frozenset[str]]:
    """Months, weekdays (wide names), weekdays with abbreviations, and the folded wide month names."""
    months: dict[str, set[int]] = {}
    month_forms: dict[str, set[str]] = {}
    wide_months: set[str] = set()
    days: dict[str, set[int]] = {}
    day_forms: dict[str, set[str]] = {}
    all_days: dict[str, set[int]] = {}
    all_day_forms: dict[str, set[str]] = {}
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, locale).items():
                    for form in _variants(name, locale, weekday=False):
                        months.setdefault(_fold(form), set()).add(month)
                        month_forms.setdefault(_fold(form), set()).add(form)
                        if width == "wide":
                            wide_months.add(_fold(form))
                tables = [(all_days, all_day_forms)]
                if width == "wide":  # a date's text names its weekday in full; a dateline may abbreviate it
                    tables.append((days, day_forms))
                for weekday, name in get_day_names(width, context, locale).items():
                    for form in _variants(name, locale, weekday=True):
                        for numbers, forms in tables:
                            numbers.setdefault(_fold(form), set()).add(weekday)
                            forms.setdefault(_fold(form), set()).add(form)
    month_names = _unambiguous(months, month_forms)
    return (
        month_names,
        _unambiguous(days, day_forms),
        _unambiguous(all_days, all_day_forms),
        frozenset(wide_months & month_names.number.keys()),
    )


def calendar_word(word: str, language: str) -> bool:
    """Whether ``word`` names a month or a weekday, in full or abbreviated, in ``language``: "May" does in
    English, not in French. A language CLDR does not know counts as yes (nothing is assumed of it)."""
    names = _calendar_names(language)
    return names is None or _fold(word).rstrip(".") in names


@functools.cache
def _calendar_names(language: str) -> frozenset[str] | None:
    """The folded month and weekday names of one language, or None where CLDR does not know it."""
    try:
        return frozenset(
            _fold(name).rstrip(".")
            for width in ("wide", "abbreviated")
            for context in ("format", "stand-alone")
            for names in (get_month_names(width, context, language), get_day_names(width, context, language))
            for name in names.values()
        )
    except (UnknownLocaleError, ValueError):
        return None


_Trie = dict[str, "_Trie"]


def _trie_regex(words: Iterable[str]) -> str:
    """One regular expression for many words, shaped as a trie so matching never tries them one by one.

    Longer words win over their prefixes ("marzo" before "mar"), as with a longest-first alternation.
    """
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + build(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return build(root)


@functools.cache
def _word_char() -> str:
    """A character class for "part of a word": \\w and the combining marks (Indic vowel signs) it lacks."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    marks = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return rf"[\w{marks}]"


def _unspaced(name: str) -> bool:
    return unicodedata.name(name[0], "").split(" ")[0] in _UNSPACED_SCRIPTS


def _names_regex(forms: Iterable[str]) -> str:
    """Any of the names, as a whole word (or anywhere, for scripts without spaces between words)."""
    forms = sorted(forms)
    spaced = [f for f in forms if not _unspaced(f)]
    unspaced = [f for f in forms if _unspaced(f)]
    word = _word_char()
    alternatives = [f"(?<!{word})(?:{_trie_regex(spaced)})(?!{word})"] if spaced else []
    if unspaced:
        alternatives.append(f"(?:{_trie_regex(unspaced)})")
    return "(?:" + "|".join(alternatives or ["(?!)"]) + ")"


#: Before the patterns run, each month name is replaced by one private-use character that stands for its
#: month (the low byte, 1-12) and how it is written: U+E1xx a full name ("October", "жовтня"), U+E2xx an
#: abbreviation with its dot or a capital ("oct.", "Oct"), U+E3xx a bare lower-case one ("oct", "des"). So
#: the thousands of names are one regular expression, searched once, and the patterns stay small.
_FULL_NAME, _ABBREVIATION, _BARE_ABBREVIATION = 0xE100, 0xE200, 0xE300
_ANY_MONTH = "[\ue101-\ue10c\ue201-\ue20c\ue301-\ue30c]"
_MONTH = f"(?P<month_name>{_ANY_MONTH})"
_MARKS = re.compile("[\ue100-\ue3ff]")  # the same characters in the text itself stand for nothing
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class _Grammar:
    months: dict[str, int]
    wide_months: frozenset[str]
    month_names: re.Pattern[str]
    weekdays: dict[str, int]
    weekday: re.Pattern[str]
    dateline_weekday: re.Pattern[str]

    def marked(self, text: str) -> str:
        """The text with each month name replaced by the character that stands for its month."""

        def mark(m: re.Match[str]) -> str:
            key = _fold(m.group())
            month = self.months.get(key)
            if month is None:  # matched by a case rule the fold does not share: no month
                return m.group()
            if key in self.wide_months:
                return chr(_FULL_NAME + month)
            marked = m.string.startswith(".", m.end()) or m.group()[0].isupper()
            return chr((_ABBREVIATION if marked else _BARE_ABBREVIATION) + month)

        return self.month_names.sub(mark, _MARKS.sub("\ufffd", text))


@functools.cache
def _grammar() -> _Grammar:
    """The names and their patterns, built once on first use (about half a second) and kept."""
    months, weekdays, all_weekdays, wide_months = _names()
    return _Grammar(
        months=months.number,
        wide_months=wide_months,
        month_names=re.compile(_names_regex(months.forms), re.I),
        weekdays=weekdays.number,
        weekday=re.compile(rf"(?P<weekday>{_names_regex(weekdays.forms)})", re.I),
        dateline_weekday=re.compile(rf"^{_names_regex(all_weekdays.forms)}\.?,?\s+", re.I),
    )


_MONTH_YEAR = re.compile(rf"{_MONTH}\.?,?\s+{_BEFORE_YEAR}{_YEAR}\b", re.I)
#: Tried in this order on the text with its month names marked; the first that matches reads the date.
_PATTERNS = (
    re.compile(rf"\b{_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})\b"),
    # A range ("7-9 December", "7 au 9 décembre 2004"): the meeting starts on its first day.
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:er)?\s*(?:[-–—]|to|au|a|al|bis)\s*\d{{1,2}}\.?\s+(?:de\s+)?"
        rf"{_MONTH}\.?(?:,?\s+{_BEFORE_YEAR}{_YEAR}\b)?",
        re.I,
    ),
    re.compile(r"(?P<year>\d{4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]\s*(?:(?P<day>\d{1,2})\s*[日일])?"),
    re.compile(r"(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})\s*[日일]"),
    # The year first: Hungarian "2014. október 24.", Lithuanian "2014 m. spalio 24 d.".
    re.compile(rf"\b{_YEAR}\.?\s+(?:m\.\s+)?{_MONTH}\.?\s+(?P<day>\d{{1,2}})\b", re.I),
    re.compile(
        rf"{_MONTH}\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*[-–]\s*\d{{1,2}}\b)?(?:,?\s+{_YEAR}\b)?",
        re.I,
    ),
    # "24 أكتوبر/تشرين الأول 2014": Arabic gives the month's two names, one after the other.
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:er|º|st|nd|rd|th)?\.?\s+(?:de\s+)?{_MONTH}\.?(?:\s*/\s*{_ANY_MONTH})?"
        rf"(?:,?\s+{_BEFORE_YEAR}{_YEAR}\b)?",
        re.I,
    ),
    _MONTH_YEAR,
    re.compile(rf"\b{_YEAR}\b"),
)


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _normalized(text: str) -> str:
    """Composed characters and ASCII digits ("２０１４年１０月", "٢٤ أكتوبر"), so names and years match."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)


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
    grammar = _grammar()
    normalized = _normalized(text)
    if found := _read(grammar.marked(normalized), text):
        return found
    if m := grammar.weekday.search(normalized):
        weekday = grammar.weekdays.get(_fold(m.group("weekday")))
        if weekday is not None:
            return PartialDate(None, None, None, weekday=weekday)
    raise NotADate(
        f"{text!r} is not a date: give the date exactly as the article writes it "
        "(for example 'May 7', '13 January 2007' or 'Sunday'), or null if the article gives none"
    )


def _read(marked: str, text: str) -> PartialDate | None:
    """The date the first matching pattern reads in ``marked`` (``text`` as written, for messages)."""
    for pattern in _PATTERNS:
        for m in pattern.finditer(marked):
            if not _weak(m):
                return _date_of(m, text)
    return None


def _weak(m: re.Match[str]) -> bool:
    """A bare lower-case abbreviation reads as a month only in a date that states its year or ends the text:
    in "des 27 gouvernements" (French "of the 27 governments") or "set 7 goals" it is an ordinary word."""
    groups = m.groupdict()
    name = groups.get("month_name")
    if not name or ord(name) & ~0xFF != _BARE_ABBREVIATION or groups.get("year"):
        return False
    return _WORD.search(m.string, m.end()) is not None


def _date_of(m: re.Match[str], text: str) -> PartialDate:
    groups = m.groupdict()
    year = int(groups["year"]) if groups.get("year") else None
    month: int | None = None
    if groups.get("month_name"):
        month = ord(groups["month_name"]) % 0x100
    elif groups.get("month"):
        month = int(groups["month"])
    day = int(groups["day"]) if groups.get("day") else None
    _check(year, month, day, text)
    return PartialDate(year, month, day)


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


_DATELINE_CITY = re.compile(r"^((?:[^\W\d_]|[ .'’ʼ-]){2,41}),\s*")
_DATELINE_COUNTRY = re.compile(r"^[^\W\d_][\w.'’ʼ -]{1,30}\s*[-–—,]\s*")
#: How many non-empty lines at the top of an article may hold its dateline (title, byline, dateline).
DATELINE_LINES = 5


def _after_city(line: str) -> str:
    """The line without a leading "CITY, " written in capitals ("WASHINGTON, ", "КИЇВ, ")."""
    m = _DATELINE_CITY.match(line)
    return line[m.end() :] if m and m.group(1).isupper() and line[0].isalpha() else line


def _after_country(line: str) -> str:
    """The line without a leading "Country – " or "Country, " ("Brazil – November 16, 2004")."""
    m = _DATELINE_COUNTRY.match(line)
    return line[m.end() :] if m and line[0].isupper() else line


def dateline(text: str) -> PartialDate | None:
    """The publication date an article states at its top ("November 16, 2004", "17 août 2012. -").

    Only a date that opens one of the first lines (after an optional "CITY, " and weekday) and states a
    year counts: a date inside a title or a sentence is an event's date, not the article's. A month and
    year without a day ("December 2004") needs the month's full name: a three-letter abbreviation in some
    language is too often an ordinary word in another.
    """
    grammar = _grammar()
    lines = [line.strip() for line in text.splitlines() if line.strip()][:DATELINE_LINES]
    for line in lines:
        after_city = _after_city(_normalized(line))
        # "BRASÍLIA, Brazil – November 16, 2004" and "WASHINGTON, December 8, 2004": try both readings.
        for rest in (after_city, _after_country(after_city)):
            # "Mar 7, 2004" opens with a month that is also a weekday's abbreviation: try it as it is first.
            for head in dict.fromkeys((rest, grammar.dateline_weekday.sub("", rest))):
                if found := _date_opening(head[:40], grammar):
                    return found
    return None


def _date_opening(head: str, grammar: _Grammar) -> PartialDate | None:
    marked = grammar.marked(head)
    for pattern in _PATTERNS[:-1]:  # a bare year is not a dateline
        m = pattern.match(marked)
        if not m or not m.groupdict().get("year"):
            continue
        if pattern is _MONTH_YEAR and ord(m.group("month_name")) & ~0xFF != _FULL_NAME:
            continue
        try:
            found = _read(m.group(0), head)
        except NotADate:
            continue
        if found and found.year and found.month:
            return found
    return None


def anchor(date: PartialDate) -> dt.date | None:
    """A calendar day to resolve other dates against: the date itself, or mid-month for "December 2004"."""
    if date.year is None or date.month is None:
        return None
    return dt.date(date.year, date.month, date.day or 15)
