"""summit_extract.testing: a scripted backend that answers each pass by name, through the real pipeline.

What a test gets from it is what the library makes of a model's answer: instructor parses the completion,
pydantic validates it, the evidence is grounded in the article (or dropped), the article type's hooks
run. Nothing listens on a socket: the client's transport answers in the process.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import instructor
import pytest
from pydantic import BaseModel, Field

from summit_extract import (
    ConfigurationError,
    Grounded,
    Item,
    TradeDeal,
    aextract_result,
    extract_many,
    extract_result,
    plan_article,
)
from summit_extract.testing import ScriptedRequest, scripted_backend
from tests.truce import ANSWERS, ARTICLE, Truce


def test_each_pass_is_answered_by_name_and_the_answer_is_validated_and_grounded() -> None:
    backend = scripted_backend(ANSWERS)
    result = extract_result(ARTICLE, Truce, backend=backend)
    truce = result.value
    assert backend.asked == ["frame", "terms"]
    assert [s.name for s in truce.sides] == ["Elbonia", "Kazakstania"] and truce.is_truce
    # The invented term is not in the article: grounding drops it, as it would a model's.
    assert [t.subject for t in truce.terms] == ["border reopening"]
    assert [t.subject for t in result.dropped] == ["lasting peace"]  # type: ignore[attr-defined]
    for item in [*truce.sides, *truce.terms]:
        assert item.span is not None and ARTICLE[item.span.start : item.span.end] == item.evidence_text()
    assert (
        result.backend == "scripted" and result.attempts == 2 and result.requests == {"frame": 1, "terms": 1}
    )
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


def test_the_script_sees_each_request_as_sent_and_the_pass_it_asks() -> None:
    seen: list[ScriptedRequest] = []

    def answer(request: ScriptedRequest) -> dict[str, Any]:
        seen.append(request)
        return ANSWERS[request.pass_name]

    backend = scripted_backend(answer)
    extract_result(ARTICLE, Truce, backend=backend)
    frame, terms = seen
    assert (frame.pass_name, frame.fields, frame.attempt, frame.number) == (
        "frame",
        ("sides", "is_truce"),
        1,
        1,
    )
    assert terms.fields == ("terms",) and terms.article == ARTICLE
    assert terms.messages[-1] == {"role": "user", "content": "Task: List every term the sides agreed."}
    assert backend.requests == seen
    # The bodies are exactly the planned requests: what a dry run prints is what is sent.
    plan = plan_article(ARTICLE, Truce, backend=backend)
    assert [r.body for r in plan.requests] == [r.body for r in seen]


def test_successive_answers_of_a_pass_answer_a_re_ask() -> None:
    backend = scripted_backend({"frame": ['{"sides": [', ANSWERS["frame"]], "terms": ANSWERS["terms"]})
    result = extract_result(ARTICLE, Truce, backend=backend)
    assert backend.asked == ["frame", "frame", "terms"]
    assert [r.attempt for r in backend.requests] == [1, 2, 1]
    assert result.requests == {"frame": 2, "terms": 1} and result.attempts == 3
    assert result.value.is_truce


def test_a_pass_the_script_does_not_answer_fails_at_once_naming_it() -> None:
    backend = scripted_backend({"frame": ANSWERS["frame"]})
    with pytest.raises(ConfigurationError) as info:
        extract_result(ARTICLE, Truce, backend=backend)
    message = str(info.value)
    assert "the scripted backend has no answer for pass 'terms' (it scripts 'frame')" in message
    assert "add 'terms': {...} to the script" in message
    assert backend.asked == ["frame", "terms"]  # no retry of a scripted mistake
    assert "Gave up after 2 request(s)" in message and info.value.attempts == 2


def test_a_script_that_raises_is_reported_not_retried() -> None:
    def broken(request: ScriptedRequest) -> dict[str, Any]:
        raise KeyError(request.pass_name)

    backend = scripted_backend(broken)
    with pytest.raises(ConfigurationError, match="the script raised KeyError answering pass 'frame'"):
        extract_result(ARTICLE, Truce, backend=backend)
    assert len(backend.requests) == 1


def test_running_out_of_answers_for_a_pass_says_so() -> None:
    backend = scripted_backend({"frame": ["not json", "still not json"], "terms": ANSWERS["terms"]})
    with pytest.raises(Exception, match="never validated"):
        extract_result(ARTICLE, Truce, backend=backend)
    one = scripted_backend({"frame": ["not json"], "terms": ANSWERS["terms"]})
    with pytest.raises(ConfigurationError, match="has 1 answer\\(s\\) for pass 'frame' and got request 2"):
        extract_result(ARTICLE, Truce, backend=one)


def test_json_schema_mode_answers_in_the_message_content() -> None:
    backend = scripted_backend(ANSWERS, mode=instructor.Mode.JSON_SCHEMA)
    result = extract_result(ARTICLE, Truce, backend=backend)
    body = backend.requests[0].body
    assert "tools" not in body and body["response_format"]["type"] == "json_schema"
    assert [s.name for s in result.value.sides] == ["Elbonia", "Kazakstania"]


class Person(Grounded):
    evidence: str = Field(description="Words naming the person.")
    name: str


class People(BaseModel):
    people: list[Person] = Field(default_factory=list)


def test_a_plain_pydantic_schema_is_one_pass_named_main() -> None:
    backend = scripted_backend(
        {"main": {"people": [{"evidence": "Delegates of Elbonia", "name": "delegates"}]}}
    )
    value = extract_result(ARTICLE, People, backend=backend).value
    assert backend.asked == ["main"] and value.people[0].span is not None


def test_a_long_article_is_answered_piece_by_piece() -> None:
    article = "\n\n".join([ARTICLE] * 150)

    def answer(request: ScriptedRequest) -> dict[str, Any]:
        return ANSWERS[request.pass_name]

    backend = scripted_backend(answer, context_tokens=3000)
    result = extract_result(article, Truce, backend=backend)
    frames = [r for r in backend.requests if r.pass_name == "frame"]
    assert len(frames) >= 2 and [r.number for r in frames] == list(range(1, len(frames) + 1))
    assert all(r.article in article and len(r.article) < len(article) for r in frames)
    sides = result.value.sides  # one pair per piece: Truce has no merge rule saying they are the same
    assert len(sides) == 2 * len(frames) and len({s.span.start for s in sides if s.span}) == len(sides)
    assert all(s.span is not None and article[s.span.start : s.span.end] == s.name for s in sides)


def test_async_calls_and_batches_use_the_same_script() -> None:
    backend = scripted_backend(ANSWERS)
    value = asyncio.run(aextract_result(ARTICLE, Truce, backend=backend)).value
    assert [t.subject for t in value.terms] == ["border reopening"]
    summary = extract_many(
        [Item("a", ARTICLE), Item("b", ARTICLE.encode())], schema=Truce, backend=backend, cache=False
    )
    assert summary.done == 2 and summary.failed == 0 and summary.attempts == 4
    assert sorted(backend.asked) == sorted(["frame", "terms"] * 3)


def test_a_trade_deal_is_tested_the_same_way() -> None:
    text = "Iceland and Peru signed a free trade agreement on Wednesday; Peru will cut its duty on fish."
    backend = scripted_backend(
        {
            "frame": {
                "parties": [{"name": "Iceland"}, {"name": "Peru"}],
                "name": None,
                "signing_date": {"text": "Wednesday"},
                "status": "signed",
                "is_trade_deal": True,
            },
            "commitments": {
                "commitments": [
                    {
                        "evidence": "Peru will cut its duty on fish",
                        "party": "Peru",
                        "kind": "tariff cut",
                        "subject": "fish",
                        "detail": None,
                    }
                ]
            },
            "concerns": {"concerns": []},
        }
    )
    deal = extract_result(text, TradeDeal, backend=backend, published="2024-09-05").value
    assert [p.country_iso.alpha3 for p in deal.parties if p.country_iso] == ["ISL", "PER"]  # finalize ran
    assert deal.signing_date is not None and deal.signing_date.iso == "2024-09-04"
    assert json.loads(json.dumps(deal.model_dump(mode="json")))["commitments"][0]["party"] == "Peru"
