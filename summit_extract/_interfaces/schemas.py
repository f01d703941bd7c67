"""The JSON Schema files in schemas/: generated from the article types by one command, checked for drift.

For each article type (every registered one by default), named by its registered name:

- ``<type>.request.<pass>.schema.json``: what the model is asked to fill in that pass (the pass's
  response model); fields the library fills itself (spans, ISO countries, resolved dates) are hidden;
- ``<type>.result.schema.json``: what ``extract_*`` returns and what the JSONL records' ``result`` holds,
  in serialization mode, spans, ISO countries and resolved dates included;
- ``event.schema.json`` (with every registered type): one line of what ``consolidate`` writes, for any type.

Regenerate with ``summit-extract schema --out schemas`` (``--check`` fails on drift).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from .._document import article_types, pass_model, passes_of, type_name

__all__ = ["result_schema", "schema_files", "stale_schemas", "type_name", "write_schemas"]


class _WithLibraryFields(GenerateJsonSchema):
    """Schema generation that keeps the fields marked ``SkipJsonSchema`` (the library fills them)."""

    def generate_inner(self, schema: Any) -> Any:
        metadata = schema.get("metadata") or {}
        functions = metadata.get("pydantic_js_annotation_functions")
        if functions:
            kept = [f for f in functions if type(getattr(f, "__self__", None)).__name__ != "SkipJsonSchema"]
            if len(kept) != len(functions):
                schema = {**schema, "metadata": {**metadata, "pydantic_js_annotation_functions": kept}}
        return super().generate_inner(schema)


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def result_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The schema of a result as returned and stored: serialization mode, library-filled fields included."""
    return model.model_json_schema(mode="serialization", schema_generator=_WithLibraryFields)


def schema_files(models: list[type[BaseModel]] | None = None) -> dict[str, str]:
    """File name -> content, for the given article types (default: every registered one)."""
    chosen = models if models is not None else list(article_types().values())
    files: dict[str, str] = {}
    for model in chosen:
        name = type_name(model)
        for each in passes_of(model):
            request = pass_model(model, each)
            files[f"{name}.request.{each.name}.schema.json"] = _dump(request.model_json_schema())
        files[f"{name}.result.schema.json"] = _dump(result_schema(model))
    if models is None:
        from .._events import Event

        files["event.schema.json"] = _dump(Event.model_json_schema(mode="serialization"))
    return files


def write_schemas(directory: Path, models: list[type[BaseModel]] | None = None) -> list[Path]:
    """Write every schema file of the article types; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, content in schema_files(models).items():
        path = directory / filename
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def stale_schemas(directory: Path, models: list[type[BaseModel]] | None = None) -> list[str]:
    """Schema files that are missing, differ from the models, or belong to no article type any more."""
    expected = schema_files(models)
    stale = [name for name, content in expected.items() if _read(directory / name) != content]
    if models is None and directory.is_dir():
        stale += sorted(p.name for p in directory.glob("*.schema.json") if p.name not in expected)
    return stale
