"""Citing: a finding no sentence holds in its words is placed by the model, by the sentence's number.

Which findings are asked about, what a cited number does and when it is refused, and what a failed
request leaves, are tested against the fake server; what the embedded model cites on a Spanish article
is replayed from its recording (``cassettes/test_citing``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from summit_extract import (
    Agreement,
    Backend,
    Dispute,
    ExtractionContext,
    Summit,
    aextract_result,
    extract_result,
)
from summit_extract._citing import MAX_CHARS, apply, plan_cite
from summit_extract._extracting import assemble
from summit_extract._locating import echoes_example
from summit_extract._planning import plan_article
from tests.fake_openai import FakeOpenAI, ok, status
from tests.paths import ROOT

TUNING = ROOT / "benchmarks" / "tuning" / "articles"
SPANISH = (TUNING / "t03_es_lima_chile_peru.txt").read_text(encoding="utf-8")
KOREAN = (TUNING / "t05_ko_seoul_vietnam.txt").read_text(encoding="utf-8")

#: The second paragraph's first sentence, which states the visa agreement in Spanish.
VISA_SENTENCE = (
    "Ambos mandatarios firmaron un acuerdo para interconectar las redes eléctricas de los dos países y "
    "acordaron eliminar el visado para estudiantes universitarios."
)

#: An answer as the embedded model writes it for the Spanish article: one finding copied, one told in
#: English words close to the article's (sentence grounding places it), one translated (it cannot).
SPANISH_ANSWER: dict[str, Any] = {
    "participants": [
        {
            "evidence": "El presidente chileno, Tomás Errázuriz",
            "name": "Tomás Errázuriz",
            "title": "President",
            "country": "Chile",
        },
        {
            "evidence": "la presidenta peruana, Rosa Quispe",
            "name": "Rosa Quispe",
            "title": "President",
            "country": "Peru",
        },
    ],
    "location": {"evidence": "en Lima", "city": "Lima", "venue": None, "country": None},
    "date": {"text": "el jueves"},
    "name": None,
    "host_country": "Peru",
    "is_summit": True,
    "agreements": [
        {
            "evidence": "firmaron un acuerdo para interconectar las redes eléctricas de los dos países",
            "subject": "interconnection of the electricity grids",
            "status": "signed",
        },
        {
            "evidence": "Chile offered to finance the modernization of the Chacalluta crossing",
            "subject": "modernization of the Chacalluta crossing",
            "status": "offered",
        },
        {
            "evidence": "both mandataries agreed to eliminate the visa for students",
            "subject": "abolishing visas for university students",
            "status": "agreed",
        },
    ],
    "disputes": [],
    "statements": [],
}


#: The gloss of a Spanish article's subjects (every one is sent, English or not): they come back as they went.
GLOSS = ok({"english": [a["subject"] for a in SPANISH_ANSWER["agreements"]]})


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI(latency=0.0) as server:
        yield server


def _settled(text: str, answer: dict[str, Any]) -> Summit:
    """The article's Summit as validation and grounding make it from ``answer``."""
    return Summit.model_validate(answer, context=ExtractionContext(text))


def _sentence_number(text: str, sentence: str, backend: Backend, value: Summit) -> int:
    citation = plan_cite(plan_article(text, Summit, backend=backend), value)
    assert citation is not None
    starts = [text[a:b] for a, b in citation.sentences]
    return starts.index(sentence) + 1


def test_only_findings_no_sentence_holds_in_their_words_are_asked_about(srv: FakeOpenAI) -> None:
    value = _settled(SPANISH, SPANISH_ANSWER)
    citation = plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), value)
    assert citation is not None
    # The copied finding is grounded and the close paraphrase is placed by its words: neither is asked.
    assert [item.label() for _, item in citation.items] == ["abolishing visas for university students"]
    assert [field for field, _ in citation.items] == ["agreements"]
    asked = citation.call.messages[-1]["content"]
    assert "both mandataries agreed to eliminate the visa for students" in asked
    assert f"] {VISA_SENTENCE}" in asked  # the article's sentences, numbered
    # One number per finding, none past the last sentence.
    numbers = citation.call.schema.model_json_schema()["properties"]["sentence"]
    assert numbers["minItems"] == numbers["maxItems"] == 1
    assert numbers["items"]["maximum"] == len(citation.sentences)


def test_nothing_is_asked_when_every_finding_is_grounded(srv: FakeOpenAI) -> None:
    answer = {**SPANISH_ANSWER, "agreements": SPANISH_ANSWER["agreements"][:2]}
    assert plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), _settled(SPANISH, answer)) is None


