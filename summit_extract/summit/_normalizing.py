"""Summit normalization in code, never trusted to the model: people's names and titles, one entry per
person, countries to ISO, the parties a finding's sentence names, subjects that say what rather than who.

Normalization changes how a fact is written, never whether it is kept: the rules that drop, add or
overrule are declared apart (``summit._rules``), each with the languages its words cover. Titles are
unified from data in several languages and scripts ("Président", "首相", "premier" are all one office).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..toolkit import (
    KOREAN_PARTICLES,
    Lexicon,
    calendar_word,
    country,
    fold,
    organization,
    party_mentions,
    same_words,
    state_mentions,
    states_named,
)

if TYPE_CHECKING:
    from ._models import Agreement, Dispute, Participant

__all__ = [
    "EVIDENCE_CHARS",
    "WORDS",
    "bare_name",
    "complete_sentence",
    "is_generic_name",
    "is_person_name",
    "keep_people",
    "meeting_states",
    "merge_people",
    "name_in",
    "parties_named",
    "represented_parties",
    "the_two",
    "title",
    "title_after",
    "titled_people",
    "unique_parties",
    "what_not_who",
    "whole_name",
]


@functools.cache
def _words() -> Lexicon:
    return Lexicon.load(Path(__file__).with_name("words.json"))


#: The Summit's words per language (``words.json``): cues, statuses, titles, meeting and attendance words.
WORDS = _words()

#: Longest evidence the model may write for an agreement or dispute. Sent as the JSON Schema's maxLength
#: (a grammar-constrained server enforces it): a small model otherwise copies whole sentences, and on two
#: CPU cores every output token costs about 50 ms. A cut evidence is still a verbatim prefix, completed
#: from the article to its sentence's end (:func:`complete_sentence`).
EVIDENCE_CHARS = 80


def title(value: str | None) -> str | None:
    """A title in its canonical English form, whatever language it is written in ("premier", "Président",
    "首相" are "Prime Minister"); a title the data does not know keeps its text."""
    if value is None:
        return None
    return WORDS.lookup("title", value) or value


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


def represented_parties(people: Iterable[Participant]) -> set[str]:
    """The parties the participants represent: a state (its alpha-2 code) by their ISO country, else one
    their words name; an international organisation (its English name) their country names ("EU": an
    EU-Japan summit is one of two parties)."""
    found: set[str] = set()
    for person in people:
        iso = person.country_iso
        org = organization(person.country) if person.country else None
        if iso is not None and iso.known and iso.alpha2:
            found.add(iso.alpha2)
        elif org is not None:
            found.add(org)
        else:
            found |= states_named(" ".join(filter(None, (person.evidence, person.title, person.country))))
    return found


#: Words of a group or an office, not of a person's name ("Southeast Asian leaders", "Syrian President").
_NOT_A_NAME = re.compile(
    r"\b(leaders?|heads?|ministers?|ministry|government|officials?|delegations?|delegates?|"
    r"representatives?|nations?|countries|states?|members?|president|prime|premier|chancellor|king|"
    r"queen|minister|secretary|foreign|deputy|vice|spokes\w*|ambassador|envoy|administration|"
    r"authorities|of|the|and|asian|african|american|european|arab|latin|south\w*|north\w*|east\w*|"
    r"west\w*|central|pacific|gulf|nordic|baltic|caribbean|middle|world|global|regional|international)\b",
    re.I,
)

#: Forms of address written before a name.
_ADDRESS = re.compile(r"(?:mr|mrs|ms|dr|sir|sheikh|h\.e)\.?", re.I)

#: Lowercase words that belong to names ("Luiz Inacio Lula da Silva", "Bashar al-Assad").
_PARTICLES = {"da", "de", "do", "dos", "das", "du", "van", "von", "der", "den", "bin", "ibn", "al", "el"}


@functools.cache
def _articles() -> frozenset[str]:
    """The definite articles of every language the words cover, folded ("le", "der", "the")."""
    return frozenset(fold(t).rstrip("!") for terms in WORDS.data.values() for t in terms.get("article", ()))


def is_generic_name(name: str, language: str) -> bool:
    """Whether a meeting's "name" only says what it is ("Summit", "the talks", "Sommet", "rare summit"): a
    word for a summit or a meeting (the article's language's or English), after an article and lowercase
    words at most. "ASEAN Summit" and "G20 Summit" are names."""
    words = [w for w in name.strip(" .").split() if fold(w) not in _articles()]
    if not words or any(not w.isalpha() or not w.islower() for w in words[:-1]):
        return False
    languages = {language, "en"}
    return any(WORDS.search(key, words[-1], lang) for key in ("summit", "meeting") for lang in languages)


def is_person_name(name: str) -> bool:
    """Whether a "name" names a person, not a group or an office ("Iraqi leaders", "Syrian President",
    "Lebanon's pro-western government": a name's words are capitalized, but for particles like "da").
    Names in scripts without letter case (Korean, Japanese, Cyrillic names are cased) are accepted."""
    article, _, state = name.partition(" ")
    if state and fold(article) in _articles() and country(state).known:
        return False  # a state after its article ("Le Liban", "Der Libanon"), capitalized by the sentence
    rest = _NOT_A_NAME.sub(" ", name)
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]+", rest) if not states_named(w)]
    lowercase = [
        w for w in words if w[0].islower() and w not in _PARTICLES and not w.startswith(("al-", "el-"))
    ]
    return bool(words) and not lowercase


def bare_name(name: str) -> str:
    """A person's name without the office and nationality a model wrote into it ("Japanese Prime Minister
    Shinzo Abe" is "Shinzo Abe"); a name that is no person's is left as it is, for ``keep_people``. A
    state's name that is the first name of a person stays ("Israel Katz", "Chad Wolf"): a nationality is
    only removed when at least two words of a name remain after it."""
    words = name.split()
    while len(words) > 1:
        if len(words) > 2 and states_named(" ".join(words[:2])) and not states_named(words[1]):
            words = words[2:]  # "South Korean"
        elif (
            _NOT_A_NAME.fullmatch(words[0])
            or _ADDRESS.fullmatch(words[0])
            or (states_named(words[0]) and len(words) > 2)
        ):
            words = words[1:]
        else:
            break
    bare = " ".join(words)
    return bare if bare != name and is_person_name(bare) and is_person_name(name) else name


def whole_name(name: str, evidence: str) -> str:
    """A name the model cut mid-word, completed from the evidence it starts ("응우" of "응우옌 반 탄 베트남
    국가주석" is "응우옌 반 탄"): the evidence's words up to a state's name or a title; else the name."""
    if not evidence.startswith(name) or not evidence[len(name) : len(name) + 1].isalpha():
        return name
    words: list[str] = []
    for written in evidence.split():
        word = written.rstrip(",;:.")
        if words and (states_named(word) or WORDS.lookup("title", word)):
            break
        words.append(word)
        if word != written:  # a comma ends the name: "Ola Berg, Norway's prime minister"
            break
    return " ".join(words)


def title_after(name: str) -> tuple[str, str | None]:
    """A name split from the title a Japanese, Chinese or Korean article writes after it ("中村健一首相" is
    "中村健一", Prime Minister; "문재인 대통령" is "문재인", President); else the name and None."""
    plain = name.rstrip(" .")
    for written, canonical in _titles_written_after():
        rest = plain.removesuffix(written).strip() if plain.endswith(written) else ""
        if len(rest) >= 2:
            return rest, canonical
    return name, None


@functools.cache
def _titles_written_after() -> tuple[tuple[str, str], ...]:
    """(written, canonical) of each title in a script that writes it after the name, after a space or
    glued to it (kana, Han, Hangul); a Latin "King" after a name may be a surname, so is never one."""
    after = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
    terms = (term.partition("=") for keys in WORDS.data.values() for term in keys.get("title", ()))
    return tuple((written, canonical or written) for written, _, canonical in terms if after.match(written))


_NAME_WORD = r"(?:[A-ZÀ-Þ][\w'’.-]*[\w]|(?:al|el)-[\w'’-]+|(?:da|de|do|dos|van|von|bin|el|al)\b)"
_NAME_RUN = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD})+")


