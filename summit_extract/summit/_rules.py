"""The Summit's code rules: what may drop, add, overrule or rewrite the model's answer, in which languages.

Each rule is a declared :class:`~summit_extract.toolkit.Rule` (name, action, languages) in :data:`RULES`,
applied in that order by the engine after normalization (:func:`finalize_summit`). A rule written in
words runs only on articles in the languages ``words.json`` covers for it; on any other language the
model's answer stands. Rules that need no words (counting states, the parties of a meeting) run on every
article. Each is measured on the development and validation sets by switching it off alone
(``benchmarks/REPORT.md``); a rule that earns nothing on either is removed (``leader_rank``, "a meeting of
envoys only is no summit", changed no answer on either set and went).

The rules, in the order they run:

- ``titled_participants`` (rewrite): a participant is whom the article's titles say: one named beside a
  title and one state ("Polish President Anna Nowak", "응우옌 반 탄 베트남 국가주석") is of that state,
  whatever country the model wrote; a delegation left unnamed is its state's leader where the article
  names one person of that state after a title.
- ``titled_attendees`` (add): a frame naming fewer than two parties gains the people of two or more states
  a sentence names by title and says meet.
- ``attendance`` (drop): a state's delegation (no one named) stays only where the article says it takes
  part: its sentence has a word of meeting or attendance, or an attendance list names it. A state the
  article only mentions is no attendee.
- ``two_states`` (overrule): a "yes" whose participants represent fewer than two parties (a state, or an
  international organisation: an EU-Japan summit has two), for a meeting the article neither calls a
  summit nor holds between two named states, becomes "no".
- ``leaders_meet`` (overrule): a "no" whose own frame names leaders or ministers of two or more parties,
  in sentences that say they meet (not by phone), becomes "yes": a small model judges too early. The
  sentence is the person's own, or any that calls them by surname (an article names its leaders in full
  in a headline and says they met further on). A rank the model left out is read from the person's
  sentence ("Leila Bennani, ministre marocaine ...").
- ``called_off`` (overrule): a "yes" for a meeting the headline or first sentence says was called off
  ("Ghana and Togo call off border summit") becomes "no": a small model reports the summit it reads of.
- ``listed_states`` (add): at a summit, each state of an attendance list ("attended by heads of state
  from Bolivia, Brazil and Chile") that no participant represents joins as a delegation.
- ``meeting_parties`` (rewrite): at a summit, an agreement is one of the states meeting; a dispute that
  names at most one of two states meeting ("a row over fishing quotas") is theirs.
- ``agreement_cues`` / ``dispute_cues`` (drop): a finding whose sentence holds no word stating one (for an
  agreement, a commitment in the future is one: "will lend", "presterà").
- ``dispute_states`` (drop): a dispute no state or international organization is party to.
- ``stated_status`` (rewrite): a finding's status is what its words say, a negated word aside.
- ``stated_agreements`` (add, English): what those meeting "agreed" or "signed" in so many words that no
  listed agreement covers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from ..toolkit import (
    SENTENCE_GROUNDING,
    UNKNOWN,
    ExtractionContext,
    Rule,
    RuleContext,
    Span,
    calendar_word,
    country,
    detect_language,
    fold,
    injected_spans,
    negated,
    organization,
    same_words,
    spans_overlap,
    states_named,
)
from ._normalizing import (
    WORDS,
    bare_name,
    complete_sentence,
    is_actor,
    is_generic_name,
    is_person_name,
    keep_people,
    meeting_states,
    merge_people,
    name_in,
    parties_named,
    represented_parties,
    the_two,
    title,
    title_after,
    titled_people,
    unique_parties,
    what_not_who,
    whole_name,
)

if TYPE_CHECKING:
    from ._models import Agreement, AgreementStatus, Dispute, DisputeStatus, Participant, Summit

__all__ = [
    "FILTERS",
    "OVERRULES",
    "RULES",
    "RULE_NAMES",
    "add_listed_states",
    "add_stated_agreements",
    "finalize_summit",
    "listed_states",
    "stated_status",
    "summit_check",
    "verdict",
]


# -- helpers ---------------------------------------------------------------------------------------


def _bounds(item: Agreement | Dispute | Participant, ctx: RuleContext) -> tuple[int, int] | None:
    """(start, end) of the sentence holding an item's evidence, or None when the evidence is unplaced."""
    span = item.span
    if span is None or span.alignment == "unaligned" or span.end > len(ctx.text):
        return None
    return ctx.sentence_at(span.start, span.end)


def _sentence(item: Agreement | Dispute | Participant, ctx: RuleContext) -> str:
    """The sentence of the article that holds an item's evidence (the evidence itself if unplaced)."""
    bounds = _bounds(item, ctx)
    return item.evidence if bounds is None else ctx.text[bounds[0] : bounds[1]]


def _sentence_before(item: Participant, ctx: RuleContext) -> str | None:
    """The sentence just before the one holding an item's evidence (None: first, or unplaced)."""
    bounds = _bounds(item, ctx)
    earlier = [b for b in ctx.sentences if bounds is not None and b[1] <= bounds[0]]
    return ctx.text[earlier[-1][0] : earlier[-1][1]] if earlier else None