def test_a_finding_in_the_article_s_own_language_is_never_asked_about(srv: FakeOpenAI) -> None:
    # A Spanish paraphrase no sentence holds in its words is a loose paraphrase or an invention, not a
    # translation: numbering the article for it would cost a request for nothing.
    invented = {
        "evidence": "los presidentes prometieron un tren de alta velocidad hasta Cuzco",
        "subject": "high-speed train to Cuzco",
        "status": "agreed",
    }
    answer = {**SPANISH_ANSWER, "agreements": [*SPANISH_ANSWER["agreements"][:2], invented]}
    assert plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), _settled(SPANISH, answer)) is None


def test_a_cited_finding_is_grounded_in_the_article_s_own_sentence(srv: FakeOpenAI) -> None:
    number = _sentence_number(SPANISH, VISA_SENTENCE, srv.backend(), _settled(SPANISH, SPANISH_ANSWER))
    srv.script(*(ok(SPANISH_ANSWER, fit=True) for _ in range(3)), ok({"sentence": [number]}), GLOSS)
    got = extract_result(SPANISH, Summit, backend=srv.backend())
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "cite": 1, "gloss": 1}
    visa = next(a for a in got.value.agreements if a.subject.startswith("abolishing visas"))
    assert visa.span is not None and visa.span.alignment == "cited"
    assert visa.evidence == VISA_SENTENCE == SPANISH[visa.span.start : visa.span.end]
    assert visa.status == "agreed"
    assert {"Chile", "Peru"} <= set(visa.parties)
    # The other two are grounded as before, not by citing.
    assert sorted(a.span.alignment for a in got.value.agreements if a.span) == ["cited", "exact", "sentence"]
    assert got.dropped == []


def test_the_async_twin_cites_too(srv: FakeOpenAI) -> None:
    number = _sentence_number(SPANISH, VISA_SENTENCE, srv.backend(), _settled(SPANISH, SPANISH_ANSWER))
    srv.script(*(ok(SPANISH_ANSWER, fit=True) for _ in range(3)), ok({"sentence": [number]}), GLOSS)
    got = asyncio.run(aextract_result(SPANISH, Summit, backend=srv.backend()))
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "cite": 1, "gloss": 1}
    assert [a.evidence for a in got.value.agreements if a.span and a.span.alignment == "cited"] == [
        VISA_SENTENCE
    ]


def test_answers_from_a_batch_job_are_cited_by_one_live_request(srv: FakeOpenAI) -> None:
    # The OpenAI Batch API path: the passes' answers come from an output file; citing is sent live, so
    # a batch record equals a live one.
    backend = srv.backend()
    plan = plan_article(SPANISH, Summit, backend=backend)
    number = _sentence_number(SPANISH, VISA_SENTENCE, backend, _settled(SPANISH, SPANISH_ANSWER))
    completions = {
        job.key: {
            "id": "chatcmpl-batch",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": json.dumps({f: SPANISH_ANSWER[f] for f in job.asked.fields}),
                    },
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
        }
        for job in plan.jobs
    }
    srv.script(ok({"sentence": [number]}), GLOSS)
    got = assemble(plan, completions)
    assert srv.count == 2  # the citing and gloss requests, and nothing else, went out live
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "cite": 1, "gloss": 1}
    assert any(a.span and a.span.alignment == "cited" for a in got.value.agreements)
    offline = assemble(plan_article(SPANISH, Summit, backend=backend), completions, gloss=False)
    assert srv.count == 2 and "cite" not in offline.requests
    assert len(offline.value.agreements) == 2  # not placed: dropped


def test_a_sentence_sharing_no_word_with_the_finding_in_its_own_script_is_refused(srv: FakeOpenAI) -> None:
    value = _settled(SPANISH, SPANISH_ANSWER)
    citation = plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), value)
    assert citation is not None
    # The last sentence (the migrants at the border) has no word of "visa for students".
    placed = apply(citation, citation.call.schema(sentence=[len(citation.sentences)]), value)
    assert placed == []
    assert value.agreements[2].span is not None and value.agreements[2].span.alignment == "unaligned"


