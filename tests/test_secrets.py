"""Secrets: no key in committed artefacts (cassettes first), exception messages, log records or reprs.

The scan covers every file git tracks or would add (cassettes, benchmark results, examples, docs), and
is itself tested on a planted leak so that a scanner that finds nothing cannot pass by accident.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml

from summit_extract import (
    ExtractionError,
    RetryPolicy,
    Summit,
    aextract_result,
    extract_result,
    load_provider,
)
from tests.fake_openai import FakeOpenAI, reset, status
from tests.paths import CASSETTES, ROOT

#: Key formats of the APIs this library or its users are likely to hold.
KEY_PATTERNS = {
    "OpenAI-style key": re.compile(r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_\-]{20,}"),
    "bearer token": re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=\-]{12,}"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9\-]{10,}"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
}
#: Headers that carry credentials and must never be recorded.
SECRET_HEADERS = {
    "authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie", "set-cookie",
    "proxy-authorization",
}
_SKIP_SUFFIXES = {".gguf", ".png", ".jpg", ".gif", ".ico", ".pdf", ".zip", ".gz", ".whl", ".pyc"}


def artefacts(root: Path = ROOT) -> list[Path]:
    """Every file git tracks or would add (not ignored), plus every cassette."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    files = {root / name for name in listed if name}
    files |= set((root / "cassettes").rglob("*")) if (root / "cassettes").is_dir() else set()
    return sorted(f for f in files if f.is_file() and f.suffix not in _SKIP_SUFFIXES)


def leaks_in_text(text: str) -> list[str]:
    """The kinds of key-like strings found in a text."""
    return [kind for kind, pattern in KEY_PATTERNS.items() if pattern.search(text)]


def recorded_secret_headers(cassette: Path) -> list[str]:
    """Credential headers recorded in a vcrpy cassette, requests and responses alike."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8")) or {}
    found = []
    for interaction in data.get("interactions", []):
        for side in ("request", "response"):
            headers = (interaction.get(side) or {}).get("headers") or {}
            found += [f"{side} header {name}" for name in headers if name.lower() in SECRET_HEADERS]
    return found


def scan(files: list[Path]) -> list[str]:
    problems = []
    for path in files:
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary
        text = data.decode("utf-8", "replace")
        problems += [f"{path}: {kind}" for kind in leaks_in_text(text)]
        if path.suffix in (".yaml", ".yml") and "interactions:" in text:
            problems += [f"{path}: {what}" for what in recorded_secret_headers(path)]
    return problems


def test_no_committed_file_carries_a_key_or_credential_header() -> None:
    files = artefacts()
    assert any(CASSETTES in f.parents for f in files), "no cassette found: is the scan looking elsewhere?"
    assert scan(files) == []


def test_the_scan_finds_planted_leaks(tmp_path: Path) -> None:
    key = "sk-proj-" + "a1B2c3D4" * 5
    cassette = tmp_path / "leaky.yaml"
    cassette.write_text(yaml.safe_dump({
        "interactions": [{
            "request": {"headers": {"Authorization": ["Bearer local"], "Content-Type": ["application/json"]}},
            "response": {"headers": {"Set-Cookie": ["session=1"]}},
        }],
        "version": 1,
    }))
    body = tmp_path / "results.json"
    body.write_text('{"note": "called with ' + key + '", "auth": "Bearer ' + "x9" * 12 + '"}')
    clean = tmp_path / "clean.md"
    clean.write_text("Keys go in OPENAI_API_KEY, e.g. sk-... ; the fake server uses sk-fake-server-key.\n")
    problems = scan([cassette, body, clean])
    assert f"{cassette}: request header Authorization" in problems
    assert f"{cassette}: response header Set-Cookie" in problems
    assert f"{body}: OpenAI-style key" in problems and f"{body}: bearer token" in problems
    assert not [p for p in problems if str(clean) in p]


# --- a key given through OPENAI_API_KEY stays out of errors, logs and reprs ------------------------

#: Built at run time so that this file itself never holds a key-like string.
KEY = "sk-proj-" + "Zq9Xw" * 9
FAST = RetryPolicy(max_attempts=3, backoff_initial=0.01, backoff_max=0.05, timeout=5.0)


@pytest.fixture
def env_backend(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeOpenAI() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_LOG", "debug")  # the SDK's most talkative setting
        monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
        yield srv, load_provider("openai")


def everything_said(error: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    """The error's message, repr and full chained traceback, plus every log record at DEBUG."""
    records = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error)), records])


@pytest.mark.parametrize(
    "replies",
    [
        [status(401, body={"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}})],
        [status(500), status(502), status(503)],
        [reset(), status(429, headers={"Retry-After": "0"}), status(500)],
        [status(403)],
    ],
    ids=["401", "5xx", "reset-429-500", "403"],
)
def test_key_is_in_no_error_or_log_record(
    env_backend: Any, caplog: pytest.LogCaptureFixture, seed_text: str, replies: list[Any]
) -> None:
    srv, backend = env_backend
    srv.default = replies[-1]
    srv.script(*replies)
    caplog.set_level(logging.DEBUG)  # every logger: summit_extract, instructor, openai, httpx2, httpcore2
    with pytest.raises(ExtractionError) as info:
        extract_result(seed_text, Summit, backend=backend, policy=FAST)
    # The key was really in play: the server received it.
    assert all(h.get("authorization", h.get("Authorization")) == f"Bearer {KEY}" for h in srv.headers)
    assert len(caplog.records) > 0
    said = everything_said(info.value, caplog)
    assert KEY not in said and KEY[8:30] not in said
    assert KEY not in repr(backend) and KEY not in str(backend)


async def test_key_is_in_no_async_error_or_log_record(
    env_backend: Any, caplog: pytest.LogCaptureFixture, seed_text: str
) -> None:
    srv, backend = env_backend
    srv.default = status(500)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ExtractionError) as info:
        await aextract_result(seed_text, Summit, backend=backend, policy=FAST)
    assert srv.count >= FAST.max_attempts  # every attempt of a pass made (the passes run concurrently)
    assert KEY not in everything_said(info.value, caplog)


def test_a_key_echoed_by_the_endpoint_is_masked_in_the_message(env_backend: Any, seed_text: str) -> None:
    srv, backend = env_backend
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": None}}
    srv.default = status(400, body=echo)
    with pytest.raises(ExtractionError) as info:
        asyncio.run(aextract_result(seed_text, Summit, backend=backend, policy=FAST))
    assert "HTTP 400" in str(info.value) and "Incorrect API key provided: sk-***" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
