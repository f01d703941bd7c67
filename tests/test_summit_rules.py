"""The Summit's rules in code: findings must be stated, groups are not people, the verdict and its reasons.

Each rule is measured on the dev set for what it costs and saves (benchmarks/REPORT.md); these tests pin
what each one does on small invented texts.
"""

from __future__ import annotations

from typing import Any

import pytest

from summit_extract import ExtractionContext, Span, Summit, _dates
from summit_extract.summit._normalizing import EVIDENCE_CHARS, bare_name, is_person_name, name_in
from summit_extract.summit._rules import FILTERS, OVERRULES, finalize_summit

TEXT = (
    "OSAKA, March 2 - Thai Prime Minister Suda Kanchana met Vietnamese President Le Van Minh in Osaka. "
    "The two sides agreed that Thai engineers will build a railway to Hanoi. "
    "A row over fishing rights flared again between the two countries. North Korea is also on the agenda. "
    "Local student unions protested against tuition fees set by the city council."
)


def finalized(data: dict[str, Any], text: str = TEXT, rules: frozenset[str] | None = None) -> Summit:
    context = ExtractionContext(text)
    summit = Summit.model_validate(data, context=context)
    if rules is not None:
        from summit_extract.summit._rules import finalize_summit

        finalize_summit(summit, context, rules)
    else:
        summit.finalize(context)
    if not summit.reports_event():
        summit.clear_event()
    return summit


def person(evidence: str, name: str | None, country: str | None, title: str | None = None) -> dict[str, Any]:
    return {"evidence": evidence, "name": name, "title": title, "country": country}


def finding(
    evidence: str, subject: str, parties: list[str] | None = None, status: str = "ongoing"
) -> dict[str, Any]:
    """An agreement or dispute as the model writes it, between Thailand and Vietnam unless told."""
    return {
        "evidence": evidence,
        "subject": subject,
        "parties": parties or ["Thailand", "Vietnam"],
        "status": status,
    }


FRAME: dict[str, Any] = {
    "participants": [
        person("Thai Prime Minister Suda Kanchana", "Suda Kanchana", "Thailand", "Prime Minister"),
        person("Vietnamese President Le Van Minh", "Le Van Minh", "Vietnam", "President"),
    ],
    "is_summit": True,
}


def test_an_agreement_needs_a_word_that_states_one_in_or_just_before_its_evidence() -> None:
    summit = finalized(
        {
            **FRAME,
            "agreements": [
                # "agreed that" stands just before the evidence: kept.
                finding("Thai engineers will build a railway to Hanoi", "railway to Hanoi", status="agreed"),
                # Nothing agrees anything here.
                finding("North Korea is also on the agenda", "North Korea", status="agreed"),
            ],
        }
    )
    assert [a.subject for a in summit.agreements] == ["railway to Hanoi"]


def test_a_dispute_needs_a_stated_quarrel_and_a_state() -> None:
    disputes = [
        finding("A row over fishing rights", "fishing rights"),
        finding("North Korea is also on the agenda", "North Korea", ["North Korea"]),
        finding(
            "student unions protested against tuition fees",
            "tuition fees",
            ["student unions", "city council"],
        ),
    ]
    summit = finalized({**FRAME, "disputes": disputes})
    assert [d.subject for d in summit.disputes] == ["fishing rights"]
    unfiltered = finalized({**FRAME, "disputes": disputes}, rules=frozenset())
    assert len(unfiltered.disputes) == 3, "with the filters off the model's findings stay"
    assert {
        "sentence_grounding",
        "agreement_cues",
        "dispute_cues",
        "dispute_states",
        "stated_agreements",
    } == (FILTERS)


