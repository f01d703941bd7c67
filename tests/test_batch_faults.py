"""Nothing lost in a batch: ~10% injected faults, the process killed with SIGKILL mid-run, then resumed.

The batch runs in a child process against the fake server (which lives in this process, so it
outlives the kill). After the resume every input must have exactly one record, a result or an
error, with no duplicate and no corrupt line; items already done before the kill are not asked again.
The full-size run (1,000 inputs) is benchmarks/bench_faults.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from summit_extract import RetryPolicy
from summit_extract._runners.batch import extract_many
from summit_extract._runners.records import Item
from tests.fake_openai import PERMANENT, TRANSIENT, FakeOpenAI, fault_plan, faulty
from tests.paths import ROOT

#: The child: runs extract_many over items.json into out.jsonl against the server at argv[1].
WORKER = """
import json, sys
from pathlib import Path
import instructor, openai
from summit_extract import Backend, RetryPolicy
from summit_extract._runners.batch import extract_many
from summit_extract._runners.records import Item
from summit_extract._cache import ResultCache

url, work, concurrency = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
backend = Backend(
    name="fake", model="fake-model", mode=instructor.Mode.JSON_SCHEMA,
    make_client=lambda: openai.OpenAI(base_url=url, api_key="sk-fake", max_retries=0),
    make_async_client=lambda: openai.AsyncOpenAI(base_url=url, api_key="sk-fake", max_retries=0),
    max_concurrency=concurrency,
)
items = [Item(i["id"], i["text"]) for i in json.loads((work / "items.json").read_text())]
policy = RetryPolicy(max_retries=1, max_attempts=4, timeout=1.0, total_timeout=60.0,
                     backoff_initial=0.01, backoff_max=0.05, reask_ungrounded=True)
summary = extract_many(items, out=work / "out.jsonl", backend=backend, policy=policy, progress=False,
                       cache=ResultCache(work / "cache"))
print(json.dumps(summary.to_dict()))
"""


#: Ungrounded evidence is re-asked, so that an "ungrounded" fault is transient like the others.
POLICY = RetryPolicy(
    max_retries=1, max_attempts=4, timeout=1.0, total_timeout=60.0, backoff_initial=0.01, backoff_max=0.05,
    reask_ungrounded=True,
)
#: Requests per article when nothing goes wrong: a Summit's frame, agreements and disputes passes.
PASSES = 3


def articles(n: int) -> list[dict[str, str]]:
    """``n`` distinct short articles with ids."""
    countries = ["Japan", "Kenya", "Chile", "Norway", "Vietnam", "Ghana", "Peru", "Poland", "Oman", "Fiji"]
    out = []
    for i in range(n):
        a, b = countries[i % 10], countries[(i * 3 + 1) % 10]
        text = (
            f"Dispatch {i:04d}: officials of {a} and {b} disagreed on Tuesday over fishing quotas in "
            f"shared waters, and said talks would resume next month. Item number {i} of the wire."
        )
        out.append({"id": f"item-{i:04d}", "text": text})
    return out


def start(url: str, work: Path, concurrency: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(work), str(concurrency)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def run_killed_then_resumed(
    srv: FakeOpenAI, work: Path, n: int, *, kill_at: int, concurrency: int, deadline: float = 300.0
) -> dict[str, Any]:
    """Start the batch, SIGKILL it once ``kill_at`` records are written, resume it to the end."""
    out = work / "out.jsonl"
    first = start(srv.base_url, work, concurrency)
    started = time.monotonic()
    while len(lines(out)) < kill_at and first.poll() is None:
        assert time.monotonic() - started < deadline, "the batch made no progress"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    requests_at_kill = srv.count
    before = [json.loads(line) for line in lines(out) if line.strip().endswith("}")]
    second = start(srv.base_url, work, concurrency)
    stdout, stderr = second.communicate(timeout=deadline)
    assert second.returncode == 0, stderr[-3000:]
    return {
        "before": before,
        "requests_at_kill": requests_at_kill,
        "summary": json.loads(stdout.strip().splitlines()[-1]),
        "stderr": stderr,
    }


def check_exactly_one_record_each(out: Path, ids: list[str]) -> list[dict[str, Any]]:
    raw = out.read_bytes()
    assert raw.endswith(b"\n"), "the last line is unterminated"
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines()]  # any corrupt line raises
    counts = Counter(r["id"] for r in records)
    assert [i for i, c in counts.items() if c > 1] == [], "duplicated records"
    assert set(counts) == set(ids), f"missing: {sorted(set(ids) - set(counts))[:10]}"
    assert len(records) == len(ids)
    for r in records:
        assert r["status"] in ("ok", "error")
        assert ("result" in r) == (r["status"] == "ok") and ("error" in r) == (r["status"] == "error")
    return records


def test_batch_with_faults_killed_midway_resumes_to_exactly_one_record_per_input(tmp_path: Path) -> None:
    items = articles(60)
    texts = {i["id"]: i["text"] for i in items}
    plan = fault_plan([i["text"] for i in items], rate=0.1, seed=1)
    assert len(plan) == 6
    (tmp_path / "items.json").write_text(json.dumps(items))
    with FakeOpenAI(default=faulty(plan, latency=0.1)) as srv:
        run = run_killed_then_resumed(srv, tmp_path, len(items), kill_at=20, concurrency=4)
        records = check_exactly_one_record_each(tmp_path / "out.jsonl", [i["id"] for i in items])

        # Killed midway: some but not all records were written before the kill.
        assert 20 <= len(run["before"]) < len(items)
        # What was done before the kill is not asked again.
        done_before = {texts[r["id"]] for r in run["before"] if r["status"] == "ok"}
        asked_after = {a for a in list(srv.articles())[run["requests_at_kill"] :]}
        assert not done_before & asked_after

    by_id = {r["id"]: r for r in records}
    for item in items:
        record, kind = by_id[item["id"]], plan.get(item["text"])
        if kind in PERMANENT:
            assert record["status"] == "error", (kind, record)
            assert record["attempts"] >= 1 and record["error"]["type"].endswith("Error")
        else:
            assert record["status"] == "ok", (kind, record)
            assert record["result"]["disputes"][0]["evidence"] in item["text"]
            if kind in TRANSIENT and record["id"] not in {r["id"] for r in run["before"]}:
                assert record["attempts"] >= 2 or record["cached"], (kind, record)
    assert run["summary"]["items"] == len(items)
    assert run["summary"]["skipped"] + run["summary"]["done"] + run["summary"]["failed"] == len(items)


def in_process(srv: FakeOpenAI, work: Path, items: list[dict[str, str]]) -> Any:
    """The worker's batch, run in this process."""
    return extract_many(
        [Item(i["id"], i["text"]) for i in items], out=work / "out.jsonl", backend=srv.backend(),
        policy=POLICY, progress=False, cache=False, concurrency=4,
    )


