"""The done-when of issue 11 at full size: 1,000 articles through the Batch fake and through Ray, each killed
midway (SIGKILL) and re-run, must give exactly one record per article, equal in content to extract_many's
records for the same recorded answers, and submit nothing twice.

Everything goes through the command line, in subprocesses, as a user would run it:
- ``summit-extract batch submit`` (jobs of at most 100 requests; killed after three jobs exist), re-run;
  ``summit-extract batch collect`` (killed after 300 records), re-run;
- ``summit-extract extract --ray local`` (the driver and its local cluster killed together after 300
  records), re-run.
The fakes (``tests/fake_batches.py``) answer with the embedded model's recorded answers and count every
upload, batch and request. No model, no network beyond 127.0.0.1.

    nice -n 19 python benchmarks/bench_scale_records.py   # ~5-10 minutes on 2 busy cores

Writes benchmarks/results/scale_records.{json,md}.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract import Item, extract_many  # noqa: E402
from summit_extract._runners.openai_batch import manifest_path  # noqa: E402
from tests.fake_batches import MODEL, FakeBatchAPI  # noqa: E402
from tests.recorded_answers import recorded  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ITEMS = 1000
CONTENT = ("id", "status", "result", "model", "dropped", "flagged")


def corpus(n: int) -> list[Item]:
    articles = recorded().articles
    return [Item(f"art-{k:05d}", articles[k % len(articles)]) for k in range(n)]


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    return [json.loads(line) for line in lines[:-1] if line.strip()]  # a partial last line is no record


def content(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {r["id"]: tuple(r.get(k) for k in CONTENT) for r in rows}


def env(tmp: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMIT_EXTRACT_"))}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "SUMMIT_EXTRACT_MODEL": MODEL,
        "SUMMIT_EXTRACT_MODE": "json_schema_mode",
        "SUMMIT_EXTRACT_CACHE": str(tmp / "cache"),
    }


def cli(args: list[str], tmp: Path, group: bool = False) -> subprocess.Popen[bytes]:
    # Output to files, not pipes: nobody reads a pipe while waiting for the kill point, and a full pipe
    # would stall the child (Ray Data logs a lot).
    n = len(list(tmp.glob("cli-*.out")))
    proc = subprocess.Popen(
        ["nice", "-n", "19", sys.executable, "-m", "summit_extract", *args],
        env=env(tmp),
        stdout=(tmp / f"cli-{n}.out").open("wb"),
        stderr=(tmp / f"cli-{n}.err").open("wb"),
        start_new_session=group,
    )
    proc.outputs = (tmp / f"cli-{n}.out", tmp / f"cli-{n}.err")  # type: ignore[attr-defined]
    return proc


def kill_when(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 600, group: bool = False
) -> bool:
    """SIGKILL ``proc`` (and its process group) as soon as ``ready()``; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    proc.kill()
    raise TimeoutError("the run neither finished nor reached the kill point")


def finish(proc: subprocess.Popen[bytes]) -> str:
    proc.wait(timeout=1800)
    out, err = (p.read_text(errors="replace") for p in proc.outputs)  # type: ignore[attr-defined]
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"exit {proc.returncode}: {err[-2000:]}")
    return str(out)


def batch_run(api: FakeBatchAPI, source: Path, tmp: Path) -> dict[str, Any]:
    out = tmp / "batch.jsonl"
    common = ["--out", str(out), "--base-url", api.base_url]
    manifest = manifest_path(out)

    def jobs_created() -> int:
        if not manifest.exists():
            return 0
        try:
            return sum(1 for j in json.loads(manifest.read_text())["jobs"] if j.get("batch_id"))
        except ValueError:
            return 0

    killed_submit = kill_when(
        cli(["batch", "submit", str(source), *common, "--max-requests", "100"], tmp),
        lambda: jobs_created() >= 3,
    )
    at_kill = {"jobs_with_batch": jobs_created(), "batches_on_server": len(api.batches)}
    finish(cli(["batch", "submit", str(source), *common, "--max-requests", "100"], tmp))
    killed_collect = kill_when(cli(["batch", "collect", *common], tmp), lambda: len(records(out)) >= 300)
    records_at_kill = len(records(out))
    chats_before = len(api.chat_requests)
    summary = json.loads(finish(cli(["batch", "collect", *common, "--json"], tmp)))
    lines = api.submitted_lines()
    items_files = [manifest.parent / j["items"] for j in json.loads(manifest.read_text())["jobs"]]
    submitted_ids = Counter(
        json.loads(line)["id"] for f in items_files for line in f.read_text().splitlines()
    )
    return {
        "out": out,
        "submit_killed": killed_submit,
        "at_submit_kill": at_kill,
        "batches": len(api.batches),
        "uploads": api.calls["POST /v1/files"],
        "request_lines_submitted": len(lines),
        "ids_submitted_more_than_once": sum(1 for n in submitted_ids.values() if n > 1),
        "collect_killed": killed_collect,
        "records_at_collect_kill": records_at_kill,
        "rerun_collect": summary,
        "live_requests_after_kill": len(api.chat_requests) - chats_before,
    }


