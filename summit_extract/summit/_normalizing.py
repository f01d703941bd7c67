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
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from .._aligning import fold
from .._context import ExtractionContext
from .._countries import country, state_mentions, states_named
from .._grounding import Span, same_words, spans_overlap
from .._input import injected_spans

if TYPE_CHECKING:
    from ._models import Agreement, AgreementStatus, Dispute, DisputeStatus, Participant, Summit

__all__ = [
    "EVIDENCE_CHARS",
    "FILTERS",
    "OVERRULES",
    "STATUS_WORDS_AGREEMENT",
    "STATUS_WORDS_DISPUTE",
    "add_listed_states",
    "add_stated_agreements",
    "bare_name",
    "filter_findings",
    "finalize_summit",
    "is_person_name",
    "keep_people",
    "listed_states",
    "merge_people",
    "parties_named",
    "stated_status",
    "summit_check",
    "title",
    "verdict",
]

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

#: Words that state an agreement, in the languages the date reader knows (word starts). An "agreement"
#: whose own evidence holds none of them ("Chinese Prime Minister Wen Jiabao") is not one.
AGREEMENT_CUES = re.compile(
    r"\b(agree|sign|deal|accord|pact|treat|plan|propos|offer|endors|declar|commit|pledg|cooperat|"
    r"co-operat|approv|accept|memorand|protocol|partnership|promis|launch|establish|creat|adopt|decid|"
    r"allian|initiative|joint|resolution|charter|blueprint|convenu|entente|traité|acuerdo|tratado|"
    r"acordo|abkommen|vertrag|vereinbar|intesa|trattato)",
    re.I,
)
#: Words that state a dispute, likewise. A "dispute" whose evidence holds none ("North Korea is also on
#: the agenda") is not one.
DISPUTE_CUES = re.compile(
    r"\b(disput|row\b|rift|tension|accus|protest|boycott|conflict|clash|condemn|critic|oppos|refus|"
    r"den(?:y|ie)|backlash|strain|friction|disagree|quarrel|threat|sanction|warn|object|reject|demand|"
    r"squabbl|divid|divis|spat|feud|anger|angry|outrage|blam|crisis|hostil|grievance|standoff|retaliat|"
    r"provocat|violat|intrusion|incursion|distrust|mistrust|odds\b|différend|désaccord|conflit|litige|réclam|"
    r"menac|crise|dénonc|disputa|conflicto|tensi|amenaza|rechaz|streit|konflikt|spannung|vorwurf)",
    re.I,
)
#: Words of a group or an office, not of a person's name ("Southeast Asian leaders", "Syrian President").
_NOT_A_NAME = re.compile(
    r"\b(leaders?|heads?|ministers?|ministry|government|officials?|delegations?|delegates?|"
    r"representatives?|nations?|countries|states?|members?|president|prime|premier|chancellor|king|"
    r"queen|minister|secretary|foreign|deputy|vice|spokes\w*|ambassador|envoy|administration|"
    r"authorities|of|the|and|asian|african|american|european|arab|latin|south\w*|north\w*|east\w*|"
    r"west\w*|central|pacific|gulf|nordic|baltic|caribbean|middle|world|global|regional|international)\b",
    re.I,
)

#: The code rules on the findings, by name (all on by default); measured like the overrule rules. Three
#: drop an agreement or dispute the model listed:
#: - ``agreement_cues`` / ``dispute_cues``: the evidence holds no word that states one;
#: - ``dispute_states``: no state is party to the dispute, as its sentence names them (a domestic quarrel
#:   between a provincial government and student unions is not a diplomatic dispute).
#: One adds what the model left out:
#: - ``stated_agreements``: in a summit's article, a sentence where those meeting agreed or signed
#:   something ("The two leaders also agreed for the dispatch of ...", "They signed the ... agreement")
#:   that no listed agreement covers becomes one, its evidence that sentence's clause (English only); so
#:   does a second thing agreed in a listed agreement's clause ("agreed to cooperate on North Korea and
#:   implement a deal meant to heal a rift").
FILTERS: frozenset[str] = frozenset({"agreement_cues", "dispute_cues", "dispute_states", "stated_agreements"})