def name_in(evidence: str) -> str | None:
    """The person's name an evidence phrase gives after their office ("Syrian President Bashar al-Assad");
    a state's own name ("Cabo Verde", "Costa Rica") is no one's."""
    for run in _NAME_RUN.findall(evidence):
        words = run.split()
        while words and (_NOT_A_NAME.fullmatch(words[0]) or (states_named(words[0]) and len(words) > 2)):
            words = words[1:]  # "Syrian President" before the name, not "Israel" of "Israel Katz"
        candidate = " ".join(words)
        if len(words) >= 2 and is_person_name(candidate) and not country(candidate).known:
            return candidate
    return None


#: A word the article may write between a title and the name: a state's adjective, "of", "de" ("le président
#: français Castel", "primeiro-ministro de Cabo Verde, Carlos Tavares"); at most this many.
_BETWEEN_TITLE_AND_NAME = 5
#: A word, a punctuation mark, or a dash standing alone ("president -- a charge"), which ends a name as a
#: comma does.
_WORD = re.compile(r"[^\W\d_][\w'’.-]*|[,;:()«»\"“”]|(?<!\S)[-–—]+(?!\S)")


def _state_before(words: list[str], language: str) -> tuple[list[str], list[str]]:
    """Of the words right before a title: those naming a state ("Russian" of "Russian Foreign Minister",
    "South Korean", "Japan's"; none for "met" of "Putin met Prime Minister"), and those that belong to the
    title ("Foreign")."""
    office: list[str] = []
    while words and fold(words[-1]) in _title_words(language):
        office.insert(0, words[-1])
        words = words[:-1]
    if words and states_named(words[-1]):
        return words[-1:], office
    if len(words) >= 2 and states_named(" ".join(words[-2:])) and not states_named(words[-2]):
        return words[-2:], office  # "South Korean": the two words name the state, neither alone
    return [], office


