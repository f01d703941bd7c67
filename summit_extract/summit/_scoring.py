"""The Summit's matching rules: how a predicted Summit is scored against a gold annotation.

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

One-to-one matching, counts, reports and the run over a dev set are the engine's
(``summit_extract.toolkit.score_article`` and ``evaluate``); this module holds only the Summit's rules.
Precision, recall and F1 are micro-averaged over the articles (counts summed); with nothing to find and
nothing predicted all three are 1. The macro score is the plain mean of six field scores: is_summit,
location and date accuracy, and participant, agreement and dispute F1. "Ungrounded kept" counts returned
items without a span in the article (span None or ``unaligned``, plus ``Extraction.flagged``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from ..toolkit import ArticleScore, EvalReport, Extraction, ListRule, Scoring, country
from ..toolkit import evaluate as _evaluate
from ..toolkit import score_article as _score_article
from ._models import Summit

__all__ = [
    "MACRO_FIELDS",
    "RULES",
    "SUBJECT_THRESHOLD",
    "GoldItem",
    "GoldParticipant",
    "GoldSummit",
    "SummitScoring",
    "content_words",
    "date_matches",
    "evaluate",
    "load_gold",
    "location_matches",
    "name_score",
    "participant_score",
    "score_article",
    "subject_score",
]

#: Minimum agreement/dispute match score (0-1); see the module docstring for how it is computed.
SUBJECT_THRESHOLD = 0.6

#: The fields averaged into the macro score, in report order.
MACRO_FIELDS = ("is_summit", "location", "date", "participants_f1", "agreements_f1", "disputes_f1")


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


# --- the rules, for the engine ------------------------------------------------------------------


def _participant_label(person: Any) -> str:
    return str(person.name or f"({person.country})")


def _subject_label(item: Any) -> str:
    return str(item.subject)


def _subject_match(gold: GoldItem, predicted: Any) -> float:
    return subject_score(gold, predicted.subject, predicted.parties)


#: The words a gold annotation writes a status in (free text: "planned ('will sign')", "signed, then
#: rejected"), each read as the status the model chooses from.
_GOLD_STATUS_WORDS = {
    "agreed": "agreed",
    "approved": "agreed",
    "adopted": "agreed",
    "reached": "agreed",
    "affirmed": "agreed",
    "signed": "signed",
    "planned": "planned",
    "expected": "planned",
    "preparation": "planned",
    "proposed": "proposed",
    "sought": "proposed",
    "idea": "proposed",
    "offered": "offered",
    "offer": "offered",
    "progress": "in progress",
    "discussed": "in progress",
    "draft": "in progress",
    "negotiation": "in progress",
    "rejected": "rejected",
    "ongoing": "ongoing",
    "unresolved": "ongoing",
    "disputed": "ongoing",
    "alleged": "ongoing",
    "escalating": "escalating",
    "easing": "easing",
    "resolved": "resolved",
}


def gold_status(written: str | None) -> str | None:
    """The status a gold annotation's free-text status names first, or None when it names none
    ("background", "ambassadors summoned")."""
    for word in re.findall(r"[a-z]+", (written or "").lower()):
        if word in _GOLD_STATUS_WORDS:
            return _GOLD_STATUS_WORDS[word]
    return None


def status_agrees(gold: GoldItem, predicted: Any) -> bool:
    """Whether a matched finding has the status gold gives it; a gold status naming none is not judged
    (counts as agreeing), so compare the share between systems and rules, not with 1."""
    wanted = gold_status(gold.status)
    return wanted is None or wanted == predicted.status


class SummitScoring(Scoring):
    """The Summit's matching rules (module docstring), as the generic ``evaluate()`` applies them."""

    gold = GoldSummit
    accuracy: ClassVar[Mapping[str, Callable[[Any, Any], bool]]] = {
        "is_summit": lambda gold, summit: summit.is_summit == gold.is_summit,
        "location": lambda gold, summit: location_matches(gold.location, summit),
        "date": lambda gold, summit: date_matches(gold.date, summit),
    }
    lists: ClassVar[Mapping[str, ListRule]] = {
        "participants": ListRule(
            participant_score,
            threshold=0.5,
            kind="participant",
            gold_label=_participant_label,
            predicted_label=_participant_label,
        ),
        "agreements": ListRule(
            _subject_match,
            threshold=SUBJECT_THRESHOLD,
            kind="agreement",
            gold_label=_subject_label,
            predicted_label=_subject_label,
            agrees=status_agrees,
        ),
        "disputes": ListRule(
            _subject_match,
            threshold=SUBJECT_THRESHOLD,
            kind="dispute",
            gold_label=_subject_label,
            predicted_label=_subject_label,
            agrees=status_agrees,
        ),
    }
    macro: ClassVar[tuple[str, ...] | None] = MACRO_FIELDS

    def details(self, gold: Any, predicted: Any | None) -> dict[str, Any]:
        """The gold and predicted verdicts, shown as "true→false" in the report."""
        return {
            "gold_is_summit": gold.is_summit,
            "predicted_is_summit": None if predicted is None else predicted.is_summit,
        }

    def settings(self) -> dict[str, Any]:
        """The subject threshold, recorded in the JSON report."""
        return {"subject_threshold": SUBJECT_THRESHOLD}


#: The rules, as ``Summit.scoring`` holds them.
RULES = SummitScoring()


def load_gold(path: Path) -> GoldSummit:
    """Read one Summit gold annotation."""
    return GoldSummit.model_validate_json(Path(path).read_text(encoding="utf-8"))


def score_article(
    name: str,
    gold: GoldSummit,
    predicted: Summit | Extraction[Summit] | None,
    *,
    error: str | None = None,
    seconds: float | None = None,
) -> ArticleScore:
    """Score one Summit prediction against its gold (the engine's ``score_article`` with these rules)."""
    return _score_article(name, gold, predicted, scoring=RULES, error=error, seconds=seconds)


def evaluate(devset_dir: Path, **options: Any) -> EvalReport:
    """Score a dev set of Summit gold annotations (the engine's ``evaluate`` with ``schema=Summit``)."""
    return _evaluate(devset_dir, schema=Summit, **options)
