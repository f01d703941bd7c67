"""Events from many articles, scored: consolidation of the stored records against gold event clusters.

    python benchmarks/bench_events.py                   # score what records exist; no model is called
    flock /tmp/summit-model.lock python benchmarks/bench_events.py --extract  # extract the invented set first

Gold: ``benchmarks/events/gold_clusters.json``, three sets of articles: the development set (two of its
articles report the same ASEAN summit), the validation set (24 articles, 24 events) and short articles
written for this benchmark (``benchmarks/events/articles/``: one summit spelled Kyiv and Kiev naming
different leaders, a trilateral in Tokyo and a bilateral of two of its states in Busan three days later, a
preview of a Nairobi summit, the summit, and an analysis that is no summit but reports its agreement, and an
unrelated dispute). The records of the development and validation sets are the library's stored answers of
the last quality run (``benchmarks/results/library/predictions.jsonl`` and ``results/valset/library/...``);
those of the invented set are written by ``--extract`` (the embedded model, ~1-3 minutes an article) into
``benchmarks/results/events/records.jsonl``; until then the set is scored on the records that exist and the
report names those missing.

Each set is consolidated twice: from the records as ``extract`` writes them (no publication date), and with
each record's publication date where its source states it (a ``published`` field), which places year-less
dates and undated articles in time. Scored:

- **clustering**: pairwise precision and recall of "same event" over all pairs of articles of the set;
- **merged facts**: for each gold event of several articles, each gold person found as exactly one fact
  (found once / found split into several facts / missing), the majority city, and whether every source
  span of every fact of every event slices back to its article's text.

Writes ``benchmarks/results/events_quality.{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summit_extract import Summit  # noqa: E402
from summit_extract._consolidating import consolidate  # noqa: E402
from summit_extract._events import Event  # noqa: E402
from summit_extract._grounding import same_words  # noqa: E402

GOLD = ROOT / "benchmarks" / "events" / "gold_clusters.json"
RESULTS = ROOT / "benchmarks" / "results"


def stored_records(path: Path, published: dict[str, str] | None) -> list[dict[str, Any]]:
    """Records as extract_many writes them, from a predictions.jsonl of bench_quality (or a records file)."""
    records = []
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "article" in row:  # bench_quality's predictions.jsonl
            ident, result = row["article"], row.get("prediction")
            record: dict[str, Any] = {"id": ident, "status": "ok" if result else "error", "result": result}
        else:  # extract_many's own records (ids are the article paths)
            record = dict(row)
            record["id"] = ident = Path(str(row["id"])).stem
        if published and published.get(ident):
            record["published"] = published[ident]
        records.append(record)
    return records


def pairs(clusters: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for c in clusters for p in itertools.combinations(sorted(c), 2)}


def prf(gold: set[frozenset[str]], found: set[frozenset[str]]) -> dict[str, Any]:
    hit = len(gold & found)
    return {
        "gold_pairs": len(gold),
        "found_pairs": len(found),
        "correct_pairs": hit,
        "precision": hit / len(found) if found else 1.0,
        "recall": hit / len(gold) if gold else 1.0,
    }


def spans_slice_back(events: list[Event], texts: dict[str, str]) -> tuple[int, int]:
    """(sources with a span, of them those whose span slices back to their article's evidence)."""
    total = good = 0
    for event in events:
        sources = [s for facts in event.facts.values() for f in facts for s in f.sources]
        sources += [s for claim in event.fields.values() for v in claim.values for s in v.sources]
        for source in sources:
            if source.span is None:
                continue
            total += 1
            text = texts.get(str(source.article), "")
            good += text[source.span.start : source.span.end] == source.evidence
    return total, good


def fact_quality(
    events: list[Event], expected: list[dict[str, Any]], present: set[str]
) -> list[dict[str, Any]]:
    rows = []
    for gold in expected:
        if gold["event_of"] not in present:
            continue
        event = next((e for e in events if gold["event_of"] in {str(a.id) for a in e.articles}), None)
        people = event.facts.get("participants", []) if event else []
        names = [str(f.value.get("name") or "") for f in people]
        found = {p: sum(same_words(p, n) for n in names if n) for p in gold["people"]}
        city_claim = event.fields.get("location") if event else None
        city = None
        if city_claim is not None and city_claim.majority is not None:
            city = city_claim.values[city_claim.majority].value.get("city")
        rows.append(
            {
                "event_of": gold["event_of"],
                "people": len(found),
                "found_once": sum(n == 1 for n in found.values()),
                "split": sum(n > 1 for n in found.values()),
                "missing": sorted(p for p, n in found.items() if n == 0),
                "delegations_left": sum(1 for f in people if not f.value.get("name")),
                "city": city,
                "city_ok": city is not None and same_words(city, gold["city"]),
            }
        )
    return rows


def score_set(
    name: str, spec: dict[str, Any], facts: list[dict[str, Any]], with_published: bool
) -> dict[str, Any]:
    folder = ROOT / spec["articles"]
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}
    records = stored_records(ROOT / spec["records"], spec["published"] if with_published else None)
    present = {str(r["id"]) for r in records if r.get("status") == "ok"}
    missing = sorted(set(texts) - {str(r["id"]) for r in records})
    failed = sorted({str(r["id"]) for r in records} - present)
    events = list(consolidate(records, schema=Summit))
    found = [[str(a.id) for a in e.articles] for e in events]
    gold = [[a for a in c if a in present] for c in spec["clusters"]]
    total, good = spans_slice_back(events, texts)
    return {
        "set": name,
        "published": with_published,
        "articles": len(texts),
        "records": len(present),
        "missing": missing,
        "failed": failed,
        "events": len(events),
        "clusters": found,
        **prf(pairs(gold), pairs(found)),
        "spans": total,
        "spans_slicing_back": good,
        "facts": fact_quality(events, facts, present),
    }


