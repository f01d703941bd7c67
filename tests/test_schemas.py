"""schemas/ must match the models: regenerate with `summit-extract schema --out schemas`."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from summit_extract._schemas import SCHEMAS, stale_schemas, write_schemas

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schemas_match_models() -> None:
    assert stale_schemas(ROOT / "schemas") == [], "run: summit-extract schema --out schemas"


def test_drift_is_detected(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []
    path = tmp_path / "summit.schema.json"
    data = json.loads(path.read_text())
    data["properties"]["is_summit"]["description"] = "something else"
    path.write_text(json.dumps(data))
    assert stale_schemas(tmp_path) == ["summit.schema.json"]


def test_schema_hides_fields_the_library_fills() -> None:
    summit = json.loads((ROOT / "schemas" / "summit.schema.json").read_text())
    participant = summit["$defs"]["Participant"]["properties"]
    assert {"evidence", "name", "title", "country"} <= set(participant)
    assert "span" not in participant and "country_iso" not in participant
    assert set(summit["$defs"]["SummitDate"]["properties"]) == {"text"}


def test_every_public_model_is_exported() -> None:
    import summit_extract

    for model in SCHEMAS.values():
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert getattr(summit_extract, model.__name__) is model
