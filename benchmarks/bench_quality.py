"""Quality benchmark: the library, a plain-instructor baseline and LangExtract, one model, two sets.

    flock /tmp/summit-model.lock python benchmarks/bench_quality.py [--sets dev val] [--only SYSTEM ...]
        [--articles N] [--rescore | --table-only]

Each chosen system runs over each chosen set in one process (the embedded model server is shared): the
development set (devset/, the articles the library was developed on) and the validation set (valset/,
never tuned on, seven languages). Both default. Per set, each system writes quality_<system>.{md,json} and
<system>/predictions.jsonl into its results folder: benchmarks/results/ for the dev set,
benchmarks/results/valset/ for the validation set (``--results DIR`` moves both: DIR and DIR/valset;
``--devset DIR`` alone scores that one folder as the dev set).

Systems:

- ``library``: ``extract_result(text, Summit)`` as shipped (three passes, worked example, every code
  rule). It runs with the code rules (overrules of is_summit, finding filters) switched off and keeps
  what it could not ground (``ungrounded="flag"``), keeps those raw answers in library/raw.jsonl, and
  applies the rules afterwards in code (``with_rules``), which is exact (a rule only ever drops a finding
  or changes is_summit, and the raw answers keep the frame of a "no"): that is how the ablation rows for
  each rule come from the same model answers, and how ``--rescore`` re-scores a changed rule without a
  model, on both sets (an item of raw.jsonl that no longer validates is skipped, not its article);
- ``library-one-pass``: everything asked in one request (``passes=["main"]``), the ablation of passes;
- ``library-no-examples``: no worked example (``examples=False``), the ablation of examples;
- ``library-parallel-passes``: the library with ``SUMMIT_EXTRACT_PARALLEL_PASSES=3`` (the passes over one
  piece written at once by a three-slot server, providers/_slots.py), in a process of its own since a
  server's slots are fixed when it starts; the main process runs with one slot, as shipped;
- ``library-translated``: the library with ``translate=True``: an article in another language than English
  is first translated by the model, and the frame pass reads the translation (``_translating``);
- ``library-cite``: an experiment (benchmarks/cite_sentences.py): the article's sentences numbered, and
  agreements and disputes citing the number of the sentence that states them instead of copying words;
  its raw answers are kept and re-scored like the library's;
- ``baseline``: benchmarks/baseline.py, a one-line prompt and a simple schema through plain instructor;
- ``langextract``: benchmarks/langextract_peer.py, LangExtract with examples written for it.

Then it rebuilds benchmarks/results/quality.md from whichever quality_*.json exist in both folders, dev
and validation side by side (a set not measured shows "—"), so systems can be run at different times
(each column says when it ran): the main table, macro per language (languages from each set's
SOURCES.md), the ablation, and what sentence grounding recovers; and benchmarks/results/quality_summary.json,
the same figures for programs. Scores and matching rules: summit_extract/summit/_scoring.py.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

ROOT = Path(__file__).resolve().parent.parent
# The code measured is the checkout this script lives in, whatever copy of the package is installed (an
# editable install may point at another clone: its code, not this one's, would be scored).
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

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
from summit_extract._evaluating import Counts, scoring_of  # noqa: E402
from summit_extract._grounding import Grounded, drop_unaligned, ground_item, is_unaligned, walk  # noqa: E402
from summit_extract._rules import RuleContext  # noqa: E402
from summit_extract.summit._rules import FILTERS, OVERRULES, RULE_NAMES, finalize_summit  # noqa: E402
from summit_extract.summit._rules import RULES as DECLARED_RULES  # noqa: E402

#: Not a rule but the engine's citing stage (``_citing``), switched off in the ablation like one: the
#: findings it placed are exactly those sentence grounding could not, which would have been dropped.
CITING = "citing"
#: Every code rule of the Summit that may overrule or drop what the model said, by name, and citing.
RULES = frozenset(RULE_NAMES) | {CITING}

SYSTEMS = (
    "library",
    "library-one-pass",
    "library-no-examples",
    "library-parallel-passes",
    "library-translated",
    "library-cite",
    "baseline",
    "langextract",
)
#: Systems run in a process of their own, with these settings.
OWN_PROCESS = {"library-parallel-passes": {"SUMMIT_EXTRACT_PARALLEL_PASSES": "3"}}
#: Columns of the main table, in order (ablations go in their own table).
MAIN = ("library", "baseline", "langextract")
#: The sets measured: name -> (articles and gold, results subfolder of ``--results``), in column order.
SETS: dict[str, tuple[Path, str]] = {"dev": (ROOT / "devset", ""), "val": (ROOT / "valset", "valset")}
#: The ablation whose difference from ``library`` is what sentence grounding recovers.
WITHOUT_GROUNDING = "library-without-sentence_grounding"
#: The ablation whose difference from ``library`` is what citing recovers.
WITHOUT_CITING = f"library-without-{CITING}"
#: Languages in table order; any other follows, then "?" (not in the set's SOURCES.md).
LANGUAGES = ("en", "fr", "es", "de", "pt", "uk", "ko")

ExtractFn = Callable[[str, str | None], Extraction[Summit]]


def library_fn(**options: Any) -> ExtractFn:
    """The library on the embedded model, ungrounded items dropped, with extract_result's options."""
    backend = load_provider("local")

    def run(text: str, published: str | None) -> Extraction[Summit]:
        return extract_result(text, Summit, published=published, backend=backend, **options)

    return run


