"""Which Summit records tell of one meeting, and which of their items are one fact: the Summit's answers to
the engine's consolidation hooks (``Document.event_window``, ``event_tokens``, ``same_event``, ``same_fact``).

- **Window**: the engine's (the summit's date, a year-less "Wednesday" or "7-9 December" resolved against
  the record's publication date; else the days around publication, so a preview joins the summit it
  previews).
- **Place**: a city by any spelling the project's capital data lists (Kyiv, Kiev, Київ are one), else the
  city's name without accents and case. Two known places that differ are two meetings: a trilateral in one
  capital and a bilateral of two of the same states days later in another city stay apart.
- **States**: those of the participants, the host and the location's country. Two summits are one when
  their windows overlap (the engine checks), their places do not differ, and the states overlap (or, when
  one names none, the place is the same).
- A record with ``is_summit=False`` joins only through an agreement or a dispute that ``same_fact`` calls
  the same as one of the other record's, or stays on its own.
- **People**: the same person across spellings and partial names ("Gloria Arroyo", "Gloria Macapagal
  Arroyo"; "Ghadafi", "Gaddafi" of one country); a delegation named only by its country is its country's
  head of state or government when another article names them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from ..toolkit import (
    capital_of,
    country,
    default_same_fact,
    finding_tokens,
    findings,
    fold,
    same_words,
    shares_finding,
)

if TYPE_CHECKING:
    from ._models import Location, Participant, Summit

__all__ = [
    "LEADER_TITLES",
    "place_key",
    "same_participant",
    "same_person",
    "same_place",
    "summit_same_event",
    "summit_states",
]

#: Titles of a head of state or government, as normalization writes them: a country's bare delegation is
#: the person holding one of them.
LEADER_TITLES = frozenset(
    {"president", "prime minister", "chancellor", "king", "queen", "emperor", "sultan", "emir", "premier"}
)

#: Words of two spellings of a name at least this similar (rapidfuzz ratio) are one word ("Zelensky").
NAME_WORD_SIMILARITY = 80.0


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", fold(text))
    return re.sub(r"[\W_]+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


# Consolidation compares each record with many others: a city's key and a country's code are computed
# once per name, not once per comparison.
@functools.lru_cache(maxsize=1 << 16)
def _city_key(city: str) -> str | None:
    code = capital_of(city)
    return f"@{code}" if code else _plain(city) or None


def place_key(location: Location | None) -> str | None:
    """What identifies the city of a meeting: ``@UA`` for a capital in any listed spelling, else its name
    without case and accents; None when the article names no city."""
    if location is None or not location.city:
        return None
    return _city_key(location.city)


@functools.lru_cache(maxsize=1 << 16)
def _code(name: str | None) -> str | None:
    if not name:
        return None
    found = country(name)
    return found.alpha2 if found.known else None


def summit_states(summit: Summit) -> set[str]:
    """ISO codes of the states meeting: the participants', the host's, the location's country."""
    codes = {p.country_iso.alpha2 for p in summit.participants if p.country_iso and p.country_iso.known}
    located = summit.location.country if summit.location else None
    codes |= {c for c in (_code(summit.host_country), _code(located)) if c}
    return {c for c in codes if c}


def summit_tokens(summit: Summit) -> frozenset[str]:
    """Blocking tokens: the states meeting, the place, the states party to its findings, their subjects."""
    tokens = {f"state:{c}" for c in summit_states(summit)} if summit.is_summit else set()
    place = place_key(summit.location) if summit.is_summit else None
    if place:
        tokens.add(f"place:{place}")
    for finding in findings(summit):
        tokens |= {f"state:{c}" for p in getattr(finding, "parties", []) if (c := _code(p))}
    return frozenset(tokens | finding_tokens(summit))


def summit_same_event(a: Summit, b: Summit) -> bool:
    """One meeting: places not differing and states overlapping; else only a shared agreement or dispute."""
    if a.is_summit and b.is_summit:
        pa, pb = place_key(a.location), place_key(b.location)
        if pa and pb and pa != pb:
            return False
        sa, sb = summit_states(a), summit_states(b)
        if sa and sb:
            return bool(sa & sb)
        return bool(pa and pb)
    return shares_finding(a, b)


def _words(name: str) -> list[str]:
    return _plain(re.sub(r"[^\w\s-]", " ", name)).replace("-", " ").split()


def same_person(a: Participant, b: Participant) -> bool:
    """The same person across articles: the same words, or one's in the other's ("Kishida"), or, in the
    same country, the same number of words each spelled alike ("Muammar Ghadafi", "Muammar Gaddafi")."""
    if not a.name or not b.name:
        return False
    if same_words(a.name, b.name):
        return True
    ca, cb = a.country_iso, b.country_iso
    if not (ca and cb and ca.known and ca.alpha2 == cb.alpha2):
        return False
    wa, wb = _words(a.name), _words(b.name)
    return (
        len(wa) == len(wb)
        and any(x == y for x, y in zip(wa, wb, strict=True))
        and all(fuzz.ratio(x, y) >= NAME_WORD_SIMILARITY for x, y in zip(wa, wb, strict=True))
    )


def _leads(delegation: Participant, person: Participant) -> bool:
    """A country's bare delegation and the named head of state or government of that country."""
    if delegation.name or not person.name or not person.title or fold(person.title) not in LEADER_TITLES:
        return False
    cd, cp = delegation.country_iso, person.country_iso
    return bool(cd and cp and cd.known and cd.alpha2 == cp.alpha2)


def same_participant(a: Participant, b: Participant) -> bool:
    """Two participants of two articles: one person, or a delegation and its country's named leader, or
    two delegations of one country."""
    if not a.name and not b.name:
        return default_same_fact(a, b)
    return same_person(a, b) or _leads(a, b) or _leads(b, a)


def same_place(a: Location, b: Location) -> bool:
    """Locations of two articles naming one city (in any listed spelling), or, naming none, one country."""
    pa, pb = place_key(a), place_key(b)
    if pa or pb:
        return pa == pb
    return bool(a.country and b.country and _code(a.country) == _code(b.country))
