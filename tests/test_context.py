"""The typed extraction context: what validators may know, and when an ungrounded item is re-asked.

``written_in_article()`` is the public question a user's validator asks; ``final_attempt`` and
``lenient`` decide whether an item that cannot be grounded is re-asked or marked unaligned (then dropped
or flagged). Through the pipeline, the fake server counts the requests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import instructor
import pytest
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from summit_extract import (
    ExtractionContext,
    Grounded,
    RetryPolicy,
    extract_result,
    written_in_article,
)
from summit_extract._context import Attempts, active, context_of
from tests.fake_openai import FakeOpenAI, ok

TEXT = "BRASILIA - President Lula hosted South Korea’s President Roh Moo-hyun on Monday to discuss trade."
FAST = RetryPolicy(max_retries=1, backoff_initial=0.01, backoff_max=0.05, timeout=5.0)


# --- written_in_article ------------------------------------------------------------------------------


def test_outside_an_extraction_everything_counts_as_written() -> None:
    assert context_of() is None
    assert written_in_article("anything at all") is True
    assert written_in_article(None) is True and written_in_article("") is True


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Roh Moo-hyun", True),
        ("roh  MOO-HYUN", True),  # case and spacing aside
        ("South Korea's President", True),  # a straight quote for the article's curly one
        ("Roh Moo–hyun", True),  # a dash variant
        ("Emmanuel Macron", False),
        ("", True),
        (None, True),
    ],
)
def test_inside_an_extraction_the_article_decides(value: str | None, written: bool) -> None:
    with active(ExtractionContext(TEXT)):
        assert written_in_article(value) is written


def test_pydantics_own_context_is_read_too() -> None:
    class Leader(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def _named(cls, v: str, info: ValidationInfo) -> str:
            if not written_in_article(v, info):
                raise ValueError(f"{v!r} is not in the article")
            return v

    assert Leader.model_validate({"name": "Lula"}, context=ExtractionContext(TEXT)).name == "Lula"
    with pytest.raises(ValueError, match="'Macron' is not in the article"):
        Leader.model_validate({"name": "Macron"}, context=ExtractionContext(TEXT))
    assert Leader.model_validate({"name": "Macron"}).name == "Macron"  # no extraction, no check


def test_active_contexts_nest_and_are_restored() -> None:
    outer, inner = ExtractionContext("outer text"), ExtractionContext("inner text")
    with active(outer):
        assert context_of() is outer
        with active(inner):
            assert context_of() is inner and written_in_article("inner") and not written_in_article("outer")
        assert context_of() is outer
    assert context_of() is None


def test_a_chunk_knows_its_offset_and_the_whole_article() -> None:
    whole = "First paragraph.\n\n" + TEXT
    chunk = ExtractionContext(TEXT, offset=18, whole_text=whole)
    assert chunk.article == whole and ExtractionContext(TEXT).article == TEXT
    assert chunk.is_written("Lula") and not chunk.is_written("First paragraph")  # evidence is the chunk's


# --- final_attempt and lenient -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "last", "reask", "final", "lenient"),
    [
        (1, 1, False, True, True),  # one answer only: nothing to re-ask
        (1, 1, True, True, True),
        (1, 2, False, False, True),  # re-asks left, but ungrounded evidence is not worth one
        (1, 2, True, False, False),  # re-asks left and wanted: an ungrounded item is a re-ask
        (2, 2, True, True, True),  # out of re-asks: mark unaligned
        (3, 2, True, True, True),
    ],
)
def test_final_attempt_and_lenient(number: int, last: int, reask: bool, final: bool, lenient: bool) -> None:
    context = ExtractionContext(TEXT, reask_ungrounded=reask, attempts=Attempts(number, last))
    assert (context.attempt, context.final_attempt, context.lenient) == (number, final, lenient)


class Talk(Grounded):
    evidence: str = Field(description="Words of the article stating the talk.")
    topic: str = Field(description="What was discussed.")


class Talks(BaseModel):
    talks: list[Talk] = Field(default_factory=list)


INVENTED = {"evidence": "the presidents discussed nuclear submarines", "topic": "submarines"}
GROUNDED = {"evidence": "to discuss trade", "topic": "trade"}


def test_an_ungrounded_item_is_a_validation_error_when_a_reask_is_wanted() -> None:
    context = ExtractionContext(TEXT, reask_ungrounded=True, attempts=Attempts(1, 2))
    with pytest.raises(ValueError, match="is not in the article"):
        Talks.model_validate({"talks": [INVENTED]}, context=context)


@pytest.mark.parametrize(("reask", "final"), [(False, False), (True, True), (False, True)])
def test_an_ungrounded_item_is_marked_unaligned_when_lenient(reask: bool, final: bool) -> None:
    context = ExtractionContext(TEXT, reask_ungrounded=reask, attempts=Attempts(1, 1 if final else 2))
    talks = Talks.model_validate({"talks": [INVENTED, GROUNDED]}, context=context)
    spans = [t.span for t in talks.talks]
    assert spans[0] is not None and spans[0].alignment == "unaligned"
    assert spans[1] is not None and TEXT[spans[1].start : spans[1].end] == "to discuss trade"


# --- through the pipeline: re-ask or drop, counted by the fake server ---------------------------------


@pytest.mark.parametrize("mode", [instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS], ids=["json", "tools"])
def test_by_default_ungrounded_evidence_is_dropped_without_a_reask(mode: instructor.Mode) -> None:
    with FakeOpenAI(default=ok({"talks": [INVENTED, GROUNDED]})) as srv:
        result = extract_result(TEXT, Talks, backend=srv.backend(mode=mode), policy=FAST)
        assert srv.count == 1
    assert result.attempts == 1 and result.requests == {"main": 1}
    assert [t.topic for t in result.value.talks] == ["trade"]
    assert [t.topic for t in result.dropped] == ["submarines"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", [instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS], ids=["json", "tools"])
def test_reask_ungrounded_asks_again_and_keeps_the_grounded_answer(mode: instructor.Mode) -> None:
    policy = dataclasses.replace(FAST, reask_ungrounded=True)
    with FakeOpenAI() as srv:
        srv.script(ok({"talks": [INVENTED]}), ok({"talks": [GROUNDED]}))
        result = extract_result(TEXT, Talks, backend=srv.backend(mode=mode), policy=policy)
        assert srv.count == 2
        feedback = str(srv.requests[1]["messages"][len(srv.requests[0]["messages"]) :])
    assert "is not in the article" in feedback
    assert result.attempts == 2 and result.requests == {"main": 2}
    assert [t.topic for t in result.value.talks] == ["trade"] and result.dropped == []


def test_reask_ungrounded_that_never_grounds_is_dropped_after_the_last_answer() -> None:
    policy = dataclasses.replace(FAST, max_retries=2, reask_ungrounded=True)
    with FakeOpenAI(default=ok({"talks": [INVENTED]})) as srv:
        result = extract_result(TEXT, Talks, backend=srv.backend(), policy=policy)
        assert srv.count == 3
    assert result.value.talks == [] and len(result.dropped) == 1


def test_a_users_validator_sees_the_attempt_and_the_published_date() -> None:
    seen: list[tuple[int, bool, dt.date | None, str | None]] = []

    class Checked(BaseModel):
        place: str

        @field_validator("place")
        @classmethod
        def _place(cls, v: str, info: ValidationInfo) -> str:
            context = context_of(info)
            assert context is not None
            seen.append((context.attempt, context.final_attempt, context.published, context.published_from))
            if not written_in_article(v, info):
                raise ValueError(f"place {v!r} is not written in the article")
            return v

    answers: list[Any] = [ok({"place": "Paris"}), ok({"place": "BRASILIA"})]
    with FakeOpenAI() as srv:
        srv.script(*answers)
        result = extract_result(TEXT, Checked, backend=srv.backend(), policy=FAST, published="2005-05-23")
        assert srv.count == 2
    assert result.value.place == "BRASILIA"
    published = dt.date(2005, 5, 23)
    assert seen == [(1, False, published, "published"), (2, True, published, "published")]