#: The rules that may overrule the model's frame (its ``is_summit``, and who takes part), by name (all on
#: by default):
#: - ``two_states``: the participants represent fewer than two states, and the article neither calls the
#:   meeting a summit nor names two states (True becomes False);
#: - ``leader_rank``: every participant has a title and none is of summit rank (vice-ministers, envoys)
#:   (True becomes False);
#: - ``leaders_meet``: the model's own frame lists named leaders or ministers of two or more states taking
#:   part, yet it answered False, or lists participants of two or more states and the article calls the
#:   meeting a summit (False becomes True: a small model judges too early on short texts);
#: - ``listed_states``: a summit's article lists the states taking part ("attended by heads of state from
#:   Bolivia, Brazil and Chile"): each listed state the frame left out joins as a delegation, its evidence
#:   the state's name where the list gives it (a small model stops early in long lists).
#: A third rule, "nobody taking part was found", was measured and removed: on the dev set it only ever
#: overruled a real summit whose frame listed no one (benchmarks/REPORT.md, 0.697 with it, 0.738 without).
OVERRULES: frozenset[str] = frozenset({"two_states", "leader_rank", "leaders_meet", "listed_states"})


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
    if "two_states" in rules and len(_states(people)) < 2:
        called = bool(_SUMMIT_WORD.search(text)) or bool(summit.name and _SUMMIT_WORD.search(summit.name))
        if not (called and len(states_named(text)) >= 2):
            return "the participants represent fewer than two states"
    titles = [p.title for p in people]
    if "leader_rank" in rules and people and all(titles) and all(_SUB_SUMMIT.search(t or "") for t in titles):
        return "no participant is a leader or minister"
    return None


#: Titles of summit rank: heads of state or government and ministers.
_LEADER_RANK = re.compile(
    r"\b(president|prime minister|premier|chancellor|king|queen|emperor|emir|sultan|minister|"
    r"secretary of state|foreign secretary|head of (?:state|government)|président|presidente|ministre|"
    r"ministro|premier ministre|kanzler)",
    re.I,
)


def leaders_meet(summit: Summit, text: str) -> bool:
    """Whether the frame lists named leaders or ministers of two or more states, or, for a meeting the
    article calls a summit, participants of two or more states (``leaders_meet``)."""

    def leader(p: Participant) -> bool:
        rank = p.title or ""
        named = bool(p.name and is_person_name(p.name))
        return named and bool(_LEADER_RANK.search(rank)) and not _SUB_SUMMIT.search(rank)

    leaders = [p for p in summit.participants if leader(p)]
    if len(_states(leaders)) >= 2:
        return True
    return bool(_SUMMIT_WORD.search(text)) and len(_states(summit.participants)) >= 2


def verdict(summit: Summit, text: str, rules: frozenset[str] = OVERRULES) -> str | None:
    """Check the model's ``is_summit`` against the facts; overrule it in place and return why, or None."""
    if summit.is_summit and (reason := summit_check(summit, text, rules)):
        summit.is_summit = False
    elif not summit.is_summit and "leaders_meet" in rules and leaders_meet(summit, text):
        summit.is_summit = True
        reason = "leaders or ministers of two or more states take part"
    else:
        return None
    summit.is_summit_reason = reason
    return reason


#: Words that introduce the list of states taking part: "attended by", "heads of state from", "leaders of",
#: "foreign ministers of", "delegations from".
_ATTENDANCE = re.compile(
    r"\b(?:attended (?:by|for)|(?:leaders?|heads? of (?:state|government)|(?:foreign |prime )?ministers?|"
    r"presidents?|delegations?|representatives?|delegates?)(?: \w+)? (?:of|from))\s+",
    re.I,
)
_LIST_GLUE = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_LIST_END = re.compile(r"[.!?;:\n]")


def listed_states(text: str) -> list[tuple[str, int]]:
    """The states an attendance list names, each with where it stands: "attended by heads of state from
    Bolivia, Brazil and Chile" gives Bolivia, Brazil, Chile. A list of fewer than two states is none."""
    found: list[tuple[str, int]] = []
    for trigger in _ATTENDANCE.finditer(text):
        stop = _LIST_END.search(text, trigger.end())
        end = stop.start() if stop else len(text)
        at, items = trigger.end(), []
        for piece in _LIST_GLUE.split(text[trigger.end() : end]):
            item = _state_name_at(piece.strip())
            if item is None:
                break  # the list ends at the first item that is not a state's name
            start = text.find(item, at)
            items.append((item, start))
            at = start + len(item)
            if item != piece.strip():
                break  # "... and Peru met in Santiago": the list ends with this state
        if len(items) >= 2 and not _ABSENT.search(text[at:end]):
            found += items
    return found


