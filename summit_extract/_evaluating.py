"""Evaluation against gold annotations: the generic engine; each article type brings its matching rules.

A dev set is a folder with ``articles/<stem>.txt`` and ``gold/<stem>.json``. An article type sets
``Document.scoring`` to a :class:`Scoring`, which declares:

- ``gold``: the pydantic model of one gold annotation (``published``, if it has it, is handed to the
  extractor);
- ``accuracy``: per-article right/wrong fields, each a function ``(gold, predicted) -> bool``;
- ``lists``: list fields scored by precision/recall/F1, each a :class:`ListRule`: which gold and
  predicted items, a match score, a threshold, whether a gold item is optional, how matches are named;
- ``macro``: the field scores averaged into the macro score (default: every accuracy and every list F1).

The engine does the rest, the same for every article type:

- Gold and predicted items are matched one to one, greedily by best score (:func:`match`). A gold item
  marked optional is never required, and a prediction matched to it is ignored (neither a true nor a false
  positive).
- Precision, recall and F1 are micro-averaged over the articles (counts summed); with nothing to find and
  nothing predicted all three are 1. Accuracies are shares of articles.
- "Ungrounded kept" counts returned items without a span in the article (span None or ``unaligned``, plus
  ``Extraction.flagged``).
- An article whose extraction raises is scored as a failure (every accuracy wrong, every required gold
  item missed) and never aborts the run; seconds, tokens and requests per article are reported.

Each built-in article type keeps its rules in its own package's ``_scoring`` module.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from ._backend import Backend
from ._checking import name_problems
from ._document import Document, default_article_type, ensure_valid
from ._exceptions import ConfigurationError, InputError, SchemaProblem
from ._grounding import Grounded, walk
from ._result import Extraction

__all__ = [
    "ArticleScore",
    "Counts",
    "EvalReport",
    "ExtractFn",
    "ListRule",
    "Scoring",
    "evaluate",
    "match",
    "score_article",
    "ungrounded_count",
]

#: ``extract_fn(text, published)``: an :class:`Extraction` (seconds, tokens and requests are then
#: reported) or the bare value.
ExtractFn = Callable[[str, str | None], "Extraction[Any] | BaseModel"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one list field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    #: True positives that also agree with gold on what ``ListRule.agrees`` checks (a finding's status);
    #: None where the rule checks nothing more.
    agreeing: int | None = None

    @property
    def precision(self) -> float:
        """Share of counted predictions that match gold; 1 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of required gold items found; 1 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def agreement(self) -> float | None:
        """Share of true positives that agree with gold beyond the match (1 when none was matched), or
        None where nothing more is checked."""
        if self.agreeing is None:
            return None
        return self.agreeing / self.tp if self.tp else 1.0

    def __add__(self, other: Counts) -> Counts:
        agreeing = (
            None
            if self.agreeing is None and other.agreeing is None
            else (self.agreeing or 0) + (other.agreeing or 0)
        )
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, agreeing)

    def to_dict(self) -> dict[str, float]:
        """Counts and the rates, rounded for reports (and the agreeing share, where checked)."""
        rates = {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }
        if (agreement := self.agreement) is not None:
            rates |= {"agreeing": self.agreeing or 0, "agreement": round(agreement, 4)}
        return rates