def cite_fn(**options: Any) -> ExtractFn:
    """The library citing sentence numbers for its findings (benchmarks/cite_sentences.py)."""
    from cite_sentences import CitedSummit, number_sentences

    backend = load_provider("local")

    def run(text: str, published: str | None) -> Extraction[Summit]:
        numbered = number_sentences(text)
        return extract_result(numbered, CitedSummit, published=published, backend=backend, **options)

    return run


def _numbered(text: str) -> str:
    from cite_sentences import number_sentences

    return number_sentences(text)


def _cited_type() -> type[Summit]:
    from cite_sentences import CitedSummit

    return CitedSummit


#: Systems whose raw answers (rules off, ungrounded kept) are saved and scored through with_rules: the
#: text each one's model read, from the article's.
RAW: dict[str, Callable[[str], str]] = {"library": lambda text: text, "library-cite": _numbered}


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
    """A copy of a result made with no code rule, as if ``rules`` had been on (see module doc).

    The library run keeps what it could not ground (``ungrounded="flag"``), so that grounding choices are
    re-scored from the same answers too: here the grounding rules run first, then what is still
    ungrounded is dropped, as the library does, then normalization and the other rules."""
    value = copy.deepcopy(extraction.value)
    context = ExtractionContext(text)
    uncited = [] if CITING in rules else _drop_cited(value)
    rules -= {CITING}
    for item in walk(value):
        if is_unaligned(item) and item.locate(text) is not None:
            # What the run could not place and the item's own ``locate`` places now (a delegation written
            # in English, named in the article's language); the run's other spans are kept as they were.
            ground_item(item, context)
    value.ground_rules(RuleContext.of(context), rules)
    dropped = uncited + drop_unaligned(value)
    # The run's own finalize already normalized (with no rule on); doing it again is idempotent, and
    # re-applies normalization changed since the run (--rescore).
    finalize_summit(value, context, rules)
    if not value.is_summit:
        Document.clear_event(value)  # the library run keeps the frame (see run); the verdict clears it here
    return Extraction(**{**extraction.__dict__, "value": value, "dropped": dropped, "flagged": []})