def test_a_miscount_by_one_is_placed_in_the_neighbour_sharing_the_finding_s_words(srv: FakeOpenAI) -> None:
    # The embedded model cites one sentence off now and then (benchmarks/tuning, a Spanish article): the
    # sentence after the visa sentence (the Chacalluta offer) has no word of the visa finding, the visa
    # sentence before it has two ("eliminar", "universitarios").
    value = _settled(SPANISH, SPANISH_ANSWER)
    citation = plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), value)
    assert citation is not None
    number = [SPANISH[a:b] for a, b in citation.sentences].index(VISA_SENTENCE) + 1
    placed = apply(citation, citation.call.schema(sentence=[number + 1]), value)
    assert placed == [value.agreements[2]]
    assert value.agreements[2].evidence == VISA_SENTENCE
    assert value.agreements[2].span is not None and value.agreements[2].span.alignment == "cited"


def test_an_echo_of_the_worked_example_is_never_placed(srv: FakeOpenAI) -> None:
    # Reading an article in another language, the model may echo the example it read last: its subject
    # ("fishing quotas in the Barents Sea") or its sentence. Placed in some sentence of the article, that
    # invention would pass for a grounded finding; it is not asked about, and is dropped.
    echoes = [
        {
            "evidence": "Chile in dispute over fishing quotas in the Barents Sea",
            "subject": "fishing quotas in the Barents Sea",
            "status": "ongoing",
        },
        {
            "evidence": "Relations have also been strained by Poland's objection",
            "subject": "strained relations",
            "status": "ongoing",
        },
    ]
    own = {
        "evidence": "the two governments quarrel over people stuck on the shared frontier",
        "subject": "people stuck on the frontier",
        "status": "ongoing",
    }
    answer = {**SPANISH_ANSWER, "disputes": [*echoes, own]}
    citation = plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), _settled(SPANISH, answer))
    assert citation is not None
    assert [item.label() for _, item in citation.items] == [
        "abolishing visas for university students",
        "people stuck on the frontier",
    ]
    srv.script(*(ok(answer, fit=True) for _ in range(3)), ok({"sentence": [0, 0]}), GLOSS)
    got = extract_result(SPANISH, Summit, backend=srv.backend())
    assert not any("Barents" in d.subject or "Poland" in d.evidence for d in got.value.disputes)
    dropped = [d.evidence_text() for d in got.dropped]
    assert echoes[0]["evidence"] in dropped and echoes[1]["evidence"] in dropped


def test_an_article_that_says_what_the_example_says_keeps_it() -> None:
    # Only what the article does not hold in its words is an echo: an article about the same row grounds
    # the same subject in its own sentence.
    text = (
        "Norway and Poland met in Oslo on Friday. The talks were overshadowed by a row over fishing quotas "
        "in the Barents Sea, which Warsaw says Norway set unfairly."
    )
    answer = {
        **SPANISH_ANSWER,
        "participants": [],
        "location": None,
        "date": None,
        "agreements": [],
        "disputes": [
            {
                "evidence": "a row over fishing quotas in the Barents Sea",
                "subject": "fishing quotas in the Barents Sea",
                "status": "ongoing",
            }
        ],
    }
    value = _settled(text, answer)
    assert [d.subject for d in value.disputes] == ["fishing quotas in the Barents Sea"]
    assert value.disputes[0].span is not None and value.disputes[0].span.alignment == "exact"


@pytest.mark.parametrize(
    ("subject", "evidence", "echo"),
    [
        ("fishing quotas in the Barents Sea", "a row between the two", True),  # the example's subject
        ("Norway's new visa rules", "objections raised", True),
        ("fishing quotas", "a quarrel about fishing quotas", False),  # part of it: an article may say as much
        ("visa rules", "a row over visa rules", False),
        ("border patrols", "The four governments agreed to patrol the cables jointly", True),  # its sentence
        ("border patrols", "agreed to patrol", False),  # three words: too few to tell
    ],
)
def test_what_counts_as_an_echo_of_an_example(subject: str, evidence: str, echo: bool) -> None:
    item = Dispute.model_construct(
        evidence=evidence, subject=subject, status="ongoing", parties=[], span=None
    )
    assert echoes_example(item, "disputes", Summit.examples) is echo


def test_a_label_the_article_holds_is_the_article_s_own_not_an_echo() -> None:
    # The example's "gas supply deal", in an article about one: the model's paraphrase is the article's.
    text = "Oslo and Warsaw signed a long-term gas supply deal on Friday, the two governments said."
    item = Agreement.model_construct(
        evidence="the two countries agreed on gas",
        subject="gas supply deal",
        status="signed",
        parties=[],
        span=None,
    )
    assert echoes_example(item, "agreements", Summit.examples) is True  # read without the article
    assert echoes_example(item, "agreements", Summit.examples, text) is False


