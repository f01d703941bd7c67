"""Fields only the library fills: a model's answer can never set them.

``span``, a date's resolved ``year``/``month``/``day``/``iso``/``year_from``, a participant's
``country_iso`` and the Summit's ``is_summit_reason`` are hidden from the schema the model sees
(``SkipJsonSchema``). Whatever a model or endpoint sends for them anyway is discarded while an extraction
is running, and the library's own values appear: a span slices back to its evidence, a year the article
never states stays None. Checked on the validators directly and through the real pipeline (the fake
server, in JSON_SCHEMA and TOOLS modes), for Summit and for a small schema of the user's own.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import instructor
import pytest
from pydantic import BaseModel, Field

from summit_extract import (
    ExtractionContext,
    Grounded,
    Participant,
    Summit,
    SummitDate,
    WrittenDate,
    extract_result,
)
from summit_extract._grounding import walk
from tests.fake_openai import FakeOpenAI, ok, requested_fields

TEXT = (
    "SEOUL, May 7 (Bloomberg) - South Korean President Yoon Suk Yeol hosted Japanese Prime Minister "
    "Fumio Kishida in Seoul on Sunday. The two leaders agreed to cooperate on chips."
)
FORGED_SPAN = {"start": 0, "end": 5, "alignment": "exact", "score": 100.0}
FORGED_ISO = {"name": "France", "alpha2": "FR", "alpha3": "FRA", "known": True}
FORGED_DATE = {"year": 1999, "month": 1, "day": 1, "iso": "1999-01-01", "year_from": "text"}
LIBRARY_ONLY = ("span", "country_iso", "year", "iso", "year_from", "is_summit_reason")
MODES = [instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS]


def forged_summit() -> dict[str, Any]:
    """A whole Summit answer that also sends every library-only field, with wrong values."""
    return {
        "participants": [
            {"evidence": "South Korean President Yoon Suk Yeol", "name": "Yoon Suk Yeol",
             "title": "President", "country": "South Korea", "span": FORGED_SPAN, "country_iso": FORGED_ISO},
            {"evidence": "Japanese Prime Minister Fumio Kishida", "name": "Fumio Kishida",
             "title": "Prime Minister", "country": "Japan", "span": "garbage", "country_iso": "FR"},
        ],
        "location": {"evidence": "in Seoul", "city": "Seoul", "venue": None, "country": None,
                     "span": FORGED_SPAN},
        "date": {"text": "May 7", **FORGED_DATE, "span": FORGED_SPAN},
        "name": None,
        "host_country": "South Korea",
        "is_summit": True,
        "agreements": [
            {"evidence": "agreed to cooperate on chips", "subject": "chip cooperation",
             "parties": ["South Korea", "Japan"], "status": "agreed", "kind": "technology",
             "span": {"start": 10**6, "end": 10**6 + 3, "alignment": "fuzzy", "score": 1.0}},
        ],
        "disputes": [],
        "statements": [],
        "is_summit_reason": "forged: the model says why it is not a summit",
    }


def assert_spans_are_the_librarys(value: BaseModel, text: str) -> None:
    items = list(walk(value))
    assert items
    for item in items:
        span = item.span
        assert span is not None and span.alignment in ("exact", "normalized"), item
        assert text[span.start : span.end] == item.evidence_text(), item
        assert (span.start, span.end) != (FORGED_SPAN["start"], FORGED_SPAN["end"]), item


# --- the validators, with an extraction context active ----------------------------------------------


def test_forged_span_and_country_iso_are_discarded_during_an_extraction() -> None:
    answer = forged_summit()["participants"][0]
    person = Participant.model_validate(answer, context=ExtractionContext(TEXT))
    assert person.span is not None and TEXT[person.span.start : person.span.end] == person.evidence
    assert person.span.start == TEXT.index("South Korean President")
    assert person.country_iso is None  # only finalize sets it, from the country as written


def test_a_malformed_forged_value_does_not_fail_the_answer() -> None:
    answer = forged_summit()["participants"][1]  # span "garbage", country_iso "FR": wrong types too
    person = Participant.model_validate(answer, context=ExtractionContext(TEXT))
    assert person.span is not None and person.span.alignment == "exact" and person.country_iso is None


@pytest.mark.parametrize("cls", [WrittenDate, SummitDate])
def test_a_year_the_article_never_states_stays_none(cls: type[WrittenDate]) -> None:
    date = cls.model_validate({"text": "May 7", **FORGED_DATE}, context=ExtractionContext(TEXT))
    assert (date.year, date.month, date.day, date.iso, date.year_from) == (None, 5, 7, None, None)


def test_a_resolved_year_is_the_librarys_and_says_where_it_came_from() -> None:
    import datetime as dt

    context = ExtractionContext(TEXT, published=dt.date(2023, 5, 8), published_from="published")
    date = WrittenDate.model_validate({"text": "May 7", **FORGED_DATE}, context=context)
    assert (date.iso, date.year_from) == ("2023-05-07", "published")


def test_forged_is_summit_reason_is_discarded_and_the_librarys_own_appears() -> None:
    context = ExtractionContext(TEXT)
    summit = Summit.model_validate(forged_summit(), context=context)
    assert summit.is_summit_reason is None
    summit.finalize(context)
    assert summit.is_summit and summit.is_summit_reason is None
    assert [p.country_iso.alpha2 for p in summit.participants if p.country_iso] == ["KR", "JP"]

    alone = forged_summit()
    alone["participants"] = alone["participants"][:1]
    only_one = Summit.model_validate(alone, context=ExtractionContext("President Yoon Suk Yeol spoke."))
    only_one.finalize(ExtractionContext("President Yoon Suk Yeol spoke."))
    assert only_one.is_summit is False
    assert only_one.is_summit_reason is not None and "forged" not in only_one.is_summit_reason


def test_outside_an_extraction_stored_values_are_kept() -> None:
    # Loading a stored result is not a model's answer: what it says is what the library wrote.
    summit = Summit.model_validate(forged_summit(), context=ExtractionContext(TEXT))
    summit.finalize(ExtractionContext(TEXT))
    stored = json.loads(summit.model_dump_json())
    again = Summit.model_validate(stored)
    assert again == summit
    assert again.participants[0].country_iso is not None and again.participants[0].span is not None


# --- through the real pipeline: the fake server sends the forged fields ----------------------------


def test_the_request_schema_hides_every_library_field() -> None:
    with FakeOpenAI(default=ok(forged_summit())) as srv:
        extract_result(TEXT, Summit, backend=srv.backend(mode=instructor.Mode.JSON_SCHEMA))
        extract_result(TEXT, Summit, backend=srv.backend(mode=instructor.Mode.TOOLS))
        assert srv.count == 6
        for body in srv.requests:
            schema = json.dumps(body.get("response_format") or body.get("tools"))
            assert requested_fields(body), "the answer's shape is asked for"
            for name in LIBRARY_ONLY:
                assert f'"{name}"' not in schema, (name, requested_fields(body))


@pytest.mark.parametrize("mode", MODES, ids=["json_schema", "tools"])
@pytest.mark.parametrize("passes", [None, ["main"]], ids=["passes", "one-request"])
def test_summit_answers_cannot_set_library_fields(mode: instructor.Mode, passes: list[str] | None) -> None:
    with FakeOpenAI(default=ok(forged_summit())) as srv:
        result = extract_result(TEXT, Summit, backend=srv.backend(mode=mode), passes=passes)
    summit = result.value
    assert_spans_are_the_librarys(summit, TEXT)
    assert [a.span.start for a in summit.agreements if a.span] == [TEXT.index("agreed to cooperate")]
    assert summit.date is not None
    # "SEOUL, May 7" states no year and no published date was given: no year, whatever the answer said.
    assert (summit.date.year, summit.date.month, summit.date.day) == (None, 5, 7)
    assert summit.date.iso is None and summit.date.year_from is None
    assert [p.country_iso.alpha2 for p in summit.participants if p.country_iso] == ["KR", "JP"]
    assert summit.is_summit is True and summit.is_summit_reason is None
    assert result.dropped == [] and result.flagged == []


@pytest.mark.parametrize("mode", MODES, ids=["json_schema", "tools"])
def test_a_published_date_resolves_the_year_not_the_answer(mode: instructor.Mode) -> None:
    with FakeOpenAI(default=ok(forged_summit())) as srv:
        result = extract_result(TEXT, Summit, backend=srv.backend(mode=mode), published="2023-05-08")
    date = result.value.date
    assert date is not None and (date.iso, date.year_from) == ("2023-05-07", "published")


class Pledge(Grounded):
    """A promise the article reports."""

    evidence: str = Field(description="Verbatim words of the article stating the pledge.")
    what: str = Field(description="What was promised.")
    when: WrittenDate | None = Field(default=None, description="When, as written.")


class Pledges(BaseModel):
    """A user's own schema: not an article type, one request."""

    pledges: list[Pledge] = Field(default_factory=list)


FORGED_PLEDGES = {
    "pledges": [
        {"evidence": "agreed to cooperate on chips", "what": "chip cooperation", "span": FORGED_SPAN,
         "when": {"text": "May 7", **FORGED_DATE, "span": FORGED_SPAN}},
    ]
}


@pytest.mark.parametrize("mode", MODES, ids=["json_schema", "tools"])
def test_a_users_grounded_schema_cannot_have_library_fields_set(mode: instructor.Mode) -> None:
    with FakeOpenAI(default=ok(copy.deepcopy(FORGED_PLEDGES))) as srv:
        result = extract_result(TEXT, Pledges, backend=srv.backend(mode=mode))
        assert srv.count == 1
        schema = json.dumps(srv.requests[0].get("response_format") or srv.requests[0].get("tools"))
    assert '"span"' not in schema and '"year_from"' not in schema
    (pledge,) = result.value.pledges
    assert_spans_are_the_librarys(result.value, TEXT)
    assert pledge.when is not None and pledge.when.span is not None
    assert TEXT[pledge.when.span.start : pledge.when.span.end] == "May 7"
    assert (pledge.when.year, pledge.when.iso, pledge.when.year_from) == (None, None, None)
