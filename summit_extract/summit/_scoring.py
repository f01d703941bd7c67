"""Evaluation: run extraction over a folder of articles and score it against gold annotations.

A dev set is a folder with ``articles/<stem>.txt`` and ``gold/<stem>.json`` (format: devset/README.md).
Matching rules, all deterministic and lexical so a score never depends on a model:

- is_summit, location and date are right or wrong per article. A location is right when the folded gold
  string and the predicted one (venue, city, country joined) contain each other as whole words, either
  way, or the predicted city or venue lies inside the gold string ("Seoul" vs "Seoul, South Korea").
  A date is right when the predicted ``date.iso`` equals the gold date; a gold ``null`` must be predicted
  as no full date (``iso`` None), whatever partial date was read.
- Participants match on the person's name: the shorter name's words must each be compatible with a
  distinct word of the longer (equal after folding accents and case, an initial, or a close spelling),
  and must include the longer name's surname, its last word or, for family-name-first names, its first
  ("Kishida", "Fumio Kishida"; "Yoon", "Yoon Suk Yeol"). A gold delegation (``name: null``) matches a
  prediction from the same ISO 3166 country.
- Agreements and disputes match by meaning of their subject: both subjects are reduced to content
  words (stopwords, generic words such as "agreement" and the parties' own names removed, light suffix
  stemming), then scored ``0.85 * S + 0.15 * P``: S is the mean of rapidfuzz's token_set_ratio and
  token_sort_ratio over those words and of the share of predicted words found in the gold subject (all
  0-1), P the Jaccard overlap of the parties (countries compared as ISO codes). A pair needs at least
  one shared content word and a score of at least :data:`SUBJECT_THRESHOLD` ("semiconductor
  cooperation" matches "Cooperate on chips (semiconductors)"; "trade" matches nothing there). Subjects
  in another language than the gold rarely match: write gold and ask for subjects in one language.
- Pairs are matched one to one, greedily by best score. A gold item marked ``optional`` is never
  required, and a prediction matched to it is ignored (neither a true nor a false positive).

Precision, recall and F1 are micro-averaged over the articles (counts summed); with nothing to find and
nothing predicted all three are 1. The macro score is the plain mean of six field scores: is_summit,
location and date accuracy, and participant, agreement and dispute F1. "Ungrounded kept" counts returned
items without a span in the article (span None or ``unaligned``, plus ``Extraction.flagged``).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from .._countries import country
from .._exceptions import ConfigurationError
from .._grounding import Grounded, walk
from .._result import Extraction
from ._models import Summit

#: Minimum agreement/dispute match score (0-1); see the module docstring for how it is computed.
SUBJECT_THRESHOLD = 0.6

#: The fields averaged into the macro score, in report order.
MACRO_FIELDS = ("is_summit", "location", "date", "participants_f1", "agreements_f1", "disputes_f1")

ExtractFn = Callable[[str, str | None], "Extraction[Summit] | Summit"]
_T = TypeVar("_T")


class GoldParticipant(BaseModel):
    """A participant in a gold annotation; ``name`` is None for a country delegation."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    title: str | None = None
    country: str | None = None
    optional: bool = False


class GoldItem(BaseModel):
    """An agreement or dispute in a gold annotation."""

    model_config = ConfigDict(extra="ignore")

    parties: list[str] = Field(default_factory=list)
    subject: str
    status: str | None = None
    optional: bool = False


