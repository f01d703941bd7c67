"""Batch throughput and per-extraction library overhead, against the local fake OpenAI server.

(a) Throughput: ``extract_many`` over distinct short articles with the server answering after 0.2 s, at
    concurrency 1, 2, 4 and 8; the rate should approach N times the sequential rate.
(b) Overhead: one extraction at a time with the server answering at once, comparing plain instructor
    (``instructor.from_openai(client, mode=JSON_SCHEMA).create(...)`` with one client) with the
    library's ``extract_result`` and with ``extract_many`` at concurrency 1, rounds interleaved, reported
    as ratios measured in the same run.

No model, no network: ``python benchmarks/bench_batch.py`` (~1 minute).
Writes benchmarks/results/batch_throughput.{json,md} and batch_overhead.{json,md}.
"""

from __future__ import annotations

import json
import platform
import socketserver
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import instructor
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract import Summit, extract_result  # noqa: E402
from summit_extract._prompting import messages  # noqa: E402
from summit_extract._runners.batch import extract_many  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
LATENCY = 0.2
ITEMS = 32
LEVELS = (1, 2, 4, 8)
OVERHEAD_ROUNDS = 5
OVERHEAD_PER_ROUND = 20

# The fake server writes headers and body in two sends; with Nagle's algorithm on, the client's delayed ACK
# then adds ~40 ms to every keep-alive request, which a real server does not. Turned off here only.
socketserver.StreamRequestHandler.disable_nagle_algorithm = True


def texts(n: int, tag: str) -> list[str]:
    return [
        f"[{tag} {i}] The leaders of Country {i} and Country {i + 1} met in City {i} on Monday to discuss "
        f"the long border dispute over River {i}, and agreed to meet again next year."
        for i in range(n)
    ]


def throughput() -> dict[str, Any]:
    rows = []
    with FakeOpenAI(latency=LATENCY) as srv:
        extract_many(texts(4, "warm-up"), backend=srv.backend(), cache=False, progress=False)
        for level in LEVELS:
            summary = extract_many(
                texts(ITEMS, f"c{level}"),
                backend=srv.backend(),
                concurrency=level,
                cache=False,
                progress=False,
            )
            assert summary.done == ITEMS, summary
            rows.append(
                {
                    "concurrency": level,
                    "seconds": round(summary.seconds, 3),
                    "items_per_second": round(ITEMS / summary.seconds, 2),
                }
            )
    base = rows[0]["items_per_second"]
    for row in rows:
        row["speedup"] = round(row["items_per_second"] / base, 2)
        row["efficiency"] = round(row["speedup"] / row["concurrency"], 2)
    return {
        "what": "extract_many throughput against the fake server answering after a fixed latency",
        "latency_seconds": LATENCY,
        "items": ITEMS,
        "rows": rows,
        "machine": machine(),
    }


def overhead() -> dict[str, Any]:
    timings: dict[str, list[float]] = {"plain instructor": [], "extract_result": [], "extract_many": []}
    with FakeOpenAI(latency=0.0) as srv:
        backend = srv.backend()
        client = instructor.from_openai(
            openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0), mode=instructor.Mode.JSON_SCHEMA
        )

        def plain(batch: list[str]) -> None:
            for text in batch:
                client.create(
                    response_model=Summit,
                    messages=messages(text, Summit),  # type: ignore[arg-type]
                    model=backend.model,
                    max_retries=2,
                    max_tokens=1000,
                    temperature=0.0,
                )

        def library(batch: list[str]) -> None:
            for text in batch:
                extract_result(text, Summit, backend=backend)

        def batched(batch: list[str]) -> None:
            summary = extract_many(batch, backend=backend, concurrency=1, cache=False, progress=False)
            assert summary.done == len(batch)

        runners = {"plain instructor": plain, "extract_result": library, "extract_many": batched}
        for name, fn in runners.items():
            fn(texts(3, f"warm-up {name}"))
        for round_ in range(OVERHEAD_ROUNDS):
            for name, fn in runners.items():  # interleaved, so drift hits all three alike
                batch = texts(OVERHEAD_PER_ROUND, f"r{round_} {name}")
                start = time.perf_counter()
                fn(batch)
                timings[name].append((time.perf_counter() - start) / len(batch) * 1000)
    ms = {name: round(statistics.median(values), 2) for name, values in timings.items()}
    base = ms["plain instructor"]
    return {
        "what": "milliseconds per extraction, one at a time, fake server answering immediately",
        "extractions_per_system": OVERHEAD_ROUNDS * OVERHEAD_PER_ROUND,
        "ms_per_extraction_median_of_rounds": ms,
        "ratio_to_plain_instructor": {name: round(value / base, 2) for name, value in ms.items()},
        "rounds_ms": {name: [round(v, 2) for v in values] for name, values in timings.items()},
        "machine": machine(),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": 2,
        "python": platform.python_version(),
        "instructor": instructor.__version__,
        "openai": openai.__version__,
    }


def throughput_md(r: dict[str, Any]) -> str:
    lines = [
        "### Batch throughput (fake server, fixed latency)",
        "",
        f"`extract_many` over {r['items']} distinct short articles, the fake OpenAI-compatible server "
        f"answering each request after {r['latency_seconds']} s; no cache. Speed-up is against concurrency 1 "
        "in the same "
        "run; efficiency = speed-up / concurrency.",
        "",
        "| concurrency | seconds | items/s | speed-up | efficiency |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {x['concurrency']} | {x['seconds']} | {x['items_per_second']} | {x['speedup']}x "
        f"| {x['efficiency']} |"
        for x in r["rows"]
    ]
    lines += [
        "",
        "The rate approaches N x sequential while waiting dominates; it then flattens as each extraction "
        "also costs ~50 ms of Python CPU (parsing, validation, grounding: see the overhead table), which the "
        "GIL serializes, on a 2-core machine that was also running the embedded model in another process.",
    ]
    return "\n".join(lines) + "\n"


def overhead_md(r: dict[str, Any]) -> str:
    ms, ratio = r["ms_per_extraction_median_of_rounds"], r["ratio_to_plain_instructor"]
    lines = [
        "### Library overhead per extraction vs plain instructor (fake server, no latency)",
        "",
        f"{r['extractions_per_system']} sequential extractions each, in interleaved rounds "
        "(median of rounds). "
        "Plain instructor: one `instructor.from_openai(client, mode=JSON_SCHEMA)` client, `create(...)` with "
        "the same messages and response model. The library adds grounding (aligning every evidence span), "
        "normalization, the retry loop and, in `extract_result`, a new OpenAI client per call.",
        "",
        "| system | ms per extraction | ratio to plain instructor |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {ms[name]} | {ratio[name]}x |" for name in ms]
    return "\n".join(lines) + "\n"


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if "--markdown-only" in sys.argv:  # re-render the committed JSON
        for name, render in (("batch_throughput", throughput_md), ("batch_overhead", overhead_md)):
            (RESULTS / f"{name}.md").write_text(render(json.loads((RESULTS / f"{name}.json").read_text())))
        return
    for name, measure, render in (
        ("batch_throughput", throughput, throughput_md),
        ("batch_overhead", overhead, overhead_md),
    ):
        result = measure()
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text(render(result))
        print(render(result))


if __name__ == "__main__":
    main()
