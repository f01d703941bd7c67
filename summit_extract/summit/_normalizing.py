"""Summit normalization in code, not trusted to the model: people merged, titles unified, countries to ISO,
and the model's verdict checked against the facts it listed.

"Kishida" and "Fumio Kishida" are one person: the shorter name is merged into the longer one when its
words are a subset of it. A summit is two or more states represented at leader or minister level; the
rules that overrule the model's ``is_summit`` are named in :data:`OVERRULES` and each is measured on the
dev set for what it costs and saves (``benchmarks/REPORT.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._aligning import fold
from .._context import ExtractionContext
from .._countries import country, states_named
from .._grounding import same_words

if TYPE_CHECKING:
    from ._models import Participant, Summit

__all__ = ["OVERRULES", "finalize_summit", "merge_people", "summit_check", "title"]

# Titles that mean the same office, written differently. Keys are folded.
_TITLE_SYNONYMS = {
    "premier": "Prime Minister",
    "prime minister": "Prime Minister",
    "pm": "Prime Minister",
    "president": "President",
    "pres.": "President",
    "chancellor": "Chancellor",
    "foreign minister": "Foreign Minister",
    "minister of foreign affairs": "Foreign Minister",
    "fm": "Foreign Minister",
    "secretary of state": "Secretary of State",
    "secretary-general": "Secretary-General",
    "secretary general": "Secretary-General",
    "king": "King",
    "queen": "Queen",
}

#: Ranks below a summit: a meeting of only these is diplomacy, not a summit.
_SUB_SUMMIT = re.compile(r"\b(vice|deputy|ambassador|envoy|spokes\w*|official|adviser|advisor|aide)\b", re.I)
#: The word "summit" in the languages the dev set and the date reader know.
_SUMMIT_WORD = re.compile(r"\b(summit|sommet|cumbre|cimeira|gipfel|vertice)", re.I)

#: The rules that may overrule the model's ``is_summit=True``, by name (all on by default):
#: - ``two_states``: the participants represent fewer than two states, and the article neither calls the
#:   meeting a summit nor names two states;
#: - ``leader_rank``: every participant has a title and none is of summit rank (vice-ministers, envoys);
#: - ``no_participants``: nobody taking part was found in the article.
OVERRULES: frozenset[str] = frozenset({"two_states", "leader_rank", "no_participants"})


def title(value: str | None) -> str | None:
    """A title in its canonical form ("premier" becomes "Prime Minister"); unknown titles keep their text."""
    if value is None:
        return None
    key = fold(value).strip(" .")
    return _TITLE_SYNONYMS.get(key, value)


def merge_people(participants: list[Participant]) -> list[Participant]:
    """Merge entries naming the same person ("Kishida" into "Fumio Kishida"), keeping the fuller name."""
    merged: list[Participant] = []
    for person in sorted(participants, key=lambda p: -len(p.name or "")):
        same = next((kept for kept in merged if kept.same_item(person)), None)
        if same is None:
            merged.append(person.model_copy())
            continue
        same.title = same.title or person.title
        same.country = same.country or person.country
    # Keep the article's order: each merged person sits where its fuller entry stood.
    order = {id(p): i for i, p in enumerate(participants)}
    by_name = {p.name: p for p in participants}
    merged.sort(key=lambda p: order.get(id(by_name.get(p.name)), 0))
    return merged


def _states(people: Iterable[Participant]) -> set[str]:
    """The states the participants represent: their ISO country, else a state their words name."""
    found: set[str] = set()
    for person in people:
        iso = person.country_iso
        if iso is not None and iso.known and iso.alpha2:
            found.add(iso.alpha2)
        else:
            found |= states_named(" ".join(filter(None, (person.evidence, person.title, person.country))))
    return found


def summit_check(summit: Summit, text: str, rules: frozenset[str] = OVERRULES) -> str | None:
    """Why the facts contradict a summit, or None when they allow one (see :data:`OVERRULES`)."""
    people = summit.participants
    if "no_participants" in rules and not people:
        return "no participant taking part was found in the article"
    if "two_states" in rules and len(_states(people)) < 2:
        called = bool(_SUMMIT_WORD.search(text)) or bool(summit.name and _SUMMIT_WORD.search(summit.name))
        if not (called and len(states_named(text)) >= 2):
            return "the participants represent fewer than two states"
    titles = [p.title for p in people]
    if "leader_rank" in rules and people and all(titles) and all(_SUB_SUMMIT.search(t or "") for t in titles):
        return "no participant is a leader or minister"
    return None


def finalize_summit(summit: Summit, context: ExtractionContext, rules: frozenset[str] | None = None) -> None:
    """Normalize a merged Summit in place, then check the model's verdict against the facts.

    ``rules`` defaults to the Summit class's ``overrules`` (the benchmark switches them off one by one).
    """
    rules = type(summit).overrules if rules is None else rules
    people = merge_people(summit.participants)
    for person in people:
        person.title = title(person.title)
        if person.country:
            person.country_iso = country(person.country)
    summit.participants = people
    for agreement in summit.agreements:
        agreement.parties = _unique_parties(agreement.parties)
        agreement.subject = _what_not_who(agreement.subject, agreement.evidence, agreement.parties)
    for dispute in summit.disputes:
        dispute.parties = _unique_parties(dispute.parties)
        dispute.subject = _what_not_who(dispute.subject, dispute.evidence, dispute.parties)
    if summit.is_summit and (reason := summit_check(summit, context.article, rules)):
        summit.is_summit = False
        summit.is_summit_reason = reason


_FILLER = re.compile(r"\b(the|and|of|between|with|leaders?|government|officials?|relations?|talks)\b", re.I)


def _what_not_who(subject: str, evidence: str, parties: list[str]) -> str:
    """The subject, or the evidence when the subject only names who is involved ("Iraqi leaders").

    A small model often answers the parties in the subject field; the evidence then says better what the
    agreement or dispute is about.
    """
    rest = fold(subject)
    for party in sorted(parties, key=len, reverse=True):
        rest = rest.replace(fold(party), " ")
    rest = _FILLER.sub(" ", rest)
    words = [w for w in re.findall(r"\w+", rest) if len(w) > 2 and not states_named(w)]
    return subject if words else evidence


def _unique_parties(parties: list[str]) -> list[str]:
    out: list[str] = []
    for party in parties:
        iso = country(party)
        display = iso.name if iso.known else party
        if not any(same_words(display, kept) and fold(display) == fold(kept) for kept in out):
            out.append(display)
    return out
