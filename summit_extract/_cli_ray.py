"""``summit-extract extract INPUT --out OUT --ray ADDRESS``: the extract command on a Ray cluster.

Kept out of ``_cli`` so that the command stays one branch there, and Ray is imported only when asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from ._cli import EXIT_FAILED, UsageProblem, _print_batch_summary
from ._runners.records import Item

__all__ = ["run"]


def run(
    items: list[Item], address: str, out: Path | None, schema: type[BaseModel], options: dict[str, Any]
) -> None:
    """Extract ``items`` on the cluster at ``address`` into ``out`` with the extract command's options."""
    try:
        from .ray import extract_dataset
    except ImportError:
        raise UsageProblem("--ray needs Ray: pip install 'summit-extract[ray]'") from None
    if out is None:
        raise UsageProblem("--ray needs --out (a .jsonl file, or a .parquet folder)")
    backend = options.get("backend")
    if options.get("base_url"):
        if backend not in (None, "openai"):
            raise UsageProblem("--base-url is for an OpenAI-compatible endpoint; it needs --backend openai")
        os.environ["OPENAI_BASE_URL"] = options["base_url"]  # forwarded to the actors, as to the SDK here
        backend = "openai"
    if backend not in (None, "openai", "local"):
        raise UsageProblem(f"--backend must be 'openai' or 'local', not {backend!r}")
    summary = extract_dataset(
        items,
        out=out,
        schema=schema,
        backend=backend,
        model=options.get("model"),
        address=address,
        concurrency=options.get("concurrency"),
        cache=not options.get("no_cache", False),
        published=options.get("published"),
        ungrounded=options.get("ungrounded", "drop"),
        progress=bool(options.get("progress")),
    )
    _print_batch_summary(summary, out)
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)
