"""The JSON Schema files in schemas/: generated from the models by one command, checked for drift by a test.

Regenerate with ``summit-extract schema --out schemas`` (or ``python -m summit_extract schema``).
These are the schemas the model is asked to fill; fields the library fills itself (spans, ISO countries,
resolved dates) are hidden from them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ._prompting import schema_json
from .summit._models import (  # TODO(issue 8)
    Agreement,
    Dispute,
    Location,
    Participant,
    Statement,
    Summit,
    SummitDate,
)

#: File stem -> model, for every public schema.
SCHEMAS: dict[str, type[BaseModel]] = {
    "summit": Summit,
    "participant": Participant,
    "agreement": Agreement,
    "dispute": Dispute,
    "statement": Statement,
    "location": Location,
    "summit_date": SummitDate,
}


def write_schemas(directory: Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every public model; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = directory / f"{name}.schema.json"
        path.write_text(schema_json(model), encoding="utf-8")
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema files that are missing or differ from the models (empty when all match)."""
    stale = []
    for name, model in SCHEMAS.items():
        path = directory / f"{name}.schema.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != schema_json(model):
            stale.append(path.name)
    return stale
