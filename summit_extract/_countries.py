"""Countries, normalized in code (never by the model): ISO 3166 records, and the states a text names.

A name pycountry cannot place stays as written and is flagged ``known=False``; an ambiguous one
("Korea" fits two countries) stays unknown rather than taking the first fuzzy hit.
"""

from __future__ import annotations

import functools
import gettext
import re

import pycountry
from pydantic import BaseModel, Field

from ._aligning import contains, fold

__all__ = ["NAME_LANGUAGES", "Country", "country", "country_mentions", "state_mentions", "states_named"]


class Country(BaseModel):
    """A country normalized to ISO 3166 by the library (never by the model)."""

    name: str = Field(description="Canonical English name, or the text as written when unknown.")
    alpha2: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code.")
    alpha3: str | None = Field(default=None, description="ISO 3166-1 alpha-3 code.")
    known: bool = Field(description="False when the name matched no ISO 3166 country.")


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


#: Languages whose country names (pycountry's ISO 3166 translations) count as naming a state.
NAME_LANGUAGES = ("fr", "pt", "es", "de", "it")


#: Adjectives no suffix rule derives from the country's name ("French" from "France", "Thai" from
#: "Thailand"); "American" is left out, since "South American" names no state.
_IRREGULAR_DEMONYMS = {
    "french": "FR",
    "francais": "FR",
    "francaise": "FR",
    "dutch": "NL",
    "swiss": "CH",
    "togolese": "TG",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "irish": "IE",
    "greek": "GR",
    "danish": "DK",
    "swedish": "SE",
    "finnish": "FI",
    "norwegian": "NO",
    "polish": "PL",
    "turkish": "TR",
    "spanish": "ES",
    "thai": "TH",
    "filipino": "PH",
    "philippine": "PH",
    "lao": "LA",
    "czech": "CZ",
    "slovak": "SK",
    "icelandic": "IS",
    "peruvian": "PE",
    "argentine": "AR",
    "argentinian": "AR",
    "emirati": "AE",
    "saudi": "SA",
    "kuwaiti": "KW",
    "qatari": "QA",
    "bahraini": "BH",
    "omani": "OM",
    "yemeni": "YE",
    "afghan": "AF",
    "uzbek": "UZ",
    "kazakh": "KZ",
    "kyrgyz": "KG",
    "tajik": "TJ",
    "turkmen": "TM",
    "belarusian": "BY",
    "malagasy": "MG",
    "ivorian": "CI",
    "somali": "SO",
    "maltese": "MT",
    "cypriot": "CY",
    "montenegrin": "ME",
    "bosnian": "BA",
    "croatian": "HR",
    "serbian": "RS",
    "slovenian": "SI",
    "macedonian": "MK",
    "belgian": "BE",
    "libyan": "LY",
    "moroccan": "MA",
    "chilean": "CL",
    "vietnamese": "VN",
    "lebanese": "LB",
    "burmese": "MM",
    "nepali": "NP",
    "bangladeshi": "BD",
    "sri lankan": "LK",
    "new zealand": "NZ",
    "kiwi": "NZ",
    "pakistani": "PK",
}

_NAME_SUFFIX = "(?:n|an|ian|ien|ienne|ese|i|ish|ais|aise|o|a)?"
_STEM_SUFFIX = "(?:ian|ien|ienne|ese|n|an)?"


@functools.lru_cache(maxsize=1)
def _state_names() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    ambiguous: set[str] = set()
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
                if len(form) < 4:
                    continue
                key = fold(form)
                if names.setdefault(key, record.alpha_2) != record.alpha_2:
                    ambiguous.add(key)  # "Korea" is the first word of two states' names: neither
    for key in ambiguous:
        del names[key]
    for short, code in (("u.s.", "US"), ("usa", "US"), ("u.k.", "GB"), ("britain", "GB"), ("russia", "RU")):
        names[short] = code
    names.update(_IRREGULAR_DEMONYMS)
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
    return {code for _, code in state_mentions(text)}


def state_mentions(text: str) -> list[tuple[int, str]]:
    """Each mention of a state in a text, by name or adjective: (where it starts in the folded text, its ISO
    alpha-2 code), in the order they occur."""
    pattern, names = _state_names()
    found = []
    for m in pattern.finditer(fold(text)):
        word = m.group(0)
        code = (
            names.get(word)
            or next((names[k] for k in (word[:i] for i in range(len(word), 2, -1)) if k in names), None)
            or next((c for k, c in names.items() if k.endswith("~") and word.startswith(k[:-1])), None)
        )
        if code:
            found.append((m.start(), code))
    return found