def match(
    gold: Sequence[_T],
    predicted: Sequence[Any],
    score: Callable[[_T, Any], float],
    *,
    threshold: float,
    optional: Callable[[_T], bool],
) -> tuple[Counts, list[tuple[int, int, float]]]:
    """Greedy one-to-one matching by best score; return the counts and the matched (gold, pred, score)."""
    pairs = sorted(
        (
            (s, gi, pi)
            for gi, g in enumerate(gold)
            for pi, p in enumerate(predicted)
            if (s := score(g, p)) >= threshold and s > 0
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    matched: list[tuple[int, int, float]] = []
    for s, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        matched.append((gi, pi, s))
    tp = sum(1 for gi, _, _ in matched if not optional(gold[gi]))
    fn = sum(1 for gi, g in enumerate(gold) if gi not in used_g and not optional(g))
    fp = len(predicted) - len(used_p)  # predictions matched to an optional item are not counted
    return Counts(tp, fp, fn), matched


def _is_optional(item: Any) -> bool:
    return bool(getattr(item, "optional", False))


def _label(item: Any) -> str:
    if isinstance(item, Grounded):
        return item.label()
    for name in ("name", "subject", "text"):
        value = getattr(item, name, None)
        if isinstance(value, str) and value:
            return value
    return str(item)


@dataclass(frozen=True)
class ListRule:
    """How one list field is scored: which items, how a gold and a predicted item match, how they are named.

    ``gold_items`` and ``predicted_items`` default to the attribute of the rule's field name on the gold
    annotation and on the prediction. ``score(gold_item, predicted_item)`` returns 0-1; a pair counts
    from ``threshold`` up. ``kind`` names the field's items in ``ArticleScore.matches``.
    """

    score: Callable[[Any, Any], float]
    threshold: float = 0.5
    kind: str | None = None
    optional: Callable[[Any], bool] = _is_optional
    gold_label: Callable[[Any], str] = _label
    predicted_label: Callable[[Any], str] = _label
    gold_items: Callable[[Any], Sequence[Any]] | None = None
    predicted_items: Callable[[Any], Sequence[Any]] | None = None
    #: ``agrees(gold_item, predicted_item)``: whether a matched pair also agrees on what the match does not
    #: weigh (a finding's status), counted in ``Counts.agreeing``; None: not measured.
    agrees: Callable[[Any, Any], bool] | None = None


class Scoring:
    """The matching rules of an article type; subclass it and set the class attributes (module docstring).

    Override :meth:`details` for per-article facts shown beside the scores: a pair ``gold_<field>`` and
    ``predicted_<field>`` is shown as "gold→predicted" in that accuracy field's column.
    """

    #: The pydantic model of one gold annotation.
    gold: ClassVar[type[BaseModel]]
    #: Right/wrong fields: name -> ``(gold, predicted) -> bool``.
    accuracy: ClassVar[Mapping[str, Callable[[Any, Any], bool]]] = {}
    #: Precision/recall fields: name -> rule.
    lists: ClassVar[Mapping[str, ListRule]] = {}
    #: The field scores the macro score averages, by name ("<list>_f1" for a list); None: all of them.
    macro: ClassVar[tuple[str, ...] | None] = None

    def macro_fields(self) -> tuple[str, ...]:
        """The names averaged into the macro score, in report order."""
        if self.macro is not None:
            return self.macro
        return (*self.accuracy, *(f"{name}_f1" for name in self.lists))

    def load_gold(self, path: Path) -> Any:
        """Read one gold annotation."""
        return self.gold.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def published(self, gold: Any) -> str | None:
        """The publication date handed to the extractor (YYYY-MM-DD), when the gold annotation gives it."""
        value = getattr(gold, "published", None)
        return str(value) if value else None

    def details(self, gold: Any, predicted: Any | None) -> dict[str, Any]:
        """Per-article facts reported beside the scores (none by default)."""
        return {}

    def settings(self) -> dict[str, Any]:
        """Constants of the rules, recorded at the top of the JSON report (none by default)."""
        return {}

    def problems(self, document: type[BaseModel]) -> list[SchemaProblem]:
        """What is wrong with these rules for ``document``: a missing gold model, a list rule that reads a
        field the gold model or the document does not have, a macro name that is no field score."""
        where = f"{document.__name__}.scoring"
        gold = getattr(self, "gold", None)
        if not (isinstance(gold, type) and issubclass(gold, BaseModel)):
            what = f"{type(self).__name__}.gold must be the pydantic model of one gold file"
            return [SchemaProblem(where, what)]
        problems: list[SchemaProblem] = []
        for name, rule in self.lists.items():
            rule_where = f"{where}.lists[{name!r}]"
            if rule.gold_items is None:
                problems += name_problems(
                    rule_where,
                    [name],
                    list(gold.model_fields),
                    f"a field of {gold.__name__} (or give gold_items)",
                )
            if rule.predicted_items is None:
                problems += name_problems(
                    rule_where,
                    [name],
                    list(document.model_fields),
                    f"a field of {document.__name__} (or give predicted_items)",
                )
        if self.macro is not None:
            scores = [*self.accuracy, *(f"{name}_f1" for name in self.lists)]
            what = "an accuracy or '<list>_f1' score"
            problems += name_problems(f"{where}.macro", self.macro, scores, what)
        return problems


@dataclass
class ArticleScore:
    """The scores of one article: accuracies, list counts, and what the extraction cost.

    Fields of the article type read as attributes: ``score.is_summit`` (an accuracy, a bool),
    ``score.participants`` (a list field's :class:`Counts`), ``score.gold_is_summit`` (a detail).
    """

    article: str
    accuracy: dict[str, bool] = field(default_factory=dict)
    lists: dict[str, Counts] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    ungrounded: int = 0
    seconds: float | None = None
    tokens: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: Requests made (re-asks and retries included), when known.
    requests: int | None = None
    error: str | None = None
    #: Matched pairs, for reading why a score is what it is: (kind, gold, predicted, score).
    matches: list[tuple[str, str, str, float]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            for part in ("accuracy", "lists", "details"):
                values = self.__dict__.get(part) or {}
                if name in values:
                    return values[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the article, its details, accuracies and counts side by side, then costs."""
        return {
            "article": self.article,
            **self.details,
            **self.accuracy,
            **{name: counts.to_dict() for name, counts in self.lists.items()},
            "ungrounded": self.ungrounded,
            "seconds": self.seconds,
            "tokens": self.tokens,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "requests": self.requests,
            "error": self.error,
            "matches": [list(m) for m in self.matches],
        }


_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


@dataclass
class EvalReport:
    """Per-article and aggregate scores of one system over a dev set.

    ``report.participants`` is a list field's summed :class:`Counts`, ``report.location_accuracy`` an
    accuracy field's share of articles right.
    """

    articles: list[ArticleScore]
    scoring: Scoring
    label: str = ""
    #: Articles of the dev set that have no gold file, so were not scored (their stems).
    unscored: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        scoring = self.__dict__.get("scoring")
        if scoring is not None and not name.startswith("_"):
            if name in scoring.lists:
                return self.counts(name)
            if name.endswith("_accuracy") and name[: -len("_accuracy")] in scoring.accuracy:
                return self.accuracy(name[: -len("_accuracy")])
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def accuracy(self, name: str) -> float:
        """Share of articles whose accuracy field ``name`` is right."""
        if not self.articles:
            return 0.0
        return sum(a.accuracy.get(name, False) for a in self.articles) / len(self.articles)

    def counts(self, name: str) -> Counts:
        """A list field's counts summed over articles."""
        total = Counts()
        for a in self.articles:
            total = total + a.lists.get(name, Counts())
        return total

    @property
    def ungrounded(self) -> int:
        """Returned items with no evidence found in the article, over all articles."""
        return sum(a.ungrounded for a in self.articles)

    @property
    def failures(self) -> int:
        """Articles whose extraction raised."""
        return sum(a.error is not None for a in self.articles)

    @property
    def seconds_per_article(self) -> float | None:
        """Mean seconds per article, where measured."""
        return _mean(a.seconds for a in self.articles)

    @property
    def tokens_per_article(self) -> float | None:
        """Mean tokens (prompt + completion, all attempts) per article, where known."""
        return _mean(a.tokens for a in self.articles)

    @property
    def prompt_tokens_per_article(self) -> float | None:
        """Mean prompt tokens per article, where known."""
        return _mean(a.prompt_tokens for a in self.articles)

    @property
    def completion_tokens_per_article(self) -> float | None:
        """Mean completion tokens per article, where known."""
        return _mean(a.completion_tokens for a in self.articles)

    @property
    def requests_per_article(self) -> float | None:
        """Mean requests (re-asks and retries included) per article, where known."""
        return _mean(a.requests for a in self.articles)

    def fields(self) -> dict[str, float]:
        """Every field score: accuracies by name, list F1s as ``<name>_f1``."""
        return {
            **{name: self.accuracy(name) for name in self.scoring.accuracy},
            **{f"{name}_f1": self.counts(name).f1 for name in self.scoring.lists},
        }

    @property
    def macro(self) -> float:
        """Mean of the field scores the article type averages (``Scoring.macro``)."""
        scores = self.fields()
        names = self.scoring.macro_fields()
        return sum(scores[f] for f in names) / len(names) if names else 0.0

    def aggregate(self) -> dict[str, Any]:
        """The aggregate scores as a JSON-ready dict."""
        return {
            "articles": len(self.articles),
            "failures": self.failures,
            "macro": round(self.macro, 4),
            **{k: round(v, 4) for k, v in self.fields().items()},
            **{name: self.counts(name).to_dict() for name in self.scoring.lists},
            "ungrounded_kept": self.ungrounded,
            "seconds_per_article": _round(self.seconds_per_article, 1),
            "tokens_per_article": _round(self.tokens_per_article, 0),
            "prompt_tokens_per_article": _round(self.prompt_tokens_per_article, 0),
            "completion_tokens_per_article": _round(self.completion_tokens_per_article, 0),
            "requests_per_article": _round(self.requests_per_article, 2),
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole report as a JSON-ready dict."""
        return {
            "label": self.label,
            **self.scoring.settings(),
            "aggregate": self.aggregate(),
            "articles": [a.to_dict() for a in self.articles],
            "unscored": list(self.unscored),
        }

    def to_json(self) -> str:
        """The whole report as JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def _macro_row(self) -> str:
        names = self.scoring.macro_fields()
        shown = self.fields()
        if list(names) == list(shown):
            what = f"the {_WORDS.get(len(names), len(names))} below" if len(names) > 1 else "the field below"
        else:
            what = ", ".join(names)
        return f"| **macro** (mean of {what}) | **{self.macro:.3f}** |"

    def to_markdown(self) -> str:
        """An aggregate table and a per-article table."""
        agg = self.aggregate()
        title = f"# Evaluation{': ' + self.label if self.label else ''}\n\n"
        lines = ["| field | score |", "|---|---|", self._macro_row()]
        lines += [f"| {name} accuracy | {agg[name]:.3f} |" for name in self.scoring.accuracy]
        for name in self.scoring.lists:
            c = agg[name]
            lines.append(
                f"| {name} F1 (P / R; tp fp fn) | {c['f1']:.3f} ({c['precision']:.3f} / {c['recall']:.3f}; "
                f"{c['tp']} {c['fp']} {c['fn']}) |"
            )
        lines += [
            f"| ungrounded values kept | {agg['ungrounded_kept']} |",
            f"| failed articles | {agg['failures']} of {agg['articles']} |",
            f"| seconds per article | {_fmt(agg['seconds_per_article'])} |",
            f"| tokens per article | {_fmt(agg['tokens_per_article'])} |",
            f"| requests per article | {_fmt(agg['requests_per_article'])} |",
        ]
        headers = ["article"]
        for name in self.scoring.accuracy:
            paired = any(f"gold_{name}" in a.details for a in self.articles)
            headers.append(f"{name} gold→pred" if paired else name)
        headers += [f"{name} tp/fp/fn" for name in self.scoring.lists]
        headers += ["ungrounded", "s", "tokens", "requests", "error"]
        rows = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for a in self.articles:
            cells = [a.article]
            for name in self.scoring.accuracy:
                cells.append(_accuracy_cell(a, name))
            cells += [_tfn(a.lists.get(name, Counts())) for name in self.scoring.lists]
            error = (a.error or "").replace("|", "/").replace("\n", " ")[:80]
            cells += [str(a.ungrounded), _fmt(a.seconds), _fmt(a.tokens), _fmt(a.requests), error]
            rows.append("| " + " | ".join(cells) + " |")
        unscored = ""
        if self.unscored:
            unscored = f"\nNot scored, no gold file ({len(self.unscored)}): {', '.join(self.unscored)}\n"
        return title + "\n".join(lines) + "\n\n## Per article\n\n" + "\n".join(rows) + "\n" + unscored

    def write(self, out_dir: Path) -> None:
        """Write ``report.md`` and ``report.json`` into ``out_dir`` (made if missing)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(self.to_markdown(), encoding="utf-8")
        (out / "report.json").write_text(self.to_json() + "\n", encoding="utf-8")


def _accuracy_cell(a: ArticleScore, name: str) -> str:
    mark = _mark(a.accuracy.get(name, False))
    if f"gold_{name}" not in a.details:
        return mark
    gold, pred = a.details.get(f"gold_{name}"), a.details.get(f"predicted_{name}")
    return f"{_show(gold)}→{_show(pred)} {mark}"


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _mean(values: Iterable[float | int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _tfn(c: Counts) -> str:
    return f"{c.tp}/{c.fp}/{c.fn}"


# --- scoring one article ------------------------------------------------------------------------


def ungrounded_count(value: BaseModel, flagged: Sequence[Grounded] = ()) -> int:
    """Returned items whose evidence lies nowhere in the article (no span, or ``unaligned``)."""
    ids = {id(g) for g in walk(value) if g.span is None or g.span.alignment == "unaligned"}
    ids |= {id(g) for g in flagged}
    return len(ids)


def _missed(rule: ListRule, gold_items: Sequence[Any]) -> Counts:
    return Counts(fn=sum(not rule.optional(g) for g in gold_items))


def _items(rule: ListRule, name: str, source: Any, which: str) -> Sequence[Any]:
    pick = rule.gold_items if which == "gold" else rule.predicted_items
    if pick is not None:
        return pick(source)
    return list(getattr(source, name, None) or [])


def score_article(
    name: str,
    gold: Any,
    predicted: BaseModel | Extraction[Any] | None,
    *,
    scoring: Scoring,
    error: str | None = None,
    seconds: float | None = None,
) -> ArticleScore:
    """Score one prediction against its gold; a missing prediction (an error) scores as a failure."""
    if predicted is None:
        return ArticleScore(
            article=name,
            accuracy=dict.fromkeys(scoring.accuracy, False),
            lists={
                field_name: _missed(rule, _items(rule, field_name, gold, "gold"))
                for field_name, rule in scoring.lists.items()
            },
            details=scoring.details(gold, None),
            seconds=seconds,
            error=error or "no prediction",
        )
    result = ArticleScore(article=name, seconds=seconds)
    flagged: Sequence[Grounded] = ()
    if isinstance(predicted, Extraction):
        result.tokens = predicted.usage.total_tokens
        result.prompt_tokens = predicted.usage.prompt_tokens
        result.completion_tokens = predicted.usage.completion_tokens
        result.requests = predicted.attempts
        result.seconds = predicted.seconds
        flagged = predicted.flagged
        value: BaseModel = predicted.value
    else:
        value = predicted
    result.details = scoring.details(gold, value)
    result.accuracy = {field_name: bool(rule(gold, value)) for field_name, rule in scoring.accuracy.items()}
    for field_name, rule in scoring.lists.items():
        gold_items = _items(rule, field_name, gold, "gold")
        pred_items = _items(rule, field_name, value, "predicted")
        counts, matched = match(
            gold_items, pred_items, rule.score, threshold=rule.threshold, optional=rule.optional
        )
        if rule.agrees is not None:
            agreeing = sum(
                1
                for gi, pi, _ in matched
                if not rule.optional(gold_items[gi]) and rule.agrees(gold_items[gi], pred_items[pi])
            )
            counts = dataclasses.replace(counts, agreeing=agreeing)
        result.lists[field_name] = counts
        kind = rule.kind or field_name
        result.matches += [
            (kind, rule.gold_label(gold_items[gi]), rule.predicted_label(pred_items[pi]), s)
            for gi, pi, s in matched
        ]
    result.ungrounded = ungrounded_count(value, flagged)
    return result


# --- running a dev set --------------------------------------------------------------------------


def scoring_of(schema: type[BaseModel]) -> Scoring:
    """The matching rules an article type declares (``Document.scoring``), checked against its fields."""
    scoring = schema.scoring if isinstance(schema, type) and issubclass(schema, Document) else None
    if scoring is None:
        raise ConfigurationError(
            f"{schema.__name__} declares no scoring rules (Document.scoring): set "
            f"{schema.__name__}.scoring = YourScoring(), a Scoring subclass with a gold model and rules."
        )
    ensure_valid(schema)
    return scoring


def _gold_files(devset_dir: Path, scoring: Scoring, limit: int | None) -> list[tuple[Path, Any]]:
    """Every gold file of a dev set, read and validated; every one that fails is named with its errors."""
    gold_dir = devset_dir / "gold"
    if not gold_dir.is_dir():
        raise InputError(
            f"{gold_dir}: no such folder. An evaluation folder holds articles/<stem>.txt and, for each, "
            "gold/<stem>.json."
        )
    paths = sorted(gold_dir.glob("*.json"))
    if not paths:
        raise InputError(f"no gold annotations in {gold_dir} (expected gold/<stem>.json for each article).")
    if limit is not None:
        paths = paths[:limit]
    golds: list[tuple[Path, Any]] = []
    bad: list[str] = []
    for path in paths:
        try:
            golds.append((path, scoring.load_gold(path)))
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(the file)'}: {e['msg']}" for e in exc.errors()[:5]
            )
            bad.append(f"{path}: not a valid {getattr(scoring.gold, '__name__', 'gold')} ({details})")
        except (OSError, UnicodeDecodeError) as exc:
            bad.append(f"{path}: cannot be read ({exc})")
    if bad:
        raise InputError(f"{len(bad)} gold file(s) do not validate; fix them: " + " | ".join(bad))
    return golds


def evaluate(
    devset_dir: Path | str,
    *,
    schema: type[BaseModel] | None = None,
    extract_fn: ExtractFn | None = None,
    predictions: Mapping[str, BaseModel | Extraction[Any]] | None = None,
    out_dir: Path | str | None = None,
    limit: int | None = None,
    label: str = "",
    on_article: Callable[[ArticleScore], None] | None = None,
    backend: Backend | None = None,
) -> EvalReport:
    """Extract every article of a dev set (or take ``predictions``) and score it with ``schema``'s rules.

    A dev set is a folder of ``articles/<stem>.txt`` and ``gold/<stem>.json``. ``schema`` defaults to the
    default article type. ``extract_fn(text, published)`` returns an ``Extraction`` (seconds, tokens and
    requests are then reported) or the bare value; it defaults to ``extract_result`` on ``backend`` (by
    default the configured one). Every gold file is validated before anything is extracted: an
    ``InputError`` names each one that fails, with its errors, as it does a missing ``gold/`` folder or a
    gold file without its article. Articles without a gold file are listed in ``EvalReport.unscored``. An
    article whose extraction raises is scored as a failure, never aborts the run. With ``out_dir`` the
    predictions are written to ``out_dir/predictions.jsonl`` (one article per line) as they are made,
    then ``report.md`` and ``report.json``, as ``summit-extract eval --out`` writes them.
    """
    chosen = schema or default_article_type()
    scoring = scoring_of(chosen)
    devset_dir = Path(devset_dir)
    golds = _gold_files(devset_dir, scoring, limit)
    articles_dir = devset_dir / "articles"
    unscored: list[str] = []
    if predictions is None:
        wanted = [articles_dir / f"{path.stem}.txt" for path, _ in golds]
        missing = [str(article) for article in wanted if not article.is_file()]
        if missing:
            raise InputError(f"gold file(s) without their article: {', '.join(missing)}; add the articles.")
        stems = {p.stem for p in (devset_dir / "gold").glob("*.json")}
        unscored = sorted(p.stem for p in articles_dir.glob("*.txt") if p.stem not in stems)

    def default_fn(text: str, published: str | None) -> Extraction[Any]:
        from ._extracting import extract_result

        return extract_result(text, chosen, published=published, backend=backend)

    fn = extract_fn or default_fn
    out = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        out = (Path(out_dir) / "predictions.jsonl").open("w", encoding="utf-8")
    scores: list[ArticleScore] = []
    try:
        for path, gold in golds:
            stem = path.stem
            predicted: BaseModel | Extraction[Any] | None = None
            error: str | None = None
            seconds: float | None = None
            tokens: int | None = None
            if predictions is not None:
                predicted = predictions.get(stem)
            else:
                article = articles_dir / f"{stem}.txt"
                started = time.monotonic()
                try:
                    predicted = fn(article.read_text(encoding="utf-8"), scoring.published(gold))
                except Exception as exc:  # scoring must survive any extraction failure
                    error = f"{type(exc).__name__}: {exc}"
                    usage = getattr(exc, "usage", None)
                    tokens = getattr(usage, "total_tokens", None)
                seconds = round(time.monotonic() - started, 3)
            result = score_article(stem, gold, predicted, scoring=scoring, error=error, seconds=seconds)
            if predicted is None and tokens is not None:
                result.tokens = tokens
            scores.append(result)
            if out is not None:
                out.write(json.dumps(_prediction_record(stem, predicted, result), ensure_ascii=False) + "\n")
                out.flush()
            if on_article is not None:
                on_article(result)
    finally:
        if out is not None:
            out.close()
    report = EvalReport(scores, scoring, label=label, unscored=unscored)
    if out_dir is not None:
        report.write(Path(out_dir))
    return report


def _prediction_record(
    stem: str, predicted: BaseModel | Extraction[Any] | None, score: ArticleScore
) -> dict[str, Any]:
    value = predicted.value if isinstance(predicted, Extraction) else predicted
    record: dict[str, Any] = {
        "article": stem,
        "error": score.error,
        "seconds": score.seconds,
        "tokens": score.tokens,
        "prediction": None if value is None else value.model_dump(mode="json", warnings=False),
    }
    if isinstance(predicted, Extraction):
        record.update(
            attempts=predicted.attempts,
            requests=dict(predicted.requests),
            model=predicted.model,
            backend=predicted.backend,
            prompt_tokens=predicted.usage.prompt_tokens,
            completion_tokens=predicted.usage.completion_tokens,
            dropped=len(predicted.dropped),
            flagged=len(predicted.flagged),
        )
    return record
