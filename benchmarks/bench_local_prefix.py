"""Seconds per article on the embedded model, with and without llama.cpp's prompt-prefix reuse.

Runs a small batch (the three shortest dev-set articles) through ``extract_many`` twice on the embedded
model: once with ``"cache_prompt": false`` in every request body (llama.cpp re-reads the whole prompt),
once with ``"cache_prompt": true`` (the prompt's start that the previous request shares, the system
message, worked examples and, between an article's passes, the article, is reused). The flag is added to
the request body by an HTTP transport wrapper, and llama.cpp's own ``timings`` (prompt tokens read, tokens
reused from cache) are read from each response.

Runs the model: ``flock /tmp/summit-model.lock python benchmarks/bench_local_prefix.py`` (~10 minutes).
Writes benchmarks/results/batch_local_prefix.{json,md}.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import openai

from summit_extract._prompting import PROMPT_VERSION
from summit_extract._runners.batch import extract_many
from summit_extract._runners.records import Item
from summit_extract.providers import local
from summit_extract.providers._streaming import AsyncStopRepeats

ROOT = Path(__file__).resolve().parent.parent
DEVSET = Path("/work/shared/devset/articles")
RESULTS = ROOT / "benchmarks" / "results"
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's code, whatever is installed
ARTICLES = 3


class _CachePromptTransport(httpx2.AsyncBaseTransport):
    """Sets ``cache_prompt`` in every chat request body and keeps llama.cpp's timings of each answer.

    Wraps the embedded backend's own transport (answers streamed and ended at a repeated item, see
    ``_streaming``); llama.cpp sends its timings in the last chunk of a stream, so an answer ended early
    by the library has none (its request is listed without them)."""

    def __init__(self, cache_prompt: bool, timings: list[dict[str, Any]]) -> None:
        self.inner = AsyncStopRepeats()
        self.cache_prompt = cache_prompt
        self.timings = timings

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST" and request.url.path.endswith("/chat/completions"):
            body = json.loads(await request.aread())
            body["cache_prompt"] = self.cache_prompt
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            request = httpx2.Request(request.method, request.url, headers=headers, json=body)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.timings.append(_timings(content))
        return httpx2.Response(response.status_code, headers=response.headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _timings(content: bytes) -> dict[str, Any]:
    """llama.cpp's timings from a whole answer or from the chunks of a streamed one ({} if none)."""
    found: dict[str, Any] = {}
    for line in content.decode("utf-8", "replace").splitlines():
        data = line.removeprefix("data: ").strip()
        if data.startswith("{"):
            with contextlib.suppress(ValueError):
                found = json.loads(data).get("timings") or found
    return found


def run(items: list[Item], cache_prompt: bool) -> dict[str, Any]:
    timings: list[dict[str, Any]] = []
    url = local.server_url()
    backend = dataclasses.replace(
        local.backend(),
        make_async_client=lambda: openai.AsyncOpenAI(
            base_url=url,
            api_key="local",
            max_retries=0,
            http_client=httpx2.AsyncClient(
                transport=_CachePromptTransport(cache_prompt, timings), timeout=600
            ),
        ),
    )
    with tempfile.TemporaryDirectory() as scratch:  # the batch's output and its lock file
        out = Path(scratch) / "records.jsonl"
        summary = extract_many(items, backend=backend, out=out, cache=False, concurrency=1, progress=False)
        records = [json.loads(line) for line in out.read_text().splitlines()]
    return {
        "cache_prompt": cache_prompt,
        "summary": summary.to_dict(),
        "seconds_per_article": [r["seconds"] for r in records],
        "mean_seconds_per_article": round(statistics.mean(r["seconds"] for r in records), 1),
        "statuses": [r["status"] for r in records],
        "requests": [
            {
                "prompt_read": t.get("prompt_n"),
                "prompt_reused": t.get("cache_n"),
                "prompt_ms": round(t.get("prompt_ms", 0)),
                "generated": t.get("predicted_n"),
                "generate_ms": round(t.get("predicted_ms", 0)),
            }
            for t in timings
        ],
    }


def main() -> None:
    if "--markdown-only" in sys.argv:  # re-render the committed JSON without running the model
        result = json.loads((RESULTS / "batch_local_prefix.json").read_text())
        (RESULTS / "batch_local_prefix.md").write_text(markdown(result))
        return
    paths = sorted(DEVSET.glob("*.txt"), key=lambda p: p.stat().st_size)[:ARTICLES]
    items = [Item(p.stem, p.read_text(encoding="utf-8")) for p in paths]
    started = time.monotonic()
    local.server_url()  # load the model before timing anything
    load_seconds = time.monotonic() - started
    try:  # the model is loaded anyway: count the prompt tokens too (no generation, seconds)
        import bench_prompt_tokens

        bench_prompt_tokens.write(bench_prompt_tokens.measure(local.server_url()))
    except Exception as exc:  # the timing below matters more than the count
        print(f"prompt token count failed: {exc!r}", file=sys.stderr)
    off = run(items, cache_prompt=False)
    on = run(items, cache_prompt=True)
    result = {
        "what": "seconds per article on the embedded model, llama.cpp prompt-prefix reuse off vs on",
        "model": local.MODEL_NAME,
        "prompt_version": PROMPT_VERSION,
        "articles": [{"id": i.id, "chars": len(i.text)} for i in items],
        "machine": {"cpus": 2, "python": platform.python_version(), "platform": platform.platform()},
        "model_load_seconds": round(load_seconds, 1),
        "off": off,
        "on": on,
        "speedup": round(off["mean_seconds_per_article"] / on["mean_seconds_per_article"], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch_local_prefix.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "batch_local_prefix.md").write_text(markdown(result))
    print(markdown(result))


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "### Embedded model: seconds per article, prompt-prefix reuse off vs on",
        "",
        f"{len(r['articles'])} short dev-set articles ({', '.join(str(a['chars']) for a in r['articles'])} "
        f"characters), `extract_many`, concurrency 1, no result cache, {r['model']} on 2 CPU threads; "
        "`cache_prompt` set in each request body. Prompt tokens read/reused are llama.cpp's own timings.",
        "",
        "| cache_prompt | s/article (each) | mean s/article | requests "
        "| prompt tokens read (reused) per request |",
        "|---|---|---|---|---|",
    ]
    for key in ("off", "on"):
        run_ = r[key]
        per = ", ".join(f"{s:.0f}" for s in run_["seconds_per_article"])
        reqs = ", ".join(
            f"{q['prompt_read']} ({q['prompt_reused']})" if q["prompt_read"] is not None else "ended early"
            for q in run_["requests"]
        )
        lines.append(
            f"| {key} | {per} | {run_['mean_seconds_per_article']} | {run_['summary']['attempts']} | {reqs} |"
        )
    lines += [
        "",
        f"Speed-up from prefix reuse: **{r['speedup']}x** per article (mean). With reuse on, an article's "
        "first pass reads only the article and its task (the system message and worked examples come from "
        "the cache), and its other passes only their tasks (the article too comes from the cache); the run "
        "with reuse on comes second, so its first request already finds the prefix (the steady state of a "
        "batch). Each article is asked three passes: a count above three per article is a re-ask; an "
        "answer the library ended at a repeated item has no timings.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
