"""Countries and international organisations, normalized in code (never by the model): ISO 3166 records,
and the states and organisations a text names, in any language and script.

A name that cannot be placed stays as written and is flagged ``known=False``; an ambiguous one ("Korea"
fits two countries) stays unknown rather than taking the first fuzzy hit, and so do organisations ("EU",
"UN"), regions ("South America") and cities ("Paris"), which are not states.

Where the names come from (maintained data, read once and indexed, see ``_index``):

* pycountry: canonical English names and codes, and the ISO 3166-1 names translated into every language
  it ships (about 160);
* countrynames: some 27,000 names, aliases and codes in many languages and scripts. Its lists mix places
  into the states' names (counties, cities such as "Moscow" or "Yokohama" under their country): a name none
  of whose words shares its first four letters with a word of that country's ISO names in some language is
  taken for a place, and names no state, and so are pycountry's subdivision names ("Texas", "Québec");
* ``data/organizations.json``: what neither holds: international organisations in several languages,
  capital cities (which stand for their governments only when asked, ``party_mentions(capitals=True)``), a
  few aliases ("ROK", "한국", "북한"), regions that contain a state's name ("South America"), and the
  adjectives of states no ending derives from their names ("allemand", "belge", "tedesco").

How a text is searched (``_find``), by script:

* words of spaced scripts (Latin, Cyrillic, Greek, Arabic...) are looked up in a dictionary keyed by a
  name's first word, without accents and case; a name of several words must follow word by word. Names in
  the core languages (English and ``NAME_LANGUAGES``) also count as adjectives with a demonym ending
  ("Nigerian", "brésilien", "German"). Cyrillic names inflect: each word is its stem (less a final vowel,
  soft sign or short i, or an adjective's two-letter ending) plus one of the common Russian and Ukrainian
  case endings ("Росія", "Росії", "Росією"). A name must start with a capital letter in the text ("réunion"
  is a meeting), an adjective need not ("le gouvernement brésilien"); acronyms of three letters or fewer
  must be written as they are ("UN", not "un");
* Korean names start a word and may carry a particle or a short noun after them, with no space ("미국의",
  "한국과", "중국인");
* Chinese, Japanese and the unspaced scripts of South-East Asia are searched for the names as substrings,
  longest first, never one character alone (so "日米" names nothing); a name in katakana must not run into
  more katakana ("タイ" is Thailand, not the start of "タイミング").

Positions are those of the text as ``fold`` gives it (the contract ``state_mentions`` always had).
"""

from __future__ import annotations

import functools
import gettext
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, cast

import countrynames
import pycountry
from countrynames.data import DATA as COUNTRYNAMES_DATA
from pydantic import BaseModel, Field

from ._aligning import FoldedText, _fold_char, contains, fold

__all__ = [
    "KOREAN_PARTICLES",
    "NAME_LANGUAGES",
    "Country",
    "capital_of",
    "country",
    "country_mentions",
    "organization",
    "party_mentions",
    "state_mentions",
    "state_spans",
    "states_named",
]


class Country(BaseModel):
    """A country normalized to ISO 3166 by the library (never by the model)."""

    name: str = Field(description="Canonical English name, or the text as written when unknown.")
    alpha2: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code.")
    alpha3: str | None = Field(default=None, description="ISO 3166-1 alpha-3 code.")
    known: bool = Field(description="False when the name matched no ISO 3166 country.")


def _words(text: str) -> list[str]:
    return text.split()


#: Languages whose country names (pycountry's ISO 3166 translations) count as naming a state in any case
#: and also as adjectives ("brésilien"); names in all other languages count too, written with a capital.
NAME_LANGUAGES = ("fr", "pt", "es", "de", "it")

