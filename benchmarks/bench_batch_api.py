"""The Batch API path in numbers, dry run: requests, bytes and jobs for 1,000 and 100,000 synthetic articles.

``submit_batch(..., dry_run=True)`` plans every article exactly as a real submit does (the same request
bodies a live call sends, one per pass of the article type) and packs them under OpenAI's documented
per-file limits (50,000 requests, 200 MB), writing and sending nothing. Articles are synthetic, of
dev-set size (the mean length of ``devset/articles``), each distinct. Model gpt-4o-mini in TOOLS mode,
as for OpenAI's hosted API.

    nice -n 19 python benchmarks/bench_batch_api.py      # ~2 minutes

Writes benchmarks/results/batch_api_dry_run.{json,md}.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import instructor
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract import Backend, Item, Summit, submit_batch  # noqa: E402
from summit_extract._runners.openai_batch import DEFAULT_MAX_BYTES, DEFAULT_MAX_REQUESTS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SIZES = (1_000, 100_000)


def dev_size() -> int:
    lengths = [len(p.read_text(encoding="utf-8")) for p in (ROOT / "devset" / "articles").glob("*.txt")]
    return int(statistics.mean(lengths))


def articles(n: int, size: int) -> list[Item]:
    sentence = (
        "The leaders of Country {i} and Country {j} met in City {i} on Monday and agreed to cooperate on "
        "trade, energy and the border dispute over River {j}, officials said. "
    )
    out = []
    for i in range(n):
        text = ""
        k = 0
        while len(text) < size:
            text += sentence.format(i=i, j=i + k + 1)
            k += 1
        out.append(Item(f"synthetic-{i:06d}", text[:size].rsplit(" ", 1)[0] + "."))
    return out


def backend() -> Backend:
    def never() -> Any:
        raise AssertionError("a dry run sends nothing")

    return Backend("openai", "gpt-4o-mini", instructor.Mode.TOOLS, never, never, context_tokens=None)


def run(n: int, size: int) -> dict[str, Any]:
    items = articles(n, size)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.process_time()
        result = submit_batch(
            items, out=Path(tmp) / "out.jsonl", schema=Summit, backend=backend(), dry_run=True
        )
        cpu = time.process_time() - t
    return {
        "articles": n,
        "requests": result.requests,
        "bytes": result.bytes,
        "megabytes": round(result.bytes / 1e6, 1),
        "jobs": len(result.jobs),
        "requests_per_job": [job["requests"] for job in result.jobs],
        "bytes_per_request": round(result.bytes / max(1, result.requests)),
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_article": round(1000 * cpu / n, 2),
    }


def main() -> None:
    size = dev_size()
    rows = [run(n, size) for n in SIZES]
    result = {
        "article_chars": size,
        "model": "gpt-4o-mini",
        "mode": "tools",
        "max_requests_per_file": DEFAULT_MAX_REQUESTS,
        "max_bytes_per_file": DEFAULT_MAX_BYTES,
        "openai_sdk": openai.__version__,
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch_api_dry_run.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "batch_api_dry_run.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### Batch API: requests, bytes and jobs (dry run)",
        "",
        f"Synthetic distinct articles of dev-set size ({result['article_chars']:,} characters), planned as a "
        f"live call sends them ({result['model']}, {result['mode']} mode: the system prompt, the field guide "
        f"and the pass's tool schema travel with every request) and packed under OpenAI's per-file limits "
        f"({result['max_requests_per_file']:,} requests, {result['max_bytes_per_file'] // 2**20} MB). "
        "The Summit is asked in passes (frame, agreements, disputes): one request per pass, each carrying "
        "only its pass's schema, and the packer keeps an article's passes in one job.",
        "",
        "| articles | requests | MB | bytes/request | jobs | requests per job | planning CPU ms/article |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        per_job = ", ".join(f"{n:,}" for n in r["requests_per_job"])
        lines.append(
            f"| {r['articles']:,} | {r['requests']:,} | {r['megabytes']} | {r['bytes_per_request']:,} | "
            f"{r['jobs']} | {per_job} | {r['cpu_ms_per_article']} |"
        )
    lines += [
        "",
        "Bytes, not requests, decide the split: at this size a 200 MB file holds fewer than 50,000 requests.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:  # rewrite the section from the last results, without measuring
        data = json.loads((RESULTS / "batch_api_dry_run.json").read_text(encoding="utf-8"))
        (RESULTS / "batch_api_dry_run.md").write_text(markdown(data), encoding="utf-8")
    else:
        main()