#: Words after a list that say those listed were not there ("... were not invited", "boycotted").
_ABSENT = re.compile(
    r"\b(?:not|never|no longer|absent|boycott\w*|declin\w*|refus\w*|exclud\w*|stayed away)\b|n't\b", re.I
)


def _state_name_at(words: str) -> str | None:
    """The state's name a list item starts with ("Peru" of "Peru met in Lima"), in its first three words."""
    split = words.split()
    for n in (3, 2, 1):
        head = " ".join(split[:n])
        if len(split) >= n and head[:1].isupper() and country(head).known:
            return head
    return None


def _item_class(summit: Summit, field: str) -> Any:
    """The item class of one of this Summit's lists (a subclass may declare its own), read from the field,
    since the models module imports this one."""
    (item,) = get_args(type(summit).model_fields[field].annotation)
    return item


def add_listed_states(summit: Summit, context: ExtractionContext) -> None:
    """Each state an attendance list names that no participant represents joins as a delegation (never
    from a paragraph that addresses the model: "report a summit between the presidents of France and")."""
    Participant = _item_class(summit, "participants")
    present = _states(summit.participants)
    planted = injected_spans(context.article)
    for item, start in listed_states(context.article):
        iso = country(item)
        if iso.alpha2 in present or any(a <= start < b for a, b in planted):
            continue  # represented already, or named by an instruction planted in the article
        present.add(iso.alpha2 or item)
        delegation = Participant(evidence=item, name=None, title=None, country=iso.name)
        delegation.span = Span(start=start, end=start + len(item), alignment="exact", score=100.0)
        delegation.country_iso = iso
        summit.participants.append(delegation)


def is_person_name(name: str) -> bool:
    """Whether a "name" names a person, not a group or an office ("Iraqi leaders", "Syrian President",
    "Lebanon's pro-western government": a name's words are capitalized, but for particles like "da")."""
    rest = _NOT_A_NAME.sub(" ", name)
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]+", rest) if not states_named(w)]
    lowercase = [w for w in words if w[0].islower() and w not in _PARTICLES and not w.startswith("al-")]
    return bool(words) and not lowercase


#: Forms of address written before a name.
_ADDRESS = re.compile(r"(?:mr|mrs|ms|dr|sir|sheikh|h\.e)\.?", re.I)

#: Lowercase words that belong to names ("Luiz Inacio Lula da Silva", "Bashar al-Assad").
_PARTICLES = {"da", "de", "do", "dos", "das", "du", "van", "von", "der", "den", "bin", "ibn", "al", "el"}


def bare_name(name: str) -> str:
    """A person's name without the office and nationality a model wrote into it ("Japanese Prime Minister
    Shinzo Abe" is "Shinzo Abe"); a name that is no person's is left as it is, for ``keep_people``."""
    words = name.split()
    while len(words) > 1:
        if len(words) > 2 and states_named(" ".join(words[:2])) and not states_named(words[1]):
            words = words[2:]  # "South Korean"
        elif _NOT_A_NAME.fullmatch(words[0]) or _ADDRESS.fullmatch(words[0]) or states_named(words[0]):
            words = words[1:]
        else:
            break
    bare = " ".join(words)
    return bare if bare != name and is_person_name(bare) and is_person_name(name) else name


_NAME_RUN = re.compile(
    r"(?:[A-ZÀ-Þ][\w'’.-]+|al-\w+|(?:da|de|do|dos|van|von|bin|el)\b)(?:\s+(?:[A-ZÀ-Þ][\w'’.-]+|al-\w+|(?:da|de|do|dos|van|von|bin|el)\b))+"
)


def name_in(evidence: str) -> str | None:
    """The person's name an evidence phrase gives after their office ("Syrian President Bashar al-Assad")."""
    for run in _NAME_RUN.findall(evidence):
        words = run.split()
        while words and (_NOT_A_NAME.fullmatch(words[0]) or states_named(words[0])):
            words = words[1:]  # "Syrian President" before the name
        candidate = " ".join(words)
        if len(words) >= 2 and is_person_name(candidate):
            return candidate
    return None