_VOWEL_ENDING = re.compile(r"[aeiouyаеиоуяюієїыэ]$", re.I)


def _naming_sentences(item: Participant, ctx: RuleContext) -> list[str]:
    """The sentences of the article that call a person by their surname, the last word of their name, in
    any case ending ("Обама" and "Барака Обами", "Ніемінен" and "з Ніеміненом"): an article names its
    leaders in full once, often in a headline, and says they met further on. A surname of two or three
    letters ("Sá", "May") is matched only as written, and not where it names a month or weekday in the
    article's language ("May" in English); a one-word name only from four letters ("Kim" alone could be
    any Kim, "Wouters" is one man)."""
    words = (item.name or "").split()
    if not words or len(words[-1]) < (2 if len(words) > 1 else 4):
        return []
    surname = words[-1]
    if len(surname) < 4:
        if not surname[0].isupper() or calendar_word(surname, ctx.language):
            return []
        called = re.compile(rf"(?<!\w){re.escape(surname)}(?!\w)")
    else:
        # A final vowel is often a case ending ("Обама", "Обами"); the stem must stay four letters long.
        stem = surname[:-1] if _VOWEL_ENDING.search(surname) and len(surname) >= 5 else surname
        called = re.compile(rf"(?<!\w){re.escape(stem)}\w{{0,3}}(?!\w)")
    return [ctx.text[a:b] for a, b in ctx.sentences if called.search(ctx.text, a, b)]


#: The words before a surname that must hold its title: "président français Castel", "President Putin".
_TITLE_WORDS = 2


def titled_surname(evidence: str, ctx: RuleContext) -> str | None:
    """The one word a delegation's evidence gives ("Castel"), when it is a name the article writes right
    after a title of office, a nationality between them at most ("le président français Castel", "President
    Putin"): a surname standing alone. Not a state's or an organisation's name, nor a word the article
    writes elsewhere than after a title ("le président français, arrivé à Paris")."""
    word = evidence.strip(" .,;:")
    if not re.fullmatch(r"[^\W\d_][\w'’-]+", word) or not word[0].isupper():
        return None
    if states_named(word) or organization(word):
        return None

    def titled(words: str) -> bool:
        return any(_any_word(key, words, ctx) for key in ("leader", "sub_summit"))

    for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", ctx.text):
        start, _ = ctx.sentence_at(m.start(), m.end())
        # The title, then at most one word (a nationality: "belge", "français"; not "à"), then the name.
        before = re.split(r"[,;:()«»\"“”]", ctx.text[start : m.start()])[-1].split()[-_TITLE_WORDS:]
        if before and len(before[-1]) > 2 and titled(" ".join(before)):
            return word
    return None


def _has(key: str, text: str, ctx: RuleContext) -> bool:
    """Whether ``text`` holds a word of ``key`` that is not negated, in the article's language."""
    return any(
        not negated(text, m.start(), m.end(), ctx.language) for m in WORDS.finditer(key, text, ctx.language)
    )


def _any_word(key: str, text: str, ctx: RuleContext) -> bool:
    """Whether ``text`` holds a word of ``key``, in the article's language or in English (titles the
    model writes in English whatever the article's language)."""
    return bool(WORDS.search(key, text, ctx.language) or WORDS.search(key, text, "en"))


def _stated(keys: tuple[str, ...], sentence: str, ctx: RuleContext) -> bool:
    """Whether a sentence holds a word of any of ``keys`` in the article's language or in its own (an English
    sentence quoted in a French article is read in English; "accorde" in a French one is no "accord")."""
    own = detect_language(sentence)
    languages = {ctx.language, own} - {UNKNOWN}
    return any(WORDS.search(key, sentence, lang) for key in keys for lang in languages)


def _item_class(summit: Summit, field: str) -> Any:
    """The item class of one of this Summit's lists (a subclass may declare its own)."""
    (item,) = get_args(type(summit).model_fields[field].annotation)
    return item


def _planted(ctx: RuleContext) -> list[tuple[int, int]]:
    return injected_spans(ctx.text)


# -- attendance ------------------------------------------------------------------------------------


def listed_states(text: str, language: str = "en") -> list[tuple[str, int]]:
    """The states an attendance list names, each with where it stands: "attended by heads of state from
    Bolivia, Brazil and Chile" gives Bolivia, Brazil, Chile. A list of fewer than two states, or one
    followed by words that say those listed were not there ("were not invited"), is none."""
    found: list[tuple[str, int]] = []
    for trigger in WORDS.finditer("attendance", text, language):
        stop = _LIST_END.search(text, trigger.end())
        end = stop.start() if stop else len(text)
        at, items = trigger.end(), []
        for piece in _list_glue(language).split(text[trigger.end() : end]):
            item = _state_name_at(piece.strip())
            if item is None:
                break  # the list ends at the first item that is not a state's name
            start = text.find(item, at)
            items.append((item, start))
            at = start + len(item)
            if item != _ARTICLES.sub("", piece.strip()):
                break  # "... and Peru met in Santiago": the list ends with this state
        if len(items) >= 2 and not _absent(text[at:end], language):
            found += items
    return found