def test_the_verdict_never_clears_findings() -> None:
    summit = finalized(
        {
            "participants": [person("Thai Prime Minister Suda Kanchana", "Suda Kanchana", "Thailand")],
            "is_summit": True,
            "disputes": [finding("A row over fishing rights", "fishing rights")],
        },
        text=TEXT.replace("in Osaka", "by phone").replace("Vietnamese", "Thai"),
    )
    assert summit.is_summit is False
    assert summit.is_summit_reason == "the participants represent fewer than two states"
    assert summit.participants == [] and summit.location is None
    assert [d.subject for d in summit.disputes] == ["fishing rights"]


def test_leaders_of_two_states_in_the_frame_overrule_a_no() -> None:
    summit = finalized({**FRAME, "is_summit": False, "location": {"evidence": "in Osaka", "city": "Osaka"}})
    assert summit.is_summit is True
    assert summit.is_summit_reason == "leaders or ministers of two or more states take part"
    assert [p.name for p in summit.participants] == ["Suda Kanchana", "Le Van Minh"]
    assert summit.location is not None and summit.location.city == "Osaka"
    # The rule switched off: the model's "no" stands and clears the frame.
    kept = finalized({**FRAME, "is_summit": False}, rules=OVERRULES - {"leaders_meet"})
    assert kept.is_summit is False and kept.participants == []


def test_envoys_or_one_state_do_not_make_a_summit() -> None:
    envoys = [
        person("Thai envoy Suda Kanchana", "Suda Kanchana", "Thailand", "Vice Foreign Minister"),
        person("Vietnamese ambassador Le Van Minh", "Le Van Minh", "Vietnam", "Ambassador"),
    ]
    one_state = [
        person("Thai Prime Minister Suda Kanchana", "Suda Kanchana", "Thailand", "Prime Minister"),
        person("Thai Foreign Minister Anan Chai", "Anan Chai", "Thailand", "Foreign Minister"),
    ]
    groups = [
        person("Thai Prime Minister", "Thai Prime Minister", "Thailand", "Prime Minister"),
        person("Vietnamese President", "Vietnamese President", "Vietnam", "President"),
    ]
    # The lede names no leader of a second state: the frame's one state is all there is to go on.
    no_second = TEXT.replace("met Vietnamese President Le Van Minh", "met Vietnamese officials")
    for people in (envoys, one_state, groups):
        summit = finalized({"participants": people, "is_summit": False}, text=no_second)
        assert summit.is_summit is False and summit.is_summit_reason is None, people
    # Where the lede names the Vietnamese president meeting the Thai prime minister, he takes part
    # (``titled_attendees``), and two leaders of two states meeting are a summit.
    met = finalized({"participants": one_state, "is_summit": False})
    assert met.is_summit is True
    assert "Le Van Minh" in [p.name for p in met.participants]


def test_a_cut_evidence_is_completed_to_its_sentences_end_and_finds_its_cue_there() -> None:
    text = (
        "Japan's plans to release treated radioactive water from the wrecked Fukushima nuclear facility "
        "have caused a backlash in South Korea. Japan's plans to build a new research reactor near the "
        "coast of the island of Kyushu were announced on Monday by the ministry. Nothing else."
    )
    cut = text[:EVIDENCE_CHARS]  # what a grammar-capped model writes: a verbatim prefix, cut mid-sentence
    second = text.index("Japan's plans to build")
    unstated = text[second : second + EVIDENCE_CHARS]
    disputes = [
        {"evidence": e, "subject": "treated water", "parties": ["Japan", "South Korea"], "status": "ongoing"}
        for e in (cut, unstated)
    ]
    summit = finalized({"disputes": disputes}, text=text)
    first = text[: text.index(".")]  # "... have caused a backlash in South Korea"
    assert [d.evidence for d in summit.disputes] == [first], "the backlash states the first, not the second"
    (kept,) = summit.disputes
    assert kept.span is not None and text[kept.span.start : kept.span.end] == first
    # The word stating it is looked for in the finding's whole sentence, not only next to its evidence.
    short = {**disputes[0], "evidence": "Japan's plans to release treated radioactive water"}
    kept_short = finalized({"disputes": [short]}, text=text).disputes
    assert [d.evidence for d in kept_short] == ["Japan's plans to release treated radioactive water"]