@functools.cache
def _title_words(language: str) -> frozenset[str]:
    """The words of the titles of a language and of English, folded: words of an office, not of a name,
    even capitalized ("Affaires" of "ministre des Affaires étrangères")."""
    terms = [t.partition("=")[0] for lang in (language, "en") for t in WORDS.terms("title", lang)]
    terms += [t for lang in (language, "en") for t in WORDS.terms("leader", lang)]
    return frozenset(w for term in terms for w in fold(term).replace("-", " ").split() if len(w) > 3)


def _names_a_state(words: list[str]) -> bool:
    joined = " ".join(words)
    return bool(states_named(joined)) and (country(joined).known or organization(joined) is not None)


def _words_after_title(
    text: str, start: int, end: int, before: list[str], language: str
) -> tuple[list[str], list[re.Match[str]]]:
    """Read from a title's end (``text[start:end]``, the rest of its sentence): the words that may give the
    person's state (``before`` and those between title and name: "belge", "de Cabo Verde") and the name's
    words, capitalized ("João Almeida", "Luiz Inácio Lula da Silva"), up to a lowercase word or a comma."""
    state_words = list(before)
    run: list[re.Match[str]] = []
    commas = 0
    for w in _WORD.finditer(text, start, end):
        word = w.group()
        if word[0].isupper() and fold(word) in _title_words(language):
            state_words.append(word)  # "ministre des Affaires étrangères", "presidente del Consiglio"
            continue
        if (word[0].isalpha() and word[0].isupper()) or (
            run and (word in _PARTICLES or word[:3] in ("al-", "el-"))
        ):
            run.append(w)
            continue
        while run and run[-1].group() in _PARTICLES:
            run.pop()
        if run and not _names_a_state([r.group() for r in run]):
            break  # the name ends where a lowercase word or a comma follows it
        state_words += [r.group() for r in run]  # "Cabo Verde" of "de Cabo Verde, Carlos Tavares"
        run = []
        if not word[0].isalpha() and (word != "," or commas):
            break
        commas += word == ","
        if len(state_words) - len(before) >= _BETWEEN_TITLE_AND_NAME:
            break
        if word[0].isalpha():
            if len(word) > 3 and fold(word) not in _title_words(language) and not states_named(word):
                break  # a word of the sentence, not of an office or a state ("a charge" before "Damascus")
            state_words.append(word)
    while run and run[-1].group() in _PARTICLES:
        run.pop()
    # A state's name glued before the name, both capitalized ("Президент Литви Йонас Вайткус"); two words of
    # the name must remain ("Israel Katz" is a name).
    for k in (2, 1):
        if len(run) > k + 1 and _names_a_state([r.group() for r in run[:k]]):
            return state_words + [r.group() for r in run[:k]], run[k:]
    if run and _names_a_state([r.group() for r in run]):
        return state_words + [r.group() for r in run], []  # a state's name, and no one after it
    return state_words, run


