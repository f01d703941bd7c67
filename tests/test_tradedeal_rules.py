"""The TradeDeal article type's hooks, one by one, on hand-made answers (no model, no cassette).

It is built only on the engine's public hooks; these tests also check that the engine never names it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ExtractionContext, TradeDeal, article_types
from summit_extract._aligning import contains
from summit_extract._evaluating import evaluate
from summit_extract.tradedeal import GoldTradeDeal
from summit_extract.tradedeal._passes import EXAMPLE, PASSES
from summit_extract.tradedeal._scoring import GoldCommitment, commitment_score, subject_score

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset_tradedeal"

TEXT = (
    "March 4, 2025\n\nSANTIAGO — Chile and Canada signed a trade deal on Tuesday. Canada will remove its 6% "
    "tariff on Chilean wine. Chile will cut its duty on Canadian pork from 12% to 4%. Chilean dairy farmers "
    "feared competition from Canadian cheese."
)

ANSWER: dict[str, Any] = {
    "parties": [{"name": "Chile"}, {"name": "Canada"}, {"name": "chile"}],
    "name": None,
    "signing_date": {"text": "Tuesday"},
    "status": "signed",
    "is_trade_deal": True,
    "commitments": [
        {
            "evidence": "Canada will remove its 6% tariff on Chilean wine",
            "party": "canada",
            "kind": "tariff removal",
            "subject": "Chilean wine",
        },
        {
            "evidence": "Chile will cut its duty on Canadian pork from 12% to 4%",
            "party": "Chile",
            "kind": "tariff cut",
            "subject": "Canadian pork",
            "detail": "from 12% to 4%",
        },
    ],
    "concerns": [
        {
            "evidence": "Chilean dairy farmers feared competition from Canadian cheese",
            "subject": "competition from Canadian cheese",
            "raised_by": "Chilean dairy farmers",
        },
    ],
}


def finished(data: dict[str, Any], text: str = TEXT) -> TradeDeal:
    """Validated against the text, finalized and cleared as the pipeline does (dateline: March 4, 2025)."""
    import datetime as dt

    context = ExtractionContext(text, published=dt.date(2025, 3, 4), published_from="dateline")
    deal = TradeDeal.model_validate(data, context=context)
    deal.finalize(context)
    if not deal.reports_event():
        deal.clear_event()
    return deal


def test_registered_by_name_with_its_passes_and_rules() -> None:
    assert article_types()["tradedeal"] is TradeDeal
    assert [p.name for p in PASSES] == ["frame", "commitments", "concerns"]
    assert TradeDeal.scoring is not None and set(TradeDeal.scoring.lists) == {
        "parties",
        "commitments",
        "concerns",
    }


def test_the_worked_example_is_invented_and_its_evidence_copied_from_it() -> None:
    deal = TradeDeal.model_validate(EXAMPLE.answer, context=ExtractionContext(EXAMPLE.text))
    for item in [*deal.parties, *deal.commitments, *deal.concerns]:
        assert item.span is not None and item.span.alignment == "exact", item
    dev_texts = [p.read_text() for p in (DEVSET / "articles").glob("*.txt")]
    assert dev_texts and not any(contains(t, EXAMPLE.text[:80]) for t in dev_texts)
    assert not any(w in EXAMPLE.text for w in ("Chile", "Kenya", "Indonesia"))


def test_finalize_merges_parties_and_normalizes_them_to_iso() -> None:
    deal = finished(ANSWER)
    assert [(p.name, p.country_iso and p.country_iso.alpha3) for p in deal.parties] == [
        ("Chile", "CHL"),
        ("Canada", "CAN"),
    ]
    assert [c.party for c in deal.commitments] == ["Canada", "Chile"]  # "canada" as its ISO name
    assert (
        deal.signing_date is not None and deal.signing_date.iso == "2025-03-04"
    )  # Tuesday, from the dateline
    assert deal.is_trade_deal and deal.reports_event()
    for item in [*deal.parties, *deal.commitments, *deal.concerns]:
        assert item.span is not None and TEXT[item.span.start : item.span.end] == item.evidence_text()


def test_one_party_is_no_deal_and_the_frame_is_cleared_but_not_the_findings() -> None:
    deal = finished({**ANSWER, "parties": [{"name": "Chile"}]})
    assert not deal.is_trade_deal
    assert deal.is_trade_deal_reason == "fewer than two parties to the deal were found in the article"
    assert deal.parties == [] and deal.status is None and deal.signing_date is None  # event_fields
    assert len(deal.commitments) == 2 and len(deal.concerns) == 1  # findings are kept


def test_chunks_merge_by_the_types_own_same_item_rules() -> None:
    first = finished(ANSWER)
    second = finished(
        {
            **ANSWER,
            "commitments": [
                {
                    "evidence": "remove its 6% tariff on Chilean wine",
                    "party": "Canada",
                    "kind": "tariff removal",
                    "subject": "Chilean wine",
                }
            ],
        }
    )
    merged = TradeDeal.merge_chunks([first, second])
    assert [p.name for p in merged.parties] == ["Chile", "Canada"]
    assert [c.subject for c in merged.commitments] == [
        "Chilean wine",
        "Canadian pork",
    ]  # overlapping evidence
    assert first.parties[0].same_item(second.parties[0])
    assert not first.commitments[0].same_item(first.commitments[1])


def test_forged_library_fields_are_discarded() -> None:
    forged = {
        **ANSWER,
        "is_trade_deal_reason": "forged",
        "parties": [{"name": "Chile", "country_iso": {"name": "X", "known": True}}, {"name": "Canada"}],
    }
    deal = finished(forged)
    assert deal.is_trade_deal_reason is None
    assert deal.parties[0].country_iso is not None and deal.parties[0].country_iso.alpha3 == "CHL"


@pytest.mark.parametrize(
    ("gold", "predicted", "matches"),
    [
        ("removal of the tariff on Chilean wine", "Chilean wine", True),
        ("duty on Canadian pork cut", "Canadian pork", True),
        ("duty-free quota for Chilean blueberries", "Chilean blueberries", True),
        ("removal of the tariff on Chilean wine", "Canadian pork", False),
        ("competition from Canadian cheese", "Chilean dairy farmers", False),
    ],
)
def test_subjects_match_by_meaning(gold: str, predicted: str, matches: bool) -> None:
    assert (subject_score(gold, predicted) >= 0.5) is matches


def test_a_commitment_weighs_its_party_as_an_iso_code() -> None:
    class Pred:
        subject = "Chilean wine"
        party = "Canada"

    gold = GoldCommitment(party="CAN", subject="removal of the tariff on Chilean wine")
    other = GoldCommitment(party="Chile", subject="removal of the tariff on Chilean wine")
    assert commitment_score(gold, Pred()) - commitment_score(other, Pred()) == pytest.approx(0.2)


def test_a_perfect_prediction_of_the_dev_set_scores_one() -> None:
    # The gold itself, written as answers, validates against each article and scores 1 everywhere.
    predictions = {}
    for path in sorted((DEVSET / "gold").glob("*.json")):
        gold = GoldTradeDeal.model_validate_json(path.read_text())
        text = (DEVSET / "articles" / f"{path.stem}.txt").read_text()
        deal = TradeDeal.model_construct(
            parties=[],
            commitments=[],
            concerns=[],
            is_trade_deal=gold.is_trade_deal,
            status=gold.status,
            signing_date=None,
            name=gold.name,
        )
        predictions[path.stem] = deal
        assert gold.parties == [] or all(contains(text, p) for p in gold.parties)
    report = evaluate(DEVSET, schema=TradeDeal, predictions=predictions)
    assert report.fields()["is_trade_deal"] == 1.0 and report.fields()["status"] == 1.0
    assert report.parties.fn == 4 and report.commitments.fn == 8 and report.concerns.fn == 6
    assert "| article | is_trade_deal gold→pred | status gold→pred | date |" in report.to_markdown()


def test_the_engine_never_names_an_article_type() -> None:
    engine = [p for p in (ROOT / "summit_extract").glob("_*.py") if p.name != "__init__.py"]
    assert len(engine) > 10
    named = {p.name for p in engine if re.search(r"TradeDeal|tradedeal", p.read_text())}
    assert named == set(), named


def test_the_gold_files_parse_and_have_their_articles() -> None:
    gold = sorted(p.stem for p in (DEVSET / "gold").glob("*.json"))
    assert gold == sorted(p.stem for p in (DEVSET / "articles").glob("*.txt")) and len(gold) == 3
    for stem in gold:
        data = json.loads((DEVSET / "gold" / f"{stem}.json").read_text())
        words = len((DEVSET / "articles" / f"{stem}.txt").read_text().split())
        assert 140 <= words <= 260, (stem, words)
        assert GoldTradeDeal.model_validate(data).is_trade_deal is (stem != "indonesia_australia")
