"""Planning one article: which requests are sent, what they share, and how their answers become a result.

Nothing here is sent anywhere: ``plan_article`` builds the requests, and the backend points at a dead
local port in case anything tried.
"""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise
from typing import Any

import instructor
import openai
import pytest
from pydantic import BaseModel, Field

from summit_extract import Backend, ConfigurationError, Grounded, OutputValidationError, Summit, plan_article
from summit_extract._chunking import CHARS_PER_TOKEN
from summit_extract._extracting import assemble
from summit_extract._planning import ArticlePlan
from tests.fake_openai import summit_json

DEAD = "http://127.0.0.1:9/v1"
ARTICLE = (
    "OTTAWA, Canada -- Canadian Prime Minister Paul Martin welcomed Mexican President Vicente Fox to "
    "Parliament Hill on Tuesday. The two leaders signed an agreement on energy cooperation and said they "
    "disagreed over softwood lumber duties."
)
DATELINED = "November 16, 2004\n\nLeaders of Chile and Peru met in Santiago on Sunday for talks on trade."
DEFAULT_PASSES = ["frame", "agreements", "disputes"]


def backend(
    mode: instructor.Mode = instructor.Mode.JSON_SCHEMA, context_tokens: int | None = 8192
) -> Backend:
    """A backend that cannot reach anything: plans are built, never sent."""
    return Backend(
        name="test",
        model="test-model",
        mode=mode,
        make_client=lambda: openai.OpenAI(base_url=DEAD, api_key="unused", max_retries=0),
        make_async_client=lambda: openai.AsyncOpenAI(base_url=DEAD, api_key="unused", max_retries=0),
        context_tokens=context_tokens,
    )


def messages_of(plan: ArticlePlan) -> list[list[dict[str, str]]]:
    return [job.call.messages for job in plan.jobs]


def test_a_summit_is_asked_in_three_passes_by_default() -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend())
    assert [job.key for job in plan.jobs] == DEFAULT_PASSES
    assert [job.asked.name for job in plan.jobs] == DEFAULT_PASSES
    assert len(plan.chunks) == 1 and plan.chunks[0].text == ARTICLE


def test_the_passes_of_one_article_differ_only_in_their_last_message() -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend())
    asked = messages_of(plan)
    prefix = asked[0][:-1]
    for msgs in asked:
        assert msgs[:-1] == prefix  # system, example turns, article: identical bytes
        assert msgs[-1]["role"] == "user"
    assert len({json.dumps(m[-1]) for m in asked}) == len(asked)
    # The layout: system first, the article just before the pass request.
    assert prefix[0]["role"] == "system"
    assert prefix[-1] == {"role": "user", "content": f"Article:\n{ARTICLE}"}
    for msgs, job in zip(asked, plan.jobs, strict=True):
        assert job.asked.instruction in msgs[-1]["content"]


def test_the_worked_examples_sit_in_earlier_turns_shared_by_every_article() -> None:
    first = messages_of(plan_article(ARTICLE, Summit, backend=backend()))[0]
    other = messages_of(plan_article(DATELINED, Summit, backend=backend()))[0]
    # System and example turns are the same for any article: only the article and the request follow.
    assert first[:-2] == other[:-2]
    turns = first[1:-2]
    per_example = 1 + 2 * len(DEFAULT_PASSES)  # its article, then each pass's request and answer
    assert len(turns) == per_example * len(Summit.examples) >= 2 * per_example
    for n, example in enumerate(Summit.examples):
        own = turns[n * per_example : (n + 1) * per_example]
        assert own[0] == {"role": "user", "content": f"Article:\n{example.text}"}
        assert [t["role"] for t in own[1:]] == ["user", "assistant"] * len(DEFAULT_PASSES)
        answers = [json.loads(t["content"]) for t in own[1:] if t["role"] == "assistant"]
        assert answers[0]["participants"] == example.answer["participants"]  # the frame's part
        assert answers[1] == {"agreements": example.answer["agreements"]}
        assert answers[2] == {"disputes": example.answer["disputes"]}
    # One example reports no summit, so a "no" with an empty frame is something the model has seen.
    assert any(e.answer["is_summit"] is False and e.answer["participants"] == [] for e in Summit.examples)


def test_finding_lists_are_capped_in_their_pass_only() -> None:
    bodies = plan_article(ARTICLE, Summit, backend=backend()).requests
    schemas = {r.key: r.body["response_format"]["json_schema"]["schema"] for r in bodies}
    assert schemas["agreements"]["properties"]["agreements"]["maxItems"] == 8
    assert schemas["disputes"]["properties"]["disputes"]["maxItems"] == 8
    assert "maxItems" not in schemas["frame"]["properties"]["participants"]  # no cap on who takes part
    # The cap bounds one answer, not the merged result of every piece.
    assert "maxItems" not in Summit.model_json_schema()["properties"]["agreements"]


def test_without_examples_there_are_no_example_turns() -> None:
    msgs = messages_of(plan_article(ARTICLE, Summit, backend=backend(), examples=False))[0]
    assert [m["role"] for m in msgs] == ["system", "user", "user"]
    assert Summit.examples[0].text not in json.dumps(msgs)