#: Endings a core name takes as an adjective or a demonym ("Nigerian", "nigérien", "italiano"; a French
#: name in "-ie" or "-ye" takes "-nne": "colombienne", "libyenne"), or as a German genitive ("Polens
#: Einwände").
_NAME_SUFFIXES = frozenset(
    _words(
        "n an ian ien ienne iens iennes nne nnes ese i ish ais aise aises o a ns ans ians no na nos nas ano "
        "ana anos anas eno ena eiro eira isch ische ischen ischer isches s"
    )
) | {""}
#: Names of states whose genitive is an English plural: "Island" is German for Iceland, but "the Paracel
#: Islands" are not Iceland's, nor "family reunions" Réunion's.
_PLURAL_WORDS = frozenset({"island", "reunion"})
#: Endings taken by a name ending in "a" or "y" less that letter ("Chinese", "Italian", "Canadian"); one
#: ending in "y" is an adjective by itself ("German").
_STEM_SUFFIXES = frozenset(
    ("ian", "ien", "ienne", "iens", "iennes", "ians", "ese", "n", "an", "ans", "ns", "o", "a", "os", "as")
)
#: German adjective endings of such a stem ("kanadische", "kubanischen"); "-isch" alone only after a stem
#: of five letters or more ("kubisch" is cubic).
_GERMAN_ENDINGS = ("", "e", "en", "er", "es")
_GERMAN_STEM_SUFFIXES = frozenset("anisch" + e for e in _GERMAN_ENDINGS)
_GERMAN_LONG_STEM_SUFFIXES = frozenset("isch" + e for e in _GERMAN_ENDINGS)

_VOWELS = "аеиоуыэюяіїєёйь"
#: Russian and Ukrainian case endings, added to a name's stem (Росі-ї, Кита-ю, Україн-ою, Південн-ої).
_CYRILLIC_ENDINGS_WRITTEN = _words(
    " ".join(_VOWELS)
    + " ам ям ом ем єм ею ою єю ой ей ах ях ов ев ів ые ие ых их ым им ую юю ая яя ое ее ий ый"
    " ій ої ого его ому ему ими ыми ами ями ією ией ию ия ием ієм"
)
#: An adjective's ending, taken off whole to find its stem ("Южная" -> "Южн", "Європейський" -> "Європейськ").
_CYRILLIC_ADJECTIVE_ENDINGS_WRITTEN = ("ий", "ый", "ой", "ій", "ая", "яя", "ое", "ее", "ые", "ие")

#: Korean particles and short nouns that follow a name with no space ("미국의", "중국인", "한국 정부").
#: Korean particles a word may carry with no space ("미국의", "한국과"), also read after a title.
KOREAN_PARTICLES = _words(
    "의 은 는 이 가 을 를 과 와 도 만 에 에서 에게 으로 로 과의 와의 에서의 에서는 에는 에도 까지 부터 "
    "보다 처럼 이나 나 이며 며 이고 고 이다 다 이라 라 이란 란 과는 와는 과도 와도 이라고 라고 만큼 에선 "
    "께서 이자"
)
_KOREAN_NOUNS = ["", "측", "인", "인들", "정부", "군", "산", "령"]

#: Names that are far more often a common word than the state, so a text's mention is not taken for the
#: state (``country`` still places them): Russian "того" (of that) for Togo, Korean "수단" (means) for
#: Sudan, French and Spanish "réunion"/"Reunión" (a meeting, capitalized in titles) for Réunion; and names
#: from rarely written languages that are people's first names or place names in news ("Ruslan" for Russia,
#: "Marta" for Malta, "Helene" for Greece, "Yamal" for Yemen).
_COMMON_WORDS = frozenset(
    _words("того 수단 reunion ruslan marta helene yamal poole domov boner etale norra widen manav")
)

_HANGUL = "\uac00-\ud7a3"
_KANA = "\u3040-\u30ff\u31f0-\u31ff"
_KATAKANA_LETTERS = "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Thai, Lao, Tibetan, Myanmar, Khmer: scripts that leave no space between words.
_SOUTHEAST_ASIAN = "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff"
_UNSPACED = _KANA + _HAN + _SOUTHEAST_ASIAN
#: Combining marks that belong to a word (Indic vowel signs, Hebrew and Arabic points).
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff"
_WORD = re.compile(rf"(?:[^\W{_HANGUL}{_UNSPACED}]|[{_MARKS}])+")
_HANGUL_RUN = re.compile(f"[{_HANGUL}]*")
_IS_HANGUL = re.compile(f"[{_HANGUL}]")
_IS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_IS_KATAKANA = re.compile(f"[{_KATAKANA_LETTERS}]")
_IS_CYRILLIC = re.compile("[\u0400-\u04ff]")
_IS_LATIN = re.compile("[a-z]")
_ACRONYM = re.compile(r"[^\W_]{2,5}")  # with .isupper(), as written: "UN", "G7", "США"

_Mode = Literal["states", "parties", "capitals"]
#: How a name must be written in the text: any case; starting with a capital; or exactly so (an acronym).
_ANY, _INITIAL, _EXACT = 0, 1, 2


