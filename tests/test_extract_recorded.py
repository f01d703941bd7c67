"""End-to-end extraction replayed from cassettes recorded from the embedded model (no model, no network).

Re-record with: python -m pytest tests/test_extract_recorded.py --record-mode=rewrite
The assertions state what the recorded model said; a change to the prompt or schema changes the request
bodies, so the cassettes must be re-recorded and these assertions re-read.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, field_validator

from summit_extract import Backend, Summit, aextract_result, extract_result
from summit_extract._grounding import walk
from tests.paths import DEVSET


def assert_grounded(summit: BaseModel, text: str) -> None:
    """Every returned item has evidence whose offsets slice the article back to it."""
    items = list(walk(summit))
    assert items, "expected grounded items"
    for item in items:
        assert item.span is not None and item.span.alignment != "unaligned", item
        assert text[item.span.start : item.span.end] == item.evidence_text(), item


def assert_seed_summit(summit: Summit, text: str) -> None:
    """What the recorded model found in the seed article, checked against the article."""
    assert summit.is_summit
    names = {p.name for p in summit.participants}
    assert {"Yoon Suk Yeol", "Fumio Kishida"} <= names
    countries = {p.name: p.country_iso.alpha3 for p in summit.participants if p.country_iso}
    assert countries["Yoon Suk Yeol"] == "KOR" and countries["Fumio Kishida"] == "JPN"
    assert summit.location is not None and summit.location.city == "Seoul"
    # The dateline says "May 7" with no year: the year must stay unknown.
    assert summit.date is None or summit.date.year is None
    agreed = " ".join(a.subject.lower() for a in summit.agreements)
    assert "north korea" in agreed or "chip" in agreed
    # The model invented a summit name ("Summit of South Korea and Japan"): not in the text, so dropped.
    assert summit.name is None
    assert_grounded(summit, text)


@pytest.mark.vcr
def test_seed_summit(local_backend: Backend, seed_text: str) -> None:
    result = extract_result(seed_text, Summit, backend=local_backend)
    assert_seed_summit(result.value, seed_text)
    assert result.attempts >= 1 and result.usage.prompt_tokens > 1000
    assert result.backend == "local" and result.model == local_backend.model


@pytest.mark.vcr("test_seed_summit.yaml")
async def test_seed_summit_async_twin(local_backend: Backend, seed_text: str) -> None:
    result = await aextract_result(seed_text, Summit, backend=local_backend)
    assert_seed_summit(result.value, seed_text)
    assert result.attempts >= 1 and result.usage.completion_tokens > 0


@pytest.mark.vcr
def test_domestic_sommet_is_not_a_summit(local_backend: Backend) -> None:
    text = (DEVSET / "articles" / "030_frwikinews_quebec_sommet_enseignement_superieur.txt").read_text()
    summit = extract_result(text, Summit, backend=local_backend).value
    assert summit.is_summit is False
    assert summit.participants == [] and summit.location is None and summit.date is None


class ShoutedLeaders(BaseModel):
    """A schema whose validator the model cannot know about in advance, so its first answer fails."""

    leaders: list[str] = Field(description="Names of the leaders who met.")

    @field_validator("leaders")
    @classmethod
    def _capitals(cls, names: list[str]) -> list[str]:
        if not names:
            raise ValueError("list at least one leader")
        for name in names:
            if name != name.upper():
                raise ValueError(f"{name!r} must be written in capital letters: {name.upper()!r}")
        return names


@pytest.mark.vcr
def test_reask_fixes_a_validation_error(local_backend: Backend) -> None:
    text = "President Lula of Brazil met President Roh Moo-hyun of South Korea in Brasilia on Monday."
    result = extract_result(text, ShoutedLeaders, backend=local_backend, max_retries=2)
    assert result.attempts == 2  # the first answer failed validation, the re-ask passed
    assert any("LULA" in name for name in result.value.leaders)
    assert any("ROH" in name for name in result.value.leaders)