def ray_run(api: FakeBatchAPI, source: Path, tmp: Path) -> dict[str, Any]:
    out = tmp / "ray.jsonl"
    args = [
        "extract",
        str(source),
        "--out",
        str(out),
        "--base-url",
        api.base_url,
        "--no-cache",
        "--ray",
        "local",
    ]
    t = time.monotonic()
    # The driver starts its local cluster in its own process group; the kill takes the whole group down
    # (driver, GCS, raylet, actors), as a crashed machine would.
    first = cli(args, tmp, group=True)
    try:
        killed = kill_when(first, lambda: len(records(out)) >= 300, group=True)
    finally:
        _kill_group(first)
    at_kill = len(records(out))
    chats_before = len(api.chat_requests)
    second = cli(args, tmp, group=True)
    try:
        finish(second)
    finally:
        _kill_group(second)
    seconds = time.monotonic() - t
    return {
        "out": out,
        "killed": killed,
        "records_at_kill": at_kill,
        "live_requests_after_kill": len(api.chat_requests) - chats_before,
        "seconds_both_runs": round(seconds, 1),
    }


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Whatever is left of the group this benchmark started (Ray's processes), by its id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def check(name: str, out: Path, expected: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    rows = records(out)
    ids = Counter(r["id"] for r in rows)
    return {
        "path": name,
        "records": len(rows),
        "distinct_ids": len(ids),
        "duplicates": sum(n - 1 for n in ids.values() if n > 1),
        "missing": len(set(expected) - set(ids)),
        "ok": sum(1 for r in rows if r["status"] == "ok"),
        "identical_to_extract_many": sum(1 for k, v in content(rows).items() if expected.get(k) == v),
    }


def main() -> None:
    items = corpus(ITEMS)
    with tempfile.TemporaryDirectory() as name, FakeBatchAPI(latency=0.02, api_latency=0.3) as api:
        tmp = Path(name)
        source = tmp / "articles.jsonl"
        source.write_text("".join(json.dumps({"id": i.id, "text": i.text}) + "\n" for i in items))
        reference = extract_many(items, backend=api.backend(max_concurrency=8), cache=False, progress=False)
        expected = content(reference.records)
        api.chat_requests.clear()
        batch = batch_run(api, source, tmp)
        api.chat_requests.clear()
        ray = ray_run(api, source, tmp)
        checks = [
            check("Batch API (fake)", batch.pop("out"), expected),
            check("Ray, local 2-CPU", ray.pop("out"), expected),
        ]
    result = {"items": ITEMS, "checks": checks, "batch": batch, "ray": ray}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale_records.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
    )
    (RESULTS / "scale_records.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    b, r = result["batch"], result["ray"]
    rc = b["rerun_collect"]
    at = b["at_submit_kill"]
    batch_tokens = rc["batch_prompt_tokens"] + rc["batch_completion_tokens"]
    live_tokens = rc["live_prompt_tokens"] + rc["live_completion_tokens"]
    lines = [
        "### 1,000 articles through the Batch API and Ray, killed midway and re-run",
        "",
        f"{result['items']:,} articles (the embedded model's recorded answers), every step through the "
        "command line in a subprocess, each killed with SIGKILL midway and re-run. Reference: "
        "`extract_many`'s records for the same answers.",
        "",
        "| path | records | distinct ids | duplicates | missing | ok | identical to extract_many |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result["checks"]:
        lines.append(
            f"| {c['path']} | {c['records']} | {c['distinct_ids']} | {c['duplicates']} | {c['missing']} | "
            f"{c['ok']} | {c['identical_to_extract_many']} |"
        )
    lines += [
        "",
        "- Batch submit (jobs of at most 100 requests, an article's passes always in one job) killed: "
        f"{b['submit_killed']}, with "
        f"{at['jobs_with_batch']} jobs recorded and {at['batches_on_server']} batches on the server; after "
        f"the re-run: {b['batches']} batches, {b['uploads']} uploads, {b['request_lines_submitted']} request "
        f"lines, {b['ids_submitted_more_than_once']} ids submitted more than once.",
        f"- Batch collect killed: {b['collect_killed']} at {b['records_at_collect_kill']} records; the "
        f"re-run skipped {rc['skipped']}, wrote {rc['from_batch']} from batch answers and re-asked "
        f"{rc['reasked']} live ({b['live_requests_after_kill']} live requests); batch tokens "
        f"{batch_tokens:,} at {rc['discount']:.0%}, live tokens {live_tokens:,}.",
        f"- Ray driver killed: {r['killed']} at {r['records_at_kill']} records; the re-run made "
        f"{r['live_requests_after_kill']} requests (both runs {r['seconds_both_runs']} s, without the "
        "cluster's start).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:  # rewrite the section from the last results, without measuring
        data = json.loads((RESULTS / "scale_records.json").read_text(encoding="utf-8"))
        (RESULTS / "scale_records.md").write_text(markdown(data), encoding="utf-8")
    else:
        main()
