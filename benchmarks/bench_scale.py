"""Throughput at scale: 1,000 articles through extract_many (1 process, N processes) and Ray (local 2-CPU).

The endpoint is the recorded-answer fake (``tests/fake_batches.py``: real answers of the embedded model,
one request per pass of the Summit), run in its own process so that its CPU is not
charged to the client, answering every chat request after a fixed ``LATENCY``. The ideal rate is the
latency-bound one: requests in flight / (latency x requests per article), requests per article being
measured in the same run. No model, no network beyond 127.0.0.1.

    nice -n 19 python benchmarks/bench_scale.py          # ~5 minutes on 2 busy cores

Writes benchmarks/results/scale_throughput.{json,md}.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"

from summit_extract import Item, extract_many  # noqa: E402
from tests.fake_batches import MODEL, FakeBatchAPI  # noqa: E402
from tests.recorded_answers import recorded  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ITEMS = 1000
LATENCY = 0.1
CONCURRENCY = 8  # requests in flight per process / per actor
PROCESSES = 2
RAY_CPUS = 2


def corpus(n: int) -> list[Item]:
    articles = recorded().articles
    return [Item(f"art-{k:05d}", articles[k % len(articles)]) for k in range(n)]


def _serve(queue: Any, latency: float) -> None:
    with FakeBatchAPI(latency=latency) as api:
        queue.put(api.base_url)
        while True:
            time.sleep(3600)


class Server:
    """The fake in a process of its own."""

    def __enter__(self) -> Server:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        self.process = ctx.Process(target=_serve, args=(queue, LATENCY), daemon=True)
        self.process.start()
        self.base_url: str = queue.get(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(5)

    def backend(self) -> Any:
        import instructor
        import openai

        from summit_extract import Backend
        from summit_extract._backend import shared

        url = self.base_url
        # One sync client per backend, as the openai provider has: building one costs ~20 ms of CPU (TLS).
        return Backend(
            name="openai",
            model=MODEL,
            mode=instructor.Mode.JSON_SCHEMA,
            make_client=shared(lambda: openai.OpenAI(base_url=url, api_key="sk-bench", max_retries=0)),
            make_async_client=lambda: openai.AsyncOpenAI(base_url=url, api_key="sk-bench", max_retries=0),
            context_tokens=None,
            max_concurrency=CONCURRENCY,
        )


def row(
    name: str, in_flight: int, seconds: float, summary: Any, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    per_item = summary.attempts / max(1, summary.done + summary.failed)
    ideal = in_flight / (LATENCY * per_item)
    rate = ITEMS / seconds
    return {
        "run": name,
        "in_flight": in_flight,
        "seconds": round(seconds, 2),
        "items_per_second": round(rate, 2),
        "requests_per_item": round(per_item, 3),
        "ideal_items_per_second": round(ideal, 2),
        "ratio_to_ideal": round(rate / ideal, 3),
        "done": summary.done,
        "failed": summary.failed,
        **(extra or {}),
    }


def main() -> None:
    import ray

    import summit_extract
    from summit_extract.ray import Endpoint, extract_dataset

    items = corpus(ITEMS)
    rows = []
    load_before = os.getloadavg()
    with Server() as srv, tempfile.TemporaryDirectory() as tmp:
        backend = srv.backend()
        extract_many(corpus(6), backend=backend, cache=False, progress=False)  # warm-up
        t = time.monotonic()
        one = extract_many(items, out=Path(tmp, "one.jsonl"), backend=backend, cache=False, progress=False)
        rows.append(row("extract_many, 1 process", CONCURRENCY, time.monotonic() - t, one))
        t = time.monotonic()
        many = extract_many(
            items, out=Path(tmp, "n.jsonl"), backend=backend, cache=False, progress=False, processes=PROCESSES
        )
        rows.append(
            row(f"extract_many, {PROCESSES} processes", CONCURRENCY * PROCESSES, time.monotonic() - t, many)
        )
        t = time.monotonic()
        ray.init(
            num_cpus=RAY_CPUS,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"py_modules": [summit_extract]},
        )
        ray.data.DataContext.get_current().enable_progress_bars = False
        startup = time.monotonic() - t
        endpoint = Endpoint(
            base_url=srv.base_url, model=MODEL, mode="json_schema_mode", max_concurrency=CONCURRENCY
        )
        t = time.monotonic()
        on_ray = extract_dataset(
            items,
            out=Path(tmp, "ray.jsonl"),
            backend=endpoint,
            actors=RAY_CPUS,
            num_cpus=1,
            batch_size=50,
            concurrency=CONCURRENCY,
        )
        rows.append(
            row(
                f"Ray, local {RAY_CPUS}-CPU cluster, {RAY_CPUS} actors",
                CONCURRENCY * RAY_CPUS,
                time.monotonic() - t,
                on_ray,
                {"cluster_start_seconds": round(startup, 2)},
            )
        )
        ray.shutdown()
    result = {
        "items": ITEMS,
        "latency_seconds": LATENCY,
        "concurrency_per_worker": CONCURRENCY,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale_throughput.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "scale_throughput.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### Throughput at scale: extract_many, processes, Ray (fake server, fixed latency)",
        "",
        f"{result['items']:,} articles with the embedded model's recorded answers (one request per pass of "
        f"the Summit, and per piece of the long article), the fake endpoint in its own process answering "
        f"each request after "
        f"{result['latency_seconds']} s; {result['concurrency_per_worker']} requests in flight per process "
        f"or actor; no cache. Ideal = in flight / (latency x requests per article), what waiting allows. "
        f"{result['cpus']} cores, load average {result['load_average_before'][0]} before and "
        f"{result['load_average_after'][0]} after (other work shares these cores; run at nice 19).",
        "",
        "| run | in flight | seconds | items/s | requests/item | ideal items/s | ratio to ideal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['run']} | {r['in_flight']} | {r['seconds']} | {r['items_per_second']} | "
            f"{r['requests_per_item']} | {r['ideal_items_per_second']} | {r['ratio_to_ideal']} |"
        )
    ray_row = result["rows"][-1]
    lines += [
        "",
        f"Starting the local Ray cluster took {ray_row.get('cluster_start_seconds')} s (not in the Ray row). "
        "Below the ideal, the client's CPU is the limit: each extraction's parsing, validation and grounding "
        "hold the GIL (see the CPU section), so more processes or actors help only as far as there are free "
        "cores.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:  # rewrite the section from the last results, without measuring
        data = json.loads((RESULTS / "scale_throughput.json").read_text(encoding="utf-8"))
        (RESULTS / "scale_throughput.md").write_text(markdown(data), encoding="utf-8")
    else:
        main()
