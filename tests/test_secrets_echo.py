"""A key the endpoint echoes back in an error body survives nowhere: message, chain, traceback, logs, CLI.

The fault server answers with error bodies that quote a key in each format a user may hold (OpenAI
project and service keys, Anthropic, Groq, xAI, Google, Hugging Face, Replicate, bearer tokens, keys in
URLs). Keys are built at run time so that this file never holds a key-like string.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_extract import ExtractionError, RetryPolicy, Summit, aextract_result, extract_result
from summit_extract._interfaces.cli import app
from summit_extract._secrets import mask, scrub
from tests.fake_openai import FakeOpenAI, status

TAIL = "Q7wLm2Xv9Rt4Kp8Zs3Nb6Hc1Yd5Fg0Ja"
#: (name, key as it appears in the body, the part that must never be seen)
KEYS = [
    ("openai", "sk-" + TAIL, TAIL),
    ("openai-project", "sk-proj-" + TAIL + "_" + TAIL, TAIL),
    ("openai-service", "sk-svcacct-" + TAIL, TAIL),
    ("anthropic", "sk-ant-api03-" + TAIL, TAIL),
    ("groq", "gsk_" + TAIL, TAIL),
    ("xai", "xai-" + TAIL, TAIL),
    ("google", "AIza" + "Sy" + TAIL[:33], TAIL[:20]),
    ("huggingface", "hf_" + TAIL, TAIL),
    ("replicate", "r8_" + TAIL, TAIL),
    ("bearer", "Bearer " + TAIL, TAIL),
    ("url-query", "https://api.example.com/v1/models?key=" + TAIL + "&alt=json", TAIL),
    ("url-api_key", "https://api.example.com/v1?api_key=" + TAIL, TAIL),
    ("url-userinfo", "https://user:" + TAIL + "@api.example.com/v1", TAIL),
]
FAST = RetryPolicy(max_attempts=2, backoff_initial=0.01, backoff_max=0.02, timeout=5.0)


def chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
    return seen


def everything_said(error: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    """Message, repr, formatted traceback, each chained exception's args, body and response, and all logs."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    for exc in chain(error):
        parts += [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "body", None))]
        parts.append(repr(getattr(exc, "message", None)))
        response = getattr(exc, "response", None)
        if response is not None and hasattr(response, "text"):
            parts.append(response.text)
    handler = logging.Formatter("%(name)s %(message)s")
    parts += [handler.format(r) for r in caplog.records]
    return "\n".join(parts)


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


@pytest.mark.parametrize(("name", "key", "secret"), KEYS, ids=[k[0] for k in KEYS])
def test_mask_hides_every_key_format(name: str, key: str, secret: str) -> None:
    masked = mask(f"Incorrect API key provided: {key}. You can find your key at the dashboard.")
    assert secret not in masked
    assert "***" in masked and "Incorrect API key provided" in masked


@pytest.mark.parametrize(
    "text",
    [
        "The monkey=business summit skipped task-force talks; sk- and Bearer are words here; risk-free.",
        "Token expired. Invalid value for key=max_tokens; unexpected token: '}' at line 1.",
        "Basic authentication failed; see https://platform.openai.com/account/api-keys for your key.",
        "1 validation error for Summit: is_summit Field required [type=missing, input_value={}]",
    ],
)
def test_mask_leaves_ordinary_text_alone(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize("code", [400, 401, 500])
@pytest.mark.parametrize(("name", "key", "secret"), KEYS, ids=[k[0] for k in KEYS])
def test_an_echoed_key_survives_nowhere(
    srv: FakeOpenAI, caplog: pytest.LogCaptureFixture, seed_text: str, name: str, key: str, secret: str,
    code: int,
) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {key}.", "type": "invalid", "code": None}}
    srv.default = status(code, body=body)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ExtractionError) as info:
        extract_result(seed_text, Summit, backend=srv.backend(), policy=FAST)
    assert srv.count >= 1
    said = everything_said(info.value, caplog)
    assert secret not in said
    if code == 400:  # the message still says what the endpoint said, key masked
        assert "Incorrect API key provided" in str(info.value) and "***" in str(info.value)
    # The chain is kept for debugging, only scrubbed.
    assert len(chain(info.value)) >= 2


async def test_an_echoed_key_survives_nowhere_async(
    srv: FakeOpenAI, caplog: pytest.LogCaptureFixture, seed_text: str
) -> None:
    key = "sk-proj-" + TAIL
    srv.default = status(400, body={"error": {"message": f"bad key {key}", "code": None}})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ExtractionError) as info:
        await aextract_result(seed_text, Summit, backend=srv.backend(), policy=FAST)
    assert TAIL not in everything_said(info.value, caplog)


def test_scrub_cleans_args_attributes_notes_and_the_whole_chain() -> None:
    key = "gsk_" + TAIL
    try:
        try:
            try:
                raise ValueError(f"inner {key}")
            except ValueError as inner:
                inner.body = {"error": {"message": key}}  # type: ignore[attr-defined]
                raise RuntimeError("middle", [key]) from inner
        except RuntimeError:
            raise KeyError(f"outer {key}")  # noqa: B904 (an implicit __context__ on purpose)
    except KeyError as exc:
        exc.add_note(f"note {key}")
        scrub(exc)
        text = "".join(traceback.format_exception(exc))
        assert TAIL not in text
        assert TAIL not in repr(exc.__context__.args)  # type: ignore[union-attr]
        assert TAIL not in repr(exc.__context__.__cause__.body)  # type: ignore[union-attr]
        assert "gsk_***" in text


def test_the_cli_report_and_extract_print_no_echoed_key(
    srv: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-" + TAIL)
    monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
    srv.default = status(400, body={"error": {"message": "Incorrect API key provided: sk-proj-" + TAIL}})
    article = tmp_path / "a.txt"
    article.write_text("Leaders met in Oslo on Monday to discuss fishing quotas.\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["report", str(article), "--base-url", srv.base_url],
                 ["-v", "extract", str(article), "--base-url", srv.base_url]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert TAIL not in result.output and "sk-proj-***" in result.output
    assert not (tmp_path / "a.html").exists()