def test_a_summits_attendance_list_brings_the_states_the_frame_left_out() -> None:
    text = (
        "LIMA, May 2 - The summit in Lima was attended by heads of state from Chile, Peru and Bolivia. "
        "Foreign ministers attended for Ecuador and Uruguay. Leaders of Spain once visited."
    )
    frame = {
        "participants": [person("Peru", None, "Peru")],
        "location": {"evidence": "in Lima", "city": "Lima"},
        "is_summit": True,
    }
    summit = finalized(frame, text=text)
    assert [p.country for p in summit.participants] == ["Peru", "Chile", "Bolivia", "Ecuador", "Uruguay"]
    for p in summit.participants:
        assert p.name is None and p.span is not None and text[p.span.start : p.span.end] == p.evidence
    chile = summit.participants[1].span
    assert chile is not None and chile.start == text.index("Chile")
    # A list of those who stayed away is no attendance list.
    absent = text + " The leaders of Brazil and Colombia were not invited."
    assert "Brazil" not in {p.country for p in finalized(frame, text=absent).participants}
    # "Leaders of Spain": a list of one is no attendance list. No summit: nobody is added.
    assert finalized({**frame, "is_summit": False, "participants": []}, text=text).participants == []
    off = finalized(frame, text=text, rules=OVERRULES - {"listed_states"})
    assert [p.country for p in off.participants] == ["Peru"]


def test_what_those_meeting_agreed_in_so_many_words_is_an_agreement() -> None:
    text = TEXT + (
        " The two leaders also agreed for the opening of a consulate in Da Nang, officials said. They signed "
        "the Mekong Water Charter which covers fishing. Farmers agreed to nothing. Outside, they signed a "
        "petition against the dam."
    )
    listed = finding(
        "The two sides agreed that Thai engineers will build a railway to Hanoi",
        "railway to Hanoi",
        status="agreed",
    )
    summit = finalized({**FRAME, "agreements": [listed]}, text=text)
    found = [(a.subject, a.status, a.parties) for a in summit.agreements]
    assert found == [
        ("railway to Hanoi", "agreed", ["Thailand", "Vietnam"]),  # listed by the model: not added twice
        ("opening of a consulate in Da Nang", "agreed", ["Thailand", "Vietnam"]),
        ("Mekong Water Charter", "signed", ["Thailand", "Vietnam"]),
    ]
    for a in summit.agreements:
        assert a.span is not None and text[a.span.start : a.span.end] == a.evidence
    consulate = "The two leaders also agreed for the opening of a consulate in Da Nang"
    assert summit.agreements[1].evidence == consulate
    # Without a summit there is no "two leaders" to speak of: nothing is added (here the leaders spoke by
    # phone, so no one the lede names takes part either).
    alone = finalized({"agreements": [listed]}, text=text.replace(" met ", " spoke by phone with "))
    assert [a.subject for a in alone.agreements] == ["railway to Hanoi"]
    rules = OVERRULES | FILTERS - {"stated_agreements"}
    off = finalized({**FRAME, "agreements": [listed]}, text=text, rules=rules)
    assert len(off.agreements) == 1