@pytest.mark.parametrize(
    ("mode", "key"),
    [(instructor.Mode.JSON_SCHEMA, "response_format"), (instructor.Mode.TOOLS, "tools")],
    ids=["json_schema", "tools"],
)
def test_planned_request_bodies_are_what_a_live_call_posts(mode: instructor.Mode, key: str) -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend(mode))
    bodies = plan.requests
    assert [r.key for r in bodies] == DEFAULT_PASSES
    for planned, job in zip(bodies, plan.jobs, strict=True):
        body = planned.body
        assert body["model"] == "test-model"
        assert body["messages"][: len(job.call.messages)] == job.call.messages
        assert key in body
        for private in ("max_retries", "hooks", "context", "strict", "timeout", "response_model"):
            assert private not in body
        json.dumps(body)  # a JSON body, ready for a Batch API input file
    schema = json.dumps(bodies[0].body[key])
    assert "participants" in schema and "agreements" not in schema  # each pass asks its own fields
    assert "agreements" in json.dumps(bodies[1].body[key])


def test_a_dateline_dates_the_article() -> None:
    plan = plan_article(DATELINED, Summit, backend=backend())
    assert (plan.published, plan.published_from) == (dt.date(2004, 11, 16), "dateline")
    for job in plan.jobs:
        context = job.call.context
        assert context is not None and context.published_from == "dateline"
    # The dateline is in the text already: no "(Published on ...)" note is added.
    assert "Published on" not in json.dumps(messages_of(plan))


def test_a_callers_published_date_wins_over_the_dateline() -> None:
    plan = plan_article(DATELINED, Summit, backend=backend(), published="2004-11-20")
    assert (plan.published, plan.published_from) == (dt.date(2004, 11, 20), "published")
    assert all(m[-2]["content"].endswith("(Published on 2004-11-20.)") for m in messages_of(plan))


def test_no_dateline_no_published_date() -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend())
    assert (plan.published, plan.published_from) == (None, None)


def test_one_main_pass_is_one_request_for_every_field() -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend(), passes=["main"])
    (job,) = plan.jobs
    assert job.key == "main"
    fields = set(job.call.schema.model_fields)
    assert {"participants", "is_summit", "agreements", "disputes", "statements"} <= fields
    assert not fields & {"is_summit_reason"}


def test_chosen_passes_run_in_the_order_given_and_statements_only_on_request() -> None:
    assert "statements" not in [j.key for j in plan_article(ARTICLE, Summit, backend=backend()).jobs]
    plan = plan_article(ARTICLE, Summit, backend=backend(), passes=["disputes", "statements"])
    assert [job.key for job in plan.jobs] == ["disputes", "statements"]
    # The shared prefix holds the example turns of the chosen passes only.
    assert messages_of(plan)[0][:-1] == messages_of(plan)[1][:-1]


@pytest.mark.parametrize("passes", [["frame", "nonsense"], ["topics"], []])
def test_unknown_pass_names_are_a_configuration_error(passes: list[str]) -> None:
    with pytest.raises(ConfigurationError, match="no pass named"):
        plan_article(ARTICLE, Summit, backend=backend(), passes=passes)


class Person(Grounded):
    evidence: str = Field(description="Words of the article naming the person.")
    name: str = Field(description="Full name as written.")


class People(BaseModel):
    """A plain pydantic schema: not an article type."""

    people: list[Person] = Field(default_factory=list)


def test_a_plain_schema_keeps_the_two_message_layout() -> None:
    plan = plan_article(ARTICLE, People, backend=backend(), published="2005-03-01")
    (job,) = plan.jobs
    assert job.key == "main" and job.call.schema is People
    system, article = job.call.messages
    assert system["role"] == "system" and "people" in system["content"]
    assert article == {"role": "user", "content": f"Article:\n{ARTICLE}\n\n(Published on 2005-03-01.)"}


def test_a_long_article_is_asked_every_pass_per_chunk_each_chunk_sharing_its_prefix() -> None:
    text = "\n\n".join([ARTICLE] * 40)
    plan = plan_article(text, Summit, backend=backend(context_tokens=2800))
    assert len(plan.chunks) >= 2
    keys = [j.key for j in plan.jobs]
    assert len(set(keys)) == len(keys) and all(j.asked.name in j.key for j in plan.jobs)
    for name in DEFAULT_PASSES:  # every pass reads the whole article, in pieces that fit
        pieces = sorted((j.chunk for j in plan.jobs if j.asked.name == name), key=lambda c: c.start)
        assert len(pieces) >= 2 and pieces[0].start == 0 and pieces[-1].end == len(text)
        assert all(b.start <= a.end for a, b in pairwise(pieces)), "no gap"
        assert all(text[c.start : c.end] == c.text for c in pieces)
    for chunk in plan.chunks:
        asked = [j.call.messages for j in plan.jobs if j.chunk == chunk]
        assert all(m[:-1] == asked[0][:-1] for m in asked)
        assert asked[0][-2]["content"] == f"Article:\n{chunk.text.rstrip()}"
        assert len(chunk.text) < 2800 * CHARS_PER_TOKEN
    for job in plan.jobs:
        assert job.call.context is not None and job.call.context.offset == job.chunk.start


def _completion(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-batch",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": json.dumps(content)}},
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


def test_answers_received_elsewhere_assemble_into_the_result() -> None:
    plan = plan_article(ARTICLE, Summit, backend=backend())
    whole = summit_json(ARTICLE)
    answers = {job.key: _completion({f: whole[f] for f in job.asked.fields}) for job in plan.jobs}
    result = assemble(plan, answers)
    (dispute,) = result.value.disputes
    assert dispute.span is not None and ARTICLE[dispute.span.start : dispute.span.end] == dispute.evidence
    assert result.requests == dict.fromkeys(DEFAULT_PASSES, 1)
    assert (result.attempts, result.usage.prompt_tokens) == (3, 300)
    again = plan_article(ARTICLE, Summit, backend=backend())
    with pytest.raises(OutputValidationError, match="no answer for request 'disputes'"):
        assemble(again, {k: answers[k] for k in ("frame", "agreements")})
