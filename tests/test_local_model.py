"""Live: the embedded model, for real, on a short text (run with -m local_model; .ci/run does)."""

from __future__ import annotations

import pytest

from summit_extract import Summit, extract_result, load_provider
from summit_extract.providers import local

pytestmark = pytest.mark.local_model

TEXT = (
    "BERLIN, June 4 - German Chancellor Olaf Scholz hosted French President Emmanuel Macron in Berlin on "
    "Tuesday. The two leaders agreed to build a joint fighter jet."
)


def test_model_file_is_assembled_and_verified() -> None:
    path = local.ensure_model_file()
    assert path.stat().st_size == local.MODEL_SIZE
    assert path.with_suffix(".verified").read_text().strip() == local.MODEL_SHA256


def test_embedded_model_extracts_a_short_summit() -> None:
    result = extract_result(TEXT, Summit, backend=load_provider("local"))
    summit = result.value
    assert summit.is_summit
    surnames = {(p.name or "").split()[-1] for p in summit.participants if p.name}
    assert {"Scholz", "Macron"} <= surnames
    for p in summit.participants:
        assert p.span is not None and TEXT[p.span.start : p.span.end] == p.evidence
    assert result.backend == "local" and result.usage.completion_tokens > 0