class _Accentless(dict[int, int]):
    """A ``str.translate`` table, filled as it is used, that drops the accents of precomposed letters one for
    one ("é" -> "e", "ї" -> "і", "й" -> "и"), so positions do not move. Hangul, which decomposes into jamo
    rather than marks, stays."""

    def __missing__(self, code: int) -> int:
        parts = unicodedata.normalize("NFD", chr(code))
        base = ord(parts[0]) if len(parts) > 1 and all(unicodedata.combining(c) for c in parts[1:]) else code
        self[code] = base
        return base


_ACCENTLESS = _Accentless()


@functools.lru_cache(maxsize=1 << 17)
def _plain(text: str) -> str:
    """Folded as ``fold`` folds (character by character, for speed: tens of thousands of names), without
    accents, and without any combining mark left (names only: positions may move)."""
    folded = " ".join("".join(map(_fold_char, unicodedata.normalize("NFKC", text))).split())
    return "".join(c for c in folded.translate(_ACCENTLESS) if not unicodedata.combining(c))


_CYRILLIC_ENDINGS = frozenset(e.translate(_ACCENTLESS) for e in _CYRILLIC_ENDINGS_WRITTEN) | {""}
_CYRILLIC_ADJECTIVE_ENDINGS = frozenset(e.translate(_ACCENTLESS) for e in _CYRILLIC_ADJECTIVE_ENDINGS_WRITTEN)
_CYRILLIC_FINALS = frozenset(_VOWELS.translate(_ACCENTLESS))
_ENDINGS = (
    _NAME_SUFFIXES | _STEM_SUFFIXES | _GERMAN_STEM_SUFFIXES | _GERMAN_LONG_STEM_SUFFIXES | _CYRILLIC_ENDINGS
)
_ENDING_LENGTHS = sorted({len(e) for e in _ENDINGS if e})
_KOREAN_ENDINGS = frozenset(n + p for n in _KOREAN_NOUNS for p in ["", *KOREAN_PARTICLES])


def _cyrillic_stem(word: str) -> str:
    """The part of a Cyrillic word its inflected forms start with ("" when too short to tell: "Мали" and
    "Куба" inflect like "мало" and "куб", so only an adjective may keep a stem of three letters)."""
    if len(word) >= 5 and word[-2:] in _CYRILLIC_ADJECTIVE_ENDINGS:
        return word[:-2]
    stem = word[:-1] if word[-1:] in _CYRILLIC_FINALS else word
    return stem if len(stem) >= 4 else ""


@dataclass(frozen=True)
class _Name:
    """One name of a state, an organisation, a capital or a place, as the index holds it."""

    words: tuple[str, ...]  # folded, without accents
    target: str  # an alpha-2 code, an organisation's English name, "@XX" for a capital, "" for nothing
    suffixes: frozenset[str] = frozenset({""})  # endings the last word may take
    stems: tuple[str, ...] = ()  # Cyrillic: the stem of each word, which may take a case ending
    case: int = _ANY
    exact: str = ""  # an acronym's letters as written


@dataclass
class _Index:
    """Every name of one mode, for a text's words (spaced scripts) and for substrings (the others)."""

    first: dict[str, list[_Name]] = field(default_factory=dict)  # by first word, and by its stem
    hangul: re.Pattern[str] | None = None
    unspaced: re.Pattern[str] | None = None
    substrings: dict[str, _Name] = field(default_factory=dict)
    memo: dict[str, tuple[list[_Name], dict[str, list[_Name]]]] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, object]:
    path = resources.files(__package__) / "data" / "organizations.json"
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _adjectives() -> list[tuple[str, tuple[str, ...]]]:
    """(code, adjective's words) for each adjective or demonym no ending derives from a state's name, in
    ``organizations.json`` ("French", "allemand", "belge"; "sud-coréen" is two words, as text is read; code
    "" for words that name no one state: "Korean")."""
    table = cast("dict[str, dict[str, str]]", _data().get("adjectives", {}))
    return [
        (code, tuple(_plain(word).replace("-", " ").split()))
        for code, forms in table.items()
        for words in forms.values()
        for word in words.split()
    ]


@functools.lru_cache(maxsize=1)
def _iso_names() -> dict[str, tuple[set[str], set[str]]]:
    """pycountry's names of each state in every language it ships, with the forms before a comma ("Korea"
    of "Korea, Republic of") and without brackets; and apart, what the brackets hold ("韓国" of "大韓民国
    (韓国)", but also "США" of the islands "(США)")."""
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in sorted(os.listdir(pycountry.LOCALES_DIR))
    ]
    names: dict[str, tuple[set[str], set[str]]] = {}
    for record in pycountry.countries:
        forms, bracketed = names.setdefault(record.alpha_2, (set(), set()))
        for attr in ("name", "common_name", "official_name"):
            name = getattr(record, attr, None)
            if name:
                written = [t.gettext(name) for t in translations]
                forms.update(_forms(written))
                bracketed.update(b.strip() for w in written for b in re.findall(r"\((.*?)\)", w))
    return names