#: Particles that end no name ("회담에서", "정부에게"): a word carrying one is no name's. Most particles
#: end names too ("김정은" is a name, not "김정" and a topic marker).
_NOT_NAME_ENDINGS = ("에서", "에게", "으로", "께서", "부터", "까지")
#: What may follow a Korean title in its word: nothing, or a particle ("국가주석이", "외교장관과").
_KOREAN_ENDS = frozenset({"", *KOREAN_PARTICLES})
#: Most words of a name written in Hangul: a Korean name is one ("윤병세"), a foreign one up to three
#: ("존 케리", "응우옌 반 탄").
_KOREAN_NAME_WORDS = 3


def _korean_titled(text: str, start: int, end: int) -> list[tuple[str, str, str, int, int]]:
    """Korean news names a person before the state and the title: "응우옌 반 탄 베트남 국가주석",
    "존 케리 미국 국무장관은". The name is the words of Hangul before the state's name, back to
    one that holds anything but Hangul, names a state or an office, ends in a particle of two
    syllables, or is no name's word (``words.json`` ``not_a_name``: "한편", "이날")."""
    words = list(re.finditer(r"\S+", text[start:end]))
    not_a_name = set(WORDS.terms("not_a_name", "ko"))
    found = []
    for i in range(1, len(words) - 1):
        state, office = words[i].group(), words[i + 1].group()
        states = states_named(state)
        term = WORDS.search("leader", office, "ko")
        if len(states) != 1 or term is None or term.start() != 0 or office[term.end() :] not in _KOREAN_ENDS:
            continue  # no title, or a word that starts like one ("대통령실에서": the president's office)
        name: list[re.Match[str]] = []
        for w in reversed(words[max(0, i - _KOREAN_NAME_WORDS) : i]):
            word = w.group()
            if (
                not re.fullmatch(r"[가-힣]+", word)
                or word in not_a_name
                or word.endswith(_NOT_NAME_ENDINGS)
                or states_named(word)
                or WORDS.search("leader", word, "ko")
            ):
                break
            name.insert(0, w)
        if not name:
            continue
        found.append(
            (
                next(iter(states)),
                " ".join(w.group() for w in name),
                term.group(),
                start + name[0].start(),
                start + words[i + 1].start() + term.end(),
            )
        )
    return found


