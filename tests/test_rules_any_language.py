"""Rules that hold on articles nobody tuned for: each case found on real articles outside the dev set,
written as a sentence of its own. Paraphrased evidence is grounded in its sentence, not dropped; a cue is
looked for in the finding's whole sentence; negation is read; "agreed" in other senses adds nothing; a
mention is no summit; a rule whose words do not cover the article's language leaves the model's answer
as it is."""

from __future__ import annotations

from typing import Any

import pytest

from summit_extract import ExtractionContext, Summit
from summit_extract._language import detect_language, sentences
from summit_extract._locating import ground_in_sentences
from summit_extract._rules import Lexicon, RuleContext, negated
from summit_extract.summit._normalizing import (
    bare_name,
    is_generic_name,
    name_in,
    parties_named,
    title,
    title_after,
    titled_people,
    whole_name,
)
from summit_extract.summit._rules import RULES, listed_states, titled_surname


def finalized(data: dict[str, Any], text: str, *, ground: bool = True) -> Summit:
    """What the library makes of a model's answer to ``text``: grounded, ungrounded items dropped,
    normalized, every rule applied, the frame cleared when no summit is reported."""
    context = ExtractionContext(text)
    summit = Summit.model_validate(data, context=context)
    if ground:
        summit.ground_rules(RuleContext.of(context))
    from summit_extract._grounding import drop_unaligned

    drop_unaligned(summit)
    summit.finalize(context)
    if not summit.reports_event():
        summit.clear_event()
    return summit


def person(evidence: str, name: str | None, country: str | None, title: str | None = None) -> dict[str, Any]:
    return {"evidence": evidence, "name": name, "title": title, "country": country}


def item(evidence: str, subject: str, status: str) -> dict[str, Any]:
    return {"evidence": evidence, "subject": subject, "status": status}


# -- ground, don't gatekeep -------------------------------------------------------------------------

SEA = (
    "HANOI, June 3 - Vietnam's foreign ministry protested on Tuesday against Chinese drilling for oil near "
    "the Paracel Islands in the South China Sea. Chinese ships have been operating there since May. "
    "A spokesman in Beijing said the waters belong to China."
)


def test_a_dispute_the_model_summarized_in_its_own_words_is_grounded_in_the_sentence_that_states_it() -> None:
    summary = "Vietnam's objection to China's oil drilling near the Paracel Islands"  # not in the text
    summit = finalized({"disputes": [item(summary, "oil drilling near the Paracel Islands", "ongoing")]}, SEA)
    (dispute,) = summit.disputes
    first = SEA[: SEA.index("Chinese ships") - 1]
    assert dispute.span is not None and dispute.span.alignment == "sentence"
    assert SEA[dispute.span.start : dispute.span.end] == dispute.evidence == first
    assert 50 <= dispute.span.score <= 100
    assert dispute.parties == ["Vietnam", "China"]
    # Without sentence grounding the same answer is dropped as ungrounded, as before.
    assert (
        finalized({"disputes": [item(summary, "oil drilling", "ongoing")]}, SEA, ground=False).disputes == []
    )


def test_what_no_sentence_supports_is_still_dropped() -> None:
    invented = "Vietnam's protest against Chinese fishing bans in the Gulf of Tonkin"
    assert finalized({"disputes": [item(invented, "fishing bans", "ongoing")]}, SEA).disputes == []


def test_a_paraphrase_landing_on_a_sentence_that_grounds_another_finding_adds_nothing() -> None:
    verbatim = "protested on Tuesday against Chinese drilling for oil"
    again = "Vietnam's objection to Chinese oil drilling near the Paracel Islands"
    summit = finalized(
        {"disputes": [item(verbatim, "oil drilling", "ongoing"), item(again, "oil drilling", "ongoing")]}, SEA
    )
    assert [d.evidence for d in summit.disputes] == [verbatim]
    assert summit.disputes[0].span is not None and summit.disputes[0].span.alignment == "exact"


def test_sentence_grounding_is_a_declared_engine_rule_that_runs_in_every_language() -> None:
    (grounding,) = [r for r in RULES if r.name == "sentence_grounding"]
    assert grounding.action == "ground" and grounding.languages is None
    assert grounding.runs_on("ko") and grounding.runs_on("und")


def test_names_and_quotes_are_never_grounded_in_a_sentence() -> None:
    text = SEA + ' "We will defend our waters," the spokesman said.'
    data = {"participants": [person("Vietnamese Foreign Minister Pham Minh", "Pham Minh", "Vietnam")]}
    summit = Summit.model_validate(data, context=ExtractionContext(text))
    assert ground_in_sentences(summit, RuleContext.of(ExtractionContext(text))) == []


# -- a cue in the sentence, not 25 characters away ----------------------------------------------------

MINISTERS = (
    "ANKARA, April 4 - The foreign ministers of Turkey and Azerbaijan met in Ankara on Monday. At the end of "
    "the talks, which lasted four hours, the two ministers announced they had agreed on a broad package: "
    "new direct rail and air transport links between the two capitals and reopened consulates in Kars and "
    "Ganja."
)


def test_an_agreement_whose_verb_stands_far_back_in_its_sentence_is_kept() -> None:
    frame = {
        "participants": [
            person("foreign ministers of Turkey", None, "Turkey"),
            person("Azerbaijan", None, "Azerbaijan"),
        ],
        "is_summit": True,
    }
    agreements = [
        item("new direct rail and air transport links between the two capitals", "transport links", "agreed"),
        item("reopened consulates in Kars and Ganja", "reopened consulates", "agreed"),
    ]
    summit = finalized({**frame, "agreements": agreements}, MINISTERS)
    subjects = [a.subject for a in summit.agreements]
    assert "transport links" in subjects and "reopened consulates in Kars and Ganja" in subjects
    for agreement in summit.agreements:
        assert agreement.parties == ["Türkiye", "Azerbaijan"]


# -- other languages: rules that do not know them leave the model's answer alone ----------------------

JAPANESE = (
    "【ソウル共同】韓国の尹錫悦大統領と岸田文雄首相は7日、ソウルで会談した。両首脳は半導体分野での協力で合"
    "意した。"
    "一方、福島第1原発の処理水放出を巡る対立は続いている。"
)