def _forms(names: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for name in names:
        unbracketed = re.sub(r"\s*\(.*?\)", "", name)
        forms.update((name, unbracketed, unbracketed.split(",")[0].split("，")[0]))
    return {f.strip() for f in forms if f.strip()}


@functools.lru_cache(maxsize=1)
def _core_names() -> dict[str, set[str]]:
    """The names that count in any case and as adjectives: English and ``NAME_LANGUAGES`` (pycountry)."""
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in NAME_LANGUAGES
    ]
    names: dict[str, set[str]] = {}
    for record in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(record, attr, None)
            if name:
                forms = _forms([name, *(t.gettext(name) for t in translations)])
                names.setdefault(record.alpha_2, set()).update(f for f in forms if len(f) >= 4)
    return names


class _Builder:
    """Collects names; when two states claim the same words, the words name neither."""

    #: Which source wins when the same words name different things: a region or a capital over a state
    #: ("America" is a continent), a state over an organisation, both over a mere place ("Georgia").
    def __init__(self) -> None:
        self.names: dict[tuple[str, ...], tuple[int, _Name]] = {}

    def add(self, name: _Name, rank: int) -> None:
        if not name.words or any(not w for w in name.words):
            return
        held = self.names.get(name.words)
        if held is None or rank > held[0]:
            self.names[name.words] = (rank, name)
            return
        if rank < held[0]:
            return
        kept = held[1]
        if kept.target != name.target:  # "Korea": two states' names
            self.names[name.words] = (rank, _Name(name.words, ""))
            return
        self.names[name.words] = (
            rank,
            _Name(
                kept.words,
                kept.target,
                kept.suffixes | name.suffixes,
                kept.stems or name.stems,
                min(kept.case, name.case),
                kept.exact if kept.case <= name.case else name.exact,
            ),
        )


_PLACE, _BRACKETED, _STATE, _CORE, _ORGANIZATION, _REGION, _CAPITAL = range(7)


def _name(written: str, target: str, *, core: bool = False) -> _Name | None:
    """A name as the index holds it, with how it may be written; None when it is too short to trust."""
    plain = _plain(written)
    if not plain or plain in _COMMON_WORDS:
        return None
    if _IS_HANGUL.search(plain) or _IS_UNSPACED.search(plain):
        shortest = 3 if re.search(f"[{_SOUTHEAST_ASIAN}]", plain) else 2
        return _Name((plain,), target) if len(plain.replace(" ", "")) >= shortest else None
    words = tuple(_WORD.findall(plain))
    letters = "".join(words)
    bare = re.sub(r"[\W_]", "", written)
    if _ACRONYM.fullmatch(bare) and bare.isupper():
        return _Name(words, target, case=_EXACT if len(bare) <= 3 else _ANY, exact=bare)
    if core:
        # A name starts with a capital ("réunion" is a meeting, "Réunion" the island); its adjectives
        # need not ("le gouvernement brésilien").
        suffixes = _NAME_SUFFIXES - {"s"} if plain in _PLURAL_WORDS else _NAME_SUFFIXES
        return _Name(words, target, suffixes, case=_INITIAL) if len(letters) >= 4 else None
    cyrillic = bool(_IS_CYRILLIC.search(plain))
    if len(letters) < (5 if _IS_LATIN.search(plain) else 4):
        return None
    stems = tuple(_cyrillic_stem(w) for w in words) if cyrillic else ()
    return _Name(words, target, stems=stems, case=_INITIAL)


def _blocker(name: _Name) -> _Name:
    """The same words naming nothing (a place, a region; an organisation when only states are sought),
    still taking their words so that no state is read into them ("Mexico City", "South American")."""
    case = name.case if name.case == _EXACT else _ANY
    return _Name(name.words, "", name.suffixes, name.stems, case, name.exact)


def _shares_a_word(name: _Name, iso_words: set[str]) -> bool:
    return any(w[:4] in iso_words for w in name.words if len(w) >= 4) or name.case == _EXACT