def titled_people(text: str, start: int, end: int, language: str) -> list[tuple[str, str, str, int, int]]:
    """The people a sentence (``text[start:end]``) names after their title of office, with the state the
    same words give: (alpha-2 code, name, title as written, start, end of the words from state to name).
    "O primeiro-ministro português, João Almeida" gives (PT, João Almeida), "Le Premier ministre belge
    Wouters" (BE, Wouters), "Polish President Anna Nowak" (PL, Anna Nowak). A deputy's or an envoy's title
    ("vice-président") names no leader; a name is capitalized words, so scripts without letter case give
    none, but Korean, which writes the name first (:func:`_korean_titled`)."""
    if language == "ko":
        return _korean_titled(text, start, end)
    found = []
    for m in WORDS.finditer("leader", text[start:end], language):
        at, title_end = start + m.start(), start + m.end()
        while title_end < end and (text[title_end].isalnum() or text[title_end] in "-'’"):
            title_end += 1  # the title's whole word: "président" of "présidente"
        reach = max(start, at - 40)
        preceding = list(re.finditer(r"\S+", text[reach:at]))[-3:]
        written_before = [p.group() for p in preceding]
        if WORDS.search("sub_summit", " ".join(written_before[-1:]) + " " + text[at:title_end], language):
            continue
        before, office = _state_before(written_before, language)
        state_words, run = _words_after_title(text, title_end, end, before, language)
        states = states_named(" ".join(state_words))
        name = " ".join(r.group() for r in run).rstrip(".")
        if len(states) != 1 or not name or not is_person_name(name) or country(name).known:
            continue
        if len(run) == 1 and (len(name) < 2 or calendar_word(name, language)):
            continue
        # The whole title where the words before belong to it: "Foreign Minister", not "Minister".
        written = " ".join([*office, text[at:title_end]])
        if not WORDS.lookup("title", written):
            written = text[at:title_end]
        # The evidence starts at the state's and the office's words before the title, if any.
        taken = len(before) + len(office)
        first = reach + preceding[-taken].start() if taken else at
        found.append(
            (next(iter(states)), name, written, first, run[-1].end() - run[-1].group().endswith("."))
        )
    return found


def keep_people(participants: list[Participant]) -> list[Participant]:
    """People kept as named. A group or an office named as a person is replaced by the person its
    evidence names, else becomes its country's delegation, else goes; so does a delegation of no state
    or organization."""
    kept = []
    for person in participants:
        if not person.name and not (person.country and is_actor(person.country)):
            continue  # a delegation is a state's or an organization's ("South America" is neither)
        if person.name and not is_person_name(person.name):
            found = name_in(person.evidence)
            if found is None and not person.country:
                continue
            person = person.model_copy(update={"name": found})
        kept.append(person)
    return kept


_SENTENCE_END = re.compile(r"[.!?;\n。！？]")

#: Most characters a cut evidence is completed by, to its sentence's end.
_COMPLETION_REACH = 160


def _was_cut(item: Agreement | Dispute) -> bool:
    """Whether the grammar cut the evidence at :data:`EVIDENCE_CHARS` (what it states may follow)."""
    return len(item.evidence) >= EVIDENCE_CHARS - 1


def complete_sentence(item: Agreement | Dispute, text: str) -> None:
    """An evidence the grammar cut at :data:`EVIDENCE_CHARS` ("... has caused") is completed from the
    article to its sentence's end ("... has caused a backlash in South Korea"): the reader gets the whole
    statement, the model spends no tokens on it."""
    span = item.span
    if span is None or span.alignment == "unaligned" or span.is_sentence or not _was_cut(item):
        return
    if text[span.start : span.end] != item.evidence:
        return  # not a verbatim slice: leave it as grounded
    stop = _SENTENCE_END.search(text, span.end, span.end + _COMPLETION_REACH)
    if stop is not None and stop.start() > span.end:
        item.span = span.model_copy(update={"end": stop.start()})
        item.evidence = text[span.start : stop.start()]


_FILLER = re.compile(r"\b(the|and|of|between|with|leaders?|government|officials?|relations?|talks)\b", re.I)


def what_not_who(subject: str, evidence: str, parties: list[str]) -> str:
    """The subject, or the evidence when the subject only names who is involved ("Iraqi leaders").

    A small model often answers the parties in the subject field; the evidence then says better what the
    agreement or dispute is about.
    """
    if fold(evidence).startswith(fold(subject)) and len(evidence) > len(subject) + 10:
        subject = evidence  # the subject is who acts in the evidence ("Lebanon's government boycotted ...")
    else:
        rest = fold(subject)
        for party in sorted(parties, key=len, reverse=True):
            rest = rest.replace(fold(party), " ")
        rest = _FILLER.sub(" ", rest)
        words = [w for w in re.findall(r"\w+", rest) if len(w) > 2 and not states_named(w)]
        if not words:
            subject = evidence
    return _without_actor(subject, parties)