def test_a_japanese_article_keeps_its_agreement_and_dispute_and_its_titles_are_translated() -> None:
    assert detect_language(JAPANESE) == "ja"
    data = {
        "participants": [
            person("韓国の尹錫悦大統領", "尹錫悦", "韓国", "大統領"),
            person("岸田文雄首相", "岸田文雄", "日本", "首相"),
        ],
        "is_summit": True,
        "agreements": [
            item("両首脳は半導体分野での協力で合意した", "cooperation on semiconductors", "agreed")
        ],
        "disputes": [
            item("福島第1原発の処理水放出を巡る対立", "release of treated water from Fukushima", "ongoing")
        ],
    }
    summit = finalized(data, JAPANESE)
    assert [a.subject for a in summit.agreements] == ["cooperation on semiconductors"]
    assert [d.subject for d in summit.disputes] == ["release of treated water from Fukushima"]
    assert [p.title for p in summit.participants] == ["President", "Prime Minister"]
    assert summit.is_summit is True
    # Rules written in words do not run on Japanese; rules that need none do.
    worded = {r.name for r in RULES if not r.runs_on("ja")}
    assert {"agreement_cues", "dispute_cues", "stated_status", "stated_agreements"} <= worded
    assert {"sentence_grounding", "dispute_states", "meeting_parties"}.isdisjoint(worded)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Président", "President"),
        ("premier ministre", "Prime Minister"),
        ("Bundeskanzlerin", "Chancellor"),
        ("primeiro-ministro", "Prime Minister"),
        ("首相", "Prime Minister"),
        ("대통령", "President"),
        ("міністр закордонних справ", "Foreign Minister"),
        ("premier", "Prime Minister"),
        ("Governor", "Governor"),  # unknown: kept as written
    ],
)
def test_titles_are_unified_whatever_the_language(written: str, canonical: str) -> None:
    assert title(written) == canonical


def test_french_cue_words_are_read_in_french() -> None:
    text = (
        "PARIS, 3 mars - Le président français et le chancelier allemand se sont rencontrés à Paris lundi. "
        "Les deux dirigeants ont signé un accord sur l'énergie. La réunion a été marquée par un différend "
        "sur les quotas de pêche. Le menu comprenait du poisson."
    )
    assert detect_language(text) == "fr"
    data = {
        "disputes": [
            item("un différend sur les quotas de pêche", "fishing quotas", "ongoing"),
            item("Le menu comprenait du poisson", "fish on the menu", "ongoing"),
        ],
        "agreements": [item("ont signé un accord sur l'énergie", "energy agreement", "agreed")],
    }
    summit = finalized(data, text)
    assert [d.subject for d in summit.disputes] == ["fishing quotas"]
    assert [(a.subject, a.status) for a in summit.agreements] == [("energy agreement", "signed")]


# -- negation ---------------------------------------------------------------------------------------

NEGATED = (
    "BRUSSELS, May 2 - Polish President Anna Nowak met Norwegian Prime Minister Ola Berg in Brussels. The "
    "two leaders did not agree on a new fisheries accord. Poland failed to sign the energy accord. Norway "
    "offered no new ideas to resolve the crisis over visas. They signed no agreement."
)
NEGATED_FRAME = {
    "participants": [
        person("Polish President Anna Nowak", "Anna Nowak", "Poland", "President"),
        person("Norwegian Prime Minister Ola Berg", "Ola Berg", "Norway", "Prime Minister"),
    ],
    "is_summit": True,
}


def test_a_negated_word_does_not_turn_into_its_opposite() -> None:
    agreements = [
        item("did not agree on a new fisheries accord", "fisheries accord", "rejected"),
        item("failed to sign the energy accord", "energy accord", "planned"),
    ]
    disputes = [item("the crisis over visas", "visas", "ongoing")]
    summit = finalized({**NEGATED_FRAME, "agreements": agreements, "disputes": disputes}, NEGATED)
    assert [(a.subject, a.status) for a in summit.agreements] == [
        ("fisheries accord", "rejected"),  # the model's word stands: "did not agree" is not agreed
        ("energy accord", "planned"),  # "failed to sign" is not signed
    ]
    assert [(d.subject, d.status) for d in summit.disputes] == [("visas", "ongoing")]  # not resolved


def test_they_signed_no_agreement_adds_no_agreement() -> None:
    summit = finalized(dict(NEGATED_FRAME), NEGATED)
    assert summit.agreements == []


@pytest.mark.parametrize(
    ("text", "cue", "language", "expected"),
    [
        ("The two sides did not agree on a new accord.", "agree", "en", True),
        ("Poland failed to sign the accord.", "sign", "en", True),
        ("They signed no agreement.", "signed", "en", True),
        ("The two sides agreed on a new accord.", "agreed", "en", False),
        ("Les deux pays n'ont pas signé l'accord.", "signé", "fr", True),
        ("Alemania no firmó el acuerdo.", "firmó", "es", True),
        ("Deutschland hat das Abkommen nicht unterzeichnet.", "unterzeichnet", "de", True),
        ("O Brasil não assinou o acordo.", "assinou", "pt", True),
        ("Les deux pays ont signé l'accord.", "signé", "fr", False),
    ],
)
def test_negation_is_read_in_six_languages(text: str, cue: str, language: str, expected: bool) -> None:
    at = text.index(cue)
    assert negated(text, at, at + len(cue), language) is expected


# -- "agreed" in other senses -------------------------------------------------------------------------

OTHER_SENSES = (
    "SEOUL, May 7 - South Korean President Yoon Suk Yeol hosted Japanese Prime Minister Fumio Kishida in "
    "Seoul. Analysts Kim and Lee agreed that the summit had failed to heal old wounds. Industry groups and "
    "unions endorsed the plan for joint chip research. Outside, they signed a statement condemning the "
    "visit. Japan and South Korea signed a basic relations treaty in 1965."
)


def test_agreed_in_other_senses_is_no_agreement_of_those_meeting() -> None:
    frame = {
        "participants": [
            person("South Korean President Yoon Suk Yeol", "Yoon Suk Yeol", "South Korea", "President"),
            person("Japanese Prime Minister Fumio Kishida", "Fumio Kishida", "Japan", "Prime Minister"),
        ],
        "is_summit": True,
    }
    summit = finalized(frame, OTHER_SENSES)
    assert summit.is_summit is True
    assert summit.agreements == [], [a.evidence for a in summit.agreements]


# -- a mention is no summit -----------------------------------------------------------------------------


def test_leaders_named_in_passing_do_not_make_a_summit() -> None:
    text = (
        "PARIS, June 1 - French President Emmanuel Macron criticised U.S. President Donald Trump's tariffs "
        "on Sunday, a week before the G7 summit in Canada. He called them illegal."
    )
    frame = {
        "participants": [
            person("French President Emmanuel Macron", "Emmanuel Macron", "France", "President"),
            person("U.S. President Donald Trump", "Donald Trump", "United States", "President"),
        ],
        "is_summit": False,
    }
    summit = finalized(frame, text)
    assert summit.is_summit is False and summit.participants == []


#: Scholz and Xi as the model lists them, answering "no".
BERLIN_FRAME = {
    "participants": [
        person("German Chancellor Olaf Scholz", "Olaf Scholz", "Germany", "Chancellor"),
        person("Chinese President Xi Jinping", "Xi Jinping", "China", "President"),
    ],
    "is_summit": False,
}


@pytest.mark.parametrize(
    ("how", "summit"),
    [
        ("spoke by phone with Chinese President Xi Jinping on Friday about trade", False),  # a call
        ("met Chinese President Xi Jinping in Berlin on Friday for talks on trade", True),  # a meeting
    ],
)
def test_a_phone_call_is_no_summit_and_a_meeting_still_overrules_a_no(how: str, summit: bool) -> None:
    text = f"BERLIN, March 3 - German Chancellor Olaf Scholz {how}."
    assert finalized(dict(BERLIN_FRAME), text).is_summit is summit