@functools.lru_cache(maxsize=1)
def _names() -> tuple[dict[tuple[str, ...], tuple[int, _Name]], frozenset[str]]:
    """Every name from the three sources, ranked, with the alpha-2 codes of real states."""
    data = _data()
    states = frozenset(c.alpha_2 for c in pycountry.countries)
    build = _Builder()
    core = _core_names()
    iso = _iso_names()
    for code, forms in core.items():
        for form in forms:
            if (made := _name(form, code, core=True)) is not None:
                build.add(made, _CORE)
        for form in forms:  # "germany" -> "german", "china" -> "chin(ese)"
            plain = _plain(form)
            if plain[-1:] in ("a", "y") and _WORD.fullmatch(plain) and len(plain) >= 4:
                suffixes = _STEM_SUFFIXES | ({"", "s"} if plain.endswith("y") else set())
                suffixes |= _GERMAN_STEM_SUFFIXES | (_GERMAN_LONG_STEM_SUFFIXES if len(plain) > 5 else set())
                build.add(_Name((plain[:-1],), code, frozenset(suffixes)), _CORE)
            if plain.endswith("ien") and _WORD.fullmatch(plain) and len(plain) >= 6:
                # A German name in "-ien" makes its adjective of the rest: "Rumänien" -> "rumänisch",
                # "Äthiopien" -> "äthiopisch", "Indien" -> "indisch".
                build.add(_Name((plain[:-3],), code, _GERMAN_LONG_STEM_SUFFIXES), _CORE)
    for code, (*head, last) in _adjectives():
        for ending in _GERMAN_ENDINGS if last.endswith("isch") else ("",):  # "deutsch", "deutschen"
            build.add(_Name((*head, last + ending), code, frozenset({""})), _CORE)
    iso_words = {
        code: {w[:4] for form in forms for w in _WORD.findall(_plain(form)) if len(w) >= 4}
        for code, (forms, _) in iso.items()
    }
    for code, (forms, bracketed) in iso.items():
        for form in forms:
            if (made := _name(form, code)) is not None:
                build.add(made, _STATE)
        for form in bracketed:
            if (made := _name(form, code)) is not None:
                build.add(made, _BRACKETED)
    aliases: dict[str, list[str]] = data["aliases"]  # type: ignore[assignment]
    for code, written_names in aliases.items():
        for written in written_names:
            if (made := _name(written, code)) is not None:
                build.add(made, _STATE)
    for code, written_names in COUNTRYNAMES_DATA.items():
        for written in written_names:
            if "," in written or re.search(r"\d", written):
                continue  # "DELAWARE, U.S.A.", "EU28": a look-up key, not how an article names a state
            made = _name(written, code if code in states else "")
            if made is None:
                continue
            if code not in states:
                build.add(_blocker(made), _PLACE)
            elif (
                made.case == _EXACT
                and len(made.exact) <= 3
                and (
                    pycountry.countries.get(alpha_2=made.exact) or pycountry.countries.get(alpha_3=made.exact)
                )
            ):
                continue  # codes ("IND", "CAN", "ARE") are words in capitals: not how a state is named
            elif (
                _IS_HANGUL.search(made.words[0])
                or _IS_UNSPACED.search(made.words[0])
                or _shares_a_word(made, iso_words.get(code, set()))
            ):
                build.add(made, _STATE)
            else:
                build.add(_blocker(made), _PLACE)  # "Moscow", "Yokohama"
    for subdivision in pycountry.subdivisions:
        for form in _forms([subdivision.name]):
            plain = _plain(form)
            if not (_IS_HANGUL.search(plain) or _IS_UNSPACED.search(plain)):
                build.add(_Name(tuple(_WORD.findall(plain)), ""), _PLACE)
    regions: list[str] = data["regions"]  # type: ignore[assignment]
    for written in [*regions, *COUNTRYNAMES_DATA["FAIL"]]:
        if (made := _name(written, "")) is not None or (made := _name(written, "", core=True)) is not None:
            build.add(_blocker(made), _REGION)
    return build.names, states


def _organization_names() -> Iterator[tuple[str, _Name]]:
    organizations: list[dict[str, object]] = _data()["organizations"]  # type: ignore[assignment]
    for org in organizations:
        display = str(org["name"])
        acronyms: list[str] = org["acronyms"]  # type: ignore[assignment]
        by_language: dict[str, list[str]] = org["names"]  # type: ignore[assignment]
        for written in [display, *acronyms, *(n for names in by_language.values() for n in names)]:
            for form in {written, written.replace(" ", "")} if _IS_HANGUL.search(written) else {written}:
                made = _name(form, display)
                if made is not None:
                    case = made.case if made.case == _EXACT else _ANY
                    yield display, _Name(made.words, display, stems=made.stems, case=case, exact=made.exact)


