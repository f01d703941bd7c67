"""Normalization done in code, not trusted to the model: countries to ISO 3166, people merged, titles unified.

Countries come from pycountry (the ISO 3166 database); a name it cannot place stays as written and is
flagged ``known=False``. "Kishida" and "Fumio Kishida" are one person: the shorter name is merged into the
longer one when its words are a subset of it.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Sequence

import pycountry

from ._aligning import contains, fold
from ._models import Country, Participant, Summit

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


@functools.lru_cache(maxsize=1024)
def country(name: str) -> Country:
    """The ISO 3166 country a name refers to, or the name as written with ``known=False``."""
    cleaned = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    if re.fullmatch(r"(?:[A-Za-z]\.){2,3}", cleaned):
        cleaned = cleaned.replace(".", "")  # "U.S." is the code US, not a fuzzy match
    record = None
    try:
        record = pycountry.countries.lookup(cleaned)
    except LookupError:
        try:
            candidates = pycountry.countries.search_fuzzy(cleaned)
        except LookupError:
            candidates = []
        words = fold(cleaned).split()
        if cleaned.isupper() and len(cleaned) <= 3:
            fitting = candidates[:1]  # an acronym such as "UK": pycountry ranks its expansion first
        else:
            fitting = [c for c in candidates if len(cleaned) >= 4 and all(w in _names(c) for w in words)]
        if len(fitting) == 1:  # "Korea" fits two countries: ambiguous, so left unknown
            record = fitting[0]
    if record is None:
        return Country(name=name.strip(), known=False)
    display = getattr(record, "common_name", None) or record.name
    return Country(name=display, alpha2=record.alpha_2, alpha3=record.alpha_3, known=True)


def _names(record: object) -> str:
    return " ".join(
        fold(getattr(record, attr, "") or "") for attr in ("name", "official_name", "common_name")
    )


def country_mentions(name: str, text: str) -> bool:
    """True when the text names this country in any of its ISO 3166 names."""
    iso = country(name)
    if not iso.known:
        return False
    try:
        record = pycountry.countries.get(alpha_2=iso.alpha2)
    except LookupError:
        return False
    if record is None:
        return False
    names = {getattr(record, attr, None) for attr in ("name", "official_name", "common_name")}
    return any(n and contains(text, n) for n in names)


def title(value: str | None) -> str | None:
    """A title in its canonical form ("premier" becomes "Prime Minister"); unknown titles keep their text."""
    if value is None:
        return None
    key = fold(value).strip(" .")
    return _TITLE_SYNONYMS.get(key, value)


def _name_words(name: str) -> list[str]:
    return fold(re.sub(r"[^\w\s-]", " ", name)).split()


def merge_people(participants: list[Participant]) -> list[Participant]:
    """Merge entries naming the same person ("Kishida" into "Fumio Kishida"), keeping the fuller name."""
    merged: list[Participant] = []
    for person in sorted(participants, key=lambda p: -len(p.name or "")):
        words = set(_name_words(person.name)) if person.name else set()
        same = None
        for kept in merged:
            if person.name and kept.name and words <= set(_name_words(kept.name)):
                same = kept
                break
            delegation = not person.name and not kept.name and person.country and kept.country
            if delegation and fold(person.country or "") == fold(kept.country or ""):
                same = kept
                break
        if same is None:
            merged.append(person.model_copy())
            continue
        same.title = same.title or person.title
        same.country = same.country or person.country
    order = {id(p): i for i, p in enumerate(participants)}
    # Keep the article's order: each merged person sits where its fuller entry stood.
    by_name = {p.name: p for p in participants}
    merged.sort(key=lambda p: order.get(id(by_name.get(p.name)), 0))
    return merged


_SUB_SUMMIT = re.compile(r"\b(vice|deputy|ambassador|envoy|spokes\w*|official|adviser|advisor|aide)\b", re.I)


#: Languages whose country names (pycountry's ISO 3166 translations) count as naming a state.
NAME_LANGUAGES = ("fr", "pt", "es", "de", "it")


_NAME_SUFFIX = "(?:n|an|ian|ien|ienne|ese|i|ish|ais|aise|o|a)?"
_STEM_SUFFIX = "(?:ian|ien|ienne|ese|n|an)?"


@functools.lru_cache(maxsize=1)
def _state_names() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in NAME_LANGUAGES
    ]
    for record in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(record, attr, None)
            if not name:
                continue
            for form in {name, name.split(",")[0], *(t.gettext(name) for t in translations)}:
                if len(form) >= 4:
                    names[fold(form)] = record.alpha_2
    for short, code in (("u.s.", "US"), ("usa", "US"), ("u.k.", "GB"), ("britain", "GB"), ("russia", "RU")):
        names[short] = code
    # Adjectives count too ("Nigerian", "Japanese", "brésilien"): a name, or a name ending in "a" without
    # it ("Canadian", "Chinese"), followed by a common demonym suffix.
    stems = {n[:-1]: code for n, code in names.items() if n[-1] in "ay" and " " not in n}
    names.update({f"{stem}~": code for stem, code in stems.items()})  # "germany" -> "german", "italian"
    alternatives = "|".join(
        re.escape(n[:-1]) + _STEM_SUFFIX if n.endswith("~") else re.escape(n) + _NAME_SUFFIX
        for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), names


def states_named(text: str) -> set[str]:
    """ISO alpha-2 codes of the states a text names, by name or adjective, in six European languages."""
    pattern, names = _state_names()
    found = set()
    for m in pattern.finditer(fold(text)):
        word = m.group(0)
        code = (
            names.get(word)
            or next((names[k] for k in (word[:i] for i in range(len(word), 2, -1)) if k in names), None)
            or next((c for k, c in names.items() if k.endswith("~") and word.startswith(k[:-1])), None)
        )
        if code:
            found.add(code)
    return found


_SUB_SUMMIT = re.compile(r"\b(vice|deputy|ambassador|envoy|spokes\w*|official|adviser|advisor|aide)\b", re.I)


def summit_check(
    summit: Summit, text: str | None = None, also_seen: Sequence[Participant] = ()
) -> str | None:
    """Why the article cannot report a summit, or None when it can.

    A summit is a meeting of representatives of two or more states at leader or ministerial level. The
    model's ``is_summit`` is overruled only on evidence a small model cannot talk its way around: the
    article names no state at all (a domestic or provincial "summit"), or every participant has a
    title and none is of summit rank (vice-ministers, ambassadors, envoys).
    """
    # Fewer than one, not two: a second state named only by an irregular adjective ("French") is missed.
    if text is not None and not states_named(text):
        return "the article names no state"
    people = [*summit.participants, *also_seen]
    titles = [p.title for p in people]
    if people and all(titles) and all(_SUB_SUMMIT.search(t or "") for t in titles):
        return "no participant is a leader or minister"
    return None


def normalize(summit: Summit, dropped: Sequence[object] = (), text: str | None = None) -> Summit:
    """Normalize countries, titles and people of a Summit in place, and return it.

    ``dropped`` are items removed for want of evidence: participants among them still count as the
    model's view of who met when deciding whether the meeting can be a summit; ``text`` is the article.
    """
    people = merge_people(summit.participants)
    for person in people:
        person.title = title(person.title)
        if person.country:
            person.country_iso = country(person.country)
    summit.participants = people
    also_seen = [p for p in dropped if isinstance(p, Participant)]
    for person in also_seen:
        if person.country and person.country_iso is None:
            person.country_iso = country(person.country)
    if summit.is_summit and summit_check(summit, text, also_seen):
        # The same clearing as when the model itself answers "no summit" (see Summit validators).
        summit.is_summit = False
        summit.name = summit.host_country = None
        summit.location = summit.date = None
        summit.participants = []
    for agreement in summit.agreements:
        agreement.parties = _unique_parties(agreement.parties)
    for dispute in summit.disputes:
        dispute.parties = _unique_parties(dispute.parties)
    return summit


def _unique_parties(parties: list[str]) -> list[str]:
    out: list[str] = []
    for party in parties:
        iso = country(party)
        display = iso.name if iso.known else party
        if display not in out:
            out.append(display)
    return out