WEIMAR = (
    "BRUXELLES - Les ministres des Affaires étrangères de la France, de l'Allemagne et de la Pologne se sont "
    "réunis lundi à Bruxelles. Le ministre français Jean-Marc Lefort, son homologue polonaise Katarzyna "
    "Nowicka et l'Allemand Stefan Albers ont adopté une déclaration commune."
)
WEIMAR_FRAME = {
    "participants": [
        person("Le ministre français Jean-Marc Lefort", "Jean-Marc Lefort", "France", "Foreign Minister"),
        person(
            "son homologue polonaise Katarzyna Nowicka", "Katarzyna Nowicka", "Poland", "Foreign Minister"
        ),
        person("l'Allemand Stefan Albers", "Stefan Albers", "Germany", "Foreign Minister"),
    ],
    "is_summit": False,
}


def test_ministers_named_after_the_sentence_that_says_their_states_met_make_a_summit() -> None:
    summit = finalized(dict(WEIMAR_FRAME), WEIMAR)
    assert summit.is_summit is True
    assert {p.name for p in summit.participants} == {"Jean-Marc Lefort", "Katarzyna Nowicka", "Stefan Albers"}


def test_a_sentence_before_that_says_other_states_met_makes_no_summit() -> None:
    text = (
        "ROME - Les ministres de l'Espagne et du Portugal se sont réunis lundi à Rome. Le ministre français "
        "Jean-Marc Lefort et son homologue polonaise Katarzyna Nowicka ont critiqué ce rapprochement."
    )
    frame = {"participants": WEIMAR_FRAME["participants"][:2], "is_summit": False}
    assert finalized(frame, text).is_summit is False


def test_a_call_the_sentence_before_reports_makes_no_summit() -> None:
    text = (
        "PARIS - Les ministres de la France et de la Pologne se sont entretenus par téléphone lundi. Le "
        "ministre français Jean-Marc Lefort et son homologue polonaise Katarzyna Nowicka ont adopté une "
        "déclaration commune."
    )
    frame = {"participants": WEIMAR_FRAME["participants"][:2], "is_summit": False}
    assert finalized(frame, text).is_summit is False


@pytest.mark.parametrize(
    "verb", ["ist am Freitag in Prag mit {} zusammengetroffen", "traf am Freitag in Prag {}"]
)
def test_german_says_met_in_its_ordinary_words(verb: str) -> None:
    guest = "dem tschechischen Ministerpräsidenten Pavel Dvořák"
    text = f"PRAG - Der österreichische Bundeskanzler Markus Feldner {verb.format(guest)}."
    frame = {
        "participants": [
            person(
                "Der österreichische Bundeskanzler Markus Feldner", "Markus Feldner", "Austria", "Chancellor"
            ),
            person(
                "tschechischen Ministerpräsidenten Pavel Dvořák", "Pavel Dvořák", "Czechia", "Prime Minister"
            ),
        ],
        "is_summit": False,
    }
    assert finalized(frame, text).is_summit is True


# -- order: the parties of a meeting before the check that a dispute has a state ----------------------


def test_a_row_at_a_bilateral_summit_is_the_two_states_row() -> None:
    text = (
        "OSLO, June 12 - Norwegian Prime Minister Ola Berg hosted Polish President Anna Nowak in Oslo. "
        "The talks were overshadowed by a row over fishing quotas."
    )
    frame = {
        "participants": [
            person("Norwegian Prime Minister Ola Berg", "Ola Berg", "Norway", "Prime Minister"),
            person("Polish President Anna Nowak", "Anna Nowak", "Poland", "President"),
        ],
        "is_summit": True,
        "disputes": [item("a row over fishing quotas", "fishing quotas", "ongoing")],
    }
    summit = finalized(frame, text)
    assert [(d.subject, d.parties) for d in summit.disputes] == [("fishing quotas", ["Norway", "Poland"])]


# -- names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "bare"),
    [
        ("Israel Katz", "Israel Katz"),
        ("Chad Wolf", "Chad Wolf"),
        ("Abdel Fattah el-Sisi", "Abdel Fattah el-Sisi"),
        ("Egyptian President Abdel Fattah el-Sisi", "Abdel Fattah el-Sisi"),
        ("Israeli Foreign Minister Israel Katz", "Israel Katz"),
        ("Japanese Prime Minister Shinzo Abe", "Shinzo Abe"),
    ],
)
def test_a_first_name_that_is_a_state_s_name_stays(written: str, bare: str) -> None:
    assert bare_name(written) == bare


def test_a_name_is_read_whole_from_its_evidence() -> None:
    assert name_in("Egyptian President Abdel Fattah el-Sisi said") == "Abdel Fattah el-Sisi"
    assert name_in("Israel Katz said") == "Israel Katz"


def test_a_state_s_own_name_is_no_person_s() -> None:
    assert name_in("Cabo Verde") is None
    assert name_in("Costa Rica") is None
    assert name_in("Chad Wolf said") == "Chad Wolf"


# -- a frame the model left half-written -----------------------------------------------------------------


def said_no(*people: dict[str, Any]) -> dict[str, Any]:
    """A frame listing ``people`` whose verdict is "no summit"."""
    return {"participants": list(people), "is_summit": False}


TANGIER = (
    "TANGER — Les ministres des Transports de l'Espagne et du Maroc se sont réunis mardi à Tanger. Ana "
    "Ruiz, ministre espagnole des Transports, a reçu son homologue marocain, Driss Alami, au port de la "
    "ville.\n\nIls ont signé un accord sur les ferries du détroit de Gibraltar."
)


def test_a_delegation_whose_evidence_names_a_person_is_that_person_and_ministers_meeting_make_a_summit() -> (
    None
):
    # As a small model answers: the person's name as evidence, name and title left null.
    frame = said_no(person("Ana Ruiz", None, "Espagne"), person("Driss Alami", None, "Maroc"))
    summit = finalized(frame, TANGIER)
    assert [p.name for p in summit.participants] == ["Ana Ruiz", "Driss Alami"]
    assert summit.is_summit is True  # "ministre" read from their sentence, which says they met


def test_a_title_left_out_is_not_read_from_a_sentence_that_names_no_summit_rank() -> None:
    text = (
        "TANGER — Les ports de l'Espagne et du Maroc ont accueilli mardi une délégation. Ana Ruiz, "
        "conseillère du port, a reçu Driss Alami, directeur adjoint des douanes marocaines."
    )
    frame = said_no(person("Ana Ruiz", None, "Espagne"), person("Driss Alami", None, "Maroc"))
    assert finalized(frame, text).is_summit is False


@pytest.mark.parametrize(
    ("written", "name", "rank"),
    [
        ("中村健一首相", "中村健一", "Prime Minister"),
        ("ジェームズ・ホールデン首相", "ジェームズ・ホールデン", "Prime Minister"),
        ("문재인 대통령", "문재인", "President"),
        ("Martin Luther King", "Martin Luther King", None),  # a Latin title may be a surname
        ("首相", "首相", None),  # a title alone is no name
    ],
)
def test_a_title_written_after_a_name_is_split_from_it(written: str, name: str, rank: str | None) -> None:
    assert title_after(written) == (name, rank)