def test_parties_are_read_from_the_article_not_taken_from_the_model() -> None:
    text = (
        TEXT + " Suda Kanchana and Le Van Minh signed a Mekong Water Charter with ASEAN. The two sides "
        "agreed to cooperate on North Korea. Ghana protested after Togolese soldiers crossed the border."
    )
    charter = finding("signed a Mekong Water Charter", "Mekong Water Charter", ["Side A"], "signed")
    north = finding("agreed to cooperate on North Korea", "cooperation on North Korea", status="agreed")
    protest = finding("Ghana protested after Togolese soldiers crossed the border", "border crossing")
    summit = finalized({**FRAME, "agreements": [charter, north], "disputes": [protest]}, text=text)
    parties = {a.subject: a.parties for a in summit.agreements}
    # People named in the sentence stand for their states; an organization it names is a party too.
    assert parties["Mekong Water Charter"] == ["Thailand", "Vietnam", "ASEAN"]
    # At a summit an agreement is one of the states meeting: North Korea is what they agreed about.
    assert parties["cooperation on North Korea"] == ["Thailand", "Vietnam"]
    # A dispute keeps the states its sentence names, by name or adjective.
    assert summit.disputes[0].parties == ["Ghana", "Togo"]
    # Outside a summit nobody meets: "the two countries" are the two states the article names most.
    alone = finalized({"disputes": [finding("A row over fishing rights", "fishing rights")]})
    assert alone.disputes[0].parties == ["Thailand", "Vietnam"]


def test_a_subject_says_what_not_who() -> None:
    disputes = [
        finding(
            "Thailand's new government boycotted the talks", "Thailand's new government boycotted the talks"
        ),
        finding("A row over fishing rights", "Vietnamese fishing rights"),
    ]
    text = TEXT + " Thailand's new government boycotted the talks in protest."
    summit = finalized({**FRAME, "disputes": disputes}, text=text)
    assert [d.subject for d in summit.disputes] == ["boycotted the talks", "Vietnamese fishing rights"]
    assert summit.disputes[0].parties == ["Thailand", "Vietnam"], "who stays in the parties"


def test_groups_and_offices_are_not_people() -> None:
    for group in (
        "Southeast Asian leaders",
        "Syrian President",
        "heads of state",
        "foreign ministers",
        "Le Liban",  # a state after its article, capitalized as a sentence starts
        "Der Libanon",
    ):
        assert not is_person_name(group), group
    for name in ("Yoon Suk Yeol", "Luiz Inácio Lula da Silva", "Roh Moo-hyun", "George W. Bush", "Le Drian"):
        assert is_person_name(name), name
    assert name_in("Syrian President Bashar al-Assad acknowledged differences") == "Bashar al-Assad"
    assert name_in("Iraqi leaders refused to endorse the declaration") is None


def test_an_office_named_as_a_person_gives_way_to_the_name_its_evidence_gives() -> None:
    summit = finalized(
        {
            "participants": [
                person("Thai Prime Minister Suda Kanchana", "Thai Prime Minister", "Thailand"),
                person("Vietnamese President Le Van Minh", "Le Van Minh", "Vietnam"),
                person("Osaka", "Japanese officials", None),
            ],
            "is_summit": True,
        }
    )
    assert [p.name for p in summit.participants] == ["Suda Kanchana", "Le Van Minh"]


def test_a_generic_word_is_no_summit_name() -> None:
    summit = finalized({**FRAME, "name": "summit"}, text=TEXT + " The summit ended on Friday.")
    assert summit.name is None


def test_a_date_range_starts_on_its_first_day() -> None:
    assert _dates.parse("7-9 December") == _dates.PartialDate(None, 12, 7)
    assert _dates.parse("December 7-9, 2004") == _dates.PartialDate(2004, 12, 7)
    assert _dates.parse("7 au 9 décembre 2004") == _dates.PartialDate(2004, 12, 7)


def test_a_name_written_with_its_office_is_the_bare_name_and_a_group_is_no_person() -> None:
    assert bare_name("South Korean President Roh Moo-hyun") == "Roh Moo-hyun"
    assert bare_name("Japanese Prime Minister Shinzo Abe") == "Shinzo Abe"
    assert bare_name("Mr. Roh Moo-hyun") == "Roh Moo-hyun"
    assert bare_name("Luiz Inacio Lula da Silva") == "Luiz Inacio Lula da Silva"
    assert bare_name("Iraqi leaders") == "Iraqi leaders"  # no person's name in it: keep_people decides
    assert is_person_name("Bashar al-Assad") and is_person_name("Kim Jong-un")
    assert not is_person_name("Lebanon's pro-western government")
    assert not is_person_name("Le nouveau gouvernement du Parti québécois")