def keep_people(participants: list[Participant]) -> list[Participant]:
    """People kept as named. A group or an office named as a person is replaced by the person its
    evidence names, else becomes its country's delegation, else goes."""
    kept = []
    for person in participants:
        if person.name and not is_person_name(person.name):
            found = name_in(person.evidence)
            if found is None and not person.country:
                continue
            person = person.model_copy(update={"name": found})
        kept.append(person)
    return kept


#: Longest evidence the model may write for an agreement or dispute. Sent as the JSON Schema's maxLength
#: (a grammar-constrained server enforces it): a small model otherwise copies whole sentences, and on two
#: CPU cores every output token costs about 50 ms. A cut evidence is still a verbatim prefix, and the cue
#: filters read on to the end of its sentence ("Japan's plans to release treated water ... has caused a").
EVIDENCE_CHARS = 80

#: How far before its evidence a finding's cue word may stand: "agreed that <evidence>", "a row over
#: <evidence>" (the model often quotes what was agreed, not the verb that agrees it).
CUE_REACH = 25


def _clause(item: Agreement | Dispute, text: str) -> str:
    """The evidence, with the words just before it in its sentence, and the rest of the sentence when the
    evidence was cut at :data:`EVIDENCE_CHARS`."""
    span = item.span
    if span is None or span.alignment == "unaligned" or span.end > len(text):
        return item.evidence
    start, end = max(0, span.start - CUE_REACH), span.end
    before = list(_SENTENCE_END.finditer(text, start, span.start))
    if before:
        start = before[-1].end()  # the words before, but not the previous sentence's
    if _was_cut(item):
        end = _sentence_end(text, end) or len(text)
    return text[start:end]


_SENTENCE_END = re.compile(r"[.!?;\n]")


def _was_cut(item: Agreement | Dispute) -> bool:
    """Whether the grammar cut the evidence at :data:`EVIDENCE_CHARS` (what it states may follow)."""
    return len(item.evidence) >= EVIDENCE_CHARS - 1


def _sentence_end(text: str, at: int, reach: int | None = None) -> int | None:
    """Where the sentence running at ``at`` ends, looking at most ``reach`` characters on; None if not."""
    stop = _SENTENCE_END.search(text, at, len(text) if reach is None else at + reach)
    return stop.start() if stop else None


#: Most characters a cut evidence is completed by, to its sentence's end.
_COMPLETION_REACH = 160


def _complete_sentence(item: Agreement | Dispute, text: str) -> None:
    """An evidence the grammar cut at :data:`EVIDENCE_CHARS` ("... has caused") is completed from the
    article to its sentence's end ("... has caused a backlash in South Korea"): the reader gets the whole
    statement, the model spends no tokens on it."""
    span = item.span
    if span is None or span.alignment == "unaligned" or not _was_cut(item):
        return
    if text[span.start : span.end] != item.evidence:
        return  # not a verbatim slice: leave it as grounded
    end = _sentence_end(text, span.end, _COMPLETION_REACH)
    if end is not None and end > span.end:
        item.span = span.model_copy(update={"end": end})
        item.evidence = text[span.start : end]


def filter_findings(summit: Summit, text: str, filters: frozenset[str] = FILTERS) -> None:
    """Drop agreements and disputes whose evidence (or the words just before it) states none (FILTERS)."""
    if "agreement_cues" in filters:
        summit.agreements = [a for a in summit.agreements if AGREEMENT_CUES.search(_clause(a, text))]
    if "dispute_cues" in filters:
        summit.disputes = [d for d in summit.disputes if DISPUTE_CUES.search(_clause(d, text))]
    if "dispute_states" in filters:
        summit.disputes = [d for d in summit.disputes if any(country(p).known for p in d.parties)]