@pytest.mark.parametrize(
    ("name", "evidence", "whole"),
    [
        ("응우", "응우옌 반 탄 베트남 국가주석", "응우옌 반 탄"),  # cut mid-word: up to the state's name
        ("Ol", "Ola Berg, Norway's prime minister", "Ola Berg"),  # up to the comma
        ("Ola", "Ola Berg", "Ola"),  # a whole word is no cut name
        ("Kim", "President Kim Jong-un", "Kim"),  # evidence that does not start with the name
    ],
)
def test_a_name_cut_mid_word_is_completed_from_its_evidence(name: str, evidence: str, whole: str) -> None:
    assert whole_name(name, evidence) == whole


# -- languages whose meeting words the rules now have -------------------------------------------------

TOKYO = (
    "東京 — 中村健一首相は15日、来日したニュージーランドのサラ・ウィルソン首相と首相官邸で会談した。"
    "両首脳は再生可能エネルギー分野での協力で合意した。"
)


def test_a_japanese_meeting_of_two_prime_ministers_is_a_summit_and_their_names_lose_the_title() -> None:
    frame = said_no(
        person("中村健一首相", "中村健一首相", "日本"),
        person("サラ・ウィルソン首相", "サラ・ウィルソン首相", "ニュージーランド"),
    )
    summit = finalized(frame, TOKYO)
    assert summit.is_summit is True
    assert [(p.name, p.title) for p in summit.participants] == [
        ("中村健一", "Prime Minister"),
        ("サラ・ウィルソン", "Prime Minister"),
    ]


@pytest.mark.parametrize(
    ("text", "summit"),
    [
        # Dutch: a phone call stays no summit; a visit is one.
        (
            "DEN HAAG — Premier Pieter de Graaf heeft woensdag telefonisch overleg gevoerd met de Belgische "
            "premier Luc Vermeulen.",
            False,
        ),
        (
            "DEN HAAG — Premier Pieter de Graaf heeft woensdag de Belgische premier Luc Vermeulen ontvangen "
            "voor een gesprek over de grens.",
            True,
        ),
    ],
)
def test_dutch_tells_a_call_from_a_meeting(text: str, summit: bool) -> None:
    frame = said_no(
        person("Premier Pieter de Graaf", "Pieter de Graaf", "Netherlands", "Prime Minister"),
        person("premier Luc Vermeulen", "Luc Vermeulen", "Belgium", "Prime Minister"),
    )
    assert finalized(frame, text).is_summit is summit


@pytest.mark.parametrize(
    ("text", "people"),
    [
        (
            "АСТАНА — Президент Казахстана Ерлан Сапаров и президент Киргизии Азамат Токтогулов в четверг "
            "провели встречу в Астане.",
            [
                ("Президент Казахстана Ерлан Сапаров", "Ерлан Сапаров", "Kazakhstan"),
                ("президент Киргизии Азамат Токтогулов", "Азамат Токтогулов", "Kyrgyzstan"),
            ],
        ),
        (
            "WARSZAWA — Prezydent Adam Nowicki spotkał się w piątek w Warszawie z prezydentem Litwy Jonasem "
            "Petrauskasem.",
            [
                ("Prezydent Adam Nowicki", "Adam Nowicki", "Poland"),
                ("prezydentem Litwy Jonasem Petrauskasem", "Jonasem Petrauskasem", "Lithuania"),
            ],
        ),
    ],
)
def test_russian_and_polish_meetings_of_presidents_are_summits(
    text: str, people: list[tuple[str, str, str]]
) -> None:
    frame = said_no(*(person(evidence, name, state, "President") for evidence, name, state in people))
    assert finalized(frame, text).is_summit is True
    assert {"leaders_meet", "two_states"} <= {r.name for r in RULES if r.runs_on("ja") and r.runs_on("pl")}


# -- attendees are those the article says take part -----------------------------------------------------

FINANCE = (
    "RIYADH, Feb 26 - Finance ministers of Saudi Arabia and Egypt met in Riyadh on Monday to discuss "
    "debt relief. Prices in Brazil, India and Argentina were also on the minds of investors. South "
    "America's economies slowed."
)


def test_states_the_article_only_mentions_are_not_delegations() -> None:
    frame = {
        "participants": [
            person("Finance ministers of Saudi Arabia", None, "Saudi Arabia"),
            person("Egypt", None, "Egypt"),
            person("Brazil", None, "Brazil"),
            person("India", None, "India"),
            person("South America", None, "South America"),
        ],
        "is_summit": True,
    }
    summit = finalized(frame, FINANCE)
    assert [p.country for p in summit.participants] == ["Saudi Arabia", "Egypt"]


def test_rules_declare_what_they_may_do_and_the_languages_their_words_cover() -> None:
    names = [r.name for r in RULES]
    assert names.index("meeting_parties") < names.index("dispute_states")
    for rule in RULES:
        assert rule.action in ("ground", "drop", "add", "overrule", "rewrite")
        assert rule.doc
        if rule.languages is not None:
            assert "en" in rule.languages, rule.name
    cues = next(r for r in RULES if r.name == "agreement_cues")
    assert cues.languages is not None and {"en", "fr", "es", "de", "pt", "it"} <= cues.languages


def test_a_lexicon_term_matches_at_a_word_start_or_as_a_whole_word() -> None:
    words = Lexicon({"en": {"cue": ["agree", "row!"]}, "ko": {"cue": ["합의"]}})
    assert words.search("cue", "They agreed.", "en") is not None
    assert words.search("cue", "They were rowing.", "en") is None
    assert words.search("cue", "A row broke out.", "en") is not None
    assert words.search("cue", "양국은 합의했다", "ko") is not None  # no word start in Korean
    assert words.search("cue", "They agreed.", "fr") is None  # not covered: nothing found
    assert words.languages("cue") == frozenset({"en", "ko"})


def test_a_lexicon_term_written_as_an_ending_matches_the_end_of_a_word() -> None:
    words = Lexicon({"it": {"future": ["-erà!"]}})
    assert words.search("future", "L'Italia presterà cento reperti.", "it") is not None
    assert words.search("future", "Era il 1969.", "it") is None  # the ending alone is no word that ends so
    assert words.search("future", "Le prestazioni erano buone.", "it") is None  # not an ending


# A commitment written in the future, with no word for an agreement, in three languages.
COMMITMENTS = [
    (
        "ROMA, 4 marzo - Il presidente egiziano e la presidente del Consiglio italiana si sono incontrati "
        "lunedì a Roma. La Biblioteca nazionale di Napoli presterà duecento manoscritti alla Biblioteca di "
        "Alessandria per tre anni.",
        "La Biblioteca nazionale di Napoli presterà duecento manoscritti alla Biblioteca di Alessandria",
        "loan of two hundred manuscripts",
        "it",
    ),
    (
        "MADRID, 4 de marzo - El presidente argentino y el presidente español se reunieron el lunes en "
        "Madrid. España prestará al Museo de Buenos Aires cuarenta cuadros de Goya durante dos años.",
        "España prestará al Museo de Buenos Aires cuarenta cuadros de Goya",
        "loan of forty Goya paintings",
        "es",
    ),
    (
        "PARIS, 4 mars - Le président français et le chancelier allemand se sont rencontrés lundi à Paris. "
        "La France va rendre à l'Allemagne trois tableaux de Dürer d'ici deux ans.",
        "La France va rendre à l'Allemagne trois tableaux de Dürer",
        "return of three Dürer paintings",
        "fr",
    ),
]