def test_finalizing_keeps_the_person_s_name_without_the_office_written_into_it() -> None:
    people = [
        person("Thai Prime Minister Suda Kanchana", "Thai Prime Minister Suda Kanchana", "Thailand"),
        person("Vietnamese President Le Van Minh", "Le Van Minh", "Vietnam", "President"),
    ]
    summit = finalized({**FRAME, "participants": people})
    assert [p.name for p in summit.participants] == ["Suda Kanchana", "Le Van Minh"]


STATUS_TEXT = (
    "They signed a gas deal. The two sides agreed that engineers will build a railway. Vietnam will sign a "
    "water charter next year. Thailand offered to train pilots. Vietnam proposed joint patrols. Thailand "
    "rejected a fishing ban. Both are negotiating a trade pact. Their leaders approved a visa deal. "
    "A row over fishing rights flared again. The border dispute was settled last year. Tensions over visas "
    "eased. A quarrel over rice exports goes on."
)


@pytest.mark.parametrize(
    ("evidence", "model_said", "status"),
    [
        ("signed a gas deal", "agreed", "signed"),
        ("agreed that engineers will build a railway", "planned", "agreed"),  # the first word that says wins
        ("will sign a water charter next year", "signed", "planned"),
        ("offered to train pilots", "agreed", "offered"),
        ("proposed joint patrols", "agreed", "proposed"),
        ("rejected a fishing ban", "agreed", "rejected"),
        ("negotiating a trade pact", "agreed", "in progress"),
        ("a visa deal", "proposed", "agreed"),  # "approved" stands just before the evidence
    ],
)
def test_an_agreement_s_status_is_what_the_words_stating_it_say(
    evidence: str, model_said: str, status: str
) -> None:
    item = finding(evidence, evidence, status=model_said)
    summit = finalized({**FRAME, "agreements": [item]}, text=STATUS_TEXT, rules=frozenset({"stated_status"}))
    assert [a.status for a in summit.agreements] == [status]


@pytest.mark.parametrize(
    ("evidence", "status"),
    [
        ("A row over fishing rights flared again", "escalating"),
        ("The border dispute was settled last year", "resolved"),
        ("Tensions over visas eased", "easing"),
        ("A quarrel over rice exports goes on", "ongoing"),  # the model said "resolved": nothing here does
    ],
)
def test_a_dispute_s_status_is_what_the_words_stating_it_say(evidence: str, status: str) -> None:
    item = finding(evidence, evidence, status="resolved")
    summit = finalized({**FRAME, "disputes": [item]}, text=STATUS_TEXT, rules=frozenset({"stated_status"}))
    assert [d.status for d in summit.disputes] == [status]


@pytest.mark.parametrize(
    ("sentence", "model_said", "status"),
    [
        # The sentence states two statuses: the whole sentence cannot tell which is this finding's.
        ("They signed a gas deal and agreed to abolish visas for students.", "agreed", "agreed"),
        # It states one: the words win, as for any evidence.
        ("Their leaders approved a visa deal.", "proposed", "agreed"),
    ],
)
def test_a_finding_grounded_in_a_whole_sentence_keeps_its_status_where_the_sentence_states_two(
    sentence: str, model_said: str, status: str
) -> None:
    text = f"Thai and Vietnamese leaders met in Osaka. {sentence}"
    context = ExtractionContext(text)
    answer = {**FRAME, "agreements": [finding(sentence, "visas", status=model_said)]}
    summit = Summit.model_validate(answer, context=context)
    (agreement,) = summit.agreements
    start = text.index(sentence)
    # As sentence grounding or citing leaves it: the evidence is the sentence, chosen by the library.
    agreement.span = Span(start=start, end=start + len(sentence), alignment="cited", score=0.0)
    finalize_summit(summit, context, frozenset({"stated_status"}))
    assert agreement.status == status
