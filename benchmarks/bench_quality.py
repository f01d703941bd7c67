"""Quality benchmark: the library, a plain-instructor baseline and LangExtract, one model, one dev set.

    flock /tmp/summit-model.lock python benchmarks/bench_quality.py [--only SYSTEM ...] [--articles N]

Systems (each writes benchmarks/results/quality_<system>.{md,json} and <system>/predictions.jsonl):

- ``library``: ``extract_result(text, Summit)`` as shipped (three passes, worked example, every code
  rule). It runs with the code rules (overrules of is_summit, finding filters) switched off, keeps those
  raw answers in library/raw.jsonl, and applies the rules afterwards in code, which is exact (a rule
  only ever drops a finding or changes is_summit, and the raw answers keep the frame of a "no"): that
  is how the ablation rows for each rule come from the same model answers, and how ``--rescore``
  re-scores a changed rule without a model;
- ``library-one-pass``: everything asked in one request (``passes=["main"]``), the ablation of passes;
- ``library-no-examples``: no worked example (``examples=False``), the ablation of examples;
- ``library-parallel-passes``: the library with ``SUMMIT_EXTRACT_PARALLEL_PASSES=3`` (the passes over one
  piece written at once by a three-slot server, providers/_slots.py), in a process of its own since a
  server's slots are fixed when it starts; the main process runs with one slot, as shipped;
- ``baseline``: benchmarks/baseline.py, a one-line prompt and a simple schema through plain instructor;
- ``langextract``: benchmarks/langextract_peer.py, LangExtract with examples written for it.

Then it rebuilds benchmarks/results/quality.md side by side from whichever quality_*.json exist, so
systems can be run at different times (each table says when each column ran). Scores and matching
rules: summit_extract/summit/_scoring.py.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from summit_extract import (  # noqa: E402
    PROMPT_VERSION,
    Document,
    Extraction,
    ExtractionContext,
    Summit,
    Usage,
    evaluate,
    extract_result,
    load_provider,
)
from summit_extract.summit._normalizing import FILTERS, OVERRULES, finalize_summit  # noqa: E402

#: Every code rule of the Summit that may overrule or drop what the model said, by name.
RULES = OVERRULES | FILTERS

SYSTEMS = (
    "library",
    "library-one-pass",
    "library-no-examples",
    "library-parallel-passes",
    "baseline",
    "langextract",
)
#: Systems run in a process of their own, with these settings.
OWN_PROCESS = {"library-parallel-passes": {"SUMMIT_EXTRACT_PARALLEL_PASSES": "3"}}
#: Columns of the main table, in order (ablations go in their own table).
MAIN = ("library", "baseline", "langextract")

ExtractFn = Callable[[str, str | None], Extraction[Summit]]


def library_fn(**options: Any) -> ExtractFn:
    """The library on the embedded model, ungrounded items dropped, with extract_result's options."""
    backend = load_provider("local")

    def run(text: str, published: str | None) -> Extraction[Summit]:
        return extract_result(text, Summit, published=published, backend=backend, **options)

    return run


def baseline_fn() -> ExtractFn:
    """The plain-instructor baseline (benchmarks/baseline.py)."""
    import baseline

    client = baseline.make_client()
    return lambda text, published: baseline.extract_baseline(text, published, client=client)


def langextract_fn() -> ExtractFn:
    """LangExtract, the peer a user would pick instead (benchmarks/langextract_peer.py)."""
    import langextract_peer

    return langextract_peer.make_peer()


def progress(score: Any) -> None:
    print(
        f"  {score.article}: is_summit {score.is_summit}, participants {score.participants.f1:.2f}, "
        f"agreements {score.agreements.f1:.2f}, disputes {score.disputes.f1:.2f}, "
        f"ungrounded {score.ungrounded}, {score.seconds}s, {score.tokens} tokens"
        + (f", ERROR {score.error[:100]}" if score.error else ""),
        file=sys.stderr,
        flush=True,
    )


def with_rules(extraction: Extraction[Summit], rules: frozenset[str], text: str) -> Extraction[Summit]:
    """A copy of a result made with no code rule, as if ``rules`` had been on (see module doc)."""
    value = copy.deepcopy(extraction.value)
    # The run's own finalize already normalized (with no rule on); doing it again is idempotent, and
    # re-applies normalization changed since the run (--rescore).
    finalize_summit(value, ExtractionContext(text), rules)
    if not value.is_summit:
        Document.clear_event(value)  # the library run keeps the frame (see run); the verdict clears it here
    return Extraction(**{**extraction.__dict__, "value": value})