@pytest.mark.parametrize(("text", "evidence", "subject", "language"), COMMITMENTS, ids=["it", "es", "fr"])
def test_a_commitment_in_the_future_is_an_agreement_stated_in_so_many_words(
    text: str, evidence: str, subject: str, language: str
) -> None:
    assert detect_language(text) == language
    frame = {"is_summit": True, "participants": [person("presidente", None, None)]}
    summit = finalized({**frame, "agreements": [item(evidence, subject, "agreed")]}, text)
    (agreement,) = summit.agreements
    assert agreement.subject == subject
    assert agreement.status == "planned"  # what "presterà" says: not done yet


def test_a_sentence_with_neither_an_agreement_nor_a_commitment_still_loses_its_agreement() -> None:
    text = (
        "ROMA, 4 marzo - Il presidente egiziano e la presidente del Consiglio italiana si sono incontrati "
        "lunedì a Roma. Il Cile era membro della Comunità andina dal 1969."
    )
    evidence = "Il Cile era membro della Comunità andina dal 1969"
    agreements = [item(evidence, "Andean membership", "agreed")]
    summit = finalized({"is_summit": True, "agreements": agreements}, text)
    assert summit.agreements == []


def test_sentences_come_from_a_segmenter_and_slice_back_to_the_text() -> None:
    text = "SEOUL, May 7 - U.S. President Biden met Mr. Yoon. They agreed.\nA caption line"
    bounds = sentences(text, "en")
    assert [text[s:e] for s, e in bounds] == [
        "SEOUL, May 7 - U.S. President Biden met Mr. Yoon.",
        "They agreed.",
        "A caption line",
    ]


# -- leaders named in one sentence, said to meet in another -----------------------------------------------

HEADLINE_THEN_SURNAMES = (
    "Барак Обама і Володимир Путін у Пекіні\n\n"
    "ПЕКІН — Президенти США та Росії Барака Обами та Путіна провели короткі зустрічі за лаштунками форуму. "
    "Обама та Путін обговорили Сирію."
)


@pytest.mark.parametrize(
    ("text", "people", "summit"),
    [
        # Ukrainian: full names in a headline that says no meeting; surnames, declined, in the sentence
        # that does ("Барака Обами" for "Барак Обама").
        (
            HEADLINE_THEN_SURNAMES,
            [("Барак Обама", "United States"), ("Володимир Путін", "Russia")],
            True,
        ),
        # Spanish: one leader named in full in a sentence with no meeting word, by surname in the next.
        (
            "MADRID — El primer ministro sueco, Erik Lindqvist, aterrizó el jueves en Madrid. Horas después, "
            "Lindqvist se reunió en la Moncloa con el presidente del Gobierno, Andrés Ortega.",
            [("Erik Lindqvist", "Sweden"), ("Andrés Ortega", "Spain")],
            True,
        ),
        # The sentence naming them by surname says they spoke by phone: no summit.
        (
            "Erik Lindqvist y Andrés Ortega\n\nMADRID — Lindqvist y Ortega conversaron por teléfono el "
            "jueves.",
            [("Erik Lindqvist", "Sweden"), ("Andrés Ortega", "Spain")],
            False,
        ),
        # A sentence that says someone else met, naming neither by surname: no summit.
        (
            "Erik Lindqvist y Andrés Ortega\n\nMADRID — Los ministros de Portugal y Francia se reunieron el "
            "jueves. Lindqvist y Ortega criticaron su decisión.",
            [("Erik Lindqvist", "Sweden"), ("Andrés Ortega", "Spain")],
            False,
        ),
        # A surname two letters long, as written, in the sentence that says they met.
        (
            "LISBOA — O primeiro-ministro português, Rui Sá, chegou na terça-feira a Madrid. Sá reuniu-se "
            "depois com o presidente do Governo espanhol, Andrés Ortega, no Palácio da Moncloa.",
            [("Rui Sá", "Portugal"), ("Andrés Ortega", "Spain")],
            True,
        ),
        # In English "May" is also a month: the month's sentence does not say Jane May met anyone.
        (
            "Prime Minister Jane May opened a climate laboratory in Oxford on Tuesday. President Paul Castel "
            "of France said he would meet the Irish president in May.",
            [("Jane May", "United Kingdom"), ("Paul Castel", "France")],
            False,
        ),
        # In French it is no month: "May" is the surname.
        (
            "LONDRES — Jane May, Première ministre britannique, a inauguré mardi un laboratoire à Oxford. Le "
            "soir, May a rencontré le président français Paul Castel au château de Windsor.",
            [("Jane May", "United Kingdom"), ("Paul Castel", "France")],
            True,
        ),
    ],
    ids=[
        "uk-declined",
        "es-next-sentence",
        "es-phone",
        "es-others-met",
        "pt-two-letters",
        "en-month",
        "fr-may",
    ],
)
def test_leaders_said_to_meet_in_a_sentence_that_calls_them_by_surname_make_a_summit(
    text: str, people: list[tuple[str, str]], summit: bool
) -> None:
    frame = said_no(*(person(name, name, state, "President") for name, state in people))
    assert finalized(frame, text).is_summit is summit


def test_a_delegation_whose_evidence_is_a_surname_written_after_a_title_is_that_person() -> None:
    # As a small model answers: one leader's surname as a delegation's evidence, name and title left null.
    text = (
        "BRUXELLES — Le Premier ministre belge Wouters a annoncé jeudi un câble électrique vers la France. "
        "L'annonce a suivi une rencontre de Wouters avec le président français Castel au palais d'Egmont."
    )
    frame = said_no(person("Wouters", None, "Belgique"), person("Castel", None, "France"))
    summit = finalized(frame, text)
    assert [p.name for p in summit.participants] == ["Wouters", "Castel"]
    assert summit.is_summit is True  # both named after a title, said to meet in the second sentence


@pytest.mark.parametrize(
    "text",
    [
        # a word never written after a title
        "BRUXELLES — Le Premier ministre belge Wouters a annoncé jeudi un câble électrique vers la France. "
        "Le fournisseur Elia posera le câble sous la mer du Nord.",
        # after a title, but not in its clause: a place
        "BRUXELLES — Le Premier ministre belge Wouters a annoncé jeudi un câble vers la France. Le président "
        "français, arrivé à Elia, a salué le projet.",
        # after a title, then more words: a place the president went to
        "BRUXELLES — Le Premier ministre belge Wouters a annoncé jeudi un câble vers la France. Le président "
        "arrivé à Elia a salué le projet.",
    ],
    ids=["never-after-a-title", "a-place-after-a-comma", "a-place-words-after"],
)
def test_a_one_word_evidence_not_written_right_after_a_title_names_no_one(text: str) -> None:
    ctx = RuleContext.of(ExtractionContext(text))
    assert titled_surname("Elia", ctx) is None
    assert titled_surname("Wouters", ctx) == "Wouters"  # "Le Premier ministre belge Wouters"