def _capital_names() -> Iterator[_Name]:
    capitals: dict[str, list[str]] = _data()["capitals"]  # type: ignore[assignment]
    for target, written_names in capitals.items():
        for written in written_names:
            made = _name(written, f"@{target}")
            if made is not None:
                yield made


@functools.lru_cache(maxsize=3)
def _index(mode: _Mode) -> _Index:
    """The names one mode finds: states; states and organisations; those and capitals. Whatever a mode does
    not find still stands in the index as naming nothing, so "Organization of American States" is never
    "American", nor "Mexico City" Mexico."""
    ranked, _ = _names()
    build = _Builder()
    build.names = dict(ranked)
    for _, org in _organization_names():
        build.add(org if mode != "states" else _blocker(org), _ORGANIZATION)
    for capital in _capital_names():
        build.add(capital if mode == "capitals" else _blocker(capital), _CAPITAL)
    index = _Index()
    hangul: list[str] = []
    unspaced: list[str] = []
    for _, name in build.names.values():
        word = name.words[0]
        if _IS_HANGUL.search(word):
            hangul.append(word)
            index.substrings[word] = name
        elif _IS_UNSPACED.search(word):
            unspaced.append(word)
            index.substrings[word] = name
        else:
            for key in {word, name.stems[0] if name.stems else ""} - {""}:
                index.first.setdefault(key, []).append(name)
    index.hangul = re.compile(_trie(hangul)) if hangul else None
    index.unspaced = re.compile(_trie(unspaced)) if unspaced else None
    return index


_Trie = dict[str, "_Trie"]


def _trie(words: list[str]) -> str:
    """A regular expression matching any of the words, the longest first, shaped as a trie (fast)."""
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


@dataclass(frozen=True)
class _Text:
    """A text as searched: folded (positions reported), without accents (compared), and the original."""

    folded: FoldedText
    plain: str
    original: str
    lead: int  # spaces ``fold`` strips from the start

    @classmethod
    @functools.lru_cache(maxsize=64)  # the same article, asked about many times
    def of(cls, text: str) -> _Text:
        folded = FoldedText(text)
        lead = len(folded.text) - len(folded.text.lstrip())
        return cls(folded, folded.text.translate(_ACCENTLESS), text, lead)

    def written(self, start: int, end: int) -> str:
        first, last = self.folded.span(start, end)
        return self.original[first:last]


def _written_as(name: _Name, text: _Text, start: int, end: int, strict: bool, adjective: bool) -> bool:
    if name.case == _EXACT:
        return re.sub(r"[\W_]", "", text.written(start, end)) == name.exact
    if name.case == _ANY or adjective or not strict:
        return True
    return not text.written(start, start + 1).islower()


def _candidates(index: _Index, word: str) -> tuple[list[_Name], dict[str, list[_Name]]]:
    """The names whose first word this text word may be (as is, or with an ending): those of one word, and
    those of several by the first three letters of their second word (which an ending leaves alone)."""
    found = index.memo.get(word)
    if found is None:
        names = list(index.first.get(word, ()))
        for n in _ENDING_LENGTHS:
            if len(word) > n + 2 and word[-n:] in _ENDINGS:
                names += index.first.get(word[:-n], ())
        found = ([], {})
        for name in names:
            if len(name.words) == 1:
                found[0].append(name)
            else:
                found[1].setdefault(name.words[1][:3], []).append(name)
        if len(index.memo) > 200_000:
            index.memo.clear()
        index.memo[word] = found
    return found


def _word_fits(name: _Name, k: int, word: str) -> bool:
    expected = name.words[k]
    if word == expected:
        return "" in name.suffixes or k < len(name.words) - 1
    if k == len(name.words) - 1 and word.startswith(expected) and word[len(expected) :] in name.suffixes:
        return True
    stem = name.stems[k] if name.stems else ""
    return bool(stem) and word.startswith(stem) and word[len(stem) :] in _CYRILLIC_ENDINGS


def _fits(name: _Name, words: list[tuple[int, int, str]], i: int, plain: str) -> bool:
    """True when the name's words are the text's words from the i-th on, one name ("Côte d'Ivoire")."""
    for k in range(len(name.words)):
        if not _word_fits(name, k, words[i + k][2]):
            return False
        if k and not _joins(plain[words[i + k - 1][1] : words[i + k][0]]):
            return False
    return True


