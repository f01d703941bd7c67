"""Assemble benchmarks/REPORT.md from the sections each benchmark wrote into benchmarks/results/.

python benchmarks/make_report.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: (section file, the command that regenerates it), in report order.
SECTIONS = [
    # Both sets, dev and validation side by side (bench_quality.py --sets dev val is the default).
    ("quality.md", "flock /tmp/summit-model.lock python benchmarks/bench_quality.py"),
    (
        "output_token_cuts.md",
        "git apply benchmarks/experiments/output_token_cuts.patch, then "
        "flock /tmp/summit-model.lock python benchmarks/bench_quality.py --only library",
    ),
    (
        "examples_in_article_language.md",
        "git apply benchmarks/experiments/examples_in_article_language.patch, then "
        "flock /tmp/summit-model.lock python benchmarks/bench_quality.py --only library; "
        "--rescore under each code",
    ),
    ("batch_throughput.md", "python benchmarks/bench_batch.py"),
    ("batch_overhead.md", "python benchmarks/bench_batch.py"),
    ("batch_prompt_tokens.md", "python benchmarks/bench_prompt_tokens.py"),
    ("batch_local_prefix.md", "flock /tmp/summit-model.lock python benchmarks/bench_local_prefix.py"),
    ("server_options.md", "flock /tmp/summit-model.lock python benchmarks/bench_server_options.py"),
    ("process_start.md", "flock /tmp/summit-model.lock python benchmarks/bench_process_start.py"),
    ("faults.md", "python benchmarks/bench_faults.py"),
    ("scale_throughput.md", "nice -n 19 python benchmarks/bench_scale.py"),
    ("scale_records.md", "nice -n 19 python benchmarks/bench_scale_records.py"),
    ("batch_api_dry_run.md", "nice -n 19 python benchmarks/bench_batch_api.py"),
    ("cpu_per_extraction.md", "nice -n 19 python benchmarks/bench_cpu.py"),
    ("events_quality.md", "python benchmarks/bench_events.py"),
    (
        "events_throughput.md",
        "nice -n 19 python benchmarks/bench_consolidate.py [--records 1000000 --runs single ray]",
    ),
]

HEADER = """# Benchmark report

Figures measured on this project's machines (2 CPU cores, no GPU, shared and noisy): compare ratios within
one table, which were measured in one run, rather than seconds across tables. Nothing here is asserted by
a test. Each section names the command that regenerates it; this file is rebuilt from
`benchmarks/results/*.md` by `python benchmarks/make_report.py`.
"""


def main() -> None:
    parts = [HEADER]
    for name, command in SECTIONS:
        path = RESULTS / name
        if not path.is_file():
            parts.append(f"## {name}\n\nNot measured yet: run `{command}`.\n")
            continue
        body = path.read_text(encoding="utf-8").strip()
        # Every section's own heading becomes a second-level heading under the report's title.
        first, _, rest = body.partition("\n")
        if first.startswith("#"):
            body = "## " + first.lstrip("# ") + "\n" + rest
        parts.append(f"{body}\n\nRegenerate: `{command}`\n")
    (HERE / "REPORT.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
