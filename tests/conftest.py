"""Shared fixtures: cassette replay of the embedded model, with secrets filtered and bodies normalized.

Replay (the default, ``--record-mode=none``) needs no model and no network: the backend points at a
dead local port and vcrpy answers from ``cassettes/``. Recording (``--record-mode=rewrite``) starts the
embedded model and records what it really says.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
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
        # Each recorded answer is played at most once: a test that asks twice where the model was asked
        # once fails instead of getting the same answer again.
        "allow_playback_repeats": False,
        # The model's answers only: the embedded server's housekeeping (rendering a prompt, filling and
        # copying its slots) is not part of what a replay answers.
        "before_record_request": _answers_only,
    }


#: The embedded server's own endpoints that the library calls besides the OpenAI API (providers/_slots.py).
_HOUSEKEEPING = re.compile(r"^/(apply-template|completion|slots/\d+)$")


def _answers_only(request: Any) -> Any:
    return None if _HOUSEKEEPING.match(request.path) else request


#: Tests whose committed recording is known to hold interactions they do not play, with the reason; each
#: is reported as a warning instead of a failure until its cassette is re-recorded (then remove it here).
KNOWN_UNPLAYED = {
    "tests/test_tradedeal.py::test_cli_extracts_a_trade_deal_then_summarizes_it_from_the_cache": (
        "its recording holds 9 interactions and the test makes 3 (the second run is a cache hit)"
    ),
    "tests/test_tradedeal.py::test_cli_report_highlights_a_trade_deal_by_class": (
        "its recording holds 9 interactions and the test makes 3"
    ),
}


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed or hasattr(report, "wasxfail")  # xfail: expected to fail
    return report


@pytest.fixture(scope="session")
def _prompt_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("prompt-cache"))


@pytest.fixture(autouse=True)
def _own_prompt_cache(_prompt_cache_folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's saved prompt cache (providers/_prompt_cache.py): the run keeps
    its own, one folder for the session as the embedded server is one per process."""
    monkeypatch.setenv("SUMMIT_EXTRACT_PROMPT_CACHE", _prompt_cache_folder)


@pytest.fixture(autouse=True)
def _replay_strict(vcr: Any, record_mode: str, request: pytest.FixtureRequest) -> Any:
    """In replay, a test fails when its cassette holds an interaction it never played.

    A recorded re-ask or retry that the code no longer makes (or a request it no longer sends) would
    otherwise pass unnoticed. Depends on pytest-recording's ``vcr`` fixture, so it runs inside the cassette.
    """
    yield
    if vcr is None or record_mode not in ("none", "None") or request.node.stash.get(_CALL_FAILED, False):
        return  # a test that already failed is reported once, for its own failure
    if vcr.all_played:
        return
    played = sum(1 for count in vcr.play_counts.values() if count)
    problem = (
        f"cassette {vcr._path}: {len(vcr.data) - played} of {len(vcr.data)} recorded interaction(s) were "
        "never played (a request the recording holds was not made)"
    )
    known = KNOWN_UNPLAYED.get(request.node.nodeid.split("[")[0])
    if known:
        warnings.warn(f"{problem}; known: {known}", stacklevel=1)
        return
    pytest.fail(problem, pytrace=False)


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

    from summit_extract.providers._streaming import AsyncStopRepeats, StopRepeats

    dead = "http://127.0.0.1:9/v1"
    # The embedded backend's own transport, so a replay reads the recorded stream as a live run does.
    return dataclasses.replace(
        real,
        make_client=lambda: openai.OpenAI(
            base_url=dead,
            api_key="local",
            max_retries=0,
            http_client=openai.DefaultHttpxClient(transport=StopRepeats()),
        ),
        make_async_client=lambda: openai.AsyncOpenAI(
            base_url=dead,
            api_key="local",
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(transport=AsyncStopRepeats()),
        ),
        share_prefix=None,  # no server's slots to fill: the passes still go out together, as recorded
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
    embedded model's recordings keep them, like every other test. They also switch off the rule that
    adds the states an attendance list names ("leaders of South Korea and Japan" in the seed): these
    tests check which of the server's answers survive, and that rule is tested on its own in
    test_summit_rules.py. Sentence grounding and the attendance rule are off for the same reason: the
    canned answers are not the article's, and those rules are tested on their own."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if module in PLUMBING_MODULES and "local_backend" not in request.fixturenames:
        from summit_extract import Summit

        plumbing = {"two_states", "leaders_meet", "meeting_parties", "stated_status"}
        monkeypatch.setattr(Summit, "enabled_rules", frozenset(plumbing))


@pytest.fixture
def clean_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder of the test's own and no endpoint, key, backend, model or mode from the environment:
    what the command line and the runners choose is then what the test sets."""
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SUMMIT_EXTRACT_BACKEND",
        "SUMMIT_EXTRACT_MODEL",
        "SUMMIT_EXTRACT_MODE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One local Ray cluster for a module (starting one takes seconds); two CPUs, no more."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    import summit_extract

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"py_modules": [summit_extract]},  # the workers run this very checkout
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()