class GoldSummit(BaseModel):
    """One gold annotation: what the article itself states."""

    model_config = ConfigDict(extra="ignore")

    is_summit: bool
    location: str | None = None
    date: str | None = None
    host: str | None = None
    #: Publication date handed to the extractor (YYYY-MM-DD), when the dev set knows it.
    published: str | None = None
    participants: list[GoldParticipant] = Field(default_factory=list)
    agreements: list[GoldItem] = Field(default_factory=list)
    disputes: list[GoldItem] = Field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one list field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

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

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, float]:
        """Counts and the three rates, rounded for reports."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class ArticleScore:
    """The scores of one article."""

    article: str
    gold_is_summit: bool
    predicted_is_summit: bool | None
    is_summit: bool
    location: bool
    date: bool
    participants: Counts
    agreements: Counts
    disputes: Counts
    ungrounded: int = 0
    seconds: float | None = None
    tokens: int | None = None
    error: str | None = None
    #: Matched pairs, for reading why a score is what it is: (field, gold, predicted, score).
    matches: list[tuple[str, str, str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        for name in ("participants", "agreements", "disputes"):
            data[name] = getattr(self, name).to_dict()
        data["matches"] = [list(m) for m in self.matches]
        return data


@dataclass
class EvalReport:
    """Per-article and aggregate scores of one system over a dev set."""

    articles: list[ArticleScore]
    label: str = ""

    def _share(self, flag: Callable[[ArticleScore], bool]) -> float:
        return sum(flag(a) for a in self.articles) / len(self.articles) if self.articles else 0.0

    @property
    def is_summit_accuracy(self) -> float:
        """Share of articles whose is_summit is right."""
        return self._share(lambda a: a.is_summit)

    @property
    def location_accuracy(self) -> float:
        """Share of articles whose location is right (both empty counts as right)."""
        return self._share(lambda a: a.location)

    @property
    def date_accuracy(self) -> float:
        """Share of articles whose full date is right (both empty counts as right)."""
        return self._share(lambda a: a.date)

    @property
    def participants(self) -> Counts:
        """Participant counts summed over articles."""
        return _sum(a.participants for a in self.articles)

    @property
    def agreements(self) -> Counts:
        """Agreement counts summed over articles."""
        return _sum(a.agreements for a in self.articles)

    @property
    def disputes(self) -> Counts:
        """Dispute counts summed over articles."""
        return _sum(a.disputes for a in self.articles)

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

    def fields(self) -> dict[str, float]:
        """The six field scores the macro score averages."""
        return {
            "is_summit": self.is_summit_accuracy,
            "location": self.location_accuracy,
            "date": self.date_accuracy,
            "participants_f1": self.participants.f1,
            "agreements_f1": self.agreements.f1,
            "disputes_f1": self.disputes.f1,
        }

    @property
    def macro(self) -> float:
        """Mean of the six field scores (:data:`MACRO_FIELDS`)."""
        scores = self.fields()
        return sum(scores[f] for f in MACRO_FIELDS) / len(MACRO_FIELDS)

    def aggregate(self) -> dict[str, Any]:
        """The aggregate scores as a JSON-ready dict."""
        return {
            "articles": len(self.articles),
            "failures": self.failures,
            "macro": round(self.macro, 4),
            **{k: round(v, 4) for k, v in self.fields().items()},
            "participants": self.participants.to_dict(),
            "agreements": self.agreements.to_dict(),
            "disputes": self.disputes.to_dict(),
            "ungrounded_kept": self.ungrounded,
            "seconds_per_article": _round(self.seconds_per_article, 1),
            "tokens_per_article": _round(self.tokens_per_article, 0),
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole report as a JSON-ready dict."""
        return {
            "label": self.label,
            "subject_threshold": SUBJECT_THRESHOLD,
            "aggregate": self.aggregate(),
            "articles": [a.to_dict() for a in self.articles],
        }

    def to_json(self) -> str:
        """The whole report as JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """An aggregate table and a per-article table."""
        agg = self.aggregate()
        title = f"# Evaluation{': ' + self.label if self.label else ''}\n\n"
        lines = [
            "| field | score |",
            "|---|---|",
            f"| **macro** (mean of the six below) | **{agg['macro']:.3f}** |",
            f"| is_summit accuracy | {agg['is_summit']:.3f} |",
            f"| location accuracy | {agg['location']:.3f} |",
            f"| date accuracy | {agg['date']:.3f} |",
        ]
        for name in ("participants", "agreements", "disputes"):
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
        ]
        rows = [
            "| article | is_summit gold→pred | location | date | participants tp/fp/fn | "
            "agreements tp/fp/fn | disputes tp/fp/fn | ungrounded | s | tokens | error |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for a in self.articles:
            pred = "—" if a.predicted_is_summit is None else str(a.predicted_is_summit).lower()
            error = (a.error or "").replace("|", "/").replace("\n", " ")[:80]
            rows.append(
                f"| {a.article} | {str(a.gold_is_summit).lower()}→{pred} {_mark(a.is_summit)} | "
                f"{_mark(a.location)} | {_mark(a.date)} | {_tfn(a.participants)} | {_tfn(a.agreements)} | "
                f"{_tfn(a.disputes)} | {a.ungrounded} | {_fmt(a.seconds)} | {_fmt(a.tokens)} | {error} |"
            )
        return title + "\n".join(lines) + "\n\n## Per article\n\n" + "\n".join(rows) + "\n"


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total = total + c
    return total


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


# --- text folding -------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lowercase, accents stripped, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", stripped))


def _contains_words(haystack: str, needle: str) -> bool:
    return bool(needle) and f" {needle} " in f" {haystack} "


# --- location and date --------------------------------------------------------------------------


def location_matches(gold: str | None, summit: Summit) -> bool:
    """Whether the predicted location agrees with the gold one (see the module docstring)."""
    loc = summit.location
    places = [] if loc is None else [loc.venue, loc.city]
    parts = [p for p in [*places, loc.country if loc else None] if p]
    if gold is None or not parts:
        return gold is None and not parts
    g = _plain(gold)
    whole = _plain(" ".join(parts))
    if _contains_words(g, whole) or _contains_words(whole, g):
        return True
    return any(_contains_words(g, _plain(p)) for p in places if p)


def date_matches(gold: str | None, summit: Summit) -> bool:
    """Whether the predicted full date equals the gold one (a null gold needs no full date)."""
    predicted = summit.date.iso if summit.date is not None else None
    return predicted == gold


# --- participants -------------------------------------------------------------------------------

_PARTICLES = {
    "al",
    "el",
    "da",
    "de",
    "do",
    "dos",
    "das",
    "del",
    "della",
    "di",
    "du",
    "la",
    "le",
    "van",
    "von",
    "der",
    "den",
    "bin",
    "ibn",
    "ben",
    "y",
    "e",
}


def _name_words(name: str) -> list[str]:
    return _plain(name.replace("-", " ")).split()


def _word_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]  # an initial
    return min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 85  # transliterations: Ghadafi/Gaddafi


def _content_compatible(a: str, b: str) -> bool:
    # Also "counterterrorism" / "terrorism": a compound written with or without its hyphen.
    short, long = sorted((a, b), key=len)
    return _word_compatible(a, b) or (len(short) >= 6 and short in long)


def name_score(gold: str, predicted: str) -> float:
    """1.0 for the same name, 0.9 for a compatible one ("Kishida" / "Fumio Kishida"), else 0."""
    g, p = _name_words(gold), _name_words(predicted)
    if not g or not p:
        return 0.0
    if g == p:
        return 1.0
    short, long = (g, p) if len(g) <= len(p) else (p, g)
    if not any(w not in _PARTICLES and len(w) > 1 for w in short):
        return 0.0
    free = list(long)
    for word in short:
        hit = next((i for i, w in enumerate(free) if _word_compatible(word, w)), None)
        if hit is None:
            return 0.0
        free.pop(hit)
    # The surname must be among the shorter name's words: the last word, or the first for
    # family-name-first names.
    surnames = {long[-1], long[0]}
    if not any(_word_compatible(w, s) for w in short for s in surnames if len(w) > 1 and len(s) > 1):
        return 0.0
    return 0.9


def _country_key(name: str | None) -> str | None:
    if not name:
        return None
    # "U.S." must read as US, not as an ISO name containing "U.S.".
    iso = country(name.replace(".", "").strip())
    return iso.alpha3 if iso.known and iso.alpha3 else _plain(name)


def _participant_key(person: Any) -> str | None:
    # From the country as written, so gold and prediction go through the same lookup.
    return _country_key(person.country)


def participant_score(gold: GoldParticipant, predicted: Any) -> float:
    """Match score of a gold participant and a predicted one (0 = no match)."""
    if gold.name is None:
        key = _country_key(gold.country)
        return 0.8 if key is not None and key == _participant_key(predicted) else 0.0
    if not predicted.name:
        return 0.0
    return name_score(gold.name, predicted.name)


# --- agreements and disputes --------------------------------------------------------------------

_STOPWORD_TEXT = (
    # English
    "a an the of on in at to for from by with and or but as into over under about between among its it "
    "their his her this that these those is are was were be been being has have had will would shall "
    "may might can could should not no any all each other such than then there which who whom whose "
    "what when where while also more most new two both one s"
    # French and Portuguese (the dev set has French articles)
    " le la les l un une des du de d et ou en au aux pour par sur dans avec sans que qui sa son ses leur "
    "o os as um uma do da dos das e em no na nos nas por para com sem que"
    # Generic words that say an item exists, not what it is about
    " agreement agreements agree agreed deal deals accord accords pact cooperation cooperate cooperating "
    "relations relationship issue issues matter talks talk discuss discussed discussion plan plans "
    "dispute disputes tension tensions conflict row disagreement over regarding concerning accordo "
    "accordé acuerdo acordo"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ied",
    "ates",
    "ated",
    "ate",
    "es",
    "ed",
    "s",
)


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """The words of a subject that carry its meaning: folded, stopwords removed, lightly stemmed.

    Words naming one of ``ignore`` (party names: "Japan", also "Japanese") are dropped, since every
    item of an article mentions its parties and they tell nothing about the subject.
    """
    stems = {w[:4] for name in ignore for w in _plain(name).split() if len(w) >= 4}
    words = [w for w in _plain(text).split() if w not in _STOPWORDS and len(w) > 1 and w[:4] not in stems]
    return [s for w in words if (s := _stem(w)) not in _STOPWORDS]


def _parties_overlap(a: Sequence[str], b: Sequence[str]) -> float:
    ka = {k for k in map(_country_key, a) if k}
    kb = {k for k in map(_country_key, b) if k}
    return len(ka & kb) / len(ka | kb) if ka and kb else 0.0


def subject_score(gold: GoldItem, predicted_subject: str, predicted_parties: Sequence[str]) -> float:
    """Match score (0-1) of a gold agreement or dispute and a predicted one (module docstring)."""
    parties = [*gold.parties, *predicted_parties]
    g, p = content_words(gold.subject, parties), content_words(predicted_subject, parties)
    if not g or not p:
        return 0.0
    # Share of the predicted words found in the gold subject: a short paraphrase of a long gold
    # subject should match; at least one word must be shared.
    hits = sum(any(_content_compatible(w, x) for x in g) for w in p)
    if not hits:
        return 0.0
    gs, ps = " ".join(g), " ".join(p)
    s = (fuzz.token_set_ratio(gs, ps) / 100 + fuzz.token_sort_ratio(gs, ps) / 100 + hits / len(p)) / 3
    return round(0.85 * s + 0.15 * _parties_overlap(gold.parties, predicted_parties), 4)


# --- one-to-one matching ------------------------------------------------------------------------


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


# --- scoring ------------------------------------------------------------------------------------


def ungrounded_count(summit: Summit, flagged: Sequence[Grounded] = ()) -> int:
    """Returned items whose evidence lies nowhere in the article (no span, or ``unaligned``)."""
    ids = {id(g) for g in walk(summit) if g.span is None or g.span.alignment == "unaligned"}
    ids |= {id(g) for g in flagged}
    return len(ids)


def score_article(
    name: str,
    gold: GoldSummit,
    predicted: Summit | Extraction[Summit] | None,
    *,
    error: str | None = None,
    seconds: float | None = None,
) -> ArticleScore:
    """Score one prediction against its gold; a missing prediction (an error) scores as a failure."""
    if predicted is None:
        return ArticleScore(
            article=name,
            gold_is_summit=gold.is_summit,
            predicted_is_summit=None,
            is_summit=False,
            location=False,
            date=False,
            participants=Counts(fn=sum(not p.optional for p in gold.participants)),
            agreements=Counts(fn=sum(not a.optional for a in gold.agreements)),
            disputes=Counts(fn=sum(not d.optional for d in gold.disputes)),
            seconds=seconds,
            error=error or "no prediction",
        )
    tokens: int | None = None
    flagged: Sequence[Grounded] = ()
    if isinstance(predicted, Extraction):
        tokens = predicted.usage.total_tokens
        seconds = predicted.seconds
        flagged = predicted.flagged
        summit: Summit = predicted.value
    else:
        summit = predicted
    matches: list[tuple[str, str, str, float]] = []

    people, pm = match(
        gold.participants,
        summit.participants,
        participant_score,
        threshold=0.5,
        optional=lambda g: g.optional,
    )
    for gi, pi, s in pm:
        g, p = gold.participants[gi], summit.participants[pi]
        matches.append(("participant", g.name or f"({g.country})", p.name or f"({p.country})", s))
    lists: dict[str, Counts] = {}
    for what in ("agreements", "disputes"):
        gold_items: list[GoldItem] = getattr(gold, what)
        pred_items: list[Any] = getattr(summit, what)
        counts, m = match(
            gold_items,
            pred_items,
            lambda g, p: subject_score(g, p.subject, p.parties),
            threshold=SUBJECT_THRESHOLD,
            optional=lambda g: g.optional,
        )
        lists[what] = counts
        matches += [(what[:-1], gold_items[gi].subject, pred_items[pi].subject, s) for gi, pi, s in m]
    return ArticleScore(
        article=name,
        gold_is_summit=gold.is_summit,
        predicted_is_summit=summit.is_summit,
        is_summit=summit.is_summit == gold.is_summit,
        location=location_matches(gold.location, summit),
        date=date_matches(gold.date, summit),
        participants=people,
        agreements=lists["agreements"],
        disputes=lists["disputes"],
        ungrounded=ungrounded_count(summit, flagged),
        seconds=seconds,
        tokens=tokens,
        matches=matches,
    )


def load_gold(path: Path) -> GoldSummit:
    """Read one gold annotation."""
    return GoldSummit.model_validate_json(Path(path).read_text(encoding="utf-8"))


def _default_extract(text: str, published: str | None) -> Extraction[Summit]:
    from .._extracting import extract_result

    return extract_result(text, Summit, published=published)


def evaluate(
    devset_dir: Path,
    *,
    extract_fn: ExtractFn | None = None,
    out_dir: Path | None = None,
    predictions: Mapping[str, Summit | Extraction[Summit]] | None = None,
    limit: int | None = None,
    label: str = "",
    on_article: Callable[[ArticleScore], None] | None = None,
) -> EvalReport:
    """Extract every article of a dev set (or take ``predictions``) and score it against its gold.

    ``extract_fn(text, published)`` returns an ``Extraction[Summit]`` (seconds and tokens are then
    reported) or a ``Summit``; it defaults to :func:`extract_result` on the resolved backend. An article
    whose extraction raises is scored as a failure, never aborts the run. With ``out_dir`` the
    predictions are written to ``out_dir/predictions.jsonl``, one article per line.
    """
    devset_dir = Path(devset_dir)
    gold_files = sorted((devset_dir / "gold").glob("*.json"))
    if not gold_files:
        raise ConfigurationError(f"no gold annotations in {devset_dir / 'gold'} (expected gold/<stem>.json).")
    if limit is not None:
        gold_files = gold_files[:limit]
    fn = extract_fn or _default_extract
    out = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        out = (Path(out_dir) / "predictions.jsonl").open("w", encoding="utf-8")
    scores: list[ArticleScore] = []
    try:
        for path in gold_files:
            stem = path.stem
            gold = load_gold(path)
            predicted: Summit | Extraction[Summit] | None = None
            error: str | None = None
            seconds: float | None = None
            tokens: int | None = None
            if predictions is not None:
                predicted = predictions.get(stem)
            else:
                article = devset_dir / "articles" / f"{stem}.txt"
                started = time.monotonic()
                try:
                    predicted = fn(article.read_text(encoding="utf-8"), gold.published)
                except Exception as exc:  # scoring must survive any extraction failure
                    error = f"{type(exc).__name__}: {exc}"
                    usage = getattr(exc, "usage", None)
                    tokens = getattr(usage, "total_tokens", None)
                seconds = round(time.monotonic() - started, 3)
            result = score_article(stem, gold, predicted, error=error, seconds=seconds)
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
    return EvalReport(scores, label=label)


def _prediction_record(
    stem: str, predicted: Summit | Extraction[Summit] | None, score: ArticleScore
) -> dict[str, Any]:
    summit = predicted.value if isinstance(predicted, Extraction) else predicted
    record: dict[str, Any] = {
        "article": stem,
        "error": score.error,
        "seconds": score.seconds,
        "tokens": score.tokens,
        "prediction": None if summit is None else summit.model_dump(mode="json", warnings=False),
    }
    if isinstance(predicted, Extraction):
        record.update(
            attempts=predicted.attempts,
            model=predicted.model,
            backend=predicted.backend,
            prompt_tokens=predicted.usage.prompt_tokens,
            completion_tokens=predicted.usage.completion_tokens,
            dropped=len(predicted.dropped),
            flagged=len(predicted.flagged),
        )
    return record


class SummitScoring:
    """The Summit's matching rules, as ``evaluate()`` uses them (see the module docstring)."""

    def evaluate(self, devset_dir: Path, **options: Any) -> EvalReport:
        """Score a dev set of Summit gold annotations."""
        return evaluate(devset_dir, **options)
