"""Dates written in any language: month and weekday names come from the Unicode CLDR (through Babel).

An article in Ukrainian writes "24 жовтня 2014" (the genitive: "of October"), one in Korean "10월 24일", one
in Arabic "٢٤ أكتوبر ٢٠١٤"; each means what it says, and a date that states no year still gets none from
the code. A name that means one month in one language and another month in another is dropped rather than
guessed, and an ordinary word is no date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summit_extract import ExtractionContext, WrittenDate
from summit_extract._dates import (
    _LOCALES,
    NotADate,
    PartialDate,
    _names,
    calendar_word,
    dateline,
    parse,
    resolve,
)

# The locales the tables must cover, whatever else they hold.
REQUIRED_LOCALES = ("en", "fr", "es", "pt", "de", "it", "nl", "pl", "ru", "uk", "tr", "ro", "cs", "sv", "da",
                    "no", "fi", "el", "hu", "id", "ms", "vi", "ko", "ja", "zh", "ar", "he")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("24 жовтня 2014", (2014, 10, 24)),  # Ukrainian, genitive ("of October")
        ("жовтень 2014", (2014, 10, None)),  # Ukrainian, the month's own name
        ("24 октября", (None, 10, 24)),  # Russian
        ("24 октября 2014 года", (2014, 10, 24)),
        ("24 października 2014", (2014, 10, 24)),  # Polish
        ("24 oktober", (None, 10, 24)),  # Dutch
        ("24 Ekim 2014", (2014, 10, 24)),  # Turkish
        ("24 EKİM 2014", (2014, 10, 24)),  # Turkish capitals: dotted İ
        ("24 MAYIS 2014", (2014, 5, 24)),  # ...and dotless ı, capitalized as I
        ("2014년 10월 24일", (2014, 10, 24)),  # Korean
        ("10월 24일", (None, 10, 24)),
        ("10月24日", (None, 10, 24)),  # Japanese
        ("２０１４年１０月２４日", (2014, 10, 24)),  # full-width digits
        ("2014年10月24日", (2014, 10, 24)),  # Chinese
        ("24. Oktober 2014", (2014, 10, 24)),  # German
        ("24. Jänner 2014", (2014, 1, 24)),  # Austrian German
        ("24. října 2014", (2014, 10, 24)),  # Czech
        ("24 Οκτωβρίου 2014", (2014, 10, 24)),  # Greek
        ("2014. október 24.", (2014, 10, 24)),  # Hungarian: the year first
        ("24 octombrie 2014", (2014, 10, 24)),  # Romanian
        ("24. lokakuuta 2014", (2014, 10, 24)),  # Finnish
        ("24 oktober 2014", (2014, 10, 24)),  # Swedish
        ("24 Oktober 2014", (2014, 10, 24)),  # Indonesian
        ("24 de octubre de 2014", (2014, 10, 24)),  # Spanish
        ("24 d’octubre de 2014", (2014, 10, 24)),  # Catalan
        ("24 ottobre 2014", (2014, 10, 24)),  # Italian
        ("24 أكتوبر 2014", (2014, 10, 24)),  # Arabic
        ("٢٤ أكتوبر ٢٠١٤", (2014, 10, 24)),  # Arabic-Indic digits
        ("24 أكتوبر/تشرين الأول 2014", (2014, 10, 24)),  # both Arabic names of the month
        ("24 تشرين الأول 2014", (2014, 10, 24)),  # Levantine Arabic
        ("24 באוקטובר 2014", (2014, 10, 24)),  # Hebrew: "in October", one word
        ("ngày 24 tháng 10 năm 2014", (2014, 10, 24)),  # Vietnamese
        ("Dec. 8, 2004", (2004, 12, 8)),  # an English abbreviation still reads
    ],
)
def test_a_date_in_any_language_is_read(written: str, expected: tuple[int | None, int, int | None]) -> None:
    found = parse(written)
    assert (found.year, found.month, found.day) == expected


@pytest.mark.parametrize(
    ("written", "weekday"),
    [
        ("у вівторок", 1),  # Ukrainian "on Tuesday"
        ("в пятницу", 4),  # Russian, the accusative of пятница
        ("у пʼятницю", 4),  # Ukrainian, likewise
        ("у п'ятницю", 4),  # ...with the apostrophe a keyboard types
        ("w środę", 2),  # Polish, the accusative of środa
        ("am Freitag", 4),
        ("Cuma günü", 4),  # Turkish
        ("金曜日", 4),  # Japanese
        ("금요일에", 4),  # Korean, with its particle
        ("上星期五", 4),  # Chinese "last Friday"
        ("الجمعة", 4),  # Arabic
        ("domingo", 6),
    ],
)
def test_a_weekday_in_any_language_is_read(written: str, weekday: int) -> None:
    assert parse(written) == PartialDate(None, None, None, weekday=weekday)


@pytest.mark.parametrize(
    "written", ["24 жовтня", "24 октября", "10월 24일", "10月24日", "24 Ekim", "24 أكتوبر"]
)
def test_a_year_less_date_stays_year_less(written: str) -> None:
    found = parse(written)
    assert found.year is None and found.iso is None
    assert resolve(found, None) == found  # without a publication date, no year is invented
    assert resolve(found, dt.date(2014, 10, 30)).iso == "2014-10-24"  # with one, the nearest 24 October

    context = ExtractionContext(f"Лідери зустрілися {written}.")
    date = WrittenDate.model_validate({"text": written}, context=context)
    assert (date.year, date.month, date.day, date.iso, date.year_from) == (None, 10, 24, None, None)


def test_a_written_date_resolved_from_a_ukrainian_dateline_says_so() -> None:
    article = "КИЇВ, 24 жовтня 2014 — Лідери зустрілися у вівторок і знову зустрінуться 3 листопада."
    stated = dateline(article)
    assert stated is not None and stated.iso == "2014-10-24"
    context = ExtractionContext(article, published=dt.date(2014, 10, 24), published_from="dateline")
    tuesday = WrittenDate.model_validate({"text": "у вівторок"}, context=context)
    assert (tuesday.iso, tuesday.year_from) == ("2014-10-21", "dateline")


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        ("КИЇВ, 24 жовтня 2014 — Лідери зустрілися.", (2014, 10, 24)),
        ("24 października 2014\n\nPrzywódcy spotkali się w Warszawie.", (2014, 10, 24)),
        ("2014년 10월 24일\n\n정상들이 서울에서 만났다.", (2014, 10, 24)),
        ("ANKARA, 24 Ekim 2014 - Liderler bir araya geldi.", (2014, 10, 24)),
        ("Tue, 16 Nov 2004\nLeaders met.", (2004, 11, 16)),  # an abbreviated weekday before the date
        ("Mar 7, 2004 - Leaders met.", (2004, 3, 7)),  # "Mar" is also Tuesday's abbreviation in Spanish
        ("Freitag, 24. Oktober 2014\nDie Staats- und Regierungschefs trafen sich.", (2014, 10, 24)),
    ],
)
def test_a_dateline_in_any_language_is_read(opening: str, expected: tuple[int, int, int | None]) -> None:
    found = dateline(opening)
    assert found is not None and (found.year, found.month, found.day) == expected


@pytest.mark.parametrize(
    "opening",
    [
        "Mai Tai night at the embassy\n\nThe ambassador served drinks.",  # "mai" is May only in a date
        "Pro 2004 review\n\nA look back.",  # "pro" abbreviates December in Czech: no dateline by itself
        "Ira 2004 report\n\nA look back.",  # Basque abbreviation of September
        "SEOUL, 10월 24일 - 정상들이 만났다.",  # no year
        "The leaders met on 24 жовтня 2014 in Kyiv.",  # inside a sentence
    ],
)
def test_no_dateline_from_ordinary_words(opening: str) -> None:
    assert dateline(opening) is None


@pytest.mark.parametrize(
    "text",
    [
        "mai",
        "The mai tai was served at the reception.",
        "The leaders discussed trade, security and the climate at length.",
        "Mars mission",
        "in March",  # a month alone is no date
    ],
)
def test_ordinary_words_are_no_date(text: str) -> None:
    with pytest.raises(NotADate):
        parse(text)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("la réunion des 27 ministres le 5 mai", (None, 5, 5)),  # "des" (of the) is not December here
        ("Dec 8 meeting", (None, 12, 8)),  # an abbreviation written with its capital reads as before
        ("24 ott", (None, 10, 24)),  # Italian: a bare abbreviation that ends the date
        ("24 out. 2014", (2014, 10, 24)),  # Portuguese, with its dot
        ("24 paź 2014", (2014, 10, 24)),  # Polish, with the year
    ],
)
def test_an_abbreviation_reads_as_a_month_where_it_is_one(
    written: str, expected: tuple[int | None, int, int | None]
) -> None:
    found = parse(written)
    assert (found.year, found.month, found.day) == expected


@pytest.mark.parametrize("text", ["22 des 27 gouvernements", "set 7 goals", "2 out of 3"])
def test_a_bare_abbreviation_inside_words_is_no_month(text: str) -> None:
    with pytest.raises(NotADate):  # French "des" (Norwegian December), Italian "set", Portuguese "out"
        parse(text)


def test_a_name_two_languages_give_different_months_is_dropped_not_guessed() -> None:
    months, weekdays, all_weekdays, _ = _names()
    # Croatian "listopad" is October, Czech and Polish "listopad(a)" November: neither is kept...
    for ambiguous in ("listopad", "listopada", "lis", "srp", "lip"):
        assert ambiguous not in months.number
    found = parse("24 listopada 2014")
    assert found.month is None and found.day is None  # ...so only the year is read, never a wrong month
    # A name shared by languages that agree stays: "mar" is March in English, Italian, Polish...
    assert months.number["mar"] == 3 and months.number["mai"] == 5 and months.number["marzo"] == 3
    # Weekdays are a table of their own: "mar" (Spanish Tuesday) is no weekday in a date's text...
    assert "mar" not in weekdays.number and weekdays.number["martes"] == 1
    # ...and "tor" (Thursday in Norwegian, Tuesday in Slovenian) is dropped even among abbreviations.
    assert "tor" not in all_weekdays.number


def test_the_tables_come_from_cldr_for_every_required_language() -> None:
    assert set(REQUIRED_LOCALES) <= set(_LOCALES)
    months, weekdays, _, _ = _names()
    assert len(months.number) > 1000 and len(weekdays.number) > 400
    for name, month in [("жовтня", 10), ("października", 10), ("ekim", 10), ("oktober", 10), ("أكتوبر", 10),
                        ("אוקטובר", 10), ("οκτωβρίου", 10), ("lokakuuta", 10), ("tháng 10", 10)]:
        assert months.number[name] == month
    assert all(len(form) >= 3 for form in months.forms | weekdays.forms)  # no "Mo", "пн" or "日"


def test_parse_stays_fast_with_thousands_of_names() -> None:
    parse("24 жовтня 2014")  # the tables and patterns are built once, on first use
    texts = ["May 7", "24 жовтня 2014", "у вівторок", "10월 24일", "not a date at all"]
    start = time.perf_counter()
    for _ in range(100):
        for text in texts:
            with contextlib.suppress(NotADate):
                parse(text)
    per_call = (time.perf_counter() - start) / (100 * len(texts))
    assert per_call < 1e-3, f"parse takes {per_call * 1e6:.0f} µs"


WORDS_OF_ANY_LANGUAGE = st.sampled_from(
    ["24", "2014", "жовтня", "октября", "10월", "24일", "년", "月", "日", "٢٤", "٢٠١٤", "أكتوبر", "/",
     "تشرين الأول", "EKİM", "MAYIS", "ı", "İ", "tháng 10", "năm", "ב", "באוקטובר", "2014.", "m.", "-", ",",
     ".", "de", "listopada", "вівторок", "пʼятницю", "金曜日", "０", "٣١", "31", "29", "February", "13"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS_OF_ANY_LANGUAGE, max_size=8).map(" ".join))
def test_parse_of_any_language_raises_nothing_but_not_a_date(text: str) -> None:
    try:
        found = parse(text)
    except NotADate:
        return
    if found.month is not None:
        assert 1 <= found.month <= 12
    if found.iso is not None:
        dt.date.fromisoformat(found.iso)
    stated = dateline(text)
    assert stated is None or (stated.year is not None and stated.month is not None)


@pytest.mark.parametrize(
    ("word", "language", "calendar"),
    [
        ("May", "en", True),
        ("May", "fr", False),
        ("Mai", "de", True),
        ("Sá", "es", False),
        ("Wed", "en", True),
    ],
)
def test_a_month_or_weekday_name_is_read_in_the_article_s_language(
    word: str, language: str, calendar: bool
) -> None:
    # "May" is a month in English and a surname in a French article.
    assert calendar_word(word, language) is calendar