def _drop_cited(value: Summit) -> list[Grounded]:
    """Remove the findings placed by citing: without it they would have been dropped (see CITING)."""
    cited: list[Grounded] = []
    for field in ("agreements", "disputes"):
        items = getattr(value, field)
        placed = [f for f in items if f.span is not None and f.span.alignment == "cited"]
        setattr(value, field, [f for f in items if all(f is not c for c in placed)])
        cited += placed
    return cited


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
    """Run one system over one set; return (label, report dict) for it and any offline variants."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "articles").glob("*.txt")}
    runs: dict[str, Extraction[Summit]] = {}
    scored: dict[str, Extraction[Summit]] = {}  # what was scored (the library's with its rules applied)
    raw = system in RAW
    if raw:
        Summit.enabled_rules = frozenset()  # applied afterwards, rule by rule (module doc)
        # Keep the frame of a "no" too: the leaders_meet rule reads it, so raw answers must hold it.
        Summit.clear_event = _keep_frame  # type: ignore[method-assign]
    if system == "library":
        base = library_fn(ungrounded="flag")  # raw answers keep what was not grounded (with_rules)
    elif system == "library-one-pass":
        base = library_fn(passes=["main"])
    elif system == "library-no-examples":
        base = library_fn(examples=False)
    elif system == "library-translated":
        base = library_fn(translate=True)
    elif system in OWN_PROCESS:
        base = library_fn()
    elif system == "library-cite":
        base = cite_fn(ungrounded="flag")
    elif system == "baseline":
        base = baseline_fn()
    else:
        base = langextract_fn()

    def fn(text: str, published: str | None) -> Extraction[Summit]:
        result = base(text, published)
        stem = next(k for k, v in texts.items() if v == text)
        runs[stem] = result
        scored[stem] = out = with_rules(result, RULES, RAW[system](text)) if raw else result
        return out

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
    Summit.enabled_rules = None
    if "clear_event" in vars(Summit):
        del Summit.clear_event
    out = [(system, _save(system, report, runs, results, devset, scored))]
    if raw:
        with (results / system / "raw.jsonl").open("w", encoding="utf-8") as answers:
            for stem, r in sorted(runs.items()):
                answers.write(json.dumps({"article": stem, **_raw_record(r)}, ensure_ascii=False) + "\n")
    if system == "library":
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
    chosen |= {"library-no-overrules": RULES - OVERRULES, "library-no-filters": RULES - FILTERS}
    chosen |= {f"library-without-{rule}": RULES - {rule} for rule in sorted(RULES)}
    out = []
    for label, rules in chosen.items():
        preds = {stem: with_rules(r, rules, texts[stem]) for stem, r in runs.items()}
        # A re-scored library writes its predictions again, so they show what the code now makes of them.
        out_dir = results / label if rescored and label == "library" else None
        report = evaluate(
            devset, schema=Summit, predictions=preds, limit=articles, label=label, out_dir=out_dir
        )
        out.append((label, _save(label, report, runs, results, devset, preds, answered=answered)))
    return out


def rescore(devset: Path, results: Path, articles: int | None) -> list[tuple[str, dict[str, Any]]]:
    """Re-score the library's last raw answers (library/raw.jsonl) with the code as it is now; likewise
    the citing variant's (library-cite/raw.jsonl), if it ran."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "articles").glob("*.txt")}
    out = variants(
        devset, results, _raw_runs(results / "library" / "raw.jsonl", Summit), texts, articles, rescored=True
    )
    cited = results / "library-cite" / "raw.jsonl"
    if cited.is_file():
        runs = _raw_runs(cited, _cited_type())
        preds = {stem: with_rules(r, RULES, _numbered(texts[stem])) for stem, r in runs.items()}
        report = evaluate(devset, schema=Summit, predictions=preds, limit=articles, label="library-cite")
        answered = _answered(results, "library-cite")
        saved = _save("library-cite", report, runs, results, devset, preds, answered=answered)
        out.append(("library-cite", saved))
    return out


