"""``summit-extract extract INPUT --out OUT --ray ADDRESS``: the extract command on a Ray cluster.

Kept apart so that Ray is imported only when asked for (``pip install 'summit-extract[ray]'``).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from pydantic import BaseModel

from ..._runners.records import Item
from .app import EXIT_FAILED, UsageProblem
from .summary import print_batch_summary

__all__ = ["run"]


def run(
    items: list[Item],
    address: str,
    out: Path | None,
    schema: type[BaseModel],
    *,
    backend: str | None,
    model: str | None,
    base_url: str | None,
    concurrency: int | None,
    cache: bool,
    published: str | None,
    ungrounded: str,
    progress: bool,
) -> None:
    """Extract ``items`` on the cluster at ``address`` into ``out`` with the extract command's options."""
    try:
        from ..._runners.cluster import extract_dataset
    except ImportError:
        raise UsageProblem("--ray needs Ray: pip install 'summit-extract[ray]'") from None
    if out is None:
        raise UsageProblem("--ray needs --out (a .jsonl file, or a .parquet folder)")
    if base_url:
        if backend not in (None, "openai"):
            raise UsageProblem("--base-url is for an OpenAI-compatible endpoint; it needs --backend openai")
        os.environ["OPENAI_BASE_URL"] = base_url  # forwarded to the actors, as to the SDK here
        backend = "openai"
    if backend not in (None, "openai", "local"):
        raise UsageProblem(f"--backend must be 'openai' or 'local', not {backend!r}")
    summary = extract_dataset(
        items,
        out=out,
        schema=schema,
        backend=backend,
        model=model,
        address=address,
        concurrency=concurrency,
        cache=cache,
        published=published,
        ungrounded=ungrounded,
        progress=progress,
    )
    print_batch_summary(summary, out)
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)