def test_a_surname_is_matched_as_a_whole_word_not_inside_another() -> None:
    # "Ortegal" is a cape, not Ortega; "Lindqvists" is Lindqvist's (a case ending of up to three letters).
    text = (
        "Erik Lindqvist y Andrés Ortega\n\nMADRID — Los barcos de Ortegalia se reunieron el jueves. "
        "La delegación de Lindqvistovanamente llegó."
    )
    frame = said_no(
        person("Erik Lindqvist", "Erik Lindqvist", "Sweden", "Prime Minister"),
        person("Andrés Ortega", "Andrés Ortega", "Spain", "President"),
    )
    assert finalized(frame, text).is_summit is False


EU_JAPAN = (
    "BRUXELLES — La présidente de la Commission européenne, Katrin Vogel, a reçu vendredi à Bruxelles le "
    "Premier ministre japonais, Kenji Mori, pour le 32e sommet entre l'Union européenne et le Japon."
)


def test_a_summit_of_an_organization_and_a_state_is_one_of_two_parties() -> None:
    # The EU is a party in its own right: its president and Japan's prime minister make two.
    frame = {
        "participants": [
            person("Katrin Vogel", "Katrin Vogel", "EU"),
            person("Kenji Mori", "Kenji Mori", "Japan", "Prime Minister"),
        ],
        "is_summit": True,
    }
    summit = finalized(frame, EU_JAPAN)
    assert summit.is_summit is True
    assert [p.name for p in summit.participants] == ["Katrin Vogel", "Kenji Mori"]
    # And when the model said no, her rank read from her sentence and his make it one.
    assert finalized({**frame, "is_summit": False}, EU_JAPAN).is_summit is True


# -- a summit called off ---------------------------------------------------------------------------------

CALLED_OFF_FRAME = {
    "participants": [
        person("Ghana's President Kwame Boateng", "Kwame Boateng", "Ghana", "President"),
        person("Togo's President Koffi Adjovi", "Koffi Adjovi", "Togo", "President"),
    ],
    "location": {"evidence": "in Lomé", "city": "Lomé", "venue": None, "country": None},
    "is_summit": True,
}


@pytest.mark.parametrize(
    ("text", "summit"),
    [
        # Called off in the headline: no summit, and its frame goes with it.
        (
            "Ghana and Togo call off border summit\n\nACCRA, March 14 - Ghana's President Kwame Boateng and "
            "Togo's President Koffi Adjovi were due to meet in Lomé next week. No new date has been set.",
            False,
        ),
        # In French, in the first sentence of the body.
        (
            "Frontière : Accra et Lomé\n\nACCRA — Le sommet entre Kwame Boateng et Koffi Adjovi prévu à "
            "Lomé a été annulé jeudi. Ghana's President Kwame Boateng, Togo's President Koffi Adjovi.",
            False,
        ),
        # Not called off.
        (
            "Ghana and Togo did not call off their summit\n\nLOMÉ - Ghana's President Kwame Boateng and "
            "Togo's President Koffi Adjovi met in Lomé on Monday.",
            True,
        ),
        # A cancellation told as background, further down, of a summit that took place.
        (
            "Ghana and Togo leaders hold border summit\n\nLOMÉ - Ghana's President Kwame Boateng and Togo's "
            "President Koffi Adjovi met in Lomé on Monday. They signed a border deal. A summit planned for "
            "2019 was called off after a clash.",
            True,
        ),
    ],
)
def test_a_summit_the_headline_or_lede_says_was_called_off_is_no_summit(text: str, summit: bool) -> None:
    got = finalized(dict(CALLED_OFF_FRAME), text)
    assert got.is_summit is summit
    if not summit:
        assert got.participants == [] and got.location is None
        assert got.is_summit_reason == "the article says the meeting was called off"


def test_called_off_leaves_the_model_s_answer_where_its_words_do_not_reach() -> None:
    # Korean: no words of calling off, so the model's "yes" stands, as every rule's answer in a language
    # its words do not cover.
    text = (
        "가나·토고 정상회담 취소\n\n가나의 콰메 보아텡 대통령과 토고의 코피 아조비 대통령의 회담이 취소됐다."
    )
    frame = {
        "participants": [
            person("콰메 보아텡", "콰메 보아텡", "Ghana", "President"),
            person("코피 아조비", "코피 아조비", "Togo", "President"),
        ],
        "is_summit": True,
    }
    assert not next(r for r in RULES if r.name == "called_off").runs_on("ko")
    assert finalized(frame, text).is_summit is True


def test_a_finding_s_parties_are_read_from_adjectives_no_ending_derives() -> None:
    # "belge" of "Belgique", "néerlandais" of "Pays-Bas": read as the states, in the sentence's order.
    text = (
        "ANVERS — Les pêcheurs attendent une décision. Le gouvernement belge et le gouvernement néerlandais "
        "restent en désaccord sur les quotas de pêche en mer du Nord."
    )
    evidence = "Le gouvernement belge et le gouvernement néerlandais restent en désaccord"
    summit = finalized({"is_summit": False, "disputes": [item(evidence, "fishing quotas", "ongoing")]}, text)
    (dispute,) = summit.disputes
    assert dispute.parties == ["Belgium", "Netherlands"]


# -- a delegation is its state's leader, where the article names one after a title ----------------------

LISBON = (
    "Portugal e Cabo Verde assinam acordo de mobilidade em Lisboa\n\n"
    "LISBOA — O primeiro-ministro português, João Almeida, recebeu nesta quarta-feira em Lisboa o "
    "primeiro-ministro de Cabo Verde, Carlos Tavares, para a sétima cimeira luso-cabo-verdiana.\n\n"
    "Os dois chefes de governo assinaram um acordo de mobilidade."
)


def test_delegations_are_named_after_the_leaders_the_article_names_by_title() -> None:
    # As a small model answers: the two states, no names; the article names both prime ministers.
    frame = {
        "participants": [person("Portugal", None, "Portugal"), person("Cabo Verde", None, "Cabo Verde")],
        "is_summit": True,
    }
    summit = finalized(frame, LISBON)
    assert [(p.name, p.title) for p in summit.participants] == [
        ("João Almeida", "Prime Minister"),
        ("Carlos Tavares", "Prime Minister"),
    ]
    almeida = summit.participants[0]
    assert almeida.span is not None
    assert LISBON[almeida.span.start : almeida.span.end] == "primeiro-ministro português, João Almeida"


