"""Glossing: subjects the model copied from a non-English article come back in English, evidence untouched.

Which labels are glossed, and what a failed gloss request leaves, are tested against the fake server (the
faults a real server will not produce on demand); what the embedded model makes of a German article is
replayed from its recording (``cassettes/test_glossing``).
"""

from __future__ import annotations

from typing import Any

import pytest

from summit_extract import Backend, ExtractionContext, Summit, extract_result
from summit_extract._glossing import apply, plan_gloss
from summit_extract._language import detect_language
from summit_extract._planning import plan_article
from tests.fake_openai import FakeOpenAI, ok, status
from tests.paths import ROOT

GERMAN = (ROOT / "benchmarks" / "tuning" / "articles" / "t04_de_prag_bahn_temelin.txt").read_text(
    encoding="utf-8"
)

#: An answer to the German article's passes as the embedded model writes them: subjects copied from it.
GERMAN_ANSWER: dict[str, Any] = {
    "participants": [
        {
            "evidence": "Der österreichische Bundeskanzler Markus Feldner",
            "name": "Markus Feldner",
            "title": "Bundeskanzler",
            "country": "Österreich",
        },
        {
            "evidence": "tschechischen Ministerpräsidenten Pavel Dvořák",
            "name": "Pavel Dvořák",
            "title": "Ministerpräsident",
            "country": "Tschechien",
        },
    ],
    "location": {"evidence": "in Prag", "city": "Prag", "venue": None, "country": None},
    "date": {"text": "am Freitag"},
    "name": None,
    "host_country": "Tschechien",
    "is_summit": True,
    "agreements": [
        {
            "evidence": "unterzeichneten ein Abkommen über den Ausbau der Bahnstrecke zwischen Wien und Prag",
            "subject": "Ausbau der Bahnstrecke zwischen Wien und Prag",
            "status": "signed",
        },
        {
            "evidence": "vereinbarten sie eine engere Zusammenarbeit ihrer Grenzpolizeien",
            "subject": "engere Zusammenarbeit ihrer Grenzpolizeien",
            "status": "agreed",
        },
    ],
    "disputes": [
        {
            "evidence": "Streit über das tschechische Atomkraftwerk Temelín",
            "subject": "Atomkraftwerk Temelín",
            "status": "ongoing",
        }
    ],
    "statements": [],
}

FRENCH = (ROOT / "benchmarks" / "tuning" / "articles" / "t07_fr_egee_survol.txt").read_text(encoding="utf-8")

ENGLISH = (
    "PRAGUE - Austrian Chancellor Markus Feldner met Czech Prime Minister Pavel Dvořák in Prague on Friday. "
    "The two leaders signed an agreement to extend the railway between Vienna and Prague."
)


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI(latency=0.0) as server:
        yield server


def _settled(text: str, answer: dict[str, Any]) -> Summit:
    """The article's Summit as validation and grounding make it from ``answer``."""
    return Summit.model_validate(answer, context=ExtractionContext(text))


def test_every_subject_of_an_article_not_in_english_is_glossed_and_none_of_an_english_one(
    srv: FakeOpenAI,
) -> None:
    backend = srv.backend()
    plan = plan_article(GERMAN, Summit, backend=backend)
    value = _settled(GERMAN, GERMAN_ANSWER)
    gloss = plan_gloss(plan, value)
    assert gloss is not None
    labels = [item.label() for item in gloss.items]
    assert labels == [
        "Ausbau der Bahnstrecke zwischen Wien und Prag",
        "engere Zusammenarbeit ihrer Grenzpolizeien",
        "Atomkraftwerk Temelín",
    ]
    # The request lists those phrases and asks for exactly as many back.
    assert "Atomkraftwerk Temelín" in gloss.call.messages[-1]["content"]
    schema = gloss.call.schema.model_json_schema()
    assert schema["properties"]["english"]["minItems"] == schema["properties"]["english"]["maxItems"] == 3
    english_plan = plan_article(ENGLISH, Summit, backend=backend)
    english_answer = {
        **GERMAN_ANSWER,
        "agreements": [
            {
                "evidence": "signed an agreement to extend the railway between Vienna and Prague",
                "subject": "Ausbau der Bahnstrecke",  # copied wrong, but the article is English: left alone
                "status": "signed",
            }
        ],
        "disputes": [],
        "participants": [],
        "location": None,
        "date": None,
    }
    assert plan_gloss(english_plan, _settled(ENGLISH, english_answer)) is None


