"""Dates the article itself pins down: its dateline, and what a date resolved against it says.

A dateline ("November 16, 2004 — ...", "17 août 2012. -") is a publication date stated in the text; it
resolves "on Sunday" or "May 7" as ``published`` would, and the result says the year came from it. A date
inside a title or a sentence is an event's date, not the article's, and a dateline without a year
("SEOUL, May 7 (Bloomberg)") dates nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summit_extract import ExtractionContext, Summit, WrittenDate, extract_result, plan_article
from summit_extract._dates import DATELINE_LINES, NotADate, PartialDate, anchor, dateline, parse
from tests.fake_openai import FakeOpenAI, ok


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        ("November 16, 2004\n\nLeaders met in Santiago.", (2004, 11, 16)),
        ("17 août 2012. - Les dirigeants se sont réunis à Paris.", (2012, 8, 17)),
        ("Tuesday, November 16, 2004\nLeaders met.", (2004, 11, 16)),
        ("Dec. 8, 2004 - Leaders met in Cusco.", (2004, 12, 8)),
        ("BRASÍLIA, 23 de maio de 2005 - Lula recebeu Roh.", (2005, 5, 23)),
        ("December 2004\n\nA month of talks.", (2004, 12, None)),
        ("Summit news\nBy A. Reporter\nNovember 16, 2004\n\nLeaders met.", (2004, 11, 16)),
    ],
)
def test_a_dateline_is_read(opening: str, expected: tuple[int, int, int | None]) -> None:
    found = dateline(opening)
    assert found is not None and (found.year, found.month, found.day) == expected


@pytest.mark.parametrize(
    "opening",
    [
        "SEOUL, May 7 (Bloomberg) - South Korean President Yoon Suk Yeol met Fumio Kishida.",  # no year
        "Leaders to meet on November 16, 2004 in Santiago\n\nThe summit opens next week.",  # in a title
        "The leaders met on November 16, 2004, in Santiago.",  # inside a sentence
        "2004\n\nA year of summits.",  # a bare year dates nothing
        "",
        "\n\n\n",
    ],
)
def test_no_dateline(opening: str) -> None:
    assert dateline(opening) is None


def test_only_the_first_lines_can_hold_a_dateline() -> None:
    lines = [f"Line {n} of the header." for n in range(DATELINE_LINES)]
    assert dateline("\n".join([*lines, "November 16, 2004"])) is None
    assert dateline("\n".join([*lines[1:], "November 16, 2004"])) is not None


@pytest.mark.parametrize(
    "opening",
    ["WASHINGTON, December 8, 2004 — President Bush met Prime Minister Martin.",
     "SEOUL, May 7, 2023 (Bloomberg) - Yoon met Kishida."],
)
def test_a_place_then_a_full_date_is_a_dateline(opening: str) -> None:
    found = dateline(opening)
    assert found is not None and found.year in (2004, 2023)


def test_anchor_is_a_calendar_day_to_resolve_against() -> None:
    assert anchor(PartialDate(2004, 11, 16)) == dt.date(2004, 11, 16)
    assert anchor(PartialDate(2004, 12, None)) == dt.date(2004, 12, 15)  # mid-month for "December 2004"
    assert anchor(PartialDate(None, 5, 7)) is None


# --- a WrittenDate resolved from the dateline says so -----------------------------------------------

DATELINED = (
    "November 16, 2004\n\nChilean President Ricardo Lagos hosted Peruvian President Alejandro Toledo in "
    "Santiago on Sunday, and the two will meet again on December 8."
)


@pytest.mark.parametrize(
    ("written", "iso", "year_from"),
    [
        ("Sunday", "2004-11-14", "dateline"),  # the Sunday before the Tuesday of publication
        ("December 8", "2004-12-08", "dateline"),
        ("November 16, 2004", "2004-11-16", "text"),  # a date that states its year says so
    ],
)
def test_a_written_date_resolved_from_the_dateline_says_so(written: str, iso: str, year_from: str) -> None:
    stated = dateline(DATELINED)
    assert stated is not None
    context = ExtractionContext(DATELINED, published=anchor(stated), published_from="dateline")
    date = WrittenDate.model_validate({"text": written}, context=context)
    assert (date.iso, date.year_from) == (iso, year_from)
    assert date.span is not None and DATELINED[date.span.start : date.span.end] == written


def test_the_pipeline_resolves_a_summit_date_from_the_dateline() -> None:
    answer = {"date": {"text": "Sunday"}, "participants": [], "is_summit": False}
    # A call, not a meeting: the leaders the text names by title do not take part (titled_attendees).
    by_phone = DATELINED.replace(" hosted ", " spoke by phone with ")
    with FakeOpenAI(default=ok(answer, fit=True)) as srv:
        result = extract_result(by_phone, Summit, backend=srv.backend())
        assert plan_article(DATELINED, Summit, backend=srv.backend()).published_from == "dateline"
    assert result.value.date is None  # no summit reported: the frame is cleared...

    frame = {
        "participants": [
            {"evidence": "Chilean President Ricardo Lagos", "name": "Ricardo Lagos", "title": "President",
             "country": "Chile"},
            {"evidence": "Peruvian President Alejandro Toledo", "name": "Alejandro Toledo",
             "title": "President", "country": "Peru"},
        ],
        "location": {"evidence": "in Santiago", "city": "Santiago"},
        "date": {"text": "Sunday"},
        "is_summit": True,
    }
    with FakeOpenAI(default=ok(frame, fit=True)) as srv:
        result = extract_result(DATELINED, Summit, backend=srv.backend())
    date = result.value.date
    assert result.value.is_summit and date is not None  # ...and kept when one is
    assert (date.iso, date.year_from) == ("2004-11-14", "dateline")


def test_a_callers_published_date_is_named_as_such() -> None:
    frame = {"date": {"text": "Sunday"}, "is_summit": False}
    with FakeOpenAI(default=ok(frame, fit=True)) as srv:
        plan = plan_article(DATELINED, Summit, backend=srv.backend(), published="2004-11-20")
    assert (plan.published, plan.published_from) == (dt.date(2004, 11, 20), "published")
    context = ExtractionContext(DATELINED, published=plan.published, published_from=plan.published_from)
    date = WrittenDate.model_validate({"text": "Sunday"}, context=context)
    assert (date.iso, date.year_from) == ("2004-11-14", "published")


# --- parse never fails but by saying "not a date" -----------------------------------------------------

DATE_WORDS = st.sampled_from(
    ["May", "7", "2004", "Sunday", "août", "de", "年", "月", "日", "-", ",", ".", "31", "29", "February",
     "0", "13", "99", "1500", "2099", "  ", "\n", "sept", "domingo", "12-31", "2004-02-30"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(DATE_WORDS, max_size=8).map(" ".join)))
def test_parse_raises_nothing_but_not_a_date(text: str) -> None:
    try:
        found = parse(text)
    except NotADate:
        return
    if found.month is not None:
        assert 1 <= found.month <= 12
    if found.iso is not None:
        dt.date.fromisoformat(found.iso)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_dateline_never_raises(text: str) -> None:
    found = dateline(text)
    assert found is None or (found.year is not None and found.month is not None)
