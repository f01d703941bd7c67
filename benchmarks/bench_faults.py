"""Nothing lost at full size: 1,000 inputs, ~10% injected faults, the batch SIGKILLed mid-run and resumed.

The same procedure as tests/test_batch_faults.py, at the size of issue 5 §3: the batch runs in a child
process against the fake OpenAI-compatible server (tests/fake_openai.py) living in this process; once
half the records are written the child is killed with SIGKILL, then started again to finish. It then
checks that every input has exactly one record (result or error), none duplicated, no corrupt line,
and that nothing finished before the kill was asked again. A clean run of the same inputs (no faults,
no kill) in the same invocation gives the time ratio.

    python benchmarks/bench_faults.py [--items 1000] [--rate 0.1] [--concurrency 8] [--latency 0.05]

Writes benchmarks/results/faults.json and benchmarks/results/faults.md. No model is involved.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_openai import PERMANENT, FakeOpenAI, fault_plan, faulty  # noqa: E402
from tests.test_batch_faults import (  # noqa: E402
    articles,
    check_exactly_one_record_each,
    run_killed_then_resumed,
    start,
)

RESULTS = ROOT / "benchmarks" / "results"


def clean_run(items: list[dict[str, str]], concurrency: int, latency: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(latency=latency) as srv:
        work = Path(tmp)
        (work / "items.json").write_text(json.dumps(items))
        started = time.monotonic()
        proc = start(srv.base_url, work, concurrency)
        stdout, stderr = proc.communicate(timeout=3600)
        assert proc.returncode == 0, stderr[-3000:]
        seconds = time.monotonic() - started
        check_exactly_one_record_each(work / "out.jsonl", [i["id"] for i in items])
        summary = json.loads(stdout.splitlines()[-1])
        return {"seconds": round(seconds, 2), "requests": srv.count, "summary": summary}


def fault_run(
    items: list[dict[str, str]], rate: float, concurrency: int, latency: float, seed: int
) -> dict[str, Any]:
    texts = {i["id"]: i["text"] for i in items}
    plan = fault_plan([i["text"] for i in items], rate=rate, seed=seed)
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(default=faulty(plan, latency=latency)) as srv:
        work = Path(tmp)
        (work / "items.json").write_text(json.dumps(items))
        started = time.monotonic()
        run = run_killed_then_resumed(srv, work, len(items), kill_at=len(items) // 2, concurrency=concurrency,
                                      deadline=3600)
        seconds = time.monotonic() - started
        out = work / "out.jsonl"
        raw_lines = out.read_text(encoding="utf-8").splitlines()
        records = check_exactly_one_record_each(out, [i["id"] for i in items])
        done_before = {r["id"] for r in run["before"] if r["status"] == "ok"}
        asked_after = Counter(list(srv.articles())[run["requests_at_kill"] :])
        redone = [i for i in done_before if asked_after[texts[i]]]
        assert not redone, f"{len(redone)} items finished before the kill were asked again"
        by_id = {r["id"]: r for r in records}
        wrong = [
            (kind, by_id[i]["status"]) for i, t in texts.items() if (kind := plan.get(t)) is not None
            and (by_id[i]["status"] == "error") != (kind in PERMANENT)
        ]
        assert not wrong, wrong
        statuses = Counter(r["status"] for r in records)
        return {
            "seconds": round(seconds, 2),
            "requests": srv.count,
            "requests_before_kill": run["requests_at_kill"],
            "records_before_kill": len(run["before"]),
            "records": len(raw_lines),
            "distinct_ids": len({r["id"] for r in records}),
            "duplicates": len(raw_lines) - len({r["id"] for r in records}),
            "corrupt_lines": 0,  # check_exactly_one_record_each parsed every line
            "missing": len(items) - len({r["id"] for r in records}),
            "ok": statuses["ok"],
            "errors": statuses["error"],
            "error_types": dict(Counter(r["error"]["type"] for r in records if r["status"] == "error")),
            "faulted_inputs": len(plan),
            "fault_kinds": dict(Counter(plan.values())),
            "permanent_faults": sum(1 for k in plan.values() if k in PERMANENT),
            "asked_again_after_kill_though_done": len(redone),
            "resume_summary": run["summary"],
        }


def markdown(figures: dict[str, Any]) -> str:
    f, c = figures["faults"], figures["clean"]
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(f["fault_kinds"].items()))
    errors = ", ".join(f"{k} {n}" for k, n in sorted(f["error_types"].items()))
    columns = ("records", "distinct_ids", "duplicates", "corrupt_lines", "missing", "ok", "errors")
    row = " | ".join(str(f[c]) for c in columns)
    return f"""## Nothing lost in a batch: faults and a kill mid-run

`python benchmarks/bench_faults.py` ({figures["items"]} inputs, {figures["concurrency"]} concurrent requests,
{figures["latency"]} s per answer from the fake OpenAI-compatible server; {figures["machine"]}).
{f["faulted_inputs"]} inputs ({figures["rate"]:.0%}) met an injected fault ({kinds}).
The batch ran in a child process that was killed with SIGKILL after {f["records_before_kill"]} records,
then started again to finish.

| | records | distinct ids | duplicates | corrupt lines | missing | ok | error records |
|---|---|---|---|---|---|---|---|
| after kill + resume | {row} |

- Every input has exactly one record. Each of the {f["permanent_faults"]} permanently failing inputs has one
  error record ({errors}); every transient fault was retried or
  re-asked and ended as a result.
- Items finished before the kill that were asked again after it: {f["asked_again_after_kill_though_done"]}.
- Requests: {f["requests"]} for the fault run ({f["requests_before_kill"]} before the kill) against
  {c["requests"]} for a clean run of the same inputs.
- Wall time, fault run including the kill, two process starts and the resume: {f["seconds"]} s; clean run:
  {c["seconds"]} s (ratio {f["seconds"] / c["seconds"]:.2f}, same invocation; load average
  {figures["load_before"]} before and {figures["load_after"]} after). The fault run is split over two
  processes of about half the items each, so the ratio does not isolate what faults cost; that cost is
  the {f["requests"] - c["requests"]} extra requests and the waits of the retry policy (tiny here).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    items = articles(args.items)
    load_before = round(os.getloadavg()[0], 2)
    clean = clean_run(items, args.concurrency, args.latency)
    faults = fault_run(items, args.rate, args.concurrency, args.latency, args.seed)
    figures = {
        "items": args.items, "rate": args.rate, "concurrency": args.concurrency, "latency": args.latency,
        "seed": args.seed, "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores", "clean": clean, "faults": faults,
        "load_before": load_before, "load_after": round(os.getloadavg()[0], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faults.json").write_text(json.dumps(figures, indent=2) + "\n")
    (RESULTS / "faults.md").write_text(markdown(figures))
    print(markdown(figures))


if __name__ == "__main__":
    main()