def test_a_delegation_stays_unnamed_when_its_state_has_two_people_named_by_title() -> None:
    text = (
        "LISBOA — O primeiro-ministro português, João Almeida, e o ministro português Rui Costa receberam "
        "o primeiro-ministro de Cabo Verde, Carlos Tavares, para a cimeira."
    )
    frame = {
        "participants": [person("Portugal", None, "Portugal"), person("Cabo Verde", None, "Cabo Verde")],
        "is_summit": True,
    }
    names = {p.country: p.name for p in finalized(frame, text).participants}
    assert names["Portugal"] is None  # a prime minister and a minister: which one came is not said
    assert names["Cabo Verde"] == "Carlos Tavares"


def test_a_delegation_written_in_english_is_grounded_where_the_article_names_its_state() -> None:
    # "Belgium" is not in the French text; "Belgique" is, and the leader is named by title and surname.
    text = (
        "La France et la Belgique relieront leurs réseaux électriques.\n\nBRUXELLES — Le Premier ministre "
        "belge Wouters a reçu jeudi le président français Castel au palais d'Egmont, pour le premier "
        "sommet franco-belge depuis dix ans."
    )
    frame = {
        "participants": [person("France", None, "France"), person("Belgium", None, "Belgium")],
        "is_summit": True,
    }
    summit = finalized(frame, text)
    assert {(p.name, p.country) for p in summit.participants} == {
        ("Castel", "France"),
        ("Wouters", "Belgium"),
    }


def test_a_delegation_of_a_state_the_article_never_names_is_still_dropped() -> None:
    frame = {"participants": [person("Belgium", None, "Belgium")], "is_summit": False}
    summit = finalized(frame, "Le président français Castel a reçu jeudi ses ministres à Paris.")
    assert summit.participants == []


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("O primeiro-ministro português, João Almeida, recebeu", "pt", [("PT", "João Almeida")]),
        ("Le Premier ministre belge Wouters a reçu", "fr", [("BE", "Wouters")]),
        (
            "Президент Литви Йонас Вайткус і президент Фінляндії Матті Ніемінен провели переговори",
            "uk",
            [("LT", "Йонас Вайткус"), ("FI", "Матті Ніемінен")],
        ),
        (
            "Brazilian President Luiz Inácio Lula da Silva met Syrian President Bashar al-Assad",
            "en",
            [("BR", "Luiz Inácio Lula da Silva"), ("SY", "Bashar al-Assad")],
        ),
        ("Le président sud-coréen Moon Jae-in a reçu", "fr", [("KR", "Moon Jae-in")]),
        ("Israeli Foreign Minister Israel Katz said", "en", [("IL", "Israel Katz")]),
        ("Le vice-président français Paul Martin a reçu", "fr", []),  # a deputy is no leader
        ("El presidente, llegado a Madrid, dijo", "es", []),  # no state, no name
        ("the president of the council, who arrived on Monday", "en", []),
        # A dash or a word of the sentence ends the reading: "Damascus" is no Lebanese president.
        ("blocking the election of a new Lebanese president -- a charge Damascus denies.", "en", []),
        ("the new Lebanese president, a charge Damascus denies", "en", []),
        # Korean writes the name first, then the state and the title; a word carrying a title, a particle
        # of two syllables or an adverb ("한편") is no part of the name, and a deputy ("부통령") no leader.
        (
            "이재원 대통령과 응우옌 반 탄 베트남 국가주석이 12일 서울에서 정상회담을 열었다.",
            "ko",
            [("VN", "응우옌 반 탄")],
        ),
        (
            "존 케리 미국 국무장관과 윤병세 한국 외교장관은 회담했다.",
            "ko",
            [("US", "존 케리"), ("KR", "윤병세")],
        ),
        ("한편 기시다 후미오 일본 외무상은 말했다.", "ko", [("JP", "기시다 후미오")]),
        ("김정은 북한 국무위원장이 말했다.", "ko", [("KP", "김정은")]),
        ("회담에서 펜스 미국 부통령은 말했다.", "ko", []),
        ("오전 일본 총리실은 밝혔다.", "ko", []),  # the prime minister's office, not a prime minister
    ],
)
def test_people_named_after_a_title_with_their_state(
    text: str, language: str, expected: list[tuple[str, str]]
) -> None:
    assert [(code, name) for code, name, *_ in titled_people(text, 0, len(text), language)] == expected


SEOUL_TALKS = (
    "한·베트남 정상회담…반도체 협력 양해각서 서명\n\n"
    "서울 = 이재원 대통령과 응우옌 반 탄 베트남 국가주석이 12일 서울에서 정상회담을 열었다."
)


@pytest.mark.parametrize(
    ("text", "frame_country", "stated"),
    [
        # Reading a Korean summit, the model gave Vietnam's president the host's country.
        (SEOUL_TALKS, "South Korea", "Vietnam"),
        ("OSLO - Polish President Anna Nowak met Norway's prime minister in Oslo.", "Norway", "Poland"),
        (SEOUL_TALKS, "Vietnam", "Vietnam"),  # right already: unchanged
    ],
)
def test_a_participant_named_beside_a_title_and_a_state_is_of_that_state(
    text: str, frame_country: str, stated: str
) -> None:
    name = "응우옌 반 탄" if "응우옌" in text else "Anna Nowak"
    frame = {"participants": [person(name, name, frame_country)], "is_summit": True}
    summit = finalized(frame, text)
    (got,) = [p for p in summit.participants if p.name == name]
    assert got.country == stated and got.country_iso is not None and got.country_iso.name == stated


def test_a_name_the_article_titles_with_two_states_keeps_the_model_s_country() -> None:
    text = (
        "Polish President Anna Nowak met Norwegian Prime Minister Ola Berg in Oslo. A namesake, Czech "
        "President Anna Nowak, was not there."
    )
    frame = {
        "participants": [
            person("Anna Nowak", "Anna Nowak", "Sweden"),
            person("Ola Berg", "Ola Berg", "Norway"),
        ],
        "is_summit": True,
    }
    summit = finalized(frame, text)
    # Polish or Czech: the article does not settle it, so the model's answer stands (wrong or not).
    assert [(p.name, p.country) for p in summit.participants] == [
        ("Anna Nowak", "Sweden"),
        ("Ola Berg", "Norway"),
    ]


TALLINN_TALKS = (
    "Естонія і Латвія домовилися про спільний кабель\n\n"
    "ТАЛЛІНН — Прем'єр-міністр Естонії Кайя Тамм і президент Латвії Андріс Озолс провели у середу "
    "переговори в Таллінні. Лідери домовилися спільно збудувати новий кабель."
)


def test_people_a_sentence_names_by_title_and_says_meet_take_part_when_the_frame_has_none() -> None:
    # The model listed no one and said no summit: the lede names two leaders of two states who held talks.
    summit = finalized(said_no(), TALLINN_TALKS)
    assert [(p.name, p.country, p.title) for p in summit.participants] == [
        ("Кайя Тамм", "Estonia", "Prime Minister"),
        ("Андріс Озолс", "Latvia", "President"),
    ]
    assert summit.is_summit is True  # and they are leaders of two states who meet


