"""Many articles, one event: ``consolidate`` on records made by the real pipeline (``tests/event_records``).

The issue's cases: one summit spelled Kyiv and Kiev, each article naming other leaders, is one event naming
them all; a trilateral in Tokyo and a bilateral of two of its states in Busan three days later are two; a
preview joins the summit it previews; a report that is no summit joins only through its agreement; every
source's span slices back to its article. Then the engine: majority and disagreement, blocking (no
comparison of records sharing nothing), bounded sorting, error records, bad input, and TradeDeal on the
engine's defaults.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from summit_extract import Summit, TradeDeal
from summit_extract._consolidating import ConsolidationSummary, consolidate
from summit_extract._events import Event
from summit_extract._exceptions import InputError
from tests.event_records import records, text


@pytest.fixture(scope="module")
def all_records() -> list[dict[str, Any]]:
    return records()


def events_of(recs: list[dict[str, Any]], **options: Any) -> list[Event]:
    return list(consolidate(recs, schema=Summit, **options))


def clusters(events: list[Event]) -> set[frozenset[str]]:
    return {frozenset(str(a.id) for a in e.articles) for e in events}


def event_with(events: list[Event], article: str) -> Event:
    return next(e for e in events if article in {a.id for a in e.articles})


def people(event: Event) -> list[Any]:
    return [f.value["name"] for f in event.facts["participants"]]


def test_the_invented_articles_come_out_as_the_gold_events(all_records: list[dict[str, Any]]) -> None:
    assert clusters(events_of(all_records)) == {
        frozenset({"e01_kyiv_air_defence_summit", "e02_kiev_summit_other_outlet"}),
        frozenset({"e03_trilateral_tokyo"}),
        frozenset({"e04_bilateral_busan"}),
        frozenset({"e05_nairobi_preview", "e06_nairobi_summit", "e07_rail_deal_analysis"}),
        frozenset({"e08_chile_peru_fishing_row"}),
    }


def test_one_summit_spelled_two_ways_names_every_leader_once(all_records: list[dict[str, Any]]) -> None:
    kyiv = event_with(events_of(all_records), "e01_kyiv_air_defence_summit")
    # Zawadzki (partial name) and Zelensky/Zelenskyy (spelling) are one person each; Lithuania's bare
    # delegation in the second article is its president, named by the first.
    assert sorted(people(kyiv)) == ["Jānis Ozols", "Marek Zawadzki", "Rasa Vaitkutė", "Volodymyr Zelenskyy"]
    lithuanian = next(f for f in kyiv.facts["participants"] if f.value["name"] == "Rasa Vaitkutė")
    assert [s.article for s in lithuanian.sources] == [
        "e01_kyiv_air_defence_summit",
        "e02_kiev_summit_other_outlet",
    ]
    assert lithuanian.sources[1].evidence == "Lithuania was represented by its president"
    zelensky = next(f for f in kyiv.facts["participants"] if f.value["name"] == "Volodymyr Zelenskyy")
    assert {s.evidence for s in zelensky.sources} == {
        "Ukrainian President Volodymyr Zelensky",
        "Ukrainian President Volodymyr Zelenskyy",
    }
    # Kyiv and Kiev are one place: no disagreement, both articles as its sources.
    place = kyiv.fields["location"]
    assert place.agreed and place.majority == 0
    assert [s.evidence for s in place.values[0].sources] == ["in Kyiv", "in Kiev"]
    # Both articles' dates ("Tuesday") resolve against their publication to the same day.
    assert kyiv.fields["date"].agreed and kyiv.fields["date"].values[0].value["iso"] == "2026-06-09"
    assert kyiv.window == ("2026-06-09", "2026-06-09")


def test_sources_that_disagree_are_all_shown_with_the_majority(all_records: list[dict[str, Any]]) -> None:
    kyiv = event_with(events_of(all_records), "e01_kyiv_air_defence_summit")
    declaration = kyiv.facts["agreements"][0]
    status = declaration.claims["status"]
    assert {v.value: [s.article for s in v.sources] for v in status.values} == {
        "signed": ["e01_kyiv_air_defence_summit"],
        "planned": ["e02_kiev_summit_other_outlet"],
    }
    assert status.majority is None and not status.agreed  # one source each: no majority
    assert "agreements[0].status" in kyiv.disagreements
    # A third report saying "signed" makes it the majority.
    third = copy.deepcopy(next(r for r in all_records if r["id"] == "e01_kyiv_air_defence_summit"))
    third["id"] = "e01b_copy"
    kyiv = event_with(events_of([*all_records, third]), "e01b_copy")
    status = kyiv.facts["agreements"][0].claims["status"]
    assert status.values[status.majority or 0].value == "signed" and status.majority == 0
    assert status.values[0].articles == 2 and status.values[1].articles == 1


def test_a_trilateral_and_a_later_bilateral_in_another_city_are_two(
    all_records: list[dict[str, Any]],
) -> None:
    chosen = [r for r in all_records if r["id"] in ("e03_trilateral_tokyo", "e04_bilateral_busan")]
    for recs in (chosen, [{k: v for k, v in r.items() if k != "published"} for r in chosen]):
        # With publication dates (Wednesday and Saturday) and without (the days unknown): two cities.
        assert len(events_of(recs)) == 2


def test_a_preview_joins_its_summit_and_a_non_summit_joins_through_its_agreement(
    all_records: list[dict[str, Any]],
) -> None:
    nairobi = event_with(events_of(all_records), "e05_nairobi_preview")
    reports = {a.id: a.reports_event for a in nairobi.articles}
    assert reports == {
        "e05_nairobi_preview": True,
        "e06_nairobi_summit": True,
        "e07_rail_deal_analysis": False,
    }
    assert sorted(people(nairobi)) == ["Daniel Mwangi", "Halima Nyerere", "Joseph Okello"]
    railway = nairobi.facts["agreements"][0]
    assert {s.article for s in railway.sources} == set(reports)
    # The analysis speaks for its agreement only: not for the place, the date or the verdict.
    for claim in nairobi.fields.values():
        assert all(s.article != "e07_rail_deal_analysis" for v in claim.values for s in v.sources)
    # The preview's "September 7" and the report's "Monday" are the same day once published is known.
    assert nairobi.fields["date"].agreed


def test_a_non_summit_sharing_nothing_stays_alone(all_records: list[dict[str, Any]]) -> None:
    row = event_with(events_of(all_records), "e08_chile_peru_fishing_row")
    assert [a.id for a in row.articles] == ["e08_chile_peru_fishing_row"]
    assert row.facts["disputes"][0].value["subject"] == "maritime boundary"
    assert "location" not in row.fields  # it reports no summit: no frame


def test_every_source_span_slices_back_to_its_article(all_records: list[dict[str, Any]]) -> None:
    checked = 0
    for event in events_of(all_records):
        sources = [s for facts in event.facts.values() for f in facts for s in f.sources]
        sources += [s for c in event.fields.values() for v in c.values for s in v.sources]
        for source in sources:
            if source.span is not None:
                article = text(str(source.article))
                assert article[source.span.start : source.span.end] == source.evidence
                checked += 1
    assert checked >= 40


def test_records_sharing_nothing_are_never_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    base = records(["e03_trilateral_tokyo"])[0]
    calls: list[int] = []
    original = Summit.same_event

    def counted(self: Summit, other: Any) -> bool:
        calls.append(1)
        return original(self, other)

    monkeypatch.setattr(Summit, "same_event", counted)
    spread = []
    for n in range(300):  # one summit a month apart: no two windows overlap
        record = copy.deepcopy(base)
        record["id"] = f"r{n}"
        record["published"] = f"{2000 + n // 12:04d}-{n % 12 + 1:02d}-02"
        spread.append(record)
    assert len(events_of(spread)) == 300
    assert calls == []
    # The same records on one day: each compared with the open event it joins, not with all the others.
    for record in spread:
        record["published"] = "2026-12-02"
    assert len(events_of(spread)) == 1
    assert len(calls) < 300


def test_a_small_sort_run_spills_to_disk_and_gives_the_same_events(all_records: list[dict[str, Any]]) -> None:
    many = []
    for n in range(60):
        for record in all_records:
            copied = copy.deepcopy(record)
            copied["id"] = f"{record['id']}#{n}"
            many.append(copied)
    in_memory = [e.model_dump_json() for e in events_of(many)]
    spilled = [e.model_dump_json() for e in events_of(many, run_rows=7)]
    assert spilled == in_memory and len(in_memory) == 5  # copies of one article report one event


def test_error_records_are_counted_and_skipped(all_records: list[dict[str, Any]]) -> None:
    failed = {"id": "x", "status": "error", "error": {"type": "RefusalError", "message": "no"}}
    summary = ConsolidationSummary()
    lines = [json.dumps(r) for r in [*all_records, failed]]
    events = list(consolidate(lines, schema=Summit, summary=summary))
    assert (summary.records, summary.skipped, summary.events, summary.merged) == (9, 1, 5, 2)
    assert "x" not in {a.id for e in events for a in e.articles}


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("not json", "not JSON"),
        ('{"status": "ok"}', "a JSON object with an 'id'"),
        ('{"id": 1, "status": "ok"}', "no 'result' object"),
        ('{"id": 1, "status": "ok", "result": {"participants": 7}}', "is not a Summit"),
        ('{"id": 1, "status": "ok", "result": {}, "published": "last week"}', "YYYY-MM-DD"),
    ],
)
def test_bad_records_are_a_clear_input_error(line: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        list(consolidate([line], schema=Summit))


def deal(ident: str, parties: list[tuple[str, str]], day: str, commitment: str) -> dict[str, Any]:
    """A TradeDeal record (spans into an article of its own, as extraction writes them)."""
    return {
        "id": ident,
        "status": "ok",
        "published": day,
        "result": {
            "parties": [
                {"name": name, "span": {"start": 0, "end": len(name), "alignment": "exact", "score": 100},
                 "country_iso": {"name": name, "alpha2": code, "alpha3": None, "known": True}}
                for name, code in parties
            ],
            "is_trade_deal": True,
            "status": "signed",
            "commitments": [
                {"evidence": commitment, "party": commitment.split()[0], "kind": "tariff removal",
                 "subject": "frozen fish",
                 "span": {"start": 10, "end": 10 + len(commitment), "alignment": "exact", "score": 100}}
            ],
        },
    }  # fmt: skip


def test_tradedeal_gets_the_engine_defaults() -> None:
    recs = [
        deal(
            "a", [("Canada", "CA"), ("Chile", "CL")], "2024-05-02", "Canada removes its tariff on frozen fish"
        ),
        deal(
            "b", [("Chile", "CL"), ("Canada", "CA")], "2024-05-04", "Canada will scrap duties on frozen fish"
        ),
        deal(
            "c", [("Kenya", "KE"), ("Japan", "JP")], "2024-05-03", "Japan removes its tariff on frozen fish"
        ),
    ]
    events = list(consolidate(recs, schema=TradeDeal))
    assert clusters(events) == {frozenset({"a", "b"}), frozenset({"c"})}
    canada_chile = event_with(events, "a")
    assert canada_chile.type == "tradedeal"
    assert [f.value["name"] for f in canada_chile.facts["parties"]] == ["Canada", "Chile"]
    assert [len(f.sources) for f in canada_chile.facts["parties"]] == [2, 2]
    # The same commitment worded twice (same party, same subject) is one fact with both sources; spans
    # overlapping in two different articles say nothing (within one article they would mean one fact).
    assert len(canada_chile.facts["commitments"]) == 1
    assert [s.article for s in canada_chile.facts["commitments"][0].sources] == ["a", "b"]