def test_a_half_translated_subject_that_reads_as_english_is_glossed(srv: FakeOpenAI) -> None:
    # What the embedded model wrote for a French article (benchmarks/tuning, t07): English words around
    # the article's own, which a language detector reads as English.
    half = "survol of islands of the mer Égée"
    assert detect_language(half) == "en"
    answer = {
        **GERMAN_ANSWER,
        "participants": [],
        "location": None,
        "date": None,
        "is_summit": False,
        "agreements": [],
        "disputes": [
            {
                "evidence": "le survol de plusieurs îles de la mer Égée par des avions de chasse turcs",
                "subject": half,
                "status": "ongoing",
            }
        ],
    }
    value = _settled(FRENCH, answer)
    gloss = plan_gloss(plan_article(FRENCH, Summit, backend=srv.backend()), value)
    assert gloss is not None
    assert [item.label() for item in gloss.items] == [half]
    apply(gloss, gloss.call.schema.model_validate({"english": ["overflight of islands in the Aegean Sea"]}))
    assert value.disputes[0].subject == "overflight of islands in the Aegean Sea"
    assert value.disputes[0].evidence == answer["disputes"][0]["evidence"]


def test_a_gloss_replaces_each_subject_and_never_the_evidence(srv: FakeOpenAI) -> None:
    english = ["extension of the Vienna-Prague railway", "closer border police cooperation", "Temelín plant"]
    srv.script(*(ok(GERMAN_ANSWER, fit=True) for _ in range(3)), ok({"english": english}))
    got = extract_result(GERMAN, Summit, backend=srv.backend())
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "gloss": 1}
    assert [a.subject for a in got.value.agreements] == english[:2]
    assert [d.subject for d in got.value.disputes] == english[2:]
    findings = [*got.value.agreements, *got.value.disputes]
    assert [f.evidence for f in findings] == [
        *(a["evidence"] for a in GERMAN_ANSWER["agreements"]),
        *(d["evidence"] for d in GERMAN_ANSWER["disputes"]),
    ]
    assert all(f.span and GERMAN[f.span.start : f.span.end] == f.evidence for f in findings)
    # The gloss request carries the three phrases and asks for exactly three back.
    asked = srv.requests[-1]
    assert "Ausbau der Bahnstrecke zwischen Wien und Prag" in asked["messages"][-1]["content"]
    assert "Wien" not in asked["messages"][0]["content"]  # no article in the gloss request


def test_no_answer_to_a_gloss_changes_nothing(srv: FakeOpenAI) -> None:
    backend = srv.backend()
    value = _settled(GERMAN, GERMAN_ANSWER)
    gloss = plan_gloss(plan_article(GERMAN, Summit, backend=backend), value)
    assert gloss is not None
    apply(gloss, None)
    assert value.disputes[0].subject == "Atomkraftwerk Temelín"


def test_a_failed_gloss_request_keeps_every_finding_as_the_model_wrote_it(srv: FakeOpenAI) -> None:
    # Three passes answered, then the gloss refused (a permanent error, not retried).
    srv.script(*(ok(GERMAN_ANSWER, fit=True) for _ in range(3)), status(400))
    got = extract_result(GERMAN, Summit, backend=srv.backend())
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "gloss": 1}
    assert [a.subject for a in got.value.agreements] == [
        "Ausbau der Bahnstrecke zwischen Wien und Prag",
        "engere Zusammenarbeit ihrer Grenzpolizeien",
    ]
    assert [d.subject for d in got.value.disputes] == ["Atomkraftwerk Temelín"]


@pytest.mark.vcr
def test_subjects_of_a_german_article_come_out_in_english(local_backend: Backend) -> None:
    got = extract_result(GERMAN, Summit, backend=local_backend)
    summit = got.value
    assert got.requests.get("gloss") == 1
    assert summit.agreements and summit.disputes
    for finding in [*summit.agreements, *summit.disputes]:
        assert detect_language(finding.subject) == "en", finding.subject
        # the evidence is still the article's own words
        assert finding.span is not None
        assert GERMAN[finding.span.start : finding.span.end] == finding.evidence
    subjects = " ".join(f.subject for f in summit.agreements).lower()
    assert "rail" in subjects
    assert "temelín" in summit.disputes[0].subject.lower()