def _find(text: str, mode: _Mode, *, strict: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, target) of each name in the text, in the folded text's positions, in text order; a
    target "" (a place, a region, an ambiguous name) names nothing but still takes its words."""
    index = _index(mode)
    seen = _Text.of(text)
    plain = seen.plain
    found: list[tuple[int, int, str]] = []
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(plain)]
    spans: list[tuple[int, int, int, int, str]] = []  # (start, end, first word, words, target)
    count = len(words)
    for i, (start, _, word) in enumerate(words):
        best: tuple[int, int, _Name] | None = None  # (end, length of the name, name)
        singles, several = _candidates(index, word)
        names = singles + several.get(words[i + 1][2][:3], []) if several and i + 1 < count else singles
        for name in names:
            n = len(name.words)
            if i + n > count or not _fits(name, words, i, plain):
                continue
            end = words[i + n - 1][1]
            size = sum(map(len, name.words))
            last = words[i + n - 1][2]  # an adjective: the name with a demonym's ending, any case
            adjective = last != name.words[-1] and last.startswith(name.words[-1]) and len(name.suffixes) > 1
            if (best is None or (end, size) > best[:2]) and _written_as(
                name, seen, start, end, strict, adjective
            ):
                best = (end, size, name)
        if best is not None:
            spans.append((start, best[0], i, len(best[2].words), best[2].target))
    # The longest names first, so that "la Unión Europea" is the Union, not the Salvadoran department "La
    # Unión" followed by a stray word.
    taken = bytearray(count)
    for start, end, i, n, target in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if not any(taken[i : i + n]):
            taken[i : i + n] = b"\x01" * n
            found.append((start, end, target))
    if index.hangul is not None and _IS_HANGUL.search(plain):
        for m in index.hangul.finditer(plain):
            if m.start() and _IS_HANGUL.match(plain, m.start() - 1):
                continue  # a name starts a word: "남중국해" is no "중국"
            rest = _HANGUL_RUN.match(plain, m.end())
            if rest is not None and rest.group(0) in _KOREAN_ENDINGS:
                found.append((m.start(), m.end(), index.substrings[m.group(0)].target))
    if index.unspaced is not None and _IS_UNSPACED.search(plain):
        for m in index.unspaced.finditer(plain):
            written = m.group(0)
            if (_IS_KATAKANA.match(written) and m.start() and _IS_KATAKANA.match(plain, m.start() - 1)) or (
                _IS_KATAKANA.match(written[-1]) and _IS_KATAKANA.match(plain, m.end())
            ):
                continue  # "タイ" in "タイミング"
            found.append((m.start(), m.end(), index.substrings[written].target))
    found.sort()
    return [(start - seen.lead, end - seen.lead, target) for start, end, target in found]


def _joins(between: str) -> bool:
    """True when what lies between two words keeps them one name ("Côte d'Ivoire", "U.S.", "Timor-Leste")."""
    return 0 < len(between) <= 3 and not between.strip(" '.-&")


@functools.lru_cache(maxsize=256)
def _mentions(text: str, mode: _Mode) -> tuple[tuple[int, str], ...]:
    return tuple((start, target) for start, _, target in _find(text, mode) if target)


def _whole(name: str, mode: _Mode) -> str | None:
    """What a name refers to as a whole ("" when it is a place, a region or ambiguous); None when it holds
    no name, or more than one name."""
    found = _find(name, mode, strict=False)
    if len(found) != 1:
        return None if not found else "" if len(found) > 1 else None
    start, end, target = found[0]
    folded = fold(name)
    return target if not re.search(r"\w", folded[:start] + folded[end:]) else ""


def _cleaned(name: str) -> str:
    cleaned = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    if re.fullmatch(r"(?:[A-Za-z]\.){2,3}", cleaned):
        cleaned = cleaned.replace(".", "")  # "U.S." is the code US, not a fuzzy match
    return cleaned


@functools.lru_cache(maxsize=1024)
def country(name: str) -> Country:
    """The ISO 3166 country a name refers to, in any language or script, or the name as written with
    ``known=False`` (organisations, regions, cities and ambiguous names are not states)."""
    cleaned = _cleaned(name)
    code = _code(cleaned)
    record = pycountry.countries.get(alpha_2=code) if code else None
    if record is None:
        return Country(name=name.strip(), known=False)
    display = getattr(record, "common_name", None) or record.name
    return Country(name=display, alpha2=record.alpha_2, alpha3=record.alpha_3, known=True)


def _code(cleaned: str) -> str | None:
    if re.fullmatch(r"[A-Za-z]{2,3}", cleaned):
        upper = cleaned.upper()
        coded = (
            pycountry.countries.get(alpha_2=upper)
            if len(upper) == 2
            else pycountry.countries.get(alpha_3=upper)
        )
        if coded is not None:
            return str(coded.alpha_2)
    if not cleaned or organization(cleaned) is not None:
        return None
    try:
        return str(pycountry.countries.lookup(cleaned).alpha_2)
    except LookupError:
        pass
    if "," in cleaned and (listed := countrynames.to_code(cleaned)) in _names()[1]:
        return listed  # an inverted form from a list: "Korea, South"
    target = _whole(cleaned, "states")
    if target is not None:
        return target or None
    _, states = _names()
    # countrynames' own look-up spells a name its way (transliterated); what the index left out as too short
    # or as a common word ("Sina", "Ruslan") stays out here too.
    if len(re.sub(r"[\W_]", "", cleaned)) >= 5 and _plain(cleaned) not in _COMMON_WORDS:
        listed = countrynames.to_code(cleaned)
        if listed in states:
            return listed
    try:
        candidates = pycountry.countries.search_fuzzy(cleaned)
    except LookupError:
        return None
    words = fold(cleaned).split()
    fitting = [
        c for c in candidates if len(cleaned) >= 4 and all(w in _pycountry_words(c).split() for w in words)
    ]
    return str(fitting[0].alpha_2) if len(fitting) == 1 else None  # several fit: ambiguous, left unknown


def _pycountry_words(record: object) -> str:
    return " ".join(
        fold(getattr(record, attr, "") or "") for attr in ("name", "official_name", "common_name")
    )


@functools.lru_cache(maxsize=1024)
def organization(name: str) -> str | None:
    """The English name of the international organisation a name refers to, in any language ("Union
    européenne", "ONU", "유엔", "НАТО"), acronyms with their case ("UN", not "un"); None for anything else."""
    target = _whole(_cleaned(name), "parties")
    return target if target and target not in _names()[1] and not target.startswith("@") else None


def country_mentions(name: str, text: str) -> bool:
    """True when the text names this country: in any of its ISO names, or as ``states_named`` finds it."""
    iso = country(name)
    if not iso.known:
        return False
    record = pycountry.countries.get(alpha_2=iso.alpha2)
    if record is None:
        return False
    names = {getattr(record, attr, None) for attr in ("name", "official_name", "common_name")}
    return any(n and contains(text, n) for n in names) or iso.alpha2 in states_named(text)


def states_named(text: str) -> set[str]:
    """ISO alpha-2 codes of the states a text names, by name or adjective, in any language."""
    return {code for _, code in state_mentions(text)}


@functools.lru_cache(maxsize=64)  # an article's delegations each ask of the same text
def state_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """Each mention of a state in a text, by name or adjective, in any language: (start, end) in the text
    as given ("Belgique" in a French article for Belgium), and its ISO alpha-2 code, in text order."""
    seen = _Text.of(text)
    return tuple((*seen.folded.span(start, end), code) for start, end, code in _find(text, "states") if code)


def state_mentions(text: str) -> list[tuple[int, str]]:
    """Each mention of a state in a text, by name or adjective, in any language: (where it starts in the
    folded text, its ISO alpha-2 code), in the order they occur."""
    return list(_mentions(text, "states"))


def party_mentions(text: str, *, capitals: bool = False) -> list[tuple[int, str]]:
    """Each state or international organisation a text names, in any language: (where it starts in the
    folded text, its name: the state's ``Country.name``, the organisation's English name), in text order.
    With ``capitals`` a capital city names its government ("Washington and Beijing traded accusations")."""
    _, states = _names()
    found = []
    for start, target in _mentions(text, "capitals" if capitals else "parties"):
        code = target.removeprefix("@")
        found.append((start, country(code).name if code in states else code))
    return found


@functools.cache
def _capitals() -> dict[str, str]:
    capitals: dict[str, list[str]] = _data()["capitals"]  # type: ignore[assignment]
    return {_plain(written): code for code, names in capitals.items() for written in names}


def capital_of(name: str) -> str | None:
    """The ISO alpha-2 code of the state whose capital ``name`` is, in any spelling the data lists ("Kyiv",
    "Kiev", "Київ" are all UA), accents and case aside; None for any other place."""
    return _capitals().get(_plain(name.strip()))