_GLUE_WORDS = {"the", "a", "an", "of", "and"}

#: A word that may start what someone did: a past or present verb ("boycotted", "refused", "erects").
_VERB = re.compile(r"[a-z]{3,}(?:ed|es|s)", re.I)


def _without_actor(subject: str, parties: list[str]) -> str:
    """A subject written as a clause loses the actor it starts with, who is already among the parties:
    "Iraqi leaders refused to endorse the declaration" says what as "refused to endorse the declaration".

    Only a short actor made of state or party words, office or group words ("leaders", "government")
    and at most one other word ("pro-western") is removed, and only when a verb follows it.
    """
    words = subject.split()
    party_words = {fold(w) for p in parties for w in re.findall(r"[^\W\d_]+", p) if len(w) > 2}
    actor = other = 0
    for n, word in enumerate(words[:6]):
        bare = re.sub(r"(?:['’]s|['’])$", "", word).strip(",.;:")
        key = fold(bare)
        if key in _GLUE_WORDS:
            continue
        if key in party_words or states_named(bare) or _NOT_A_NAME.fullmatch(bare):
            actor += 1
            continue
        if actor and bare[:1].islower() and _VERB.fullmatch(bare) and len(words) - n >= 2:
            return " ".join(words[n:])
        other += 1
        if other > 1:
            break
    return subject


def meeting_states(people: list[Participant]) -> list[str]:
    """The known states the participants represent, once each, in the frame's order."""
    isos = [p.country_iso for p in people]
    return unique_parties([iso.name for iso in isos if iso is not None and iso.known])


def the_two(people: list[Participant], text: str) -> list[str]:
    """The two states "the two countries" means: those of the frame when it lists two, else the two the
    article names most (none when it names fewer)."""
    framed = meeting_states(people)
    if len(framed) == 2:
        return framed
    counts: dict[str, int] = {}
    for _, code in state_mentions(text):
        counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts, key=lambda code: -counts[code])
    return [country(code).name for code in ranked[:2]] if len(ranked) >= 2 else []


def parties_named(
    item: Agreement | Dispute,
    sentence: str,
    people: list[Participant],
    pair: list[str] | None = None,
    language: str = "en",
) -> list[str]:
    """The parties the article names where it states a finding: the states (by name or adjective, in any
    language), the organizations, and the capitals standing for their governments in ``sentence``, and
    the state of each participant named there ("Yoon" stands for South Korea), in the order the sentence
    names them; a sentence that names none but speaks of "the two countries" (or both sides, the
    neighbours: the ``the_two`` words of the article's language or of English) means ``pair``."""
    folded = fold(sentence)
    found: list[tuple[int, str]] = list(party_mentions(sentence, capitals=True))
    for person in people:
        iso = person.country_iso
        if not (person.name and iso is not None and iso.known):
            continue
        # Any word of the name: "Yoon" is the family name of Yoon Suk Yeol, "Kishida" of Fumio Kishida.
        words = [w for w in fold(person.name).split() if len(w) > 3]
        hits = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}\b", folded))]
        if hits:
            found.append((min(hits), iso.name))
    if not found and pair and any(WORDS.search("the_two", sentence, lang) for lang in {language, "en"}):
        return list(pair)
    return unique_parties([name for _, name in sorted(found, key=lambda f: f[0])])


def is_actor(party: str) -> bool:
    """Whether a party is a state or an international organization (not a city council, a union)."""
    return country(party).known or organization(party) is not None


def unique_parties(parties: list[str]) -> list[str]:
    """Each party once, states under their English name."""
    out: list[str] = []
    for party in parties:
        iso = country(party)
        display = iso.name if iso.known else (organization(party) or party)
        if not any(same_words(display, kept) and fold(display) == fold(kept) for kept in out):
            out.append(display)
    return out
