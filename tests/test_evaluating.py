"""The scorer: the generic engine with the Summit's matching rules, on hand-made predictions (no model).

The numbers pinned here are the Summit's scores from before the engine was made generic: moving the rules
into summit/_scoring.py on top of the engine changed none of them.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field

from summit_extract import Extraction, ExtractionContext, Participant, Summit, Usage
from summit_extract._evaluating import evaluate
from summit_extract.summit._scoring import (
    SUBJECT_THRESHOLD,
    GoldItem,
    GoldSummit,
    gold_status,
    load_gold,
    name_score,
    score_article,
    subject_score,
)

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset"

ARTICLE = (
    "SEOUL, May 7 (Bloomberg) -- South Korean President Yoon Suk Yeol and Japanese Prime Minister "
    "Fumio Kishida met in Seoul on Sunday. The two leaders agreed to cooperate on semiconductors and "
    "agreed that South Korean experts will inspect the Fukushima nuclear plant. The two countries remain "
    "at odds over compensation for wartime forced labour. Kishida also offered to discuss Japan joining "
    "a nuclear consultative group."
)

GOLD: dict[str, Any] = {
    "is_summit": True,
    "location": "Seoul, South Korea",
    "date": None,
    "participants": [
        {"name": "Yoon Suk Yeol", "title": "President", "country": "South Korea"},
        {"name": "Fumio Kishida", "title": "Prime Minister", "country": "Japan"},
    ],
    "agreements": [
        {"parties": ["Japan", "South Korea"], "subject": "Cooperate on chips (semiconductors)",
         "status": "agreed"},
        {
            "parties": ["Japan", "South Korea"],
            "subject": "Dispatch of a South Korean team to inspect the wrecked Fukushima nuclear plant",
            "status": "agreed",
        },
        {
            "parties": ["Japan", "South Korea"],
            "subject": "Japan may join the US-South Korea Nuclear Consultative Group",
            "status": "offered",
            "optional": True,
        },
    ],
    "disputes": [
        {
            "parties": ["South Korea", "Japan"],
            "subject": "Compensation for Koreans forced to work for Japanese companies in wartime",
            "status": "ongoing",
        }
    ],
}

PERFECT: dict[str, Any] = {
    "is_summit": True,
    "location": {"evidence": "met in Seoul", "city": "Seoul"},
    "date": {"text": "May 7"},
    "participants": [
        {"evidence": "President Yoon Suk Yeol", "name": "Yoon Suk Yeol", "title": "President",
         "country": "South Korea"},
        {"evidence": "Prime Minister Fumio Kishida", "name": "Fumio Kishida", "title": "Prime Minister",
         "country": "Japan"},
    ],
    "agreements": [
        {"evidence": "agreed to cooperate on semiconductors", "parties": ["South Korea", "Japan"],
         "subject": "semiconductor cooperation", "kind": "technology", "status": "agreed"},
        {"evidence": "South Korean experts will inspect the Fukushima nuclear plant",
         "parties": ["South Korea", "Japan"],
         "subject": "inspection of the Fukushima nuclear plant by Korean experts",
         "kind": "environment", "status": "agreed"},
    ],
    "disputes": [
        {"evidence": "at odds over compensation for wartime forced labour",
         "parties": ["South Korea", "Japan"], "subject": "compensation for wartime forced labor",
         "status": "ongoing"},
    ],
}


def summit(data: dict[str, Any], text: str = ARTICLE, *, finalize: bool = True) -> Summit:
    """A prediction validated and finalized like the library does, so its evidence gets spans."""
    context = ExtractionContext(text)
    value = Summit.model_validate(data, context=context)
    if not finalize:  # as a baseline would return it: no check of the verdict against the facts
        return value
    value.finalize(context)
    if not value.reports_event():
        value.clear_event()
    return value


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(base)), **changes}


@pytest.fixture
def devset(tmp_path: Path) -> Path:
    """A one-article dev set holding ARTICLE and GOLD."""
    (tmp_path / "articles").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "articles" / "seoul.txt").write_text(ARTICLE)
    (tmp_path / "gold" / "seoul.json").write_text(json.dumps(GOLD))
    return tmp_path


def score(pred: dict[str, Any] | Summit, gold: dict[str, Any] = GOLD) -> Any:
    value = pred if isinstance(pred, Summit) else summit(pred)
    return score_article("a", GoldSummit.model_validate(gold), value)


# --- whole-article scores -----------------------------------------------------------------------

def test_perfect_prediction_scores_one(devset: Path) -> None:
    report = evaluate(devset, predictions={"seoul": summit(PERFECT)})
    assert report.fields() == {
        "is_summit": 1.0, "location": 1.0, "date": 1.0,
        "participants_f1": 1.0, "agreements_f1": 1.0, "disputes_f1": 1.0,
    }
    assert report.macro == 1.0
    assert report.ungrounded == 0  # every item's evidence was found in the article
    assert report.failures == 0


def test_invented_participant_lowers_precision_only() -> None:
    pred = summit(PERFECT)
    # The library's validators refuse a name absent from the article; a baseline has no such check.
    pred.participants.append(Participant.model_construct(
        evidence="", name="Joe Biden", title="President", country="US", country_iso=None, span=None
    ))
    result = score(pred)
    assert (result.participants.tp, result.participants.fp, result.participants.fn) == (2, 1, 0)
    assert result.participants.precision == pytest.approx(2 / 3)
    assert result.participants.recall == 1.0


def test_missing_participant_lowers_recall_only() -> None:
    # Finalized, one participant would overrule the summit verdict: score the bare prediction.
    result = score(summit(with_(PERFECT, participants=PERFECT["participants"][:1]), finalize=False))
    assert (result.participants.tp, result.participants.fp, result.participants.fn) == (1, 0, 1)
    assert result.participants.precision == 1.0


def test_optional_gold_item_neither_helps_nor_hurts() -> None:
    offer = {"evidence": "Kishida also offered to discuss Japan joining a nuclear consultative group",
             "parties": ["Japan"], "subject": "Japan joining the Nuclear Consultative Group",
             "kind": "security", "status": "offered"}
    without = score(PERFECT).agreements
    with_offer = score(with_(PERFECT, agreements=[*PERFECT["agreements"], offer]))
    assert (without.tp, without.fp, without.fn) == (2, 0, 0)  # missing the optional item costs nothing
    assert with_offer.agreements == without  # finding it gains nothing and is no false positive
    assert any(m[0] == "agreement" and "Consultative" in m[1] for m in with_offer.matches)


def test_unrelated_extra_agreement_is_a_false_positive() -> None:
    trade = {"evidence": "The two leaders agreed", "parties": ["Japan", "South Korea"],
             "subject": "tariff reductions on beef", "kind": "trade", "status": "agreed"}
    result = score(with_(PERFECT, agreements=[*PERFECT["agreements"], trade]))
    assert (result.agreements.tp, result.agreements.fp, result.agreements.fn) == (2, 1, 0)


def test_one_prediction_matches_one_gold_item() -> None:
    chips = PERFECT["agreements"][0]
    result = score(with_(PERFECT, agreements=[chips, chips]))
    assert (result.agreements.tp, result.agreements.fp, result.agreements.fn) == (1, 1, 1)


def test_a_matched_finding_is_counted_as_having_gold_s_status_or_not() -> None:
    right = score(PERFECT)
    assert (right.agreements.tp, right.agreements.agreeing, right.disputes.agreeing) == (2, 2, 1)
    chips, plant = PERFECT["agreements"]
    wrong = score(summit(with_(PERFECT, agreements=[{**chips, "status": "proposed"}, plant]), finalize=False))
    assert (wrong.agreements.tp, wrong.agreements.agreeing) == (2, 1)  # still matched, status wrong
    assert wrong.agreements.agreement == 0.5
    assert wrong.agreements.to_dict()["agreeing"] == 1


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("planned ('will sign')", "planned"),
        ("signed, then rejected by the European Parliament", "signed"),
        ("ongoing deadlock; talks have failed", "ongoing"),
        ("adopted; not endorsed by Iraq", "agreed"),
        ("background", None),
        (None, None),
    ],
)
def test_a_gold_status_written_as_free_text_is_read_as_its_first_status(
    written: str | None, status: str | None
) -> None:
    assert gold_status(written) == status


def test_negative_article_scores_right_when_no_summit_is_found() -> None:
    gold = {
        "is_summit": False, "location": None, "date": None, "participants": [], "agreements": [],
        "disputes": [{"parties": ["Japan", "South Korea"], "status": "ongoing",
                      "subject": "compensation for wartime forced labour"}],
    }
    # The model answers "no summit" and lists no one (a "no" beside two named leaders would be overruled;
    # so would one where the article says two leaders met, hence a call here).
    by_phone = ARTICLE.replace("met in Seoul", "spoke by phone")
    answer = with_(PERFECT, is_summit=False, participants=[], agreements=[])
    right = score(summit(answer, by_phone), gold)
    assert right.is_summit and right.location and right.date  # the frame is cleared: no location, no date
    assert right.participants.f1 == 1.0 and right.agreements.f1 == 1.0 and right.disputes.f1 == 1.0

    wrong = score(PERFECT, gold)
    assert not wrong.is_summit and not wrong.location
    assert wrong.participants.fp == 2 and wrong.participants.precision == 0.0
    assert wrong.agreements.fp == 2


def test_extraction_error_is_a_failure_and_the_run_goes_on(devset: Path, tmp_path: Path) -> None:
    (devset / "articles" / "other.txt").write_text("BROKEN " + ARTICLE)
    (devset / "gold" / "other.json").write_text(json.dumps(GOLD))

    def extract(text: str, published: str | None) -> Summit:
        if text.startswith("BROKEN"):
            raise RuntimeError("model fell over")
        return summit(PERFECT)

    report = evaluate(devset, extract_fn=extract, out_dir=tmp_path / "out")
    other, seoul = report.articles  # gold files are read in name order
    assert seoul.error is None and seoul.participants.f1 == 1.0
    assert other.error == "RuntimeError: model fell over"
    assert not other.is_summit and not other.location and not other.date
    assert (other.participants.fn, other.agreements.fn, other.disputes.fn) == (2, 2, 1)
    assert report.failures == 1
    assert report.participants.recall == 0.5
    lines = [json.loads(line) for line in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()]
    assert [(r["article"], r["prediction"] is None) for r in lines] == [("other", True), ("seoul", False)]
    assert lines[1]["prediction"]["participants"][0]["name"] == "Yoon Suk Yeol"


def test_extraction_result_reports_seconds_tokens_and_flagged(devset: Path) -> None:
    value = summit(PERFECT)
    flagged = value.participants[0]
    result = Extraction(
        value=value, usage=Usage(1000, 200), attempts=2, model="m", backend="b", seconds=4.5,
        flagged=[flagged],
    )
    report = evaluate(devset, extract_fn=lambda text, published: result)
    assert report.articles[0].seconds == 4.5
    assert report.tokens_per_article == 1200
    assert report.ungrounded == 1


def test_values_without_evidence_count_as_ungrounded() -> None:
    bare = Summit.model_validate(PERFECT)  # no article in the context: nothing is aligned
    assert score(bare).ungrounded == 1 + 1 + 2 + 2 + 1  # location, date, participants, agreements, disputes


def test_baseline_values_all_count_as_ungrounded() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    baseline = importlib.import_module("baseline")

    raw = baseline.BaselineSummit(
        is_summit=True, location="Seoul", date="May 7, 2023",
        participants=[baseline.BaselineParticipant(name="Yoon", title="President", country="South Korea")],
        agreements=[baseline.BaselineItem(parties=["Japan"], subject="chip cooperation", status="done")],
        disputes=[],
    )
    result = score(baseline.to_summit(raw))
    assert result.ungrounded == 4
    assert not result.date  # the baseline's invented year makes a full date the gold does not have
    assert result.location and result.participants.tp == 1 and result.agreements.tp == 1


# --- matching rules -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("Fumio Kishida", "Kishida"),
        ("Yoon Suk Yeol", "Yoon"),  # family name first
        ("George W. Bush", "George Bush"),
        ("Roh Moo-hyun", "Roh Moo Hyun"),
        ("Luiz Inácio Lula da Silva", "Luiz Inacio Lula da Silva"),
        ("Muammar Ghadafi", "Moammar Gadhafi"),
        ("Bashar al-Assad", "Assad"),
    ],
)
def test_names_that_match(gold: str, predicted: str) -> None:
    assert name_score(gold, predicted) > 0


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("George W. Bush", "Laura Bush"),
        ("Paul Martin", "Martin Luther"),
        ("Fumio Kishida", "Yoshihide Kishida"),  # same surname, another person
        ("Shinzo Abe", "Wen Jiabao"),
        ("Bashar al-Assad", "al"),
    ],
)
def test_names_that_do_not_match(gold: str, predicted: str) -> None:
    assert name_score(gold, predicted) == 0


def test_delegations_match_on_country() -> None:
    gold = with_(GOLD, participants=[
        {"name": None, "title": "Head of state", "country": "Peru"},
        {"name": None, "title": "Observer", "country": "Mexico", "optional": True},
    ])
    pred = with_(PERFECT, participants=[
        {"evidence": "Seoul", "name": None, "country": "Peru"},
        {"evidence": "Seoul", "name": None, "country": "Mexico"},
        {"evidence": "Seoul", "name": None, "country": "Chile"},
    ])
    result = score(pred, gold)
    assert (result.participants.tp, result.participants.fp, result.participants.fn) == (1, 1, 0)


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("Cooperate on chips (semiconductors)", "semiconductor cooperation"),
        ("Cooperate on North Korea (security challenges posed by Pyongyang)",
         "security cooperation on North Korea"),
        ("Implement the deal meant to heal the rift over compensation for wartime forced labour",
         "forced labor compensation"),
        ("Agreement on counter-terrorism cooperation", "counterterrorism pact"),
        ("Blueprint for the ASEAN Charter (making resolutions binding)", "ASEAN Charter"),
    ],
)
def test_paraphrased_subjects_match(gold: str, predicted: str) -> None:
    item = GoldItem(parties=["Japan", "South Korea"], subject=gold)
    assert subject_score(item, predicted, ["Japan", "South Korea"]) >= SUBJECT_THRESHOLD


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("Cooperate on chips (semiconductors)", "trade"),
        ("Cooperate on chips (semiconductors)", "chip export controls"),
        ("Japan's plan to release treated radioactive water from the Fukushima plant", "Japan"),
        ("Dispatch of a South Korean team to inspect the Fukushima plant", "nuclear weapons program"),
        ("Cooperate on North Korea (security challenges posed by Pyongyang)", "cooperation"),
    ],
)
def test_unrelated_subjects_do_not_match(gold: str, predicted: str) -> None:
    item = GoldItem(parties=["Japan", "South Korea"], subject=gold)
    assert subject_score(item, predicted, ["Japan", "South Korea"]) < SUBJECT_THRESHOLD


def test_location_matches_by_containment_either_way() -> None:
    assert score(PERFECT).location  # "Seoul" inside gold "Seoul, South Korea"
    city_and_country = with_(
        PERFECT, location={"evidence": "SEOUL", "city": "Seoul", "country": "South Korea"}
    )
    assert score(city_and_country, with_(GOLD, location="Seoul")).location
    assert not score(with_(PERFECT, location={"evidence": "Japanese", "country": "Japan"})).location
    assert not score(with_(PERFECT, location=None)).location


def test_null_gold_date_needs_no_full_date() -> None:
    assert score(PERFECT).date  # "May 7" read without a year: no full date, as the gold says
    invented_year = with_(PERFECT, date={"text": "May 7"})
    invented = summit(invented_year)
    assert invented.date is not None
    invented.date.year, invented.date.iso = 2023, "2023-05-07"
    assert not score(invented).date
    assert score(invented, with_(GOLD, date="2023-05-07")).date


# --- reports and the dev set --------------------------------------------------------------------

def test_report_renders_markdown_and_json(devset: Path) -> None:
    report = evaluate(devset, predictions={"seoul": summit(PERFECT)}, label="hand-made")
    md = report.to_markdown()
    assert "# Evaluation: hand-made" in md
    assert "| **macro** (mean of the six below) | **1.000** |" in md
    assert "| seoul | true→true ✓ | ✓ | ✓ | 2/0/0 | 2/0/0 | 1/0/0 | 0 |" in md
    data = json.loads(report.to_json())
    assert data["aggregate"]["macro"] == 1.0
    assert data["aggregate"]["agreements"] == {"tp": 2, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0,
                                               "f1": 1.0, "agreeing": 2, "agreement": 1.0}
    assert data["articles"][0]["article"] == "seoul"


def test_missing_prediction_is_a_failure(devset: Path) -> None:
    report = evaluate(devset, predictions={})
    assert report.failures == 1 and report.macro == 0.0


def test_shipped_devset_is_complete_and_parses() -> None:
    gold = sorted(p.stem for p in (DEVSET / "gold").glob("*.json"))
    articles = sorted(p.stem for p in (DEVSET / "articles").glob("*.txt"))
    assert gold == articles and len(gold) == 12
    negatives = [s for s in gold if not load_gold(DEVSET / "gold" / f"{s}.json").is_summit]
    assert len(negatives) == 4
    sources = (DEVSET / "SOURCES.md").read_text()
    assert all(f"{s}.txt" in sources for s in gold)


def test_parties_compare_as_iso_codes() -> None:
    item = GoldItem(parties=["United States", "China"], subject="US curbs on chip equipment sales to China")
    same = subject_score(item, "curbs on chip equipment sales", ["U.S.", "People's Republic of China"])
    other = subject_score(item, "curbs on chip equipment sales", ["Japan", "South Korea"])
    assert same - other == pytest.approx(0.15)  # the party term: full overlap against none


# --- the generic engine -------------------------------------------------------------------------

def test_report_keeps_the_keys_the_quality_benchmark_reads(devset: Path) -> None:
    value = summit(PERFECT)
    result = Extraction(
        value=value, usage=Usage(1000, 200), attempts=3, model="m", backend="b", seconds=4.5,
        requests={"frame": 1, "agreements": 1, "disputes": 1},
    )
    report = evaluate(devset, extract_fn=lambda text, published: result, schema=Summit)
    aggregate = report.to_dict()["aggregate"]
    for key in ("macro", "is_summit", "location", "date", "ungrounded_kept", "failures", "articles",
                "seconds_per_article", "tokens_per_article"):
        assert key in aggregate, key
    assert set(aggregate["participants"]) == {"f1", "precision", "recall", "tp", "fp", "fn"}
    for name in ("agreements", "disputes"):  # and how many matched findings have gold's status
        rates = {"f1", "precision", "recall", "tp", "fp", "fn", "agreeing", "agreement"}
        assert set(aggregate[name]) == rates
    assert aggregate["requests_per_article"] == 3
    assert aggregate["prompt_tokens_per_article"] == 1000
    assert aggregate["completion_tokens_per_article"] == 200
    (article,) = report.articles
    assert (article.article, article.is_summit, article.participants.f1, article.agreements.f1) == (
        "seoul", True, 1.0, 1.0)
    assert (article.disputes.f1, article.ungrounded, article.seconds, article.tokens, article.error) == (
        1.0, 0, 4.5, 1200, None)
    assert article.requests == 3 and article.gold_is_summit is True
    assert "| requests per article | 3 |" in report.to_markdown()


def test_the_engine_scores_any_article_type_with_its_declared_rules(tmp_path: Path) -> None:
    from pydantic import BaseModel

    from summit_extract import Document, Grounded
    from summit_extract._evaluating import ListRule, Scoring

    class Fact(Grounded):
        evidence: str
        what: str

    class GoldNote(BaseModel):
        urgent: bool
        facts: list[dict[str, Any]] = []

    class NoteScoring(Scoring):
        gold = GoldNote
        accuracy: ClassVar[dict[str, Any]] = {"urgent": lambda gold, note: gold.urgent == note.urgent}
        lists: ClassVar[dict[str, ListRule]] = {
            "facts": ListRule(
                lambda g, p: float(g["what"] == p.what),
                threshold=1.0,
                gold_label=lambda g: g["what"],
                optional=lambda g: g.get("optional", False),
            )
        }

    class Note(Document):
        urgent: bool = False
        facts: list[Fact] = Field(default_factory=list)

    Note.scoring = NoteScoring()
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "n1.json").write_text(json.dumps(
        {"urgent": True, "facts": [{"what": "leak"}, {"what": "fire"}, {"what": "smoke", "optional": True}]}
    ))
    text = "There is a leak and smoke."
    note = Note.model_validate(
        {
            "urgent": True,
            "facts": [
                {"evidence": "a leak", "what": "leak"},
                {"evidence": "smoke", "what": "smoke"},
                {"evidence": "There is", "what": "flood"},
            ],
        },
        context=ExtractionContext(text),
    )
    report = evaluate(tmp_path, schema=Note, predictions={"n1": note}, label="notes")
    assert report.fields() == {"urgent": 1.0, "facts_f1": pytest.approx(0.5)}
    assert report.facts == report.counts("facts")
    assert (report.facts.tp, report.facts.fp, report.facts.fn) == (1, 1, 1)  # smoke: optional, not counted
    assert report.urgent_accuracy == 1.0 and report.macro == pytest.approx(0.75)
    md = report.to_markdown()
    assert "| **macro** (mean of the two below) | **0.750** |" in md
    assert "| n1 | ✓ | 1/1/1 | 0 |" in md
    # Named by the rule's labels: the gold's own, the prediction's Grounded.label() (its evidence here).
    assert report.articles[0].matches == [("facts", "leak", "a leak", 1.0), ("facts", "smoke", "smoke", 1.0)]


def test_a_type_without_scoring_rules_is_a_configuration_error(devset: Path) -> None:
    from pydantic import BaseModel

    from summit_extract import ConfigurationError

    class Plain(BaseModel):
        x: int = 0

    with pytest.raises(ConfigurationError, match="declares no scoring rules"):
        evaluate(devset, schema=Plain, predictions={})


def test_the_engine_imports_no_article_type() -> None:
    import ast

    import summit_extract._evaluating as engine

    tree = ast.parse(Path(engine.__file__).read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [m for m in imported if m.split(".")[-1] in ("summit", "tradedeal")], imported
    source = Path(engine.__file__).read_text()
    assert "Summit" not in source and "TradeDeal" not in source