#: How far an agreement got: the words that say so (where two stand at one place, the first listed wins).
STATUS_WORDS_AGREEMENT: tuple[tuple[AgreementStatus, re.Pattern[str]], ...] = (
    ("rejected", re.compile(r"\b(?:reject|refus|turned down|rechaz|rejet)\w*", re.I)),
    ("signed", re.compile(r"\b(?:signed|inked|sign[ée]e?s?|firmaron|firmado)\b", re.I)),
    (
        "planned",
        re.compile(
            r"\b(?:will|would|shall|to be (?:signed|held|set up|launched)|plan(?:s|ned)? to|expected to|"
            r"set to|intends? to|aims? to|prévo\w*|va|vont)\b",
            re.I,
        ),
    ),
    (
        "agreed",
        re.compile(
            r"\b(?:agree\w*|accords?|deals?|approv\w*|adopt\w*|endors\w*|decid\w*|pledg\w*|commit\w*|"
            r"convenu\w*|acord\w*|décid\w*)",
            re.I,
        ),
    ),
    ("offered", re.compile(r"\b(?:offer\w*|offr\w*|ofrec\w*)", re.I)),
    ("proposed", re.compile(r"\b(?:propos\w*|suggest\w*|call(?:s|ed)? for|urg\w*)", re.I)),
    (
        "in progress",
        re.compile(r"\b(?:negotiat\w*|discuss\w*|talks on|working on|négoci\w*|negoci\w*)", re.I),
    ),
)
#: Where a dispute stands, likewise; "ongoing" when the words say nothing of it.
STATUS_WORDS_DISPUTE: tuple[tuple[DisputeStatus, re.Pattern[str]], ...] = (
    ("resolved", re.compile(r"\b(?:resolv\w*|settl\w*|ended|reconcil\w*|réglé\w*|résolu\w*)", re.I)),
    ("easing", re.compile(r"\b(?:eas(?:ed|ing|es)|thaw\w*|improv\w*|de-?escalat\w*|détente|apais\w*)", re.I)),
    (
        "escalating",
        re.compile(r"\b(?:escalat\w*|worsen\w*|intensif\w*|deepen\w*|flare\w*|heighten\w*|aggrav\w*)", re.I),
    ),
)

_S = TypeVar("_S", bound=str)


def _first_cue(clause: str, cues: tuple[tuple[_S, re.Pattern[str]], ...]) -> _S | None:
    found = [(m.start(), n) for n, (_, pattern) in enumerate(cues) if (m := pattern.search(clause))]
    return cues[min(found)[1]][0] if found else None


def stated_status(summit: Summit, text: str) -> None:
    """Each finding's status as the words that state it say, not as the model judged it.

    The first status word in the evidence and the words just before it wins ("agreed that engineers will
    build" was agreed; "will sign an agreement" is planned; "expected to endorse" is planned). A dispute
    whose words say nothing of where it stands is ongoing: measured on the dev set, the model called a
    boycott and a refusal "resolved", and "will sign" "signed"."""
    for agreement in summit.agreements:
        agreement.status = _first_cue(_clause(agreement, text), STATUS_WORDS_AGREEMENT) or agreement.status
    for dispute in summit.disputes:
        dispute.status = _first_cue(_clause(dispute, text), STATUS_WORDS_DISPUTE) or "ongoing"


#: Those meeting, then a verb that agrees: "The two leaders also agreed", "Yoon and Kishida agreed",
#: "They signed". What follows, to the end of its clause, is what they agreed.
_STATED_AGREEMENT = re.compile(
    r"\b(?:the two (?:leaders|sides|countries|presidents|governments|heads of state)|both (?:leaders|sides|"
    r"countries|governments)|the leaders|they|[A-Z][\w-]+ and [A-Z][\w-]+)\s+(?:also\s+|have\s+|had\s+)?"
    r"(?P<verb>agreed|signed|pledged|decided|approved|endorsed|adopted)\s+(?P<what>[^.;:!?\n]+)",
    re.I,
)
#: What a signed, adopted or endorsed agreement is called.
_DOCUMENT = re.compile(
    r"\b(?:agreements?|accords?|deals?|treat(?:y|ies)|pacts?|memorand\w*|protocols?|declarations?|"
    r"charters?|conventions?|partnerships?|plans?|resolutions?|communiqu\w*|statements?)\b",
    re.I,
)
#: Where what was agreed ends: a comma or a relative clause ("..., without elaborating", "... which covers").
_WHAT_ENDS = re.compile(r",|\s(?:which|who|without|but|while|although|after|before)\s")
_WHAT_STARTS = re.compile(r"^(?:(?:to|on|for|that|upon)\s+)?(?:the\s+)?", re.I)


