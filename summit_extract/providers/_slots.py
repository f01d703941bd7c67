"""The embedded server's slots: several passes decoded at once, each starting from the article already read.

llama.cpp writes several sequences in one batch for less than it costs to write them one after another
(each step reads the weights once for all), so the passes over one piece may be written at once. But each
slot keeps its own cached prompt: a pass sent to a second slot would read the worked examples and the
article again, which costs more than the batch saves. So before the passes of one piece go out together,
the prompt they share is read once, in one slot, and that slot's state (its tokens and their KV cache) is
copied into the others through llama.cpp's own ``/slots`` save and restore, which take milliseconds. Each
pass then reads only its own instruction, in whichever slot the server gives it.

All of this is an optimisation: any failure is logged and the passes simply read their prompts in full.
It is off by default: on two CPU cores three sequences at once are written little faster than in turn, and
the longest answer sets the pace (``benchmarks/bench_server_options.py``); a GPU or more cores may gain
more (not measured here).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx2

__all__ = ["PARALLEL_ENV", "SlotFork", "parallel_passes"]

#: How many passes of one piece the embedded model writes at once (1: one after another, one slot).
PARALLEL_ENV = "SUMMIT_EXTRACT_PARALLEL_PASSES"
DEFAULT_PARALLEL = 1
#: A shared prompt shorter than this is not worth a copy (the system message alone is cached anyway).
MIN_SHARED_CHARS = 200

log = logging.getLogger("summit_extract")

#: One request's chat messages.
Messages = Sequence[Mapping[str, str]]


def parallel_passes() -> int:
    """The number of slots the environment asks for (``SUMMIT_EXTRACT_PARALLEL_PASSES``, default 1)."""
    raw = os.environ.get(PARALLEL_ENV, "").strip()
    if not raw:
        return DEFAULT_PARALLEL
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        log.warning("%s=%r is not a whole number of at least 1; using 1", PARALLEL_ENV, raw)
        return 1
    return value


class SlotFork:
    """Reads a prompt prefix once and copies it into every other slot of the server."""

    def __init__(self, folder: Path, slots: int) -> None:
        #: The server's ``slot_save_path``: llama.cpp reads and writes slot files only there.
        self.folder = folder
        self.slots = slots
        self.name = f"fork-{os.getpid()}.bin"
        self._lock = threading.Lock()  # two extractions in two threads must not restore each other's file

    def share(self, server_root: str, requests: Sequence[Messages]) -> int:
        """Put the prompt the ``requests`` (chat messages) share into every slot; the number of slots
        that received it (0 when nothing was copied)."""
        if self.slots < 2 or len(requests) < 2:
            return 0
        with self._lock:
            try:
                return self._share(server_root, requests)
            except (httpx2.HTTPError, OSError, KeyError, TypeError, ValueError) as exc:
                log.debug("the shared prompt was not copied into the other slots (%s)", exc)
                return 0
            finally:
                (self.folder / self.name).unlink(missing_ok=True)

    def read_shared(self, server_root: str, requests: Sequence[Messages]) -> int | None:
        """Read the prompt the ``requests`` share into one slot, writing nothing; that slot (None when the
        shared prompt is too short to be worth it)."""
        with httpx2.Client(base_url=server_root, timeout=600) as http:
            return self._read_shared(http, requests)

    def _read_shared(self, http: httpx2.Client, requests: Sequence[Messages]) -> int | None:
        # The prompts exactly as the server renders them (the model's own chat template).
        rendered = [self._render(http, messages) for messages in requests]
        shared = os.path.commonprefix(rendered)  # noqa: RUF071 - a common start of strings, not of paths
        if len(shared) < MIN_SHARED_CHARS:
            return None
        # The server picks the slot whose cached prompt is most like it: only what it lacks is read.
        read = http.post("/completion", json={"prompt": shared, "n_predict": 0, "cache_prompt": True})
        read.raise_for_status()
        return int(read.json()["id_slot"])

    def _share(self, root: str, requests: Sequence[Messages]) -> int:
        with httpx2.Client(base_url=root, timeout=600) as http:
            source = self._read_shared(http, requests)
            if source is None:
                return 0
            http.post(f"/slots/{source}?action=save", json={"filename": self.name}).raise_for_status()
            copied = 0
            for slot in range(self.slots):
                if slot != source:
                    reply = http.post(f"/slots/{slot}?action=restore", json={"filename": self.name})
                    copied += reply.is_success  # a slot busy with another caller's request keeps its own
            return copied

    @staticmethod
    def _render(http: httpx2.Client, messages: Messages) -> str:
        reply = http.post("/apply-template", json={"messages": [dict(m) for m in messages]})
        reply.raise_for_status()
        return str(reply.json()["prompt"])
