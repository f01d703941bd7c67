"""Prompt tokens per article: the fixed part (instructions and field guide) against the article's own tokens.

Counts with the embedded model's own tokenizer: llama.cpp's ``/apply-template`` renders the exact chat
prompt the library sends (``_prompting.messages``) and ``/tokenize`` counts it; the article's tokens are
counted alone and the fixed part is the difference (system message, field guide, chat template and the
"Article:" label). Every article of the dev set, plus a chars/4 estimate for comparison.

Loads the model (a few seconds, no generation):
``flock /tmp/summit-model.lock python benchmarks/bench_prompt_tokens.py``; bench_local_prefix.py also
runs it while its model is loaded. Writes benchmarks/results/batch_prompt_tokens.{json,md}.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import httpx2

from summit_extract import Summit
from summit_extract._prompting import PROMPT_VERSION, messages, system_message

ROOT = Path(__file__).resolve().parent.parent
DEVSET = Path("/work/shared/devset/articles")
RESULTS = ROOT / "benchmarks" / "results"


def measure(base_url: str) -> dict[str, Any]:
    """Count with the llama.cpp server at ``base_url`` (its OpenAI URL, ending in /v1)."""
    root = base_url.removesuffix("/v1").rstrip("/")
    with httpx2.Client(base_url=root, timeout=60) as http:

        def tokens(text: str) -> int:
            reply = http.post("/tokenize", json={"content": text, "add_special": False})
            reply.raise_for_status()
            return len(reply.json()["tokens"])

        def prompt(msgs: list[dict[str, str]]) -> str:
            reply = http.post("/apply-template", json={"messages": msgs})
            reply.raise_for_status()
            return str(reply.json()["prompt"])

        rows: list[dict[str, Any]] = []
        for path in sorted(DEVSET.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            total = tokens(prompt(messages(text, Summit)))
            article = tokens(text)
            rows.append(
                {
                    "article": path.stem,
                    "chars": len(text),
                    "article_tokens": article,
                    "fixed_tokens": total - article,
                    "prompt_tokens": total,
                    "fixed_share": round((total - article) / total, 3),
                }
            )
        system = tokens(system_message(Summit))
    fixed = [r["fixed_tokens"] for r in rows]
    return {
        "what": "prompt tokens per article: fixed part vs the article (embedded model's tokenizer)",
        "counted_with": "llama.cpp /apply-template + /tokenize of the embedded model (Qwen2.5 tokenizer)",
        "prompt_version": PROMPT_VERSION,
        "system_message_tokens": system,
        "system_message_chars": len(system_message(Summit)),
        "fixed_tokens_min_max": [min(fixed), max(fixed)],
        "mean_article_tokens": round(statistics.mean(r["article_tokens"] for r in rows)),
        "mean_fixed_share": round(statistics.mean(r["fixed_share"] for r in rows), 3),
        "chars_per_token_articles": round(
            sum(r["chars"] for r in rows) / sum(r["article_tokens"] for r in rows), 2
        ),
        "chars_div_4_estimate_of_fixed": len(system_message(Summit)) // 4,
        "articles": rows,
    }


def markdown(r: dict[str, Any]) -> str:
    lo, hi = r["fixed_tokens_min_max"]
    estimate = r["chars_div_4_estimate_of_fixed"]
    lines = [
        "### Prompt tokens per article: fixed part vs article",
        "",
        f"Counted with the embedded model's tokenizer ({r['counted_with']}), prompt version "
        f"{r['prompt_version']}. The fixed part (system rules, field guide rendered from the schema, chat "
        f"template, 'Article:' label) is {lo if lo == hi else f'{lo}-{hi}'} tokens "
        f"for every article (the system message alone: {r['system_message_tokens']} tokens from "
        f"{r['system_message_chars']} characters; a chars/4 estimate would say {estimate}). "
        f"On the dev set the fixed part is on average **{r['mean_fixed_share']:.0%}** of the prompt; "
        "articles "
        f"average {r['mean_article_tokens']} tokens ({r['chars_per_token_articles']} characters per token).",
        "",
        "| article | chars | article tokens | fixed tokens | prompt tokens | fixed share |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a['article']} | {a['chars']} | {a['article_tokens']} | {a['fixed_tokens']} "
        f"| {a['prompt_tokens']} | "
        f"{a['fixed_share']:.0%} |"
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
