"""Quality benchmark: the library and a plain-instructor baseline, same embedded model, same dev set.

    flock /tmp/summit-model.lock python benchmarks/bench_quality.py [--only library|baseline] [--articles N]

Writes benchmarks/results/quality_<system>.{md,json} (and <system>/predictions.jsonl) for each system it
runs, then rebuilds benchmarks/results/quality.md side by side from whichever quality_*.json exist, so the
two halves can be run at different times. Scores and matching rules: summit_extract/_evaluating.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from summit_extract import Extraction, Summit, extract_result, load_provider  # noqa: E402
from summit_extract._evaluating import ArticleScore, EvalReport, evaluate  # noqa: E402
from summit_extract._prompting import PROMPT_VERSION  # noqa: E402

SYSTEMS = ("library", "baseline")


def library_fn() -> Callable[[str, str | None], Extraction[Summit]]:
    """The library as shipped: extract_result on the embedded model, ungrounded items dropped."""
    backend = load_provider("local")

    def run(text: str, published: str | None) -> Extraction[Summit]:
        return extract_result(text, Summit, published=published, backend=backend)

    return run


def baseline_fn() -> Callable[[str, str | None], Extraction[Summit]]:
    """The plain-instructor baseline (benchmarks/baseline.py)."""
    import baseline

    client = baseline.make_client()
    return lambda text, published: baseline.extract_baseline(text, published, client=client)


def progress(score: ArticleScore) -> None:
    print(
        f"  {score.article}: is_summit {score.is_summit}, participants {score.participants.f1:.2f}, "
        f"agreements {score.agreements.f1:.2f}, disputes {score.disputes.f1:.2f}, "
        f"ungrounded {score.ungrounded}, {score.seconds}s, {score.tokens} tokens"
        + (f", ERROR {score.error[:100]}" if score.error else ""),
        file=sys.stderr, flush=True,
    )


def run(system: str, devset: Path, results: Path, articles: int | None) -> EvalReport:
    fn = library_fn() if system == "library" else baseline_fn()
    print(f"{system}: evaluating {devset}", file=sys.stderr, flush=True)
    report = evaluate(
        devset, extract_fn=fn, out_dir=results / system, limit=articles, label=system, on_article=progress
    )
    header = _provenance(system)
    (results / f"quality_{system}.md").write_text(
        report.to_markdown() + "\n" + "\n".join(f"- {k}: {v}" for k, v in header.items()) + "\n"
    )
    data = {**report.to_dict(), "provenance": header}
    (results / f"quality_{system}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return report


def _provenance(system: str) -> dict[str, Any]:
    from summit_extract.providers import local

    return {
        "system": system,
        "model": local.MODEL_NAME,
        "prompt_version": PROMPT_VERSION if system == "library" else "baseline (one-line prompt)",
        "run_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


_ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("**macro** (mean of the next six)", lambda a: f"**{a['macro']:.3f}**"),
    ("is_summit accuracy", lambda a: f"{a['is_summit']:.3f}"),
    ("location accuracy", lambda a: f"{a['location']:.3f}"),
    ("date accuracy", lambda a: f"{a['date']:.3f}"),
    *[(f"{f} F1 (P / R)", lambda a, f=f: _prf(a[f])) for f in ("participants", "agreements", "disputes")],
    ("ungrounded values kept", lambda a: str(a["ungrounded_kept"])),
    ("failed articles", lambda a: f"{a['failures']} of {a['articles']}"),
    ("seconds per article", lambda a: _num(a["seconds_per_article"])),
    ("tokens per article", lambda a: _num(a["tokens_per_article"])),
]


def _prf(c: dict[str, float]) -> str:
    return f"{c['f1']:.3f} ({c['precision']:.2f} / {c['recall']:.2f})"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def side_by_side(results: Path) -> str:
    """quality.md: the aggregate scores of every system with a quality_<system>.json, in columns."""
    reports = {
        s: json.loads(p.read_text()) for s in SYSTEMS if (p := results / f"quality_{s}.json").exists()
    }
    lines = [
        "# Quality: summit-extract vs a plain-instructor baseline",
        "",
        "Same embedded model, same dev set (devset/), scored by `summit_extract._evaluating` (matching rules",
        "in its docstring; agreements and disputes matched by subject meaning, optional gold items not",
        "counted). Regenerate: `flock /tmp/summit-model.lock python benchmarks/bench_quality.py`.",
        "",
        "| | " + " | ".join(reports) + " |",
        "|---|" + "---|" * len(reports),
    ]
    for name, cell in _ROWS:
        lines.append(f"| {name} | " + " | ".join(cell(r["aggregate"]) for r in reports.values()) + " |")
    lines.append("")
    for system, r in reports.items():
        p = r.get("provenance", {})
        lines.append(
            f"- {system}: model {p.get('model')}, prompt {p.get('prompt_version')}, run {p.get('run_at')}, "
            f"details in quality_{system}.md"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SYSTEMS, help="run one system only")
    parser.add_argument("--articles", type=int, default=None, help="score only the first N articles")
    parser.add_argument("--devset", type=Path, default=ROOT / "devset")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    for system in [args.only] if args.only else list(SYSTEMS):
        report = run(system, args.devset, args.results, args.articles)
        print(f"{system}: macro {report.macro:.3f}", file=sys.stderr)
    (args.results / "quality.md").write_text(side_by_side(args.results))
    print((args.results / "quality.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
