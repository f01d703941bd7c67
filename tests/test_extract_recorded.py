"""End-to-end extraction replayed from cassettes recorded from the embedded model (no model, no network).

Re-record with:
    flock /tmp/summit-model.lock python -m pytest tests/test_extract_recorded.py --record-mode=rewrite
The assertions state what the recorded model said, checked against the article; a change to the prompt or
schema changes the request bodies, so the cassettes must then be re-recorded and these assertions re-read.
The async twin has its own recording, so it proves the async path sends the same requests.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field, field_validator

from summit_extract import Backend, Extraction, Summit, aextract_result, extract_result
from summit_extract._grounding import walk
from tests.paths import DEVSET, ROOT

#: The requests one seed extraction makes, each answered once (no re-ask, no retry): the frame over the
#: whole article, then agreements and disputes over each of its two pieces.
SEED_REQUESTS = {"frame": 1, "agreements@1": 1, "disputes@1": 1, "agreements@2": 1, "disputes@2": 1}


def assert_grounded(value: BaseModel, text: str) -> None:
    """Every returned item has evidence whose offsets slice the article back to it."""
    items = list(walk(value))
    assert items, "expected grounded items"
    for item in items:
        assert item.span is not None and item.span.alignment != "unaligned", item
        assert text[item.span.start : item.span.end] == item.evidence_text(), item


def _subjects(items: list[object]) -> str:
    return " | ".join(str(getattr(i, "subject", "")).lower() for i in items)


_SEED_AGREED = ("north korea", "chips", "heal a rift", "dispatch of a south korean team")


def assert_seed_summit(result: Extraction[Summit], text: str) -> None:
    """What the recorded model found in the seed article, as a reader of the article sees it."""
    summit = result.value
    assert summit.is_summit and summit.is_summit_reason is None
    names = {p.name for p in summit.participants}
    assert names == {"Yoon Suk Yeol", "Fumio Kishida"}
    countries = {p.name: p.country_iso.alpha3 for p in summit.participants if p.country_iso}
    assert countries == {"Yoon Suk Yeol": "KOR", "Fumio Kishida": "JPN"}
    titles = {p.name: p.title for p in summit.participants}
    assert titles == {"Yoon Suk Yeol": "President", "Fumio Kishida": "Prime Minister"}
    assert summit.location is not None and summit.location.city == "Seoul"
    # The dateline says "May 7" with no year: the year stays unknown, nothing is invented.
    assert summit.date is not None and summit.date.month == 5 and summit.date.day == 7
    assert summit.date.year is None and summit.date.year_from is None
    # All four things the two leaders agreed; the model listed three, and the last sentence's "The two
    # leaders also agreed for the dispatch of ..." was added by the stated_agreements rule.
    agreed = _subjects(summit.agreements)
    for thing in _SEED_AGREED:
        assert thing in agreed, (thing, agreed)
    # The fifth is the gold's optional one: Yoon "would be open for Japan to join a security arrangement
    # he reached with Biden", a commitment in the conditional the cue filter keeps.
    others = [a for a in summit.agreements if not any(t in a.subject.lower() for t in _SEED_AGREED)]
    offer = "Yoon also said he would be open for Japan to join"
    assert [a.evidence.startswith(offer) for a in others] == [True], agreed
    disputed = _subjects(summit.disputes)
    assert "compensation" in disputed and "radioactive water" in disputed, disputed
    assert len(summit.disputes) == 2, disputed
    assert_grounded(summit, text)
    assert result.requests == SEED_REQUESTS
    assert result.attempts == len(SEED_REQUESTS)
    assert result.usage.cached_tokens > 0, "the passes share the article's prompt prefix"


@pytest.mark.vcr
def test_seed_summit(local_backend: Backend, seed_text: str) -> None:
    result = extract_result(seed_text, Summit, backend=local_backend)
    assert_seed_summit(result, seed_text)
    assert result.backend == "local" and result.model == local_backend.model


@pytest.mark.vcr("test_seed_summit.yaml")
def test_the_readme_demo_prints_the_agreements_and_two_disputes_with_evidence(
    local_backend: Backend, seed_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("extract_seed", ROOT / "examples" / "extract_seed.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.show(extract_result(seed_text, Summit, backend=local_backend).value)
    printed = capsys.readouterr().out
    agreements = printed.split("Agreements:")[1].split("Disputes:")[0]
    disputes = printed.split("Disputes:")[1]
    # The four agreed, and Yoon's offer of a security arrangement (see assert_seed_summit).
    assert agreements.count("  - [") == 5 and agreements.count("evidence: ") == 5, printed
    assert disputes.count("  - [") == 2 and disputes.count("evidence: ") == 2, printed
    for words in ("North Korea", "chips", "heal a rift", "Fukushima", "security arrangement"):
        assert words in agreements, (words, printed)
    assert "compensation" in disputes and "radioactive water" in disputes, printed


@pytest.mark.vcr
async def test_seed_summit_async_twin(local_backend: Backend, seed_text: str) -> None:
    result = await aextract_result(seed_text, Summit, backend=local_backend)
    assert_seed_summit(result, seed_text)


@pytest.mark.vcr
def test_domestic_sommet_is_not_a_summit(local_backend: Backend) -> None:
    text = (DEVSET / "articles" / "030_frwikinews_quebec_sommet_enseignement_superieur.txt").read_text()
    result = extract_result(text, Summit, backend=local_backend)
    summit = result.value
    assert summit.is_summit is False
    assert summit.participants == [] and summit.location is None and summit.date is None
    assert result.requests == {"frame": 1, "agreements": 1, "disputes": 1}
    # The model looped on one dispute (recorded in full, since recording reads a stream to its end); the
    # library ended that answer at the first repeat, so it counts fewer tokens than the server wrote.
    written = sum(final_usage(stream)["completion_tokens"] for stream in recorded_streams(SOMMET_CASSETTE))
    assert result.usage.completion_tokens < written - 200
    assert len({d.subject for d in summit.disputes}) == len(summit.disputes)


SOMMET_CASSETTE = ROOT / "cassettes" / "test_extract_recorded" / "test_domestic_sommet_is_not_a_summit.yaml"


def recorded_streams(path: Path) -> list[str]:
    """The event streams a cassette holds, as the server sent them."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(i["response"]["body"]["string"]) for i in data["interactions"]]


def final_usage(stream: str) -> dict[str, Any]:
    """The usage in a stream's last event: what the server wrote when it ran to its end."""
    events = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data: {")]
    return next(e["usage"] for e in reversed(events) if e.get("usage"))


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
    # A plain pydantic schema keeps the one-request prompt of 0.1: this cassette predates the passes.
    text = "President Lula of Brazil met President Roh Moo-hyun of South Korea in Brasilia on Monday."
    result = extract_result(text, ShoutedLeaders, backend=local_backend, max_retries=2)
    assert result.attempts == 2  # the first answer failed validation, the re-ask passed
    assert result.requests == {"main": 2}
    assert any("LULA" in name for name in result.value.leaders)
    assert any("ROH" in name for name in result.value.leaders)