_LIST_END = re.compile(r"[.!?;:\n]")


@functools.cache
def _list_glue(language: str) -> re.Pattern[str]:
    """What separates a list's items in ``language``: a comma, the word "and" ("et", "und", "y"), or both."""
    joins = "|".join(re.escape(t.rstrip("!")) for t in WORDS.terms("and", language))
    if not joins:
        return re.compile(r",\s*")
    return re.compile(rf",\s*(?:(?:{joins})\s+)?|\s+(?:{joins})\s+", re.I)


def _absent(after: str, language: str) -> bool:
    """Whether the words after a list say those listed were not there ("were not invited", "boycotted"):
    a negated word, or a word of absence in the article's language."""
    words = " ".join(after.split()[:6])
    return any(negated(words, m.start(), m.end(), language) for m in re.finditer(r"\w+", words)) or bool(
        WORDS.search("absent", words, language)
    )


#: Short lowercase words and elisions before a state's name in a list: "de la France", "de l'Italie".
_ARTICLES = re.compile(r"^(?:[^\W\d_A-ZÀ-Þ]{1,3}\s+|[a-z][’'])*")


def _state_name_at(words: str) -> str | None:
    """The state's name a list item starts with ("Peru" of "Peru met in Lima", "Allemagne" of "de
    l'Allemagne"), in its first three words."""
    split = _ARTICLES.sub("", words).split()
    for n in (3, 2, 1):
        head = " ".join(split[:n])
        if len(split) >= n and head[:1].isupper() and country(head).known:
            return head
    return None


#: One person named after a title: (alpha-2 code, name, title as written, start, end) (``titled_people``).
_Titled = tuple[str, str, str, int, int]


def _titled(ctx: RuleContext) -> tuple[tuple[tuple[int, int], tuple[_Titled, ...]], ...]:
    """Each sentence of the article with the people it names after a title, read once per article for
    the rules that ask (``titled_participants``, ``titled_attendees``)."""
    return _titled_in(ctx.text, ctx.language, tuple(ctx.sentences))


@functools.lru_cache(maxsize=16)
def _titled_in(
    text: str, language: str, sentences: tuple[tuple[int, int], ...]
) -> tuple[tuple[tuple[int, int], tuple[_Titled, ...]], ...]:
    return tuple(((a, b), tuple(titled_people(text, a, b, language))) for a, b in sentences)


def _named_delegations(summit: Summit, ctx: RuleContext) -> None:
    """A delegation the model left unnamed is its state's leader when the article names exactly one
    person of that state after a title ("O primeiro-ministro português, João Almeida"): the model lists
    "Portugal", the reader wants the prime minister."""
    named = {fold(p.name) for p in summit.participants if p.name}
    by_state: dict[str, list[_Titled]] = {}
    for _, people in _titled(ctx):
        for one in people:
            by_state.setdefault(one[0], []).append(one)
    for person in summit.participants:
        iso = person.country_iso
        if person.name or iso is None or not iso.known or iso.alpha2 is None:
            continue
        titled = by_state.get(iso.alpha2, [])
        # One person written in full once and by surname elsewhere ("João Almeida", "Almeida") is one.
        whole = {
            f[1]: f
            for f in reversed(titled)
            if not any(set(f[1].split()) < set(o[1].split()) for o in titled)
        }
        if len(whole) != 1:
            continue  # none, or a president and a minister: which one came is not said here
        _, name, written, start, end = next(iter(whole.values()))
        if fold(name) in named:
            continue
        person.name, person.title = name, title(written)
        person.evidence = ctx.text[start:end]
        person.span = Span(start=start, end=end, alignment="exact", score=100.0)
        named.add(fold(name))


def _titled_countries(summit: Summit, ctx: RuleContext) -> None:
    """A person the article names beside a title and one state ("Polish President Anna Nowak",
    "응우옌 반 탄 베트남 국가주석") is of that state, whatever the model wrote: reading a
    Korean summit, it gave Vietnam's president South Korea, the host."""
    titled = [one for _, people in _titled(ctx) for one in people]
    for person in summit.participants:
        if not person.name:
            continue
        codes = {code for code, name, *_ in titled if same_words(name, person.name)}
        if len(codes) != 1:
            continue  # not named so, or named with two states: the article does not settle it
        stated = country(next(iter(codes)))
        if person.country_iso is None or person.country_iso.alpha2 != stated.alpha2:
            person.country, person.country_iso = stated.name, stated


def _titled_participants(summit: Summit, ctx: RuleContext) -> None:
    """Each participant as the article's titles say: its state first, then the name of a delegation."""
    _titled_countries(summit, ctx)
    _named_delegations(summit, ctx)


