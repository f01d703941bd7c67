"""A content-addressed cache of results on disk, so repeating a run costs no request.

The key is a sha256 over everything that decides the answer: the article, the schema's JSON Schema, the
backend, its endpoint (base URL), model and mode, the publication date, the grounding option, extra
instructions and the prompt version. Only successes are stored; each entry is one JSON file written
atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._prompting import PROMPT_VERSION, schema_json

__all__ = ["CACHE_ENV", "ResultCache", "atomic_write", "cache_key", "default_cache_dir"]

#: Environment variable naming the library's cache folder (results go to its ``results/`` subfolder).
CACHE_ENV = "SUMMIT_EXTRACT_CACHE"


def default_cache_dir() -> Path:
    """``$SUMMIT_EXTRACT_CACHE/results``, else ``summit-extract/results`` in the user cache folder."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env).expanduser() / "results"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "summit-extract" / "results"


#: The extraction options that change what is asked, and so the result.
_KEYED_OPTIONS = ("passes", "examples", "translate")


def cache_key(
    text: str,
    schema: type[BaseModel],
    *,
    model: str,
    backend: str,
    mode: str,
    published: dt.date | None = None,
    ungrounded: str = "drop",
    instructions: str | None = None,
    options: dict[str, Any] | None = None,
    endpoint: str | None = None,
) -> str:
    """The sha256 that names a result: same inputs, same prompt version, same key.

    The schema counts by its import path and its JSON Schema, and so do the options that change what is
    asked (``passes``, ``examples``, ``translate``). ``endpoint`` is the server's base URL: the same model
    name on two servers is two models.
    """
    parts = {
        "prompt_version": PROMPT_VERSION,
        "schema_class": f"{schema.__module__}:{schema.__qualname__}",
        "schema": schema_json(schema),
        "options": {k: v for k, v in sorted((options or {}).items()) if k in _KEYED_OPTIONS},
        "model": model,
        "backend": backend,
        "endpoint": endpoint,
        "mode": mode,
        "published": published.isoformat() if published else None,
        "ungrounded": ungrounded,
        "instructions": instructions,
        "text": text,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class ResultCache:
    """Results stored as ``<root>/<key[:2]>/<key>.json``; a missing or unreadable entry is a miss."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry, or None."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry atomically: readers see the old file or the new one, never half of one."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(entry, ensure_ascii=False).encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