def _keep_frame(self: Document) -> None:
    """No clearing during the library run: raw answers keep what the model said (see with_rules)."""


def costs(runs: dict[str, Extraction[Summit]]) -> dict[str, Any]:
    """Cost per article: prompt tokens read and reused from the server's cache, completion, requests."""
    n = max(len(runs), 1)
    prompt = sum(r.usage.prompt_tokens for r in runs.values())
    cached = sum(r.usage.cached_tokens for r in runs.values())
    return {
        "prompt_tokens_per_article": round(prompt / n),
        "prompt_tokens_cached_per_article": round(cached / n),
        "prompt_tokens_read_per_article": round((prompt - cached) / n),
        "completion_tokens_per_article": round(sum(r.usage.completion_tokens for r in runs.values()) / n),
        "requests_per_article": round(sum(r.attempts for r in runs.values()) / n, 2),
        "reasks": sum(max(0, count - 1) for r in runs.values() for count in r.requests.values()),
    }


def run(system: str, devset: Path, results: Path, articles: int | None) -> list[tuple[str, dict[str, Any]]]:
    """Run one system over the dev set; return (label, report dict) for it and any offline variants."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "articles").glob("*.txt")}
    runs: dict[str, Extraction[Summit]] = {}
    if system == "library":
        Summit.overrules = Summit.filters = frozenset()  # applied afterwards, rule by rule (module doc)
        # Keep the frame of a "no" too: the leaders_meet rule reads it, so raw answers must hold it.
        Summit.clear_event = _keep_frame  # type: ignore[method-assign]
        base = library_fn()
    elif system == "library-one-pass":
        base = library_fn(passes=["main"])
    elif system == "library-no-examples":
        base = library_fn(examples=False)
    elif system in OWN_PROCESS:
        base = library_fn()
    elif system == "baseline":
        base = baseline_fn()
    else:
        base = langextract_fn()

    def fn(text: str, published: str | None) -> Extraction[Summit]:
        result = base(text, published)
        stem = next(k for k, v in texts.items() if v == text)
        runs[stem] = result
        return result if system != "library" else with_rules(result, RULES, text)

    print(f"{system}: evaluating {devset}", file=sys.stderr, flush=True)
    report = evaluate(
        devset,
        schema=Summit,
        extract_fn=fn,
        out_dir=results / system,
        limit=articles,
        label=system,
        on_article=progress,
    )
    Summit.overrules, Summit.filters = OVERRULES, FILTERS
    if "clear_event" in vars(Summit):
        del Summit.clear_event
    out = [(system, _save(system, report, runs, results))]
    if system == "library":
        with (results / "library" / "raw.jsonl").open("w", encoding="utf-8") as raw:
            for stem, r in sorted(runs.items()):
                raw.write(json.dumps({"article": stem, **_raw_record(r)}, ensure_ascii=False) + "\n")
        out += variants(devset, results, runs, texts, articles)
    return out


def _raw_record(r: Extraction[Summit]) -> dict[str, Any]:
    return {
        "value": r.value.model_dump(mode="json"),
        "usage": [r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.cached_tokens],
        "attempts": r.attempts,
        "requests": r.requests,
        "seconds": r.seconds,
        "model": r.model,
        "backend": r.backend,
    }


def variants(
    devset: Path,
    results: Path,
    runs: dict[str, Extraction[Summit]],
    texts: dict[str, str],
    articles: int | None,
    *,
    rescored: bool = False,
) -> list[tuple[str, dict[str, Any]]]:
    """The rule ablation: the same raw answers with every rule, none, or all but one."""
    # Re-scored columns say when the model gave the answers they score, not only when they were scored.
    answered = _answered(results) if rescored else None
    chosen = {"library": RULES} if rescored else {}
    chosen |= {"library-no-overrules": FILTERS, "library-no-filters": OVERRULES}
    chosen |= {f"library-without-{rule}": RULES - {rule} for rule in sorted(RULES)}
    out = []
    for label, rules in chosen.items():
        preds = {stem: with_rules(r, rules, texts[stem]) for stem, r in runs.items()}
        # A re-scored library writes its predictions again, so they show what the code now makes of them.
        out_dir = results / label if rescored and label == "library" else None
        report = evaluate(
            devset, schema=Summit, predictions=preds, limit=articles, label=label, out_dir=out_dir
        )
        out.append((label, _save(label, report, runs, results, answered=answered)))
    return out


def rescore(devset: Path, results: Path, articles: int | None) -> list[tuple[str, dict[str, Any]]]:
    """Re-score the library's last raw answers (library/raw.jsonl) with the code as it is now."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "articles").glob("*.txt")}
    runs: dict[str, Extraction[Summit]] = {}
    for line in (results / "library" / "raw.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        prompt, completion, cached = row["usage"]
        runs[row["article"]] = Extraction(
            value=Summit.model_validate(row["value"]),
            usage=Usage(prompt, completion, cached),
            attempts=row["attempts"],
            model=row["model"],
            backend=row["backend"],
            seconds=row["seconds"],
            requests=row["requests"],
        )
    return variants(devset, results, runs, texts, articles, rescored=True)


def _answered(results: Path) -> dict[str, Any] | None:
    """The provenance of the library run whose raw answers are re-scored (None if it is not recorded)."""
    try:
        earlier = json.loads((results / "quality_library.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    provenance = earlier.get("provenance") or {}
    keep = ("model", "prompt_version", "run_at", "prompt_cache_restored_tokens")
    return {k: provenance[k] for k in keep if k in provenance} or None


def _save(
    system: str,
    report: Any,
    runs: dict[str, Extraction[Summit]],
    results: Path,
    answered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    header = _provenance(system)
    if answered is not None:
        header = {**header, **answered, "rescored_at": header["run_at"]}
    data = {**report.to_dict(), "costs": costs(runs), "provenance": header}
    (results / f"quality_{system}.md").write_text(
        report.to_markdown() + "\n" + "\n".join(f"- {k}: {v}" for k, v in header.items()) + "\n"
    )
    (results / f"quality_{system}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return data


def _provenance(system: str) -> dict[str, Any]:
    from summit_extract.providers import local

    prompts = {"baseline": "one-line prompt", "langextract": "LangExtract's own prompt and examples"}
    return {
        "system": system,
        "model": local.MODEL_NAME,
        "prompt_version": prompts.get(system, PROMPT_VERSION),
        "run_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # The embedded server (shared by every system of a run) may start with the examples' prefix an
        # earlier process saved (providers/_prompt_cache.py), as a user's second process does.
        "prompt_cache_restored_tokens": local.restored_prompt_tokens(),
    }


_ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("**macro** (mean of the next six)", lambda r: f"**{r['aggregate']['macro']:.3f}**"),
    ("is_summit accuracy", lambda r: f"{r['aggregate']['is_summit']:.3f}"),
    ("location accuracy", lambda r: f"{r['aggregate']['location']:.3f}"),
    ("date accuracy", lambda r: f"{r['aggregate']['date']:.3f}"),
    *[
        (f"{f} F1 (P / R)", lambda r, f=f: _prf(r["aggregate"][f]))
        for f in ("participants", "agreements", "disputes")
    ],
    ("ungrounded values kept", lambda r: str(r["aggregate"]["ungrounded_kept"])),
    ("failed articles", lambda r: f"{r['aggregate']['failures']} of {r['aggregate']['articles']}"),
    ("seconds per article", lambda r: _num(r["aggregate"]["seconds_per_article"])),
    ("requests per article", lambda r: _cost(r, "requests_per_article", "{:.2f}")),
    ("re-asks (all articles)", lambda r: _cost(r, "reasks", "{:d}")),
    ("prompt tokens per article", lambda r: _cost(r, "prompt_tokens_per_article", "{:,}")),
    (
        "… of which reused from the prompt cache",
        lambda r: _cost(r, "prompt_tokens_cached_per_article", "{:,}"),
    ),
    ("completion tokens per article", lambda r: _cost(r, "completion_tokens_per_article", "{:,}")),
]


def _prf(c: dict[str, float]) -> str:
    return f"{c['f1']:.3f} ({c['precision']:.2f} / {c['recall']:.2f})"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _cost(report: dict[str, Any], key: str, fmt: str) -> str:
    value = report.get("costs", {}).get(key)
    return "—" if value is None else fmt.format(value)


def _table(reports: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| | " + " | ".join(reports) + " |", "|---|" + "---|" * len(reports)]
    for name, cell in _ROWS:
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in reports.values()) + " |")
    return lines


def side_by_side(results: Path) -> str:
    """quality.md: the main comparison, then the ablation table, from every quality_<system>.json."""
    found = {
        p.stem.removeprefix("quality_"): json.loads(p.read_text()) for p in results.glob("quality_*.json")
    }
    main = {s: found[s] for s in MAIN if s in found}
    ablation_order = [
        "library",
        "library-one-pass",
        "library-no-examples",
        "library-parallel-passes",
        "library-no-overrules",
        "library-no-filters",
        *sorted(k for k in found if k.startswith("library-without-")),
    ]
    ablation = {s: found[s] for s in ablation_order if s in found}
    lines = [
        "# Quality: summit-extract vs a plain-instructor baseline and LangExtract",
        "",
        "Same embedded model (Qwen2.5-Coder-1.5B, Q4_K_M, 2 CPU threads), same dev set (devset/), scored by",
        "`summit_extract/summit/_scoring.py` (agreements and disputes matched by subject meaning, optional",
        "gold items not counted).",
        "Regenerate: `flock /tmp/summit-model.lock python benchmarks/bench_quality.py`.",
        "Seconds depend on the machine's load at the time of each run (see run times below); tokens do not.",
        "",
        *_table(main),
        "",
        "### What each element earns (ablation)",
        "",
        "Each column removes one element from the library. `library-one-pass` asks everything in one",
        "request; `library-no-examples` drops the worked examples; `library-parallel-passes` adds one: the",
        "passes over a piece written at once by a three-slot server (`SUMMIT_EXTRACT_PARALLEL_PASSES=3`,",
        "off by default); `library-no-overrules` keeps the model's",
        "frame as it said it (its is_summit, and no state added from an attendance list);",
        "`library-no-filters` keeps the agreements and disputes it listed, no fewer and no more;",
        "`library-without-<rule>` keeps every code rule but that one (rules in",
        "`summit_extract/summit/_normalizing.py`). Rule columns reuse the library's own model answers.",
        "The baseline's answers vary from run to run on this server more than the library's (0.584, 0.414",
        "and 0.421 macro in three runs on 2026-11-28; 0.482, 0.472, 0.513 and 0.554 in four on 2026-12-05),",
        "and so do seconds: compare columns of one run.",
        "",
        *_table(ablation),
        "",
    ]
    for system, r in found.items():
        p = r.get("provenance", {})
        restored = p.get("prompt_cache_restored_tokens")
        warm = (
            "" if restored is None else f", server started with {restored:,} prompt tokens restored from disk"
        )
        rescored = f", re-scored {p['rescored_at']}" if p.get("rescored_at") else ""
        lines.append(
            f"- {system}: model {p.get('model')}, prompt {p.get('prompt_version')}, "
            f"run {p.get('run_at')}{warm}{rescored}, details in quality_{system}.md"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=SYSTEMS, nargs="+", help="run only these systems")
    parser.add_argument("--articles", type=int, default=None, help="score only the first N articles")
    parser.add_argument("--devset", type=Path, default=ROOT / "devset")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--table-only", action="store_true", help="only rebuild quality.md")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="re-score library/raw.jsonl with the code rules as they are now",
    )
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    if args.rescore:
        for label, data in rescore(args.devset, args.results, args.articles):
            print(f"{label}: macro {data['aggregate']['macro']:.3f}", file=sys.stderr)
    own = os.environ.get("SUMMIT_EXTRACT_BENCH_OWN_PROCESS")
    if own is None:  # the main process: every other system as shipped, one slot
        for name in {k for settings in OWN_PROCESS.values() for k in settings}:
            os.environ.pop(name, None)
    for system in [] if args.table_only or args.rescore else (args.only or list(SYSTEMS)):
        if system in OWN_PROCESS and own != system:
            command = [sys.executable, __file__, "--only", system, "--devset", str(args.devset)]
            command += ["--results", str(args.results)]
            command += ["--articles", str(args.articles)] if args.articles else []
            env = {**os.environ, **OWN_PROCESS[system], "SUMMIT_EXTRACT_BENCH_OWN_PROCESS": system}
            subprocess.run(command, env=env, check=True)
            continue
        for label, data in run(system, args.devset, args.results, args.articles):
            print(f"{label}: macro {data['aggregate']['macro']:.3f}", file=sys.stderr)
    (args.results / "quality.md").write_text(side_by_side(args.results))
    print((args.results / "quality.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