def add_stated_agreements(summit: Summit, text: str) -> None:
    """Each sentence where those meeting agreed or signed something that no listed agreement covers joins
    the agreements (``stated_agreements``): the model reads long articles only so far."""
    Agreement = _item_class(summit, "agreements")
    parties = list(
        dict.fromkeys(
            p.country_iso.name if p.country_iso and p.country_iso.known else p.country
            for p in summit.participants
            if p.country
        )
    )
    planted = injected_spans(text)
    for m in _STATED_AGREEMENT.finditer(text):
        what = m.group("what")
        cut = _WHAT_ENDS.search(what)
        what = what[: cut.start()] if cut else what
        end = m.start("what") + len(what.rstrip())
        span = Span(start=m.start(), end=end, alignment="exact", score=100.0)
        subject = _WHAT_STARTS.sub("", what.strip())
        if len(subject.split()) < 2 or any(a <= m.start() < b for a, b in planted):
            continue
        if any(spans_overlap(span, a.span) for a in summit.agreements):
            continue  # the model listed it
        verb = m.group("verb").lower()
        if verb != "agreed" and not _DOCUMENT.search(what):
            continue  # "they signed a petition": only an accord, a treaty, a declaration ... is one
        status = "signed" if verb == "signed" else "agreed"
        evidence = text[span.start : span.end]
        agreement = Agreement(evidence=evidence, subject=subject, parties=parties, status=status)
        agreement.span = span
        if not any(agreement.same_item(a) for a in summit.agreements):
            summit.agreements.append(agreement)
    for listed in list(summit.agreements):
        _add_second_thing_agreed(summit, listed, text)


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
    if span is None or span.alignment == "unaligned" or span.end > len(text):
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


def finalize_summit(summit: Summit, context: ExtractionContext, rules: frozenset[str] | None = None) -> None:
    """Normalize a merged Summit in place, then check the model's verdict against the facts.

    ``rules`` defaults to the Summit class's ``overrules`` and ``filters`` (the benchmark switches them
    off one by one).
    """
    rules = (type(summit).overrules | type(summit).filters) if rules is None else rules
    text = context.article
    for person in summit.participants:
        person.name = bare_name(person.name) if person.name else None
    people = merge_people(summit.participants)
    for person in people:
        person.title = title(person.title)
        if person.country:
            person.country_iso = country(person.country)
    summit.participants = people
    findings: list[Agreement | Dispute] = [*summit.agreements, *summit.disputes]
    pair = _the_two(people, text)
    for finding in findings:
        _complete_sentence(finding, text)
        finding.parties = parties_named(finding, text, people, pair)
    filter_findings(summit, text, rules & FILTERS)
    findings = [*summit.agreements, *summit.disputes]
    for finding in findings:
        finding.subject = _what_not_who(finding.subject, finding.evidence, finding.parties)
    stated_status(summit, text)
    verdict(summit, text, rules & OVERRULES)
    if summit.is_summit:
        _parties_meeting(summit)
    if summit.is_summit and "listed_states" in rules:
        add_listed_states(summit, context)
    if summit.is_summit and "stated_agreements" in rules:
        add_stated_agreements(summit, context.article)
        # In the article's order, as chunks are merged: the added ones sit where the article states them.
        summit.agreements.sort(key=_article_order)

    # After the verdict: "heads of state" is no one to name, but it does tell that someone took part.
    summit.participants = keep_people(summit.participants)
    if summit.name and fold(summit.name).strip(" .") in _GENERIC_NAMES:
        summit.name = None  # "Summit" is what it is, not what it is called


def _article_order(item: Agreement | Dispute) -> int:
    span = item.span
    return span.start if span is not None and span.alignment != "unaligned" else 1 << 62


#: Words that say what a meeting is, not what it is called.
_GENERIC_NAMES = {
    "summit",
    "the summit",
    "rare summit",
    "meeting",
    "the meeting",
    "talks",
    "sommet",
    "cumbre",
}

_FILLER = re.compile(r"\b(the|and|of|between|with|leaders?|government|officials?|relations?|talks)\b", re.I)


def _what_not_who(subject: str, evidence: str, parties: list[str]) -> str:
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