def _titled_attendees(summit: Summit, ctx: RuleContext) -> None:
    """A frame naming fewer than two parties, for an article with a sentence that says people of two or
    more states, each named after a title, meet ("Президент Литви Йонас Вайткус і президент Фінляндії
    Матті Ніемінен провели переговори"): those people take part. Not by phone, not a deputy or an envoy."""
    if len(represented_parties(summit.participants)) >= 2:
        return
    Participant = _item_class(summit, "participants")
    for (a, b), people in _titled(ctx):
        if len({code for code, *_ in people}) < 2:
            continue
        sentence = ctx.text[a:b]
        if not _has("meeting", sentence, ctx) or WORDS.search("remote", sentence, ctx.language):
            continue
        for code, name, written, start, end in people:
            if any(p.name and same_words(p.name, name) for p in summit.participants):
                continue
            person = Participant(
                evidence=ctx.text[start:end], name=name, title=title(written), country=country(code).name
            )
            person.span = Span(start=start, end=end, alignment="exact", score=100.0)
            person.country_iso = country(code)
            unnamed = next(
                (p for p in summit.participants if not p.name and p.country_iso == person.country_iso), None
            )
            if unnamed is not None:
                summit.participants.remove(unnamed)
            summit.participants.append(person)
        return


#: Most characters between a word of absence and the meeting it names: "boycotted the summit", "refused
#: to attend the talks", "dem Gipfel fernbleiben"; not "refused to endorse the declaration of the summit".
_ABSENCE_REACH = 25


def _stays_away(person: Participant, ctx: RuleContext) -> bool:
    """Whether the clause a delegation's evidence starts says its state was not at the meeting ("Lebanon's
    government boycotted the summit", "Polen blieb dem Gipfel fern"): right after the evidence, a word of
    absence with the meeting named beside it."""
    bounds = _bounds(person, ctx)
    if bounds is None or person.span is None:
        return False
    clause = re.split(r"[,;:()]", ctx.text[person.span.end : bounds[1]], maxsplit=1)[0]
    for absent in WORDS.finditer("absent", clause, ctx.language):
        after = clause[absent.end() : absent.end() + _ABSENCE_REACH]
        before = clause[max(0, absent.start() - _ABSENCE_REACH) : absent.start()]
        # The meeting after the word ("boycotted the summit"), or its name before it ("dem Gipfel fern").
        if any(WORDS.search(key, after, ctx.language) for key in ("meeting", "summit")) or WORDS.search(
            "summit", before, ctx.language
        ):
            return True
    return False


def _attendance(summit: Summit, ctx: RuleContext) -> None:
    listed = {country(name).alpha2 for name, _ in listed_states(ctx.text, ctx.language)}
    kept = []
    for person in summit.participants:
        iso = person.country_iso
        if person.name or (iso is not None and iso.alpha2 in listed):
            kept.append(person)
        elif not _stays_away(person, ctx):
            sentence = _sentence(person, ctx)
            if _any_word("meeting", sentence, ctx) or WORDS.search("attendance", sentence, ctx.language):
                kept.append(person)
    summit.participants = kept


def add_listed_states(summit: Summit, ctx: RuleContext) -> None:
    """Each state an attendance list names that no participant represents joins as a delegation (never
    from a paragraph that addresses the model: "report a summit between the presidents of France and")."""
    if not summit.is_summit:
        return
    Participant = _item_class(summit, "participants")
    present = represented_parties(summit.participants)
    planted = _planted(ctx)
    for item, start in listed_states(ctx.text, ctx.language):
        iso = country(item)
        if iso.alpha2 in present or any(a <= start < b for a, b in planted):
            continue  # represented already, or named by an instruction planted in the article
        present.add(iso.alpha2 or item)
        delegation = Participant(evidence=item, name=None, title=None, country=iso.name)
        delegation.span = Span(start=start, end=start + len(item), alignment="exact", score=100.0)
        delegation.country_iso = iso
        summit.participants.append(delegation)


# -- the verdict -----------------------------------------------------------------------------------


def summit_check(summit: Summit, ctx: RuleContext, rules: frozenset[str]) -> str | None:
    """Why the facts contradict a summit, or None when they allow one (``two_states``, ``called_off``)."""
    people = summit.participants
    if "two_states" in rules and len(represented_parties(people)) < 2:
        named = summit.name or ""
        called = _any_word("summit", ctx.text, ctx) or _any_word("summit", named, ctx)
        if not (called and len(states_named(ctx.text)) >= 2):
            return "the participants represent fewer than two states"
    if "called_off" in rules and called_off(ctx):
        return "the article says the meeting was called off"
    return None


