"""Any OpenAI-compatible endpoint, configured as the openai SDK is (OPENAI_API_KEY, OPENAI_BASE_URL)."""

from __future__ import annotations

import os

import instructor
import openai

from .._backend import DEFAULT_OPENAI_MODEL, MODEL_ENV, Backend, shared
from .._exceptions import ConfigurationError

__all__ = [
    "COMPATIBLE_CONTEXT_TOKENS",
    "CONTEXT_ENV",
    "MODE_ENV",
    "OPENAI_CONTEXT_TOKENS",
    "OPENAI_URL",
    "backend",
    "context_tokens",
]

#: Environment variable that overrides the instructor mode (e.g. "json_schema" for llama.cpp servers).
MODE_ENV = "SUMMIT_EXTRACT_MODE"
#: Environment variable giving the served model's context window in tokens (longer articles are chunked).
CONTEXT_ENV = "SUMMIT_EXTRACT_CONTEXT_TOKENS"
#: Context assumed for api.openai.com (its current chat models hold at least this much).
OPENAI_CONTEXT_TOKENS = 128_000
#: Context assumed for any other server when CONTEXT_ENV is not set: small, as Ollama's default is, so a
#: long article is chunked rather than cut off by the server without a word.
COMPATIBLE_CONTEXT_TOKENS = 4096
OPENAI_URL = "https://api.openai.com/v1"


def context_tokens(base_url: str | None) -> int:
    """The context window to plan requests for: CONTEXT_ENV, else a default by server."""
    raw = os.environ.get(CONTEXT_ENV)
    if raw:
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            value = 0
        if value < 1024:
            raise ConfigurationError(
                f"{CONTEXT_ENV}={raw!r} is not a context size in tokens (an integer, at least 1024)."
            )
        return value
    if base_url is None or base_url.rstrip("/") == OPENAI_URL:
        return OPENAI_CONTEXT_TOKENS
    return COMPATIBLE_CONTEXT_TOKENS


def backend(model: str | None = None) -> Backend:
    """The backend for OPENAI_BASE_URL (or api.openai.com), with the SDK's own retries off."""
    base_url = os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("OPENAI_API_KEY")
    if not api_key:
        if not base_url:
            raise ConfigurationError(
                "OPENAI_API_KEY is not set. Set it (and OPENAI_BASE_URL for a compatible server)."
            )
        api_key = "unused"  # local servers such as Ollama accept any key
    mode_name = os.environ.get(MODE_ENV)
    try:
        mode = instructor.Mode(mode_name) if mode_name else instructor.Mode.TOOLS
    except ValueError as exc:
        raise ConfigurationError(
            f"{MODE_ENV}={mode_name!r} is not an instructor mode; try 'tool_call' or 'json_schema_mode'."
        ) from exc
    key = api_key
    return Backend(
        name="openai",
        model=model or os.environ.get(MODEL_ENV) or DEFAULT_OPENAI_MODEL,
        mode=mode,
        make_client=shared(lambda: openai.OpenAI(api_key=key, base_url=base_url, max_retries=0)),
        make_async_client=lambda: openai.AsyncOpenAI(api_key=key, base_url=base_url, max_retries=0),
        context_tokens=context_tokens(base_url),
        max_concurrency=8,
        endpoint=(base_url or OPENAI_URL).rstrip("/"),
    )
