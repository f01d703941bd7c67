"""The embedded server's prompt cache, kept on disk between processes.

Every request of an article type starts with the same system message and worked examples (about 1,600
tokens for a Summit). llama.cpp keeps what it read in its slot, so within one process only the first
request reads them; a new process would read them again, which costs a two-core machine about 25 seconds
(a CLI run on one article, a script started per file, a restarted notebook). So the slot's state is saved
once per process, after the library's first request has filled it, and restored when the next process
starts its server. llama.cpp's own ``/slots`` save and restore do the work; the file holds the tokens
and their KV cache (about 30 kB per token), and a later request reuses the longest prefix it shares.

The file is keyed by the model and the llama.cpp build: a cache from another model or build is never
read. A file that fails to restore is removed. ``SUMMIT_EXTRACT_PROMPT_CACHE=0`` turns all this off;
another value names the folder to keep the file in.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from importlib import metadata
from pathlib import Path

import httpx2

__all__ = ["PROMPT_CACHE_ENV", "PromptCache"]

#: ``0`` (or ``off``) keeps no prompt cache on disk; any other value is the folder to keep it in.
PROMPT_CACHE_ENV = "SUMMIT_EXTRACT_PROMPT_CACHE"

log = logging.getLogger("summit_extract")


class PromptCache:
    """Saves the server's slot once per process and restores it into a newly started server."""

    def __init__(self, folder: Path, model_key: str) -> None:
        self.folder = folder
        try:
            build = metadata.version("xllamacpp")
        except metadata.PackageNotFoundError:
            build = "unknown"
        key = hashlib.sha256(f"{model_key}|{build}".encode()).hexdigest()[:16]
        #: A bare file name: llama.cpp writes and reads only inside its ``slot_save_path``.
        self.name = f"prompt-{key}.bin"
        #: Tokens restored into this process's server when it started (0: none, or no file yet).
        self.restored_tokens = 0
        self._saved = False
        self._requests = 0
        self._failures = 0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, default_folder: Path, model_key: str) -> PromptCache | None:
        """The cache the environment asks for; None when ``SUMMIT_EXTRACT_PROMPT_CACHE`` turns it off."""
        setting = os.environ.get(PROMPT_CACHE_ENV, "").strip()
        if setting.lower() in {"0", "off", "false", "no"}:
            return None
        return cls(Path(setting).expanduser() if setting else default_folder, model_key)

    @property
    def path(self) -> Path:
        """Where the saved slot lives."""
        return self.folder / self.name

    def prepare(self) -> str:
        """Create the folder and return it, for the server's ``slot_save_path``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return f"{self.folder}{os.sep}"  # llama.cpp joins it to a file name as a plain string

    def restore(self, server_root: str) -> None:
        """Load the saved slot into a server that has just started; a failed restore removes the file."""
        if not self.path.is_file():
            return
        try:
            reply = httpx2.post(
                f"{server_root}/slots/0?action=restore", json={"filename": self.name}, timeout=60
            )
            reply.raise_for_status()
            self.restored_tokens = int(reply.json().get("n_restored", 0))
        except (httpx2.HTTPError, ValueError) as exc:
            log.warning("the saved prompt cache could not be restored (%s); it is removed", exc)
            self.path.unlink(missing_ok=True)

    def before_request(self, server_root: str) -> None:
        """Called before each request of the library's own client: the first request has filled the slot
        by the time the second is sent, so the slot is saved then, once per process (a slot still busy
        with an answer the library ended early is saved at a later request; three failures end trying)."""
        with self._lock:
            self._requests += 1
            if self._saved or self._requests < 2 or self._failures >= 3:
                return
            self._saved = self.save(server_root)
            self._failures += not self._saved

    def save(self, server_root: str) -> bool:
        """Write the slot to a temporary name, then rename it (a reader never sees half a file)."""
        partial = f"{self.name}.{os.getpid()}.partial"
        try:
            reply = httpx2.post(f"{server_root}/slots/0?action=save", json={"filename": partial}, timeout=60)
            reply.raise_for_status()
            os.replace(self.folder / partial, self.path)
            return True
        except (httpx2.HTTPError, OSError) as exc:
            log.debug("the prompt cache was not saved (%s)", exc)
            (self.folder / partial).unlink(missing_ok=True)
            return False