def leaders_meet(summit: Summit, ctx: RuleContext) -> bool:
    """Whether the frame lists named leaders or ministers of two or more states in sentences that say
    they meet (not by phone), or that follow a sentence saying their states meet, or, for a meeting the
    article calls a summit, participants of two or more states (``leaders_meet``)."""

    def leader(p: Participant) -> bool:
        # A title the model left out is read from the person's sentence ("Leila Bennani, ministre ...").
        rank = p.title or _sentence(p, ctx)
        named = bool(p.name and is_person_name(p.name))
        return named and _any_word("leader", rank, ctx) and not _any_word("sub_summit", rank, ctx)

    def says_meeting(sentence: str) -> bool:
        return _has("meeting", sentence, ctx) and not WORDS.search("remote", sentence, ctx.language)

    def meets(p: Participant) -> bool:
        if says_meeting(_sentence(p, ctx)):
            return True
        # "The foreign ministers of France, Germany and Poland met in Brussels. France's Lefort, ...
        # adopted a declaration": the sentence before names the person's state among those meeting.
        before = _sentence_before(p, ctx)
        iso = p.country_iso
        state = iso.alpha2 if iso is not None and iso.known else None
        if state and before and says_meeting(before) and state in states_named(before):
            return True
        # "Barack Obama and Vladimir Putin" in the headline; "Obama and Putin held talks" further on.
        return any(says_meeting(sentence) for sentence in _naming_sentences(p, ctx))

    present = [p for p in summit.participants if meets(p)]  # each person's sentences read once
    if len(represented_parties(p for p in present if leader(p))) >= 2:
        return True
    return _has("summit", ctx.text, ctx) and len(represented_parties(present)) >= 2


#: Sentences from the top of the article read for a meeting called off: the headline and the lede, where
#: news of a cancellation stands. Further down, "the summit, called off last year, opened on Monday" is
#: background to a summit that took place.
CALLED_OFF_REACH = 2


def called_off(ctx: RuleContext) -> bool:
    """Whether the article's headline or first sentence says its meeting was called off ("Ghana and Togo
    call off border summit", "a annulé le sommet qu'il devait tenir lundi"): a word of calling off, not
    negated, in a sentence with a word of summit or meeting (``called_off``). Tense is not read: a
    headline "Summit goes ahead despite calls to cancel it" would count too (none seen in any set)."""
    for start, end in ctx.sentences[:CALLED_OFF_REACH]:
        sentence = ctx.text[start:end]
        meeting = any(WORDS.search(key, sentence, ctx.language) for key in ("summit", "meeting"))
        if meeting and _has("called_off", sentence, ctx):
            return True
    return False


def verdict(summit: Summit, ctx: RuleContext, rules: frozenset[str]) -> str | None:
    """Check the model's ``is_summit`` against the facts; overrule it in place and return why, or None."""
    if summit.is_summit and (reason := summit_check(summit, ctx, rules)):
        summit.is_summit = False
    elif not summit.is_summit and "leaders_meet" in rules and leaders_meet(summit, ctx):
        summit.is_summit = True
        reason = "leaders or ministers of two or more states take part"
    else:
        return None
    summit.is_summit_reason = reason
    return reason


# -- findings ----------------------------------------------------------------------------------------


def _meeting_parties(summit: Summit, ctx: RuleContext) -> None:
    """At a summit, an agreement is one of the states meeting: those of them its sentence names (with any
    organization it names), or all of them when it names fewer than two ("The two leaders agreed to ...";
    "the US allies agreed to cooperate on North Korea" makes neither the US nor North Korea a party). A
    dispute there keeps the parties its sentence names, and when two states meet and it names at most one
    of them ("the talks were overshadowed by a row over fishing quotas"), it is theirs."""
    if not summit.is_summit:
        return
    meeting = meeting_states(summit.participants)
    if len(meeting) < 2:
        return
    for agreement in summit.agreements:
        named = [p for p in agreement.parties if p in meeting]
        others = [p for p in agreement.parties if not country(p).known]
        agreement.parties = unique_parties([*(named if len(named) >= 2 else meeting), *others])
    for dispute in summit.disputes:
        if len(meeting) != 2 or len(dispute.parties) >= 2 or not set(dispute.parties) <= set(meeting):
            continue
        # Naming none of them, its sentence must speak of the meeting ("the talks were overshadowed by a
        # row over fishing quotas"), not of others ("student unions protested against tuition fees"); in a
        # language whose meeting or dispute words are not known, the model's finding stands.
        speaks_of_meeting = WORDS.search("meeting", _sentence(dispute, ctx), ctx.language)
        known = all(WORDS.terms(key, ctx.language) for key in ("meeting", "dispute"))
        if dispute.parties or speaks_of_meeting or not known:
            dispute.parties = unique_parties([*dispute.parties, *meeting])


def _cues(field: str, key: str, *also: str, doc: str) -> Rule:
    """A rule dropping the items of ``field`` whose sentence holds no word of ``key`` (nor of ``also``)."""

    def apply(summit: Summit, ctx: RuleContext) -> None:
        items = getattr(summit, field)
        kept = [i for i in items if _stated((key, *also), _sentence(i, ctx), ctx)]
        setattr(summit, field, kept)

    return Rule(f"{key}_cues", "drop", apply, languages=WORDS.languages(key), doc=doc)


def _dispute_states(summit: Summit, ctx: RuleContext) -> None:
    summit.disputes = [d for d in summit.disputes if any(is_actor(p) for p in d.parties)]


_S = TypeVar("_S", bound=str)