def test_a_torn_last_line_is_repaired_on_resume(tmp_path: Path) -> None:
    # SIGKILL rarely lands inside a write of a few hundred bytes; a torn line is planted to be sure.
    items = articles(12)
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as srv:
        in_process(srv, tmp_path, items)
        complete = lines(out)
        kept, torn = complete[:5], complete[5][: len(complete[5]) // 2]
        out.write_text("\n".join(kept) + "\n" + torn, encoding="utf-8")
        summary = in_process(srv, tmp_path, items)
        # only the lost records were redone
        assert srv.count == (len(items) + len(items) - len(kept)) * PASSES
    records = check_exactly_one_record_each(out, [i["id"] for i in items])
    assert [json.loads(line) for line in kept] == records[:5]  # the complete lines are kept as they were
    assert (summary.skipped, summary.done) == (5, 7)


def test_every_fault_kind_ends_as_one_record_of_the_right_status(tmp_path: Path) -> None:
    kinds = [*TRANSIENT, *PERMANENT]
    items = articles(len(kinds) + 6)
    plan = {item["text"]: kind for item, kind in zip(items, kinds, strict=False)}
    with FakeOpenAI(default=faulty(plan)) as srv:
        summary = in_process(srv, tmp_path, items)
    written = check_exactly_one_record_each(tmp_path / "out.jsonl", [i["id"] for i in items])
    records = {r["id"]: r for r in written}
    for item in items:
        record, kind = records[item["id"]], plan.get(item["text"])
        if kind in PERMANENT:
            assert record["status"] == "error" and record["attempts"] >= 1, (kind, record)
        else:
            assert record["status"] == "ok", (kind, record)
            # A transient fault hits the article's first request (one of its passes): one more request.
            assert record["attempts"] == PASSES + (0 if kind is None else 1), (kind, record)
    assert summary.failed == len(PERMANENT)
    assert set(summary.errors) == {"RefusalError", "TransportError", "OutputValidationError"}
