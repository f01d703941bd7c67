"""The manifest of a Batch API run: every job of one OUT file, written before anything is uploaded.

``OUT.batch/manifest.json`` holds the settings every job was planned with and, per job, its items file
(``job-0000.items.jsonl``: the id, text and date of each article, in the order of its requests' custom
ids), its request file, and how far it got (planned, uploading, uploaded, creating, submitted, then the
provider's status). Ids are compared by their JSON form (``records.id_key``), so ``7`` and ``"7"`` stay two
ids, as in ``extract_many``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..._backend import Backend
from ..._cache import atomic_write
from ..._exceptions import ConfigurationError
from ..._planning import ArticlePlan, plan_article
from ..records import id_key

__all__ = ["TERMINAL", "Manifest", "jsonl", "manifest_path", "read_ids", "require_manifest", "settings_of"]

#: The states a job ends in.
TERMINAL = {"completed", "failed", "expired", "cancelled"}
_MANIFEST_VERSION = 1


def manifest_path(out: Path | str) -> Path:
    """Where the manifest of the batch writing ``out`` lives: ``OUT.batch/manifest.json``."""
    return _workdir(Path(out)) / "manifest.json"


def _workdir(out: Path) -> Path:
    return out.with_name(out.name + ".batch")


@dataclass
class Manifest:
    """The jobs of one OUT file, and the settings every job was planned with."""

    path: Path
    run: str
    settings: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, out: Path) -> Manifest | None:
        path = manifest_path(out)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, data["run"], data["settings"], data["jobs"])

    def plan(
        self, text: str | bytes, schema: type[BaseModel], backend: Backend, published: dt.date | None
    ) -> ArticlePlan:
        """An article's requests, planned with the settings its jobs were submitted with."""
        return plan_article(
            text,
            schema,
            backend=backend,
            published=published,
            ungrounded=self.settings["ungrounded"],
            instructions=self.settings["instructions"],
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": _MANIFEST_VERSION, "run": self.run, "settings": self.settings, "jobs": self.jobs}
        atomic_write(self.path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))

    def submitted_ids(self) -> set[str]:
        """The ids (JSON form) of every job's items."""
        return {key for job in self.jobs for key in read_ids(self.path.parent / job["items"])}

    def file(self, job: dict[str, Any], suffix: str) -> Path:
        return self.path.parent / f"{job['key']}.{suffix}"


def read_ids(path: Path) -> set[str]:
    """The ids (JSON form) of an items file."""
    return {id_key(row["id"]) for row in jsonl(path)}


def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSONL file the manifest keeps; none if it does not exist."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def settings_of(
    schema: type[BaseModel], backend: Backend, ungrounded: str, instructions: str | None
) -> dict[str, Any]:
    """The settings a batch is planned with; every job of one manifest shares them."""
    return {
        "schema": f"{schema.__module__}:{schema.__qualname__}",
        "model": backend.model,
        "mode": backend.mode.value,
        "ungrounded": ungrounded,
        "instructions": instructions,
    }


def require_manifest(out: Path) -> Manifest:
    """The manifest of ``out``, or a ConfigurationError saying that nothing was submitted for it."""
    manifest = Manifest.load(out)
    if manifest is None:
        raise ConfigurationError(f"No batch was submitted for {out}: {manifest_path(out)} does not exist.")
    return manifest
