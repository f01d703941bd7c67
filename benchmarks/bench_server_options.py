"""Server options that could make the embedded model faster, measured on the seed's own requests.

    flock /tmp/summit-model.lock python benchmarks/bench_server_options.py

The library sends an article's passes one after another to a llama.cpp server with one slot. Two options
of llama.cpp promise speed and were measured here against that setting, each on a fresh in-process server
with the same model and threads, on the first three requests of the seed recording (frame, agreements and
disputes of its first piece), sent whole (not streamed), so that each runs to its end:

- ``slots``: three slots with a unified KV cache; after the frame, agreements and disputes are sent at
  once (what ``Backend.max_concurrency`` > 1 would do);
- ``ngram``: n-gram speculative decoding (llama.cpp drafts tokens by matching the last 3 tokens in the
  context, up to 6, and the model verifies the draft in one batch): evidence is copied from the article.

Writes results/server_options.{json,md}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract.providers.local import CONTEXT_TOKENS, ensure_model_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CASSETTE = ROOT / "cassettes" / "test_extract_recorded" / "test_seed_summit.yaml"


def requests() -> list[dict[str, Any]]:
    """The seed's frame, agreements and disputes requests, as whole (not streamed) requests."""
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    out = []
    for exchange in data["interactions"][:3]:
        body = json.loads(exchange["request"]["body"])
        for key in ("stream", "stream_options", "return_progress"):
            body.pop(key, None)
        out.append(body)
    return out


def server(option: str) -> Any:
    import xllamacpp as xlc

    params: Any = xlc.CommonParams()
    params.model.path = str(ensure_model_file())
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 3 if option == "slots" else 1
    if option == "slots":
        params.n_ctx = 3 * CONTEXT_TOKENS  # each slot keeps the library's context
        params.kv_unified = True
    if option == "ngram":
        params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        params.speculative.ngram_simple.size_n = 3
        params.speculative.ngram_simple.size_m = 6
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.use_jinja = True
    params.verbosity = 0
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    return xlc.Server(params)


def measure(option: str) -> dict[str, Any]:
    handle = server(option)
    address = str(handle.listening_address).rstrip("/")
    url = (address if "://" in address else f"http://{address}") + "/v1/chat/completions"
    frame, agreements, disputes = requests()
    answers: dict[str, dict[str, Any]] = {}
    with httpx2.Client(timeout=900) as client:

        def send(name: str, body: dict[str, Any]) -> None:
            answers[name] = client.post(url, json=body).json()

        started = time.monotonic()
        send("frame", frame)
        after_frame = time.monotonic()
        if option == "slots":
            pair = (("agreements", agreements), ("disputes", disputes))
            both = [threading.Thread(target=send, args=a) for a in pair]
            for t in both:
                t.start()
            for t in both:
                t.join()
        else:
            send("agreements", agreements)
            send("disputes", disputes)
        ended = time.monotonic()
    del handle
    timings = {name: a.get("timings") or {} for name, a in answers.items()}
    return {
        "option": option,
        "seconds": round(ended - started, 1),
        "seconds_after_frame": round(ended - after_frame, 1),
        "completion_tokens": sum(a["usage"]["completion_tokens"] for a in answers.values()),
        "cached_tokens": {n: t.get("cache_n") for n, t in timings.items()},
        "drafted": sum(t.get("draft_n") or 0 for t in timings.values()),
        "accepted": sum(t.get("draft_n_accepted") or 0 for t in timings.values()),
        "same_answers": None,
        "contents": {n: a["choices"][0]["message"]["content"] for n, a in answers.items()},
    }


def main() -> int:
    rows = [measure(option) for option in ("one slot", "slots", "ngram")]
    base = rows[0]["contents"]
    for row in rows:
        row["same_answers"] = row.pop("contents") == base
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_options.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Server options: parallel slots and n-gram speculative decoding",
        "",
        "The seed's frame, agreements and disputes requests (first piece), each option on a fresh in-process",
        "llama.cpp server, 2 threads, measured in one run. The library keeps one slot and no speculation.",
        "",
        "| option | seconds, three requests | of which after the frame | completion tokens | prompt reused "
        "by agreements / disputes | drafted (accepted) | same answers |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reused = f"{r['cached_tokens'].get('agreements')} / {r['cached_tokens'].get('disputes')}"
        drafted = f"{r['drafted']} ({r['accepted']})" if r["drafted"] else "-"
        lines.append(
            f"| {r['option']} | {r['seconds']} | {r['seconds_after_frame']} | {r['completion_tokens']} | "
            f"{reused} | {drafted} | {'yes' if r['same_answers'] else 'no'} |"
        )
    lines += [
        "",
        "Slots do not share a prompt prefix (a second slot reads the article and examples anew), and two",
        "sequences decoded at once on two cores share the same compute; verifying a drafted token costs as",
        "much as writing one on a compute-bound CPU, so a draft pays only when most of it is accepted.",
    ]
    (RESULTS / "server_options.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