def _status_words(clause: str, statuses: tuple[_S, ...], ctx: RuleContext) -> list[tuple[int, int, int, _S]]:
    """Each word of ``clause`` that states a status: (start, the status's rank, end, status)."""
    return [
        (m.start(), rank, m.end(), status)
        for rank, status in enumerate(statuses)
        for m in WORDS.finditer(f"status.{status}", clause, ctx.language)
    ]


def _first_status(clause: str, statuses: tuple[_S, ...], ctx: RuleContext) -> tuple[_S | None, bool]:
    """The status whose word comes first in ``clause`` (not negated), and whether a negated one was
    passed over."""
    found = _status_words(clause, statuses, ctx)
    if not found:
        return None, False
    start, _, end, status = min(found)
    if negated(clause, start, end, ctx.language):
        return None, True  # "did not agree on a new accord": what the clause says of it is unclear
    return status, False


#: Agreement statuses in the order their words are looked for (the first in the text wins; where two
#: stand at one place, the first listed).
AGREEMENT_STATUSES: tuple[AgreementStatus, ...] = (
    "rejected",
    "signed",
    "planned",
    "agreed",
    "offered",
    "proposed",
    "in progress",
)
DISPUTE_STATUSES: tuple[DisputeStatus, ...] = ("resolved", "easing", "escalating")

#: How far before its evidence a status word may stand: "agreed that <evidence>".
STATUS_REACH = 40


def _statuses(clause: str, statuses: tuple[_S, ...], ctx: RuleContext) -> set[_S]:
    """Every status a word of ``clause`` states (negated words aside)."""
    words = _status_words(clause, statuses, ctx)
    return {status for start, _, end, status in words if not negated(clause, start, end, ctx.language)}


def _whole_sentence(item: Agreement | Dispute) -> bool:
    """Whether the item's evidence is a whole sentence the library chose (located or cited)."""
    return item.span is not None and item.span.is_sentence


def _clause(item: Agreement | Dispute, ctx: RuleContext) -> str:
    """The evidence with the words just before it in its sentence."""
    span = item.span
    if span is None or span.alignment == "unaligned" or span.end > len(ctx.text):
        return item.evidence
    start, _ = ctx.sentence_at(span.start, span.end)
    return ctx.text[max(start, span.start - STATUS_REACH) : span.end]


def stated_status(summit: Summit, ctx: RuleContext) -> None:
    """Each finding's status as the words that state it say, not as the model judged it.

    The first status word in the evidence and the words just before it wins ("agreed that engineers will
    build" was agreed; "will sign an agreement" is planned). A negated word does not count ("did not
    agree", "failed to sign", "offered no new ideas to resolve"): where only a negated one is found, the
    model's status stands. A dispute whose words say nothing of where it stands is ongoing. A finding
    grounded in a whole sentence (located or cited) keeps the model's status where that sentence says
    two ("firmaron un acuerdo ... y acordaron eliminar el visado": the visa was agreed, not signed)."""
    for agreement in summit.agreements:
        clause = _clause(agreement, ctx)
        if _whole_sentence(agreement) and len(_statuses(clause, AGREEMENT_STATUSES, ctx)) > 1:
            continue
        status, _ = _first_status(clause, AGREEMENT_STATUSES, ctx)
        agreement.status = status or agreement.status
    for dispute in summit.disputes:
        clause = _clause(dispute, ctx)
        if _whole_sentence(dispute) and len(_statuses(clause, DISPUTE_STATUSES, ctx)) > 1:
            continue
        found, passed = _first_status(clause, DISPUTE_STATUSES, ctx)
        dispute.status = found or (dispute.status if passed and dispute.status != "resolved" else "ongoing")


#: Those meeting, then a verb that agrees: "The two leaders also agreed", "Yoon and Kishida agreed", "They
#: signed" (what "they" sign must be an accord or the like, see _DOCUMENT; "agreed" needs those meeting).
#: What follows, to the end of its clause, is what they agreed.
_STATED_AGREEMENT = re.compile(
    r"\b(?P<who>the two (?:leaders|sides|countries|presidents|governments|heads of state)|both (?:leaders|"
    r"sides|countries|governments)|the leaders|they|[A-Z][\w-]+ and [A-Z][\w-]+)\s+"
    r"(?:also\s+|have\s+|had\s+)?"
    r"(?P<verb>agreed|signed|pledged|decided|approved|endorsed|adopted)\s+(?P<what>[^.;:!?\n]+)",
    re.I,
)
#: What a signed, adopted or endorsed agreement is called.
_DOCUMENT = re.compile(
    r"\b(?:agreements?|accords?|deals?|treat(?:y|ies)|pacts?|memorand\w*|protocols?|declarations?|"
    r"charters?|conventions?|partnerships?|plans?|resolutions?|communiqu\w*)\b",
    re.I,
)
#: Where what was agreed ends: a comma or a relative clause ("..., without elaborating", "... which covers").
_WHAT_ENDS = re.compile(r",|\s(?:which|who|without|but|while|although|after|before)\s")
_WHAT_STARTS = re.compile(r"^(?:(?:to|on|for|upon)\s+)?(?:the\s+)?", re.I)
#: A year in what was agreed: history ("signed a peace treaty in 1978"), not this meeting's outcome.
_PAST_YEAR = re.compile(r"\b(?:in|since|back in)\s+(?:1[89]|20)\d\d\b")


