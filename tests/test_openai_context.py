"""The openai backend never silently truncates a long article: it plans requests for a known context.

Ollama, the README's example server, keeps only the first 2,048-4,096 tokens of a longer prompt without an
error. The backend takes the context from SUMMIT_EXTRACT_CONTEXT_TOKENS, else assumes a small one for any
server but api.openai.com, so a long article is chunked to fit (or refused with a clear error).
"""

from __future__ import annotations

import pytest

from summit_extract import ConfigurationError, InputError, RetryPolicy, Summit, extract_result, load_provider
from summit_extract.providers import openai as provider
from tests.fake_openai import FakeOpenAI, article_of

PARAGRAPH = (
    "Officials of Chile and Peru met in Lima on Tuesday to discuss fishing quotas in shared waters, and "
    "said that talks on the maritime border would resume next month after a pause of several years. "
)
LONG = "\n\n".join(PARAGRAPH * 3 for _ in range(60))  # ~36,000 characters, ~9,000 tokens


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
    monkeypatch.delenv(provider.CONTEXT_ENV, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("setting", "context"), [("4096", 4096), ("8192", 8192), ("32_768", 32768)])
def test_a_long_article_is_chunked_to_the_configured_context(
    env: pytest.MonkeyPatch, setting: str, context: int
) -> None:
    env.setenv(provider.CONTEXT_ENV, setting)
    with FakeOpenAI() as srv:
        env.setenv("OPENAI_BASE_URL", srv.base_url)
        backend = load_provider("openai")
        assert backend.context_tokens == context
        result = extract_result(LONG, Summit, backend=backend, policy=RetryPolicy(max_attempts=1))
        sent = list(srv.articles())
    expected = 1 if context >= 32768 else 2
    assert len(sent) >= expected
    assert all(len(a) <= (context - 1000) * 3 for a in sent)  # each request fits the context
    assert "".join(sent).count("Lima") >= LONG.count("Lima")  # nothing left out
    assert result.attempts == len(sent)


def test_without_a_setting_a_compatible_server_gets_a_small_context(env: pytest.MonkeyPatch) -> None:
    with FakeOpenAI() as srv:
        env.setenv("OPENAI_BASE_URL", srv.base_url)
        backend = load_provider("openai")
        assert backend.context_tokens == provider.COMPATIBLE_CONTEXT_TOKENS
        extract_result(LONG, Summit, backend=backend, policy=RetryPolicy(max_attempts=1))
        assert srv.count > 1 and max(len(article_of(b)) for b in srv.requests) < len(LONG)


def test_api_openai_com_gets_its_large_context(env: pytest.MonkeyPatch) -> None:
    env.delenv("OPENAI_BASE_URL", raising=False)
    backend = load_provider("openai")
    assert backend.context_tokens == provider.OPENAI_CONTEXT_TOKENS
    assert backend.endpoint == "https://api.openai.com/v1"


def test_a_context_too_small_for_any_chunk_is_a_clear_error(env: pytest.MonkeyPatch) -> None:
    env.setenv(provider.CONTEXT_ENV, "1024")
    with FakeOpenAI() as srv:
        env.setenv("OPENAI_BASE_URL", srv.base_url)
        with pytest.raises(InputError, match=r"does not fit the model.s context of 1024"):
            extract_result(LONG, Summit, backend=load_provider("openai"))
        assert srv.count == 0


@pytest.mark.parametrize("bad", ["lots", "0", "512", "-1"])
def test_a_bad_context_setting_is_a_configuration_error(env: pytest.MonkeyPatch, bad: str) -> None:
    env.setenv(provider.CONTEXT_ENV, bad)
    with pytest.raises(ConfigurationError, match=provider.CONTEXT_ENV):
        load_provider("openai")