def test_a_sentence_in_another_script_may_be_cited_with_no_word_in_common(srv: FakeOpenAI) -> None:
    # A Korean article, and its agreement translated into English: not one shared word is possible.
    answer = {
        **SPANISH_ANSWER,
        "participants": [],
        "location": None,
        "date": None,
        "agreements": [
            {
                "evidence": "the two leaders signed a memorandum on semiconductor supply chain cooperation",
                "subject": "semiconductor supply chain cooperation",
                "status": "signed",
            }
        ],
    }
    value = _settled(KOREAN, answer)
    citation = plan_cite(plan_article(KOREAN, Summit, backend=srv.backend()), value)
    assert citation is not None
    sentence = (
        "두 정상은 반도체 공급망 협력에 관한 양해각서에 서명하고, "
        "2030년까지 양국 교역액을 1500억 달러로 늘리기로 합의했다."
    )
    number = [KOREAN[a:b] for a, b in citation.sentences].index(sentence) + 1
    assert apply(citation, citation.call.schema(sentence=[number]), value) == [value.agreements[0]]
    assert value.agreements[0].evidence == sentence


def test_a_sentence_already_grounding_the_same_finding_is_refused(srv: FakeOpenAI) -> None:
    # The copied interconnection agreement is in the visa sentence already; a translation of it is not
    # placed there again, while the visa agreement (another thing) may share that sentence.
    again = {
        "evidence": "both presidents signed a deal for interconnecting the electricity grids",
        "subject": "interconnection of the electricity grids of both countries",
        "status": "signed",
    }
    answer = {**SPANISH_ANSWER, "agreements": [*SPANISH_ANSWER["agreements"], again]}
    value = _settled(SPANISH, answer)
    citation = plan_cite(plan_article(SPANISH, Summit, backend=srv.backend()), value)
    assert citation is not None
    assert [item.label() for _, item in citation.items] == [
        "abolishing visas for university students",
        again["subject"],
    ]
    number = [SPANISH[a:b] for a, b in citation.sentences].index(VISA_SENTENCE) + 1
    placed = apply(citation, citation.call.schema(sentence=[number, number]), value)
    assert [item.label() for item in placed] == ["abolishing visas for university students"]


def test_no_number_places_nothing_and_the_finding_is_dropped(srv: FakeOpenAI) -> None:
    srv.script(*(ok(SPANISH_ANSWER, fit=True) for _ in range(3)), ok({"sentence": [0]}))
    got = extract_result(SPANISH, Summit, backend=srv.backend())
    assert [a.subject for a in got.value.agreements] == [
        "interconnection of the electricity grids",
        "modernization of the Chacalluta crossing",
    ]
    assert [d.evidence_text() for d in got.dropped] == [
        "both mandataries agreed to eliminate the visa for students"
    ]


def test_a_failed_citing_request_costs_only_the_findings_it_would_have_placed(srv: FakeOpenAI) -> None:
    srv.script(*(ok(SPANISH_ANSWER, fit=True) for _ in range(3)), status(400), GLOSS)
    got = extract_result(SPANISH, Summit, backend=srv.backend(), ungrounded="flag")
    assert got.requests == {"frame": 1, "agreements": 1, "disputes": 1, "cite": 1, "gloss": 1}
    assert len(got.value.agreements) == 3
    assert [f.evidence_text() for f in got.flagged] == [
        "both mandataries agreed to eliminate the visa for students"
    ]


def test_a_long_article_is_not_numbered(srv: FakeOpenAI) -> None:
    long = (
        SPANISH
        + "\n\n"
        + "Otro párrafo sin relación con la cumbre de los dos presidentes. " * (MAX_CHARS // 60)
    )
    value = _settled(long, SPANISH_ANSWER)
    assert plan_cite(plan_article(long, Summit, backend=srv.backend()), value) is None


@pytest.mark.vcr
def test_the_embedded_model_cites_translated_findings_of_a_spanish_article(local_backend: Backend) -> None:
    got = extract_result(SPANISH, Summit, backend=local_backend)
    cited = [
        f for f in [*got.value.agreements, *got.value.disputes] if f.span and f.span.alignment == "cited"
    ]
    assert got.requests.get("cite") == 1
    assert cited, "no finding was placed by citing"
    for finding in cited:
        assert finding.span is not None
        assert SPANISH[finding.span.start : finding.span.end] == finding.evidence
    # What the article says was agreed: the students' visas, in the sentence that says so.
    visa = [a for a in got.value.agreements if "visa" in a.subject.lower()]
    assert visa and visa[0].evidence == VISA_SENTENCE