def _meeting_actor(who: str, summit: Summit) -> bool:
    """Whether "X and Y" are those meeting: each is a participant's name or a state meeting."""
    if " and " not in who.lower():
        return True  # "the two leaders", "both sides", "they"
    names = {fold(w) for p in summit.participants if p.name for w in p.name.split() if len(w) > 2}
    states = {c.alpha2 for c in (p.country_iso for p in summit.participants) if c is not None and c.known}
    for part in re.split(r"\s+and\s+", who, flags=re.I):
        iso = country(part)
        if fold(part) not in names and not (iso.known and iso.alpha2 in states):
            return False
    return True


def add_stated_agreements(summit: Summit, ctx: RuleContext) -> None:
    """Each sentence where those meeting agreed or signed something that no listed agreement covers joins
    the agreements (``stated_agreements``): the model reads long articles only so far. Not what others
    agreed ("Analysts Kim and Lee agreed that ..."), not "agreed that" (an opinion), not a negated verb
    ("signed no agreement"), not history ("signed a peace treaty in 1978")."""
    if not summit.is_summit:
        return
    text = ctx.text
    Agreement = _item_class(summit, "agreements")
    parties = meeting_states(summit.participants)
    planted = _planted(ctx)
    for m in _STATED_AGREEMENT.finditer(text):
        what = m.group("what")
        cut = _WHAT_ENDS.search(what)
        what = what[: cut.start()] if cut else what
        end = m.start("what") + len(what.rstrip())
        span = Span(start=m.start(), end=end, alignment="exact", score=100.0)
        subject = _WHAT_STARTS.sub("", what.strip())
        if len(subject.split()) < 2 or any(a <= m.start() < b for a, b in planted):
            continue
        if re.match(r"(?:that|no|not|nothing|never)\b", what.strip(), re.I) or _PAST_YEAR.search(what):
            continue
        if negated(text, m.start("verb"), m.end("verb"), "en") or not _meeting_actor(m.group("who"), summit):
            continue
        if any(spans_overlap(span, a.span) for a in summit.agreements):
            continue  # the model listed it
        verb = m.group("verb").lower()
        if verb != "agreed" and not _DOCUMENT.search(what):
            continue  # "they signed a petition": only an accord, a treaty, a declaration ... is one
        status = "signed" if verb == "signed" else "agreed"
        agreement = Agreement(
            evidence=text[span.start : span.end], subject=subject, parties=parties, status=status
        )
        agreement.span = span
        if not any(agreement.same_item(a) for a in summit.agreements):
            summit.agreements.append(agreement)
    for listed in list(summit.agreements):
        _add_second_thing_agreed(summit, listed, text)
    # In the article's order, as chunks are merged: the added ones sit where the article states them.
    summit.agreements.sort(key=_article_order)


#: A second thing agreed in the same clause: "agreed to cooperate on North Korea| and implement a deal ...".
_AND_THEN = re.compile(
    r"\s*,?\s+and\s+(?:to\s+|also\s+)?(?P<what>(?:implement|launch|establish|create|hold|build|expand|"
    r"strengthen|boost|deepen|resume|restore|set up|open|sign|develop|promote|increase|reduce|share|"
    r"coordinate|cooperate|form|improve|step up|pursue|continue|support|provide|lift|ease|normali[sz]e|"
    r"work|cut|double|end|allow|resolve|settle|respect|revive|upgrade|explore|study|consider)\b"
    r"[^.;:!?\n]*)"
)


def _add_second_thing_agreed(summit: Summit, listed: Agreement, text: str) -> None:
    """The model lists "agreed to cooperate on North Korea" and stops there, though the sentence goes on
    "and implement a deal meant to heal a rift": the second verb phrase is an agreement of its own."""
    span = listed.span
    if span is None or span.alignment == "unaligned" or span.is_sentence or span.end > len(text):
        return
    m = _AND_THEN.match(text, span.end)
    if m is None:
        return
    what = m.group("what")
    cut = _WHAT_ENDS.search(what)
    what = (what[: cut.start()] if cut else what).rstrip()
    second = Span(start=m.start("what"), end=m.start("what") + len(what), alignment="exact", score=100.0)
    if len(what.split()) < 3 or any(spans_overlap(second, a.span) for a in summit.agreements):
        return
    agreement = type(listed)(evidence=what, subject=what, parties=list(listed.parties), status=listed.status)
    agreement.span = second
    if not any(agreement.same_item(a) for a in summit.agreements):
        summit.agreements.append(agreement)


def _article_order(item: Agreement | Dispute) -> int:
    span = item.span
    return span.start if span is not None and span.alignment != "unaligned" else 1 << 62


# -- the rules, in order -----------------------------------------------------------------------------


def _overrule(name: str) -> Callable[[Summit, RuleContext], None]:
    """The verdict with only the rule ``name`` on: each overrule is declared, and ablated, on its own."""

    def apply(summit: Summit, ctx: RuleContext) -> None:
        verdict(summit, ctx, frozenset({name}))

    return apply