def test_people_named_by_title_in_a_phone_call_do_not_take_part() -> None:
    text = TALLINN_TALKS.replace("провели у середу переговори в Таллінні", "поговорили у середу телефоном")
    summit = finalized(said_no(), text)
    assert summit.participants == [] and summit.is_summit is False


def test_a_frame_naming_two_parties_gains_no_one_from_titles() -> None:
    frame = {
        "participants": [person("Кайя Тамм", "Кайя Тамм", "Estonia"), person("Латвії", None, "Latvia")],
        "is_summit": True,
    }
    summit = finalized(frame, TALLINN_TALKS)
    # Latvia's delegation is named after its president (titled_participants), no one else is added.
    assert [(p.name, p.country) for p in summit.participants] == [
        ("Кайя Тамм", "Estonia"),
        ("Андріс Озолс", "Latvia"),
    ]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # Capitalized words of an office are no name: "Affaires", "Consiglio".
        (
            "le ministre français des Affaires étrangères, Jean-Yves Le Drian, a reçu",
            "fr",
            [("FR", "Jean-Yves Le Drian", "ministre")],
        ),
        (
            "il presidente del Consiglio italiano Marco Ferretti ha ricevuto",
            "it",
            [("IT", "Marco Ferretti", "presidente")],
        ),
        # Words before the title: the state's, and the office's own ("Foreign").
        (
            "Russian Foreign Minister Igor Ivanov met South Korean President Moon Jae-in",
            "en",
            [("RU", "Igor Ivanov", "Foreign Minister"), ("KR", "Moon Jae-in", "President")],
        ),
        # "Russia" belongs to Putin's clause; Modi's title has no state before it.
        ("President Putin of Russia met Prime Minister Modi", "en", []),
    ],
)
def test_the_words_around_a_title_are_read_as_office_state_or_name(
    text: str, language: str, expected: list[tuple[str, str, str]]
) -> None:
    got = [(code, name, written) for code, name, written, *_ in titled_people(text, 0, len(text), language)]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "language", "listed"),
    [
        ("The summit was attended by leaders from Peru, Chile and Bolivia in Lima.", "en", True),
        ("Leaders of Peru, Chile and Bolivia boycotted the summit.", "en", False),
        ("En présence de la France, de l'Allemagne et de l'Italie, le sommet s'est ouvert.", "fr", True),
        ("Les dirigeants de France, Allemagne et Italie ont boycotté le sommet.", "fr", False),
        ("Delegationen aus Frankreich, Polen und Italien blieben fern.", "de", False),
        ("Delegationen aus Frankreich, Polen und Italien trafen sich in Rom.", "de", True),
        ("Los jefes de estado de Perú, Chile y Bolivia rechazaron la invitación.", "es", False),
        ("Os chefes de estado de Portugal, Espanha e Itália não compareceram.", "pt", False),
    ],
)
def test_an_attendance_list_counts_unless_its_words_say_those_listed_were_not_there(
    text: str, language: str, listed: bool
) -> None:
    # The list's joining word ("and", "et", "und", "y", "e") and the words of absence are the language's.
    assert (len(listed_states(text, language)) >= 2) is listed


ARAB_SUMMIT = (
    "The Arab League summit in Syria's capital, Damascus, has ended. Syrian President Bashar al-Assad hosted "
    "the leaders of Egypt and Jordan. "
)


@pytest.mark.parametrize(
    ("text", "evidence", "state", "kept"),
    [
        # A state the article says stayed away is no delegation, though its sentence has a word of meeting
        # ("host", "attend", "accueilli", "Treffen").
        (
            ARAB_SUMMIT + "Lebanon's pro-western government boycotted the summit, accusing host Syria of "
            "blocking the election of a new Lebanese president -- a charge Damascus denies.",
            "Lebanon's pro-western government",
            "Lebanon",
            False,
        ),
        (ARAB_SUMMIT + "Qatar refused to attend the summit.", "Qatar", "Qatar", False),
        (
            "Le sommet de la Ligue arabe s'est achevé à Damas. Le président syrien Bachar el-Assad a reçu "
            "les dirigeants de l'Égypte et de la Jordanie. Le Liban a boycotté le sommet accueilli par la "
            "Syrie.",
            "Le Liban",
            "Lebanon",
            False,
        ),
        (
            "Der Gipfel der Arabischen Liga in Damaskus ist zu Ende gegangen. Der syrische Präsident Baschar "
            "al-Assad empfing die Staatschefs Ägyptens und Jordaniens. Der Libanon boykottierte das "
            "Gipfeltreffen.",
            "Der Libanon",
            "Lebanon",
            False,
        ),
        # Refusing something the summit did is no absence from it.
        (
            ARAB_SUMMIT + "Libya took part but refused to endorse the declaration the summit adopted.",
            "Libya",
            "Libya",
            True,
        ),
    ],
)
def test_a_delegation_the_article_says_stayed_away_does_not_take_part(
    text: str, evidence: str, state: str, kept: bool
) -> None:
    frame = {
        "participants": [
            person("Assad", "Assad", "Syria", "President"),
            person(evidence, None, state),
        ],
        "is_summit": True,
    }
    participants = finalized(frame, text).participants
    countries = [p.country for p in participants]
    assert (state in countries) is kept and "Syria" in countries
    # No one is named after "Lebanese president": the name after the dash belongs to another clause.
    assert all(p.name != "Damascus" for p in participants)


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("A row over fishing rights flared again between the two countries.", "en"),
        ("Les deux pays restent divisés sur la pêche.", "fr"),
        ("Los dos gobiernos siguen en desacuerdo sobre la pesca.", "es"),
        ("Os dois países continuam divididos sobre a pesca.", "pt"),
        ("Beide Seiten bleiben beim Fischfang uneins.", "de"),
        ("Both sides remain at odds over fishing.", "fr"),  # English quoted in a French article
    ],
)
def test_a_finding_naming_no_state_but_the_two_is_the_pair_s(sentence: str, language: str) -> None:
    dispute = Summit.model_validate(
        {"disputes": [item(sentence, "fishing", "ongoing")]}, context=ExtractionContext(sentence)
    ).disputes[0]
    assert parties_named(dispute, sentence, [], ["Norway", "Poland"], language) == ["Norway", "Poland"]
    assert parties_named(dispute, "The weather was fine.", [], ["Norway", "Poland"], language) == []


@pytest.mark.parametrize(
    ("name", "language", "generic"),
    [
        ("Summit", "en", True),
        ("the talks", "en", True),
        ("rare summit", "en", True),
        ("Le sommet", "fr", True),
        ("cumbre", "es", True),
        ("Gipfeltreffen", "de", True),
        ("Summit", "fr", True),  # the model's English in a French article
        ("ASEAN Summit", "en", False),
        ("G20 Summit", "en", False),
        ("Sommet de la Francophonie", "fr", False),
        ("32e sommet UE-Japon", "fr", False),
    ],
)
def test_a_meeting_s_name_that_only_says_what_it_is_is_none(name: str, language: str, generic: bool) -> None:
    # The words for a summit and a meeting are each language's (words.json), not a list of names in code.
    assert is_generic_name(name, language) is generic