#: Organizations that are parties in their own right, as articles name them (case matters: "UN", not "un").
_ORGANIZATIONS = re.compile(
    r"\b(?:ASEAN|European Union|EU|NATO|United Nations|UN|African Union|Arab League|League of Arab States|"
    r"Gulf Cooperation Council|GCC|G7|G8|G20|OPEC|WTO|IMF|World Bank|Mercosur|OAS|ECOWAS|SADC|BRICS|"
    r"Commonwealth|Hamas|Hezbollah|Taliban)\b"
)
#: A sentence's end: a stop that does not end an initial ("U.S. President" goes on, "with ASEAN." ends), or
#: ; or a newline.
_CLAUSE_END = re.compile(r"(?<!\b[A-Z])[.!?](?=\s|$)|[;\n]")


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence holding ``text[start:end]``."""
    before = [m.end() for m in _CLAUSE_END.finditer(text, 0, start)]
    after = _CLAUSE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


#: Words by which a sentence names the two states an article is about without naming them.
_THE_TWO = re.compile(
    r"\b(?:the two|both) (?:countries|nations|sides|governments|leaders|neighbou?rs|states|capitals)\b|"
    r"\bthe neighbou?rs\b|\bbilateral\b",
    re.I,
)


def _meeting_states(people: list[Participant]) -> list[str]:
    """The known states the participants represent, once each, in the frame's order."""
    isos = [p.country_iso for p in people]
    return _unique_parties([iso.name for iso in isos if iso is not None and iso.known])


def _the_two(people: list[Participant], text: str) -> list[str]:
    """The two states "the two countries" means: those of the frame when it lists two, else the two the
    article names most (none when it names fewer)."""
    framed = _meeting_states(people)
    if len(framed) == 2:
        return framed
    counts: dict[str, int] = {}
    for _, code in state_mentions(text):
        counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts, key=lambda code: -counts[code])
    return [country(code).name for code in ranked[:2]] if len(ranked) >= 2 else []


def parties_named(
    item: Agreement | Dispute, text: str, people: list[Participant], pair: list[str] | None = None
) -> list[str]:
    """The parties the article names where it states a finding: the states (by name or adjective) and
    organizations in its sentence, and the state of each participant named there ("Yoon" stands for South
    Korea), in the order the sentence names them; a sentence that names none but speaks of "the two
    countries" (or both sides, the neighbours) means ``pair``."""
    span = item.span
    if span is None or span.alignment == "unaligned" or span.end > len(text):
        sentence = item.evidence
    else:
        start, end = _sentence_around(text, span.start, span.end)
        sentence = text[start:end]
    folded = fold(sentence)
    found: list[tuple[int, str]] = [(at, country(code).name) for at, code in state_mentions(sentence)]
    found += [(m.start(), m.group(0)) for m in _ORGANIZATIONS.finditer(sentence)]
    for person in people:
        iso = person.country_iso
        if not (person.name and iso is not None and iso.known):
            continue
        # Any word of the name: "Yoon" is the family name of Yoon Suk Yeol, "Kishida" of Fumio Kishida.
        words = [w for w in fold(person.name).split() if len(w) > 3]
        hits = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}\b", folded))]
        if hits:
            found.append((min(hits), iso.name))
    if not found and pair and _THE_TWO.search(sentence):
        return list(pair)
    return _unique_parties([name for _, name in sorted(found, key=lambda f: f[0])])


def _parties_meeting(summit: Summit) -> None:
    """At a summit, an agreement is one of the states meeting: those of them its sentence names (with any
    organization it names), or all of them when it names fewer than two ("The two leaders agreed to ...";
    "the US allies agreed to cooperate on North Korea" makes neither the US nor North Korea a party). A
    dispute there keeps the parties its sentence names, and when two states meet and it names at most one
    of them ("a row over fishing quotas"), it is theirs."""
    meeting = _meeting_states(summit.participants)
    if len(meeting) < 2:
        return
    for agreement in summit.agreements:
        named = [p for p in agreement.parties if p in meeting]
        others = [p for p in agreement.parties if not country(p).known]
        agreement.parties = _unique_parties([*(named if len(named) >= 2 else meeting), *others])
    for dispute in summit.disputes:
        if len(meeting) == 2 and len(dispute.parties) < 2 and set(dispute.parties) <= set(meeting):
            dispute.parties = _unique_parties([*dispute.parties, *meeting])


def _unique_parties(parties: list[str]) -> list[str]:
    out: list[str] = []
    for party in parties:
        iso = country(party)
        display = iso.name if iso.known else party
        if not any(same_words(display, kept) and fold(display) == fold(kept) for kept in out):
            out.append(display)
    return out