def extract_invented(spec: dict[str, Any]) -> None:
    """Extract the invented articles with the configured model (the embedded one by default)."""
    from summit_extract import Item, extract_many

    folder = ROOT / spec["articles"]
    items = [
        Item(p.stem, p.read_text(encoding="utf-8"), spec["published"].get(p.stem))
        for p in sorted(folder.glob("*.txt"))
    ]
    out = ROOT / spec["records"]
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = extract_many(items, out=out, schema=Summit, progress=True)
    print(summary)


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "## Events from many articles (consolidation against gold event clusters)",
        "",
        "`summit-extract consolidate` over the stored records of each set "
        "(`benchmarks/events/gold_clusters.json`; no model called), as `extract` writes them and with each "
        "article's publication date where its source "
        'states it. Pairwise precision and recall of "same event" over all pairs of articles; a set with no '
        "predicted pair has precision 1 by convention.",
        "",
        "| set | published | records | events | gold pairs | found pairs | correct | precision | recall "
        "| spans slicing back |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['set']} | {'yes' if r['published'] else 'no'} | {r['records']}/{r['articles']} "
            f"| {r['events']} "
            f"| {r['gold_pairs']} | {r['found_pairs']} | {r['correct_pairs']} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {r['spans_slicing_back']}/{r['spans']} |"
        )
    lines += ["", "Merged facts of the events told by several articles (with publication dates):", ""]
    lines += [
        "| event of | people found once | split | missing | bare delegations left | city |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        if not r["published"]:
            continue
        for f in r["facts"]:
            lines.append(
                f"| {f['event_of']} | {f['found_once']}/{f['people']} | {f['split']} "
                f"| {', '.join(f['missing']) or '-'} "
                f"| {f['delegations_left']} | {f['city']} ({'ok' if f['city_ok'] else 'wrong'}) |"
            )
    for r in runs:
        if r["missing"] and r["published"]:
            lines += [
                "",
                f"Set `{r['set']}`: {len(r['missing'])} articles have no record yet "
                f"({', '.join(r['missing'])}); extract them with "
                "`flock /tmp/summit-model.lock python benchmarks/bench_events.py --extract`.",
            ]
        wrong = [c for c in r["clusters"] if len(c) > 1]
        if wrong and r["published"]:
            lines += [
                "",
                f"Set `{r['set']}`, events of several articles found: "
                + "; ".join(" + ".join(c) for c in wrong),
            ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--extract", action="store_true", help="extract the invented articles first (model)")
    args = parser.parse_args(argv)
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    if args.extract:
        extract_invented(gold["sets"]["invented"])
    runs = [
        score_set(name, spec, gold["facts"], published)
        for name, spec in gold["sets"].items()
        for published in (False, True)
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "events_quality.json").write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    text = markdown(runs)
    (RESULTS / "events_quality.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
