"""Live: the embedded model, for real, on a short text (run with -m local_model; .ci/run does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
    marker = json.loads(path.with_suffix(".verified").read_text())
    assert marker["sha256"] == local.MODEL_SHA256 and marker["size"] == local.MODEL_SIZE
    assert marker["inode"] == path.stat().st_ino and marker["mtime_ns"] == path.stat().st_mtime_ns


def test_embedded_model_extracts_a_short_summit() -> None:
    result = extract_result(TEXT, Summit, backend=load_provider("local"))
    summit = result.value
    # Three passes, each answered once, all reading the same cached article prefix.
    assert result.requests == {"frame": 1, "agreements": 1, "disputes": 1}
    assert result.backend == "local" and result.usage.completion_tokens > 0
    assert result.usage.cached_tokens > 0
    (agreement,) = summit.agreements
    assert "fighter jet" in agreement.subject and set(agreement.parties) == {"Germany", "France"}
    assert (
        agreement.span is not None and TEXT[agreement.span.start : agreement.span.end] == agreement.evidence
    )
    # On so short a text the model itself tends to answer "no summit"; its own frame names both leaders,
    # so the leaders_meet rule reports the summit, and both leaders are found where the text names them.
    assert summit.is_summit
    surnames = {(p.name or "").split()[-1] for p in summit.participants if p.name}
    assert {"Scholz", "Macron"} <= surnames
    for p in summit.participants:
        assert p.span is not None and TEXT[p.span.start : p.span.end] == p.evidence


OTHER = "PARIS, May 2 - French President Emmanuel Macron met Spanish Prime Minister Pedro Sanchez in Paris."


def test_a_new_process_starts_with_the_prompt_prefix_this_one_saved() -> None:
    # Three requests: the slot is saved before the second (once per process, whichever test came first).
    extract_result(TEXT, Summit, backend=load_provider("local"))
    code = (
        "from summit_extract import Summit, extract_result, load_provider\n"
        "from summit_extract.providers import local\n"
        f"r = extract_result({OTHER!r}, Summit, backend=load_provider('local'))\n"
        "print(local.restored_prompt_tokens(), r.usage.cached_tokens, r.usage.prompt_tokens)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=True
    )
    restored, cached, prompt = map(int, run.stdout.split()[-3:])
    # The new server read the system message and the worked examples (~1,600 tokens) from disk, not
    # again: its three requests read only the other article and the tasks anew.
    assert restored > 1000 and prompt - cached < 400, run.stdout


def test_three_slots_write_the_passes_at_once_each_from_the_article_read_once() -> None:
    # A process of its own: the server's slots are fixed when it starts.
    code = (
        "from summit_extract import Summit, extract_result, load_provider\n"
        f"r = extract_result({TEXT!r}, Summit, backend=load_provider('local'))\n"
        "print(sorted(r.requests.items()), r.usage.prompt_tokens, r.usage.cached_tokens)\n"
        "print([a.subject for a in r.value.agreements])\n"
    )
    env = {**os.environ, "SUMMIT_EXTRACT_PARALLEL_PASSES": "3"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=True, env=env
    )
    counts, agreements = run.stdout.strip().splitlines()[-2:]
    *_, prompt, cached = counts.split()
    assert counts.startswith("[('agreements', 1), ('disputes', 1), ('frame', 1)]"), run.stdout
    # The article was read once, in one slot, and copied into the other two: the three requests read only
    # their own tasks anew (without the copy, two of them would read the examples and article again).
    assert int(prompt) - int(cached) < 300, run.stdout
    assert "fighter jet" in agreements, run.stdout
