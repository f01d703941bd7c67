"""The library's own CPU per extraction vs plain instructor, in one run, on the recorded-answer fake server.

Both sides extract a dev-set-size article (the French "sommet" article of the dev set, 1,727 characters)
and get the same recorded answer from the fake (``tests/fake_batches.py``, in a process of its own):
plain instructor in one request for the whole Summit, the library in one request per pass of the
article type, each answered with the recorded answer cut to the pass's fields.
CPU is ``time.thread_time()`` of the
calling thread, so only client-side work is counted: HTTP, parsing, validation, and for the library also
prompt building, grounding, normalization and bookkeeping. Rounds alternate between the two sides.
A profile of the library's calls then says where its time goes.

    nice -n 19 python benchmarks/bench_cpu.py            # ~1 minute

Writes benchmarks/results/cpu_per_extraction.{json,md}.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import instructor
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import Server  # noqa: E402
from summit_extract import Summit, extract_result  # noqa: E402
from summit_extract._config import STRATEGIES  # noqa: E402
from summit_extract._extracting import assemble  # noqa: E402
from summit_extract._instructing import ready  # noqa: E402
from summit_extract._planning import plan_article  # noqa: E402
from tests.recorded_answers import recorded  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ROUNDS = 7
PER_ROUND = 20

#: Where the library's time goes, by the file a profiled function lives in (first match wins).
BUCKETS = (
    ("instructor: request building (JSON schema per call)", ("handlers.py:785:prepare_request",)),
    ("instructor: parsing and validation (pydantic)", ("handlers.py:817:parse_response",)),
    ("openai SDK and HTTP", ("_base_client.py:1356",)),
    ("summit_extract: grounding and alignment", ("summit_extract/_aligning", "summit_extract/_grounding")),
    ("summit_extract: normalization", ("summit_extract/_normalizing", "summit_extract/_dates")),
    ("summit_extract: prompt", ("summit_extract/_prompting",)),
)


def main() -> None:
    article = next(a for a in recorded().articles if "sommet" in a)
    with Server() as srv:
        backend = srv.backend()
        plan = plan_article(article, Summit, backend=backend)
        body = plan.requests[0].body
        # Plain instructor asks once for the whole Summit, with the article as the user turn (the fake answers
        # it with the same recorded answer, whole); the library asks its passes (frame, agreements, ...).
        messages = [
            {"role": "system", "content": "You extract facts from a news article into JSON."},
            {"role": "user", "content": "Article:\n" + article},
        ]
        plain = instructor.from_openai(
            openai.OpenAI(base_url=srv.base_url, api_key="sk-bench", max_retries=0),
            mode=instructor.Mode.JSON_SCHEMA,
        )

        def library() -> None:
            result = extract_result(article, Summit, backend=backend, max_retries=0)
            assert result.attempts == len(plan.requests)

        def baseline() -> None:
            plain.create(
                response_model=Summit,
                messages=messages,
                model=body["model"],
                max_tokens=body["max_tokens"],
                temperature=body["temperature"],
                max_retries=0,
            )

        for fn in (library, baseline, library, baseline):  # warm-up: imports, connections, caches
            fn()
        lib_ms: list[float] = []
        base_ms: list[float] = []
        for _ in range(ROUNDS):
            for fn, sink in ((library, lib_ms), (baseline, base_ms)):
                t = time.thread_time()
                for _ in range(PER_ROUND):
                    fn()
                sink.append(1000 * (time.thread_time() - t) / PER_ROUND)
        parts = measure_parts(article, backend, plan)
        profile = cProfile.Profile(time.thread_time)  # CPU, not wall time (waits excluded)
        profile.enable()
        for _ in range(PER_ROUND):
            library()
        profile.disable()
    stats = pstats.Stats(profile)
    total = max(v[3] for k, v in stats.stats.items() if k[2] == "extract_result")  # type: ignore[attr-defined]
    buckets = {}
    for name, keys in BUCKETS:
        cum = max(
            (v[3] for k, v in stats.stats.items() if any(key in f"{k[0]}:{k[1]}:{k[2]}" for key in keys)),  # type: ignore[attr-defined]
            default=0.0,
        )
        buckets[name] = round(1000 * cum / PER_ROUND, 2)
    library_ms = statistics.median(lib_ms)
    baseline_ms = statistics.median(base_ms)
    result = {
        "article_chars": len(article),
        "rounds": ROUNDS,
        "per_round": PER_ROUND,
        "library_requests": len(plan.requests),
        "library_ms": round(library_ms, 2),
        "library_ms_per_request": round(library_ms / len(plan.requests), 2),
        "plain_instructor_ms": round(baseline_ms, 2),
        "overhead_ms": round(library_ms - baseline_ms, 2),
        "library_ms_rounds": [round(x, 2) for x in lib_ms],
        "plain_instructor_ms_rounds": [round(x, 2) for x in base_ms],
        "profiled_ms_per_extraction": round(1000 * total / PER_ROUND, 2),
        "where": buckets,
        "parts_ms": parts,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cpu_per_extraction.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "cpu_per_extraction.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


def measure_parts(article: str, backend: Any, plan: Any) -> dict[str, float]:
    """The pieces of one extraction measured alone, without a profiler (CPU ms, median of 5 x 20)."""
    from instructor.processing import handle_response_model
    from openai._utils import maybe_transform
    from openai.types.chat import completion_create_params

    answers = {r.key: recorded().get(r.body) for r in plan.requests}
    call = plan.jobs[0].call
    response_model = ready(call.schema)
    kwargs = dict(
        messages=call.messages, model=call.backend.model, max_tokens=call.max_tokens, **STRATEGIES[0].params
    )
    body = plan.requests[0].body
    n = len(plan.requests)

    def cpu(fn: Any) -> float:
        fn()
        runs = []
        for _ in range(5):
            t = time.thread_time()
            for _ in range(20):
                fn()
            runs.append(1000 * (time.thread_time() - t) / 20)
        return round(statistics.median(runs), 2)

    return {
        "library: plan the article (check, prompt, chunks, passes)": cpu(
            lambda: plan_article(article, Summit, backend=backend)
        ),
        "library: assemble the answers (parse, validate, ground, join, finalize)": cpu(
            lambda: assemble(plan_article(article, Summit, backend=backend), answers)
        ),
        f"instructor: build the request from the schema, x{n} requests": round(
            n * cpu(lambda: handle_response_model(response_model, mode=backend.mode, **kwargs)), 2
        ),
        f"openai SDK: transform the request parameters, x{n} requests": round(
            n
            * cpu(lambda: maybe_transform(body, completion_create_params.CompletionCreateParamsNonStreaming)),
            2,
        ),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### Library CPU per extraction vs plain instructor",
        "",
        f"One dev-set article ({result['article_chars']:,} characters), the same request and the same "
        f"recorded answer for both, the fake server in its own process; client-thread CPU, median of "
        f"{result['rounds']} alternating rounds of {result['per_round']} extractions.",
        "",
        "| | CPU ms per extraction |",
        "|---|---|",
        f"| plain instructor (`create`, JSON_SCHEMA, one client) | {result['plain_instructor_ms']} |",
        f"| summit-extract `extract_result` ({result['library_requests']} requests: one per pass) | "
        f"{result['library_ms']} |",
        f"| summit-extract, per request | {result['library_ms_per_request']} |",
        f"| the library's own share (difference per extraction) | {result['overhead_ms']} |",
        "",
        "Where the library's extraction spends its CPU (cProfile with a CPU clock, cumulative; parts nest: "
        "parsing and validation include the library's grounding validators, which include alignment):",
        "",
        "| part | share of the extraction's CPU |",
        "|---|---|",
    ]
    whole = result["profiled_ms_per_extraction"] or 1.0
    for name, ms in result["where"].items():
        lines.append(f"| {name} | {100 * ms / whole:.0f}% |")
    lines += [
        "",
        "The same pieces measured alone, without a profiler (CPU ms per extraction):",
        "",
        "| piece | ms |",
        "|---|---|",
    ]
    for name, ms in result["parts_ms"].items():
        lines.append(f"| {name} | {ms} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