def _raw_runs(path: Path, schema: type[Summit]) -> dict[str, Extraction[Summit]]:
    """The raw answers saved by a run, as extractions (an article whose answer cannot be read is left out)."""
    runs: dict[str, Extraction[Summit]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        prompt, completion, cached = row["usage"]
        value = _load_summit(row["value"], row["article"], schema)
        if value is None:
            continue  # scored as a failure: no prediction
        runs[row["article"]] = Extraction(
            value=value,
            usage=Usage(prompt, completion, cached),
            attempts=row["attempts"],
            model=row["model"],
            backend=row["backend"],
            seconds=row["seconds"],
            requests=row["requests"],
        )
    return runs


#: The items of a raw answer that may be skipped one by one when the whole does not validate.
_ITEM_LISTS = ("participants", "agreements", "disputes", "statements")
_ITEMS = ("location", "date")


def _load_summit(value: dict[str, Any], article: str, schema: type[Summit] = Summit) -> Summit | None:
    """One raw answer as a Summit; if it does not validate, skip only the items that make it fail.

    Raw answers keep what the library could not ground (``ungrounded="flag"``), some of it rebuilt from
    a malformed item during the run; read without the article such an item may not validate again. It
    is dropped by ``with_rules`` anyway, so skipping it changes no score; the article is kept."""
    try:
        return schema.model_validate(value)
    except ValidationError:
        pass
    kept: dict[str, Any] = {**value, **{k: [] for k in _ITEM_LISTS}, **dict.fromkeys(_ITEMS)}
    try:
        schema.model_validate(kept)
    except ValidationError as exc:
        print(f"  {article}: raw answer unreadable even without its items, skipped: {exc}", file=sys.stderr)
        return None
    skipped = 0
    for name in _ITEMS:
        if value.get(name) is not None:
            skipped += not _try_add(kept, name, value[name], schema)
    for name in _ITEM_LISTS:
        for item in value.get(name) or []:
            skipped += not _try_add(kept, name, [*kept[name], item], schema)
    print(f"  {article}: {skipped} raw item(s) no longer valid, skipped", file=sys.stderr)
    return schema.model_validate(kept)


def _try_add(kept: dict[str, Any], name: str, candidate: Any, schema: type[Summit]) -> bool:
    """Set ``kept[name] = candidate`` if the Summit still validates with it; say whether it did."""
    try:
        schema.model_validate({**kept, name: candidate})
    except ValidationError:
        return False
    kept[name] = candidate
    return True


def _answered(results: Path, system: str = "library") -> dict[str, Any] | None:
    """The provenance of the run whose raw answers are re-scored (None if it is not recorded)."""
    try:
        earlier = json.loads((results / f"quality_{system}.json").read_text(encoding="utf-8"))
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
    devset: Path,
    scored: Mapping[str, Any],
    answered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write quality_<system>.{md,json}; each article's entry also gets its language and the gold and
    predicted full dates (``scored``: what was scored, per article), which quality.md counts."""
    header = _provenance(system)
    if answered is not None:
        header = {**header, **answered, "rescored_at": header["run_at"]}
    data = {**report.to_dict(), "costs": costs(runs), "provenance": header}
    for article in data["articles"]:
        stem = article["article"]
        value = scored.get(stem)
        date = getattr(value.value if isinstance(value, Extraction) else value, "date", None)
        article["lang"] = _lang(devset, stem)
        article["gold_date"] = _gold(devset, stem).get("date")
        article["predicted_date"] = getattr(date, "iso", None)
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


# --- quality.md and quality_summary.json ------------------------------------------------------------

#: The reports loaded for the tables: set -> system -> quality_<system>.json, plus its ``figures``.
Reports = dict[str, dict[str, dict[str, Any]]]


def _fig(key: str, fmt: str) -> Callable[[dict[str, Any]], str]:
    def cell(r: dict[str, Any]) -> str:
        value = r["figures"].get(key)
        return "—" if value is None else fmt.format(value)

    return cell


_ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("**macro** (mean of the next six)", lambda r: f"**{r['aggregate']['macro']:.3f}**"),
    ("is_summit accuracy", lambda r: f"{r['aggregate']['is_summit']:.3f}"),
    ("location accuracy", lambda r: f"{r['aggregate']['location']:.3f}"),
    ("date accuracy", lambda r: f"{r['aggregate']['date']:.3f}"),
    ("full dates invented (articles)", _fig("full_dates_invented", "{:d}")),
    *[
        (f"{f} F1 (P / R)", lambda r, f=f: _prf(r["aggregate"][f]))
        for f in ("participants", "agreements", "disputes")
    ],
    *[
        (f"{f} with gold's status (of matched)", lambda r, f=f: _agreeing(r["aggregate"][f]))
        for f in ("agreements", "disputes")
    ],
    ("matched gold items per article", _fig("matched_gold_items_per_article", "{:.2f}")),
    ("ungrounded values kept", lambda r: str(r["aggregate"]["ungrounded_kept"])),
    ("failed articles", lambda r: f"{r['aggregate']['failures']} of {r['aggregate']['articles']}"),
    ("seconds per article", lambda r: _num(r["aggregate"]["seconds_per_article"])),
    ("seconds per correct finding", _fig("seconds_per_correct_finding", "{:,.1f}")),
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


def _agreeing(c: dict[str, float]) -> str:
    # Reports scored before statuses were compared have no "agreeing".
    return "—" if "agreeing" not in c else f"{c['agreeing']:.0f} of {c['tp']:.0f}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _cost(report: dict[str, Any], key: str, fmt: str) -> str:
    value = report.get("costs", {}).get(key)
    return "—" if value is None else fmt.format(value)


@functools.cache
def languages(devset: Path) -> dict[str, str]:
    """Each article's language (file name -> code) from the set's SOURCES.md table (``file``, ``lang``)."""
    try:
        text = (devset / "SOURCES.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    found: dict[str, str] = {}
    columns: list[str] | None = None
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            columns = None  # a table ended
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if columns is None:
            columns = [c.lower() for c in cells]
        elif "file" in columns and "lang" in columns and len(cells) == len(columns):
            file, lang = cells[columns.index("file")], cells[columns.index("lang")]
            if file and lang and not set(file) <= set("-: "):
                found[file] = lang
    return found


def _lang(devset: Path, stem: str) -> str:
    return languages(devset).get(f"{stem}.txt", "?")


def _gold(devset: Path, stem: str) -> dict[str, Any]:
    try:
        return dict(json.loads((devset / "gold" / f"{stem}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _macro(articles: list[dict[str, Any]]) -> float:
    """The macro score of some articles of a report (as ``EvalReport.macro``, from the per-article data)."""
    scoring = scoring_of(Summit)
    scores = {name: sum(bool(a.get(name)) for a in articles) / len(articles) for name in scoring.accuracy}
    for name in scoring.lists:
        tp, fp, fn = (sum((a.get(name) or {}).get(k, 0) for a in articles) for k in ("tp", "fp", "fn"))
        scores[f"{name}_f1"] = Counts(tp, fp, fn).f1
    fields = scoring.macro_fields()
    return sum(scores[f] for f in fields) / len(fields)


def _predicted_dates(path: Path) -> dict[str, str | None]:
    """Each article's predicted full date from a predictions.jsonl (reports written before they held it)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    dates: dict[str, str | None] = {}
    for line in filter(None, map(str.strip, lines)):
        record = json.loads(line)
        dates[record["article"]] = ((record.get("prediction") or {}).get("date") or {}).get("iso")
    return dates


def _figures(data: dict[str, Any], devset: Path, results: Path, system: str) -> dict[str, Any]:
    """What quality.md shows beyond the report's aggregate, from its per-article entries.

    A full date is invented when the prediction has one (``date.iso``) and the gold date is null. Reports
    written before their entries held the dates take them from <system>/predictions.jsonl (None if absent).
    """
    articles: list[dict[str, Any]] = data.get("articles") or []
    agg = data["aggregate"]
    n = len(articles) or agg.get("articles") or 0
    lists = scoring_of(Summit).lists
    matched = sum(agg[name]["tp"] for name in lists) / n if n else None
    seconds = agg.get("seconds_per_article")
    per_finding = None if seconds is None or not matched else round(seconds / matched, 1)
    per_lang: dict[str, list[dict[str, Any]]] = {}
    for a in articles:
        per_lang.setdefault(a.get("lang") or _lang(devset, a["article"]), []).append(a)
    order = [*LANGUAGES, *sorted(set(per_lang) - {*LANGUAGES, "?"}), "?"]
    english = per_lang.get("en", [])
    other = [a for lang, items in per_lang.items() if lang not in ("en", "?") for a in items]
    if articles and all("predicted_date" in a for a in articles):
        predicted = {a["article"]: a["predicted_date"] for a in articles}
    else:
        predicted = _predicted_dates(results / system / "predictions.jsonl")
    invented = None
    if articles and all(a["article"] in predicted for a in articles):
        invented = sum(
            predicted[a["article"]] is not None
            and (a["gold_date"] if "gold_date" in a else _gold(devset, a["article"]).get("date")) is None
            for a in articles
        )
    return {
        "languages": {
            lang: {"macro": round(_macro(per_lang[lang]), 4), "articles": len(per_lang[lang])}
            for lang in order
            if lang in per_lang
        },
        "english_macro": round(_macro(english), 4) if english else None,
        "non_english_macro": round(_macro(other), 4) if other else None,
        "full_dates_invented": invented,
        "matched_gold_items_per_article": None if matched is None else round(matched, 3),
        "seconds_per_correct_finding": per_finding,
    }


def load_reports(sets: Mapping[str, tuple[Path, Path]]) -> Reports:
    """Every quality_<system>.json of each set's results folder, with its ``figures`` (none: {})."""
    found: Reports = {}
    for name, (devset, results) in sets.items():
        found[name] = {}
        for path in sorted(results.glob("quality_*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or "aggregate" not in data:
                continue  # quality_summary.json, or anything else that is not one system's report
            system = path.stem.removeprefix("quality_")
            found[name][system] = {**data, "figures": _figures(data, devset, results, system)}
    return found


def _columns(found: Reports, systems: list[str]) -> dict[str, dict[str, Any] | None]:
    """One column per system and set ("library dev", "library val"), None where the set lacks it."""
    return {
        f"{system} {name}": reports.get(system)
        for system in systems
        if any(system in reports for reports in found.values())
        for name, reports in found.items()
    }


def _table(columns: dict[str, dict[str, Any] | None]) -> list[str]:
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, cell in _ROWS:
        cells = ("—" if r is None else cell(r) for r in columns.values())
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _language_table(columns: dict[str, dict[str, Any] | None]) -> list[str]:
    """Macro per language (articles in brackets) for each column, then non-English against English."""
    per = {label: (r or {}).get("figures", {}) for label, r in columns.items()}
    langs: list[str] = []
    for figures in per.values():
        langs += [lang for lang in figures.get("languages", {}) if lang not in langs]
    langs.sort(key=lambda lang: (lang == "?", LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES)))
    lines = ["| language (articles) | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for lang in langs:
        cells = []
        for figures in per.values():
            m = figures.get("languages", {}).get(lang)
            cells.append("—" if m is None else f"{m['macro']:.3f} ({m['articles']})")
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    cells = [
        "—"
        if f.get("non_english_macro") is None or f.get("english_macro") is None
        else f"{f['non_english_macro']:.3f} vs {f['english_macro']:.3f}"
        for f in per.values()
    ]
    lines.append("| non-English macro vs English macro | " + " | ".join(cells) + " |")
    return lines


def _recovered(
    found: Reports, ablation: str = WITHOUT_GROUNDING
) -> dict[str, dict[str, dict[str, int]] | None]:
    """Per set, for agreements and disputes: true and false positives of ``library`` minus those of
    ``ablation`` (None when the set lacks either)."""
    out: dict[str, dict[str, dict[str, int]] | None] = {}
    for name, reports in found.items():
        lib, without = reports.get("library"), reports.get(ablation)
        out[name] = (
            None
            if lib is None or without is None
            else {
                field: {k: lib["aggregate"][field][k] - without["aggregate"][field][k] for k in ("tp", "fp")}
                for field in ("agreements", "disputes")
            }
        )
    return out


def _recovered_lines(found: Reports, stage: str, ablation: str, what: str) -> list[str]:
    """The section of quality.md on what one grounding stage recovers, per set."""
    lines = [
        f"### Recovered by {stage}",
        "",
        f"`library` against `{ablation}` (the same model answers): {what}, as the change in true "
        "positives (recovered items that match gold) and in false positives (recovered items that do not).",
        "",
    ]
    for name, delta in _recovered(found, ablation).items():
        if delta is None:
            lines.append(f"- {name}: — (needs quality_library.json and quality_{ablation}.json)")
            continue
        counts = "; ".join(
            f"{field} {d['tp']:+d} matching gold, {d['fp']:+d} false" for field, d in delta.items()
        )
        lines.append(f"- {name}: {counts}")
    return [*lines, ""]


def _ablation_order(found: Reports) -> list[str]:
    every = {system for reports in found.values() for system in reports}
    return [
        "library",
        "library-one-pass",
        "library-no-examples",
        "library-parallel-passes",
        "library-translated",
        "library-no-overrules",
        "library-no-filters",
        *sorted(k for k in every if k.startswith("library-without-")),
    ]


def rule_worth(found: Reports) -> dict[str, dict[str, float | None]]:
    """What each declared rule earns, per set: the library's macro less that of the library without it
    (same model answers), rounded; None where the set has no such column."""
    worth: dict[str, dict[str, float | None]] = {}
    for rule in DECLARED_RULES:
        worth[rule.name] = {}
        for name, reports in found.items():
            library, without = reports.get("library"), reports.get(f"library-without-{rule.name}")
            delta = None
            if library is not None and without is not None:
                delta = round(library["aggregate"]["macro"] - without["aggregate"]["macro"], 3)
            worth[rule.name][name] = delta
    return worth


def _rule_table(found: Reports) -> list[str]:
    """The Summit's rules as declared (name, what each may do, its languages, what it does), each with
    what it earns on every set."""
    worth = rule_worth(found)
    sets = [name for name, reports in found.items() if "library" in reports]
    lines = [
        "| rule | may | languages | what it does | " + " | ".join(f"earns on {s}" for s in sets) + " |",
        "|---|---|---|---|" + "---|" * len(sets),
    ]
    for rule in DECLARED_RULES:
        langs = "any" if rule.languages is None else " ".join(sorted(rule.languages))
        earned = [worth[rule.name][s] for s in sets]
        cells = ["—" if e is None else f"{e:+.3f}" for e in earned]
        lines.append(f"| `{rule.name}` | {rule.action} | {langs} | {rule.doc} | " + " | ".join(cells) + " |")
    return lines


def side_by_side(found: Reports, folders: Mapping[str, str], tuning: Reports | None = None) -> str:
    """quality.md: the main comparison, per language, the ablation and what sentence grounding recovers,
    each system with a dev and a validation column; ``folders``: each set's results folder, relative."""
    main = _columns(found, list(MAIN))
    ablation = _columns(found, _ablation_order(found))
    lines = [
        "# Quality: summit-extract vs a plain-instructor baseline and LangExtract",
        "",
        "Same embedded model (Qwen2.5-Coder-1.5B, Q4_K_M, 2 CPU threads), two sets side by side: `dev`, the",
        "development set (devset/, the articles the library was developed on) and `val`, the validation set",
        "(valset/, never tuned on, in seven languages; articles per language below), scored by",
        "`summit_extract/summit/_scoring.py` (agreements and disputes matched by subject meaning, optional",
        'gold items not counted); "—": not measured on that set.',
        "Regenerate: `flock /tmp/summit-model.lock python benchmarks/bench_quality.py` (both sets).",
        "Seconds depend on the machine's load at the time of each run (see run times below); tokens do not.",
        "A full date is invented when the prediction has one and the gold has none (the text gives no full",
        "date). Matched gold items are the true positives of participants, agreements and disputes; seconds",
        "per correct finding are seconds per article over matched gold items per article. A matched",
        "finding has gold's status when the first status word of gold's free text (\"planned ('will",
        'sign\')") is the one predicted; a gold status naming none ("background") is not judged.',
        "",
        *_table(main),
        "",
        "### Per language",
        "",
        "Macro score of each language's articles (their number in brackets), languages from each set's",
        "SOURCES.md; the last row compares all non-English articles with the English ones.",
        "",
        *_language_table(main),
        "",
        "### What each element earns (ablation)",
        "",
        "Each column removes one element from the library. `library-one-pass` asks everything in one",
        "request; `library-no-examples` drops the worked examples; `library-parallel-passes` adds one: the",
        "passes over a piece written at once by a three-slot server (`SUMMIT_EXTRACT_PARALLEL_PASSES=3`,",
        "off by default); `library-translated` adds one too: an article in another language is translated",
        "by the model first and its frame read in English (`translate=True`, off by default; English",
        "articles are never translated); `library-no-overrules` keeps the model's",
        "frame as it said it (its is_summit, and no state added from an attendance list);",
        "`library-no-filters` keeps the agreements and disputes it listed, no fewer and no more;",
        "`library-without-<rule>` keeps every code rule but that one (rules in",
        "`summit_extract/summit/_rules.py`). Rule columns reuse the library's own model answers.",
        "The baseline's answers vary from run to run on this server more than the library's (0.584, 0.414",
        "and 0.421 macro in three runs on 2026-11-28; 0.482, 0.472, 0.513 and 0.554 in four on 2026-12-05;",
        "0.511, 0.430, 0.478 and 0.430 on the dev set in four on 2026-12-08, while the library's answers",
        "were the same), and so do seconds: compare columns of one run.",
        "",
        *_table(ablation),
        "",
        "### Each rule, as declared, and what it earns",
        "",
        "The Summit's code rules in the order they run (`summit_extract/summit/_rules.py`, `RULES`): what",
        "each may do, the languages its words cover (on any other it does not run and the model's answer",
        "stands), and what it earns: the library's macro less that of the library without it, on the same",
        "model answers (the `library-without-<rule>` columns above); `tuning` where the tuning set's results",
        "are beside (`benchmarks/tuning/`: articles invented for the kinds of article the rules are written",
        "for, part of development like the dev set).",
        "",
        *_rule_table({**found, **(tuning or {})}),
        "",
        *_recovered_lines(
            found,
            "sentence grounding",
            WITHOUT_GROUNDING,
            "the agreements and disputes sentence grounding keeps that would otherwise be dropped",
        ),
        *_recovered_lines(
            found,
            "citing",
            WITHOUT_CITING,
            "the agreements and disputes placed in the sentence the model named by its number (the findings "
            "neither verbatim nor sentence grounding could place, which would otherwise be dropped)",
        ),
    ]
    order = [*MAIN, *_ablation_order(found)]
    for name, reports in found.items():
        for system in sorted(reports, key=lambda s: (order.index(s) if s in order else len(order), s)):
            p = reports[system].get("provenance", {})
            restored = p.get("prompt_cache_restored_tokens")
            warm = (
                ""
                if restored is None
                else f", server started with {restored:,} prompt tokens restored from disk"
            )
            rescored = f", re-scored {p['rescored_at']}" if p.get("rescored_at") else ""
            lines.append(
                f"- {system} {name}: model {p.get('model')}, prompt {p.get('prompt_version')}, "
                f"run {p.get('run_at')}{warm}{rescored}, details in {folders[name]}quality_{system}.md"
            )
    return "\n".join(lines) + "\n"


def summary(found: Reports) -> dict[str, Any]:
    """quality_summary.json: per set and system, the scores and figures quality.md shows."""
    fields = [*scoring_of(Summit).accuracy, *scoring_of(Summit).lists]
    worth = rule_worth(found)
    return {
        "sets": {
            name: {
                system: {
                    "articles": r["aggregate"]["articles"],
                    "failures": r["aggregate"]["failures"],
                    "macro": r["aggregate"]["macro"],
                    "fields": {f: r["aggregate"][f] for f in fields},
                    "languages": r["figures"]["languages"],
                    "english_macro": r["figures"]["english_macro"],
                    "non_english_macro": r["figures"]["non_english_macro"],
                    "full_dates_invented": r["figures"]["full_dates_invented"],
                    "matched_gold_items_per_article": r["figures"]["matched_gold_items_per_article"],
                    "seconds_per_article": r["aggregate"]["seconds_per_article"],
                    "seconds_per_correct_finding": r["figures"]["seconds_per_correct_finding"],
                    "provenance": r.get("provenance", {}),
                }
                for system, r in reports.items()
            }
            for name, reports in found.items()
        },
        "rules": {
            rule.name: {
                "action": rule.action,
                "languages": None if rule.languages is None else sorted(rule.languages),
                "doc": rule.doc,
                "earns": worth[rule.name],
            }
            for rule in DECLARED_RULES
        },
        "recovered_by_sentence_grounding": _recovered(found),
        "recovered_by_citing": _recovered(found, WITHOUT_CITING),
    }


def write_tables(sets: Mapping[str, tuple[Path, Path]], base: Path) -> str:
    """Write quality.md and quality_summary.json into ``base`` from every set's reports; return the md."""
    found = load_reports(sets)
    folders = {
        name: ("" if results == base else f"{os.path.relpath(results, base)}/")
        for name, (_, results) in sets.items()
    }
    # What each rule earns on the tuning set too, when its results are beside (not when they are these).
    beside = base / "tuning"
    tuning = (
        load_reports({"tuning": (ROOT / "benchmarks" / "tuning", beside)})
        if (beside / "quality_library.json").is_file()
        else None
    )
    text = side_by_side(found, folders, tuning)
    (base / "quality.md").write_text(text, encoding="utf-8")
    (base / "quality_summary.json").write_text(
        json.dumps(summary(found), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=SYSTEMS, nargs="+", help="run only these systems")
    parser.add_argument(
        "--sets", choices=tuple(SETS), nargs="+", help="the sets to run or re-score (default: both)"
    )
    parser.add_argument("--articles", type=int, default=None, help="score only the first N articles")
    parser.add_argument(
        "--devset", type=Path, default=None, help="the dev set's folder; given alone, the only set run"
    )
    parser.add_argument("--valset", type=Path, default=SETS["val"][0], help="the validation set's folder")
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "benchmarks" / "results",
        help="the dev set's results folder (the validation set's: its valset/ subfolder)",
    )
    parser.add_argument("--table-only", action="store_true", help="only rebuild quality.md")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="re-score library/raw.jsonl of each set with the code rules as they are now",
    )
    args = parser.parse_args(argv)
    chosen: list[str] = args.sets or (["dev"] if args.devset is not None else list(SETS))
    folders = {"dev": args.devset or SETS["dev"][0], "val": args.valset}
    sets = {name: (folders[name], args.results / sub) for name, (_, sub) in SETS.items()}
    args.results.mkdir(parents=True, exist_ok=True)
    if args.rescore:
        for name in chosen:
            devset, results = sets[name]
            if not (results / "library" / "raw.jsonl").is_file():
                print(f"{name}: no {results / 'library' / 'raw.jsonl'}, nothing to re-score", file=sys.stderr)
                continue
            for label, data in rescore(devset, results, args.articles):
                print(f"{label} {name}: macro {data['aggregate']['macro']:.3f}", file=sys.stderr)
    own = os.environ.get("SUMMIT_EXTRACT_BENCH_OWN_PROCESS")
    if own is None:  # the main process: every other system as shipped, one slot
        for name in {k for settings in OWN_PROCESS.values() for k in settings}:
            os.environ.pop(name, None)
    for system in [] if args.table_only or args.rescore else (args.only or list(SYSTEMS)):
        if system in OWN_PROCESS and own != system:
            command = [sys.executable, __file__, "--only", system, "--sets", *chosen]
            command += ["--devset", str(folders["dev"]), "--valset", str(args.valset)]
            command += ["--results", str(args.results)]
            command += ["--articles", str(args.articles)] if args.articles else []
            env = {**os.environ, **OWN_PROCESS[system], "SUMMIT_EXTRACT_BENCH_OWN_PROCESS": system}
            subprocess.run(command, env=env, check=True)
            continue
        for name in chosen:  # one system over every set while its server is up
            devset, results = sets[name]
            results.mkdir(parents=True, exist_ok=True)
            for label, data in run(system, devset, results, args.articles):
                print(f"{label} {name}: macro {data['aggregate']['macro']:.3f}", file=sys.stderr)
    print(write_tables(sets, args.results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
