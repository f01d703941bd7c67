"""Shared fixtures: cassette replay of the embedded model, with secrets filtered and bodies normalized.

Replay (the default, ``--record-mode=none``) needs no model and no network: the backend points at a
dead local port and vcrpy answers from ``cassettes/``. Recording (``--record-mode=rewrite``) starts the
embedded model and records what it really says.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from summit_extract import Backend, load_provider
from tests.paths import CASSETTES, SEED

_PYDANTIC_URL = re.compile(r"https://errors\.pydantic\.dev/[^/\s\"']+/")


def normalized_body(raw: bytes | str | None) -> Any:
    """A request body with what may change across library versions (pydantic's error URLs) masked."""
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = _PYDANTIC_URL.sub("https://errors.pydantic.dev/VERSION/", text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _body_matcher(r1: Any, r2: Any) -> None:
    assert normalized_body(r1.body) == normalized_body(r2.body), "request bodies differ"


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("normalized_body", _body_matcher)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        # The local server's port is random: match on method, path and (normalized) body only.
        "match_on": ["method", "path", "normalized_body"],
        "filter_headers": [
            "authorization",
            "api-key",
            "x-api-key",
            "openai-organization",
            "openai-project",
            "set-cookie",
            "cookie",
        ],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.split(".")[-1])


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> bool:
    return str(request.config.getoption("--record-mode")) not in ("none", "None")


@pytest.fixture
def local_backend(recording: bool) -> Backend:
    """The embedded backend: the real server when recording, a dead port that vcrpy answers when replaying."""
    real = load_provider("local")
    if recording:
        return real
    import dataclasses

    import openai

    dead = "http://127.0.0.1:9/v1"
    return dataclasses.replace(
        real,
        make_client=lambda: openai.OpenAI(base_url=dead, api_key="local", max_retries=0),
        make_async_client=lambda: openai.AsyncOpenAI(base_url=dead, api_key="local", max_retries=0),
    )


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


#: Test modules that check plumbing against the fault server (tests/fake_openai.py) with canned answers.
PLUMBING_MODULES = {
    "test_batch",
    "test_batch_faults",
    "test_cli",
    "test_bad_input",
    "test_faults",
    "test_planning",
}


@pytest.fixture(autouse=True)
def _canned_findings_are_kept(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fault server answers with canned findings that state nothing ("the matter the article
    reports", parties "Side A"), which the Summit's finding filters (tested on their own in
    test_models.py) would drop. Plumbing tests switch those filters off; tests that replay the
    embedded model's recordings keep them, like every other test."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if module in PLUMBING_MODULES and "local_backend" not in request.fixturenames:
        from summit_extract import Summit

        monkeypatch.setattr(Summit, "filters", frozenset())
