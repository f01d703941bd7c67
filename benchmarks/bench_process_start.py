"""A fresh process on one article, with and without the prompt prefix an earlier process saved.

    flock /tmp/summit-model.lock python benchmarks/bench_process_start.py

Every request of the library starts with the same system message and worked examples. Within one process
llama.cpp keeps them in its slot; a new process starts an empty server. The embedded backend saves the
slot to disk once per process and restores it when a new server starts (providers/_prompt_cache.py).

Three processes, one after another, each ``extract_result(article, Summit)`` on the embedded model with
a prompt-cache folder of this benchmark's own (empty at the start):

1. ``first``: the seed, nothing saved yet (it saves its own slot);
2. ``warm``: another dev-set article (005), restoring what process 1 saved (another article's slot: only
   the shared prefix can be reused);
3. ``cold``: the same article as 2, with the prompt cache off (``SUMMIT_EXTRACT_PROMPT_CACHE=0``).

Seconds are measured inside each process (model load excluded, reported apart) and for the whole process.
Writes results/process_start.{json,md}.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SEED = ROOT / "seeds" / "000_fbac82d7d3572f62.txt"
ARTICLE = ROOT / "devset" / "articles" / "005_wikinews_lula_roh_brasilia_meeting.txt"

CHILD = """
import json, sys, time
started = time.monotonic()
from summit_extract import Summit, extract_result, load_provider
from summit_extract.providers import local
local.server_url()  # load the model (and restore a saved prompt) before the clock starts
loaded = time.monotonic()
result = extract_result(open(sys.argv[1], encoding="utf-8").read(), Summit, backend=load_provider("local"))
done = time.monotonic()
print(json.dumps({
    "load_seconds": round(loaded - started, 2),
    "extract_seconds": round(done - loaded, 2),
    "restored_tokens": local.restored_prompt_tokens(),
    "prompt_tokens": result.usage.prompt_tokens,
    "cached_tokens": result.usage.cached_tokens,
    "completion_tokens": result.usage.completion_tokens,
    "agreements": [a.subject for a in result.value.agreements],
    "disputes": [d.subject for d in result.value.disputes],
}))
"""


def run(name: str, article: Path, folder: str, *, cache: bool) -> dict[str, Any]:
    env = {**os.environ, "SUMMIT_EXTRACT_PROMPT_CACHE": folder if cache else "0"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(article)], env=env, capture_output=True, text=True, check=True
    )
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row.update(
        name=name,
        article=article.stem,
        prompt_cache=cache,
        process_seconds=round(time.monotonic() - started, 2),
    )
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            run("first", SEED, folder, cache=True),
            run("warm", ARTICLE, folder, cache=True),
            run("cold", ARTICLE, folder, cache=False),
        ]
    (RESULTS / "process_start.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    warm, cold = rows[1], rows[2]
    same = warm["agreements"] == cold["agreements"] and warm["disputes"] == cold["disputes"]
    lines = [
        "# A fresh process: the prompt prefix restored from disk",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one process after another, each on"
        " the embedded model. `restored` is what the new server read from the file an earlier process saved;"
        " `read anew` is the prompt tokens the extraction's requests did not find cached.",
        "",
        "| process | article | prompt cache | restored | read anew | completion | extraction s | process s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['article'][:20]} | {'on' if r['prompt_cache'] else 'off'} | "
            f"{r['restored_tokens']:,} | {r['prompt_tokens'] - r['cached_tokens']:,} | "
            f"{r['completion_tokens']:,} | {r['extract_seconds']:.1f} | {r['process_seconds']:.1f} |"
        )
    lines += [
        "",
        f"- The same article in a fresh process: {warm['extract_seconds']:.1f} s with the saved prefix "
        f"against {cold['extract_seconds']:.1f} s without "
        f"({cold['extract_seconds'] - warm['extract_seconds']:.1f} s saved; {warm['process_seconds']:.1f} s "
        f"against {cold['process_seconds']:.1f} s for the whole process).",
        f"- Same findings with and without: {'yes' if same else 'no'} (agreements {warm['agreements']}, "
        f"disputes {warm['disputes']}).",
    ]
    (RESULTS / "process_start.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
