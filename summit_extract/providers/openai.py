"""Any OpenAI-compatible endpoint, configured as the openai SDK is (OPENAI_API_KEY, OPENAI_BASE_URL)."""

from __future__ import annotations

import os

import instructor
import openai

from .._backend import DEFAULT_OPENAI_MODEL, MODEL_ENV, Backend, shared
from .._exceptions import ConfigurationError

#: Environment variable that overrides the instructor mode (e.g. "json_schema" for llama.cpp servers).
MODE_ENV = "SUMMIT_EXTRACT_MODE"


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
        context_tokens=None,
        max_concurrency=8,
    )
