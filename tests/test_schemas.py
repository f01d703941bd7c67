"""schemas/ must match the article types: regenerate with `summit-extract schema --out schemas`.

For each registered article type: one request schema per pass (what the model is asked to fill, the
library's own fields hidden) and one result schema (what extract_* returns and the JSONL records hold,
spans, ISO countries and resolved dates included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summit_extract import Summit, TradeDeal, article_types
from summit_extract._document import passes_of
from summit_extract._interfaces.schemas import result_schema, schema_files, stale_schemas, write_schemas

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def test_committed_schemas_match_the_article_types() -> None:
    assert stale_schemas(SCHEMAS) == [], "run: summit-extract schema --out schemas"


def test_every_registered_type_has_a_request_schema_per_pass_and_a_result_schema() -> None:
    assert {"summit": Summit, "tradedeal": TradeDeal}.items() <= article_types().items()
    names = set(schema_files())
    for name, model in article_types().items():
        for each in passes_of(model):
            assert f"{name}.request.{each.name}.schema.json" in names
        assert f"{name}.result.schema.json" in names
    assert names == {p.name for p in SCHEMAS.glob("*.schema.json")}


def test_drift_is_detected(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []
    path = tmp_path / "summit.request.frame.schema.json"
    data = json.loads(path.read_text())
    data["properties"]["is_summit"]["description"] = "something else"
    path.write_text(json.dumps(data))
    (tmp_path / "tradedeal.result.schema.json").unlink()
    assert stale_schemas(tmp_path) == ["summit.request.frame.schema.json", "tradedeal.result.schema.json"]


def test_request_schemas_hide_what_the_library_fills() -> None:
    frame = load("summit.request.frame.schema.json")
    assert frame["title"] == "SummitFrame"
    assert list(frame["properties"]) == [
        "participants",
        "location",
        "date",
        "name",
        "host_country",
        "is_summit",
    ]
    participant = frame["$defs"]["Participant"]["properties"]
    assert {"evidence", "name", "title", "country"} <= set(participant)
    assert "span" not in participant and "country_iso" not in participant
    assert set(frame["$defs"]["SummitDate"]["properties"]) == {"text"}
    commitments = load("tradedeal.request.commitments.schema.json")
    assert list(commitments["properties"]) == ["commitments"]
    assert "span" not in commitments["$defs"]["Commitment"]["properties"]


def test_result_schemas_hold_spans_iso_countries_and_resolved_dates() -> None:
    summit = load("summit.result.schema.json")
    assert summit == result_schema(Summit)
    assert {"span", "country_iso"} <= set(summit["$defs"]["Participant"]["properties"])
    assert {"text", "year", "month", "day", "iso", "year_from", "span"} <= set(
        summit["$defs"]["SummitDate"]["properties"]
    )
    assert "is_summit_reason" in summit["properties"]
    assert set(summit["$defs"]["Span"]["properties"]) == {"start", "end", "alignment", "score"}
    deal = load("tradedeal.result.schema.json")
    assert {"span", "name", "country_iso"} == set(deal["$defs"]["Party"]["properties"])
    assert "iso" in deal["$defs"]["DealDate"]["properties"] and "is_trade_deal_reason" in deal["properties"]


def test_a_stored_result_validates_against_its_result_schema_shape() -> None:
    # A result as the JSONL records hold it: every key is a property of the result schema.
    deal = TradeDeal.model_validate(
        {"parties": [{"name": "Chile", "span": {"start": 0, "end": 5, "alignment": "exact", "score": 100}}]}
    )
    dumped = deal.model_dump(mode="json")
    schema = load("tradedeal.result.schema.json")
    assert set(dumped) == set(schema["properties"])
    assert set(dumped["parties"][0]) == set(schema["$defs"]["Party"]["properties"])
