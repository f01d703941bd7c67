"""Prompt tokens per article: what every request sends, and what a server with prefix reuse reads anew.

Counts with the embedded model's own tokenizer: llama.cpp's ``/apply-template`` renders the exact chat
prompt of every request the library plans for an article (``plan_article``: the three passes, and pieces
of a long article), and ``/tokenize`` turns it into tokens. llama.cpp reuses the longest token prefix a
request shares with the request before it in the same slot, so, walking the dev set in order as a batch
does, the tokens read anew are each request's tokens past that common prefix. The first request of the
run also reads the shared prefix (system message and worked examples) once.

Loads the model (a few seconds, no generation):
``flock /tmp/summit-model.lock python benchmarks/bench_prompt_tokens.py``. Writes
benchmarks/results/batch_prompt_tokens.{json,md}.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import httpx2

from summit_extract import Summit, plan_article
from summit_extract._prompting import PROMPT_VERSION

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset" / "articles"
RESULTS = ROOT / "benchmarks" / "results"


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def measure(base_url: str) -> dict[str, Any]:
    """Count with the llama.cpp server at ``base_url`` (its OpenAI URL, ending in /v1)."""
    from summit_extract import load_provider

    backend = load_provider("local")
    root = base_url.removesuffix("/v1").rstrip("/")
    with httpx2.Client(base_url=root, timeout=60) as http:

        def tokens(text: str) -> list[int]:
            reply = http.post("/tokenize", json={"content": text, "add_special": False})
            reply.raise_for_status()
            return list(reply.json()["tokens"])

        def prompt(msgs: list[dict[str, str]]) -> str:
            reply = http.post("/apply-template", json={"messages": msgs})
            reply.raise_for_status()
            return str(reply.json()["prompt"])

        rows: list[dict[str, Any]] = []
        previous: list[int] = []
        shared = 0
        for path in sorted(DEVSET.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            sent = read = 0
            requests = plan_article(text, Summit, backend=backend).requests
            for n, request in enumerate(requests):
                ids = tokens(prompt(request.body["messages"]))
                common = _common(previous, ids)
                if n == 0 and rows:
                    shared = common  # what an article's first request shares with the last article's
                sent += len(ids)
                read += len(ids) - common
                previous = ids
            rows.append(
                {
                    "article": path.stem,
                    "chars": len(text),
                    "article_tokens": len(tokens(text)),
                    "requests": len(requests),
                    "prompt_tokens": sent,
                    "read_tokens": read,
                    "reused_share": round(1 - read / sent, 3),
                }
            )
    warm = rows[1:]  # the first article also read the shared prefix
    return {
        "what": "prompt tokens per article: sent, and read anew by a server reusing the previous prefix",
        "counted_with": "llama.cpp /apply-template + /tokenize of the embedded model (Qwen2.5 tokenizer)",
        "prompt_version": PROMPT_VERSION,
        "shared_prefix_tokens": shared,
        "mean_article_tokens": round(statistics.mean(r["article_tokens"] for r in rows)),
        "mean_prompt_tokens": round(statistics.mean(r["prompt_tokens"] for r in rows)),
        "mean_read_tokens_warm": round(statistics.mean(r["read_tokens"] for r in warm)),
        "mean_reused_share_warm": round(statistics.mean(r["reused_share"] for r in warm), 3),
        "articles": rows,
    }


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "### Prompt tokens per article: sent, and read anew with prefix reuse",
        "",
        f"Counted with the embedded model's tokenizer ({r['counted_with']}), prompt version "
        f"{r['prompt_version']}, for every request the library plans (three passes; a long article's "
        "agreements and disputes per piece). Every request starts with the same "
        f"{r['shared_prefix_tokens']} tokens (system message and worked examples), then the article, then "
        "its pass's task. A server that reuses the prefix it shares with the previous request (llama.cpp "
        "with one slot, in dev-set order) reads anew "
        f"**{r['mean_read_tokens_warm']}** tokens per article of the "
        f"{r['mean_prompt_tokens']} sent ({r['mean_reused_share_warm']:.0%} reused, articles after the "
        f"first); articles average {r['mean_article_tokens']} tokens. The first article also reads the "
        "shared prefix once.",
        "",
        "| article | chars | article tokens | requests | prompt tokens sent | read anew | reused |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a['article']} | {a['chars']} | {a['article_tokens']} | {a['requests']} | {a['prompt_tokens']} "
        f"| {a['read_tokens']} | {a['reused_share']:.0%} |"
        for a in r["articles"]
    ]
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch_prompt_tokens.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "batch_prompt_tokens.md").write_text(markdown(result))


def main() -> None:
    if "--markdown-only" in sys.argv:  # re-render the committed JSON without loading the model
        write(json.loads((RESULTS / "batch_prompt_tokens.json").read_text()))
        return
    from summit_extract.providers import local

    result = measure(local.server_url())
    write(result)
    print(markdown(result))


if __name__ == "__main__":
    main()