RULES: tuple[Rule, ...] = (
    SENTENCE_GROUNDING,
    Rule(
        "titled_participants",
        "rewrite",
        _titled_participants,
        languages=WORDS.languages("leader"),
        doc="A participant named beside a title and one state is of that state; a delegation is its "
        "state's leader when the article names one person of that state after a title.",
    ),
    Rule(
        "titled_attendees",
        "add",
        _titled_attendees,
        languages=WORDS.languages("leader", "meeting", "remote"),
        doc="Where the frame names fewer than two parties, people of two or more states a sentence names "
        "by title and says meet take part.",
    ),
    Rule(
        "attendance",
        "drop",
        _attendance,
        languages=WORDS.languages("meeting", "attendance"),
        doc=(
            "A delegation stays only where the article says its state takes part, not where its clause says "
            "it stayed away."
        ),
    ),
    Rule(
        "two_states",
        "overrule",
        _overrule("two_states"),
        languages=WORDS.languages("summit"),
        doc="A summit needs participants of two parties (states or organisations), unless the article "
        "calls it one between two states.",
    ),
    Rule(
        "leaders_meet",
        "overrule",
        _overrule("leaders_meet"),
        languages=WORDS.languages("leader", "meeting", "remote"),
        doc="Leaders of two parties said to meet (not by phone), in any sentence naming them, make a summit.",
    ),
    Rule(
        "called_off",
        "overrule",
        _overrule("called_off"),
        languages=WORDS.languages("called_off", "summit", "meeting"),
        doc="A meeting the headline or first sentence says was called off is no summit.",
    ),
    Rule(
        "listed_states",
        "add",
        add_listed_states,
        languages=WORDS.languages("attendance"),
        doc="At a summit, each state of an attendance list joins as a delegation.",
    ),
    Rule(
        "meeting_parties",
        "rewrite",
        _meeting_parties,
        languages=None,
        doc="At a summit, an agreement's parties are the states meeting it names, else all of them.",
    ),
    # A state's "will lend" ("presterà", "va prêter") is a commitment as much as "agreed" is one.
    _cues(
        "agreements",
        "agreement",
        "status.planned",
        doc="An agreement whose sentence has no word stating one, nor a commitment (a future), is dropped.",
    ),
    _cues("disputes", "dispute", doc="A dispute whose sentence has no word stating one is dropped."),
    Rule(
        "dispute_states",
        "drop",
        _dispute_states,
        languages=None,
        doc="A dispute no state or international organization is party to is dropped.",
    ),
    Rule(
        "stated_status",
        "rewrite",
        stated_status,
        languages=WORDS.languages("status.agreed", "status.resolved"),
        doc="A finding's status is what its words say, negated words aside.",
    ),
    Rule(
        "stated_agreements",
        "add",
        add_stated_agreements,
        languages=frozenset({"en"}),
        doc="What those meeting agreed or signed in so many words, and the model left out, is added.",
    ),
)

#: Every rule's name, in order.
RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)
#: The rules that may overrule the model's frame (its is_summit, who takes part).
OVERRULES: frozenset[str] = frozenset(
    {
        "titled_participants",
        "titled_attendees",
        "attendance",
        "two_states",
        "leaders_meet",
        "called_off",
        "listed_states",
    }
)
#: The rules that ground, drop or add findings.
FILTERS: frozenset[str] = frozenset(
    {"sentence_grounding", "agreement_cues", "dispute_cues", "dispute_states", "stated_agreements"}
)


def finalize_summit(summit: Summit, context: ExtractionContext, rules: frozenset[str] | None = None) -> None:
    """Normalize a merged Summit in place, then apply its rules (:data:`RULES`) in order.

    ``rules`` names the rules switched on; it defaults to the class's ``enabled_rules`` (None: all).
    """
    ctx = RuleContext.of(context)
    text = ctx.text
    for person in summit.participants:
        # A small model copies "Leila Bennani" as a delegation's evidence and leaves its name null.
        person.name = (
            bare_name(person.name)
            if person.name
            else name_in(person.evidence) or titled_surname(person.evidence, ctx)
        )
        if person.name:
            person.name, after = title_after(whole_name(person.name, person.evidence))
            person.title = person.title or after
    people = merge_people(summit.participants)
    for person in people:
        person.title = title(person.title)
        if person.country:
            person.country_iso = country(person.country)
    summit.participants = people
    pair = the_two(people, text)
    findings: list[Agreement | Dispute] = [*summit.agreements, *summit.disputes]
    for finding in findings:
        complete_sentence(finding, text)
        finding.parties = parties_named(finding, _sentence(finding, ctx), people, pair, ctx.language)
        finding.subject = what_not_who(finding.subject, finding.evidence, finding.parties)

    summit.apply_rules(ctx, rules)

    # After the verdict: "heads of state" is no one to name, but it does tell that someone took part.
    summit.participants = keep_people(summit.participants)
    if summit.name and is_generic_name(summit.name, ctx.language):
        summit.name = None  # "Summit" is what it is, not what it is called
