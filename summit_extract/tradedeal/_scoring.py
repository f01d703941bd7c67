"""The TradeDeal's matching rules for ``evaluate()``: a gold model and one scorer per field.

Gold files (``gold/<stem>.json``, see ``devset_tradedeal/``) state what the article says:
``is_trade_deal``, ``status``, ``signing_date`` (YYYY-MM-DD or null), ``parties`` (names), ``commitments``
(``party``, ``subject``) and ``concerns`` (``raised_by``, ``subject``); any item may be ``optional``.

- is_trade_deal and status are right when equal (null status in gold needs null predicted); the date is
  right when the predicted ``signing_date.iso`` equals the gold date (a null gold needs no full date).
- Parties match on their ISO 3166 code, else their folded name ("EU").
- Commitments and concerns match on the meaning of their subject: both reduced to content words
  (stopwords and the parties' own names removed, light stemming), scored as the mean of rapidfuzz's
  token_set_ratio and of the share of predicted words found in the gold subject; a commitment also weighs
  its party (``0.8 * S + 0.2 * same party``). A pair needs a shared content word and
  :data:`SUBJECT_THRESHOLD`.

Matching one to one, counts, macro (the mean of the six field scores) and reports are the engine's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from ..toolkit import ListRule, Scoring
from ._models import party_key

__all__ = [
    "SUBJECT_THRESHOLD",
    "GoldCommitment",
    "GoldConcern",
    "GoldTradeDeal",
    "TradeDealScoring",
    "commitment_score",
    "subject_score",
]

#: Minimum commitment/concern match score (0-1).
SUBJECT_THRESHOLD = 0.5


class GoldCommitment(BaseModel):
    """A commitment in a gold annotation."""

    model_config = ConfigDict(extra="ignore")

    party: str | None = None
    subject: str
    kind: str | None = None
    optional: bool = False


class GoldConcern(BaseModel):
    """A concern in a gold annotation."""

    model_config = ConfigDict(extra="ignore")

    raised_by: str | None = None
    subject: str
    optional: bool = False


class GoldTradeDeal(BaseModel):
    """One gold annotation of a trade-deal article."""

    model_config = ConfigDict(extra="ignore")

    is_trade_deal: bool
    name: str | None = None
    signing_date: str | None = None
    status: str | None = None
    published: str | None = None
    parties: list[str] = Field(default_factory=list)
    commitments: list[GoldCommitment] = Field(default_factory=list)
    concerns: list[GoldConcern] = Field(default_factory=list)


_STOPWORD_TEXT = (
    "a an the of on in at to for from by with and or its it their this that is are was were be will "
    "would has have had not no all also more over under into as s per cent percent "
    "tariff tariffs duty duties import imports export exports trade deal agreement"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", stripped))


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """The words of a subject that carry its meaning (stopwords and party names dropped, lightly stemmed)."""
    names = {w[:4] for name in ignore for w in _plain(name).split() if len(w) >= 4}
    words = [w for w in _plain(text).split() if w not in _STOPWORDS and len(w) > 1 and w[:4] not in names]
    return [_stem(w) for w in words]


def _compatible(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 85)


def subject_score(gold: str, predicted: str, parties: Iterable[str] = ()) -> float:
    """Match score (0-1) of two subjects (module docstring)."""
    names = list(parties)
    g, p = content_words(gold, names), content_words(predicted, names)
    if not g or not p:
        return 0.0
    hits = sum(any(_compatible(w, x) for x in g) for w in p)
    if not hits:
        return 0.0
    return round((fuzz.token_set_ratio(" ".join(g), " ".join(p)) / 100 + hits / len(p)) / 2, 4)


def _party_score(gold: str, predicted: Any) -> float:
    return 1.0 if party_key(gold) == party_key(predicted.name) else 0.0


def commitment_score(gold: GoldCommitment, predicted: Any) -> float:
    """Match score (0-1) of a gold and a predicted commitment: subject, and a little the party."""
    subject = subject_score(gold.subject, predicted.subject, [gold.party or "", predicted.party])
    if not subject:
        return 0.0
    return round(0.8 * subject + 0.2 * (party_key(gold.party) == party_key(predicted.party)), 4)


def _date(gold: GoldTradeDeal, deal: Any) -> bool:
    predicted = deal.signing_date.iso if deal.signing_date is not None else None
    return bool(predicted == gold.signing_date)


class TradeDealScoring(Scoring):
    """The TradeDeal's matching rules (module docstring)."""

    gold = GoldTradeDeal
    accuracy: ClassVar[Mapping[str, Callable[[Any, Any], bool]]] = {
        "is_trade_deal": lambda gold, deal: bool(deal.is_trade_deal == gold.is_trade_deal),
        "status": lambda gold, deal: bool(deal.status == gold.status),
        "date": _date,
    }
    lists: ClassVar[Mapping[str, ListRule]] = {
        "parties": ListRule(_party_score, threshold=1.0, kind="party", predicted_label=lambda p: p.name),
        "commitments": ListRule(
            commitment_score,
            threshold=SUBJECT_THRESHOLD,
            kind="commitment",
            gold_label=lambda g: f"{g.party}: {g.subject}",
            predicted_label=lambda p: f"{p.party}: {p.subject}",
        ),
        "concerns": ListRule(
            lambda g, p: subject_score(g.subject, p.subject),
            threshold=SUBJECT_THRESHOLD,
            kind="concern",
            gold_label=lambda g: g.subject,
            predicted_label=lambda p: p.subject,
        ),
    }

    def details(self, gold: Any, predicted: Any | None) -> dict[str, Any]:
        """The gold and predicted verdict and status, shown as "gold→predicted" in the report."""
        return {
            "gold_is_trade_deal": gold.is_trade_deal,
            "predicted_is_trade_deal": None if predicted is None else predicted.is_trade_deal,
            "gold_status": gold.status,
            "predicted_status": None if predicted is None else predicted.status,
        }

    def settings(self) -> dict[str, Any]:
        """The subject threshold, recorded in the JSON report."""
        return {"subject_threshold": SUBJECT_THRESHOLD}
