"""How a Summit is asked for: three focused passes over one shared prompt prefix, and a worked example.

The frame comes first (who meets, where, when, and last the verdict), then agreements, then disputes;
statements are an extra pass, asked only on request (``passes=[..., "statements"]``), since they are not
worth their output tokens for most uses. The example article is invented for this project (never taken
from the dev set), and ``tests/test_examples.py`` checks that every evidence in it is copied from it.
"""

from __future__ import annotations

from ..toolkit import Example, Pass

__all__ = ["DEFAULT_PASSES", "EXAMPLE", "EXAMPLES", "INSTRUCTIONS", "MAX_FINDINGS", "PASSES"]

INSTRUCTIONS = (
    "A summit is a meeting of leaders or ministers of two or more states, including a state visit where "
    "a leader meets the host's leader. Agreements and disputes count whether or not the article reports "
    "a summit. A subject says what, not who: 'fishing quotas', not 'Poland accused Norway over quotas'."
)

#: Most agreements (or disputes) one answer lists for one piece of at most 4,000 characters: more than any
#: dev-set article states in all, and a cap on the loops a small model falls into ("cooperation on chips"
#: listed eight times until the token budget ran out).
MAX_FINDINGS = 8

PASSES = (
    Pass(
        "frame",
        ("participants", "location", "date", "name", "host_country", "is_summit"),
        "List the leaders, ministers or state delegations who take part in the meeting the article reports, "
        "each once (a country named without its leader is a delegation: name null); then where and when "
        "they meet, the meeting's name and host country as written; last, is_summit.",
        # Asked to translate (translate=True), only the frame reads the article in English: its findings a
        # small model lists better from the article's own words (benchmarks/REPORT.md, "translate").
        translated=True,
    ),
    Pass(
        "agreements",
        ("agreements",),
        "List every agreement the article reports: each thing the parties agreed, signed, decided, plan, "
        "proposed or offered. One item per thing agreed: split 'agreed to X and Y' into two items.",
        piecewise=True,
        max_items=MAX_FINDINGS,
    ),
    Pass(
        "disputes",
        ("disputes",),
        "List every dispute the article reports: each disagreement, row, rift, accusation, protest, boycott "
        "or conflict between states, governments or groups, current or past. One item per issue.",
        piecewise=True,
        max_items=MAX_FINDINGS,
    ),
    Pass(
        "statements",
        ("statements",),
        "List the notable remarks the article quotes, each with its speaker, copied word for word.",
    ),
)

#: Passes run when the caller does not choose: statements are asked only on request.
DEFAULT_PASSES = ("frame", "agreements", "disputes")

EXAMPLE = Example(
    text=(
        "OSLO, June 12 (Reuters) - Norwegian Prime Minister Ola Berg hosted Polish President Anna Nowak in "
        "Oslo on Friday for talks on energy and defence. The two leaders signed a gas supply deal and agreed "
        "to hold joint naval exercises next year. Berg said Norway would consider Poland's offer to build a "
        'shared ammunition plant. "Our seas are safer when we stand together," Nowak said.\n\n'
        "The talks were overshadowed by a row over fishing quotas in the Barents Sea, which Warsaw says "
        "Norway set unfairly. Relations have also been strained by Poland's objection to Norway's new visa "
        "rules."
    ),
    answer={
        "participants": [
            {
                "evidence": "Norwegian Prime Minister Ola Berg",
                "name": "Ola Berg",
                "title": "Prime Minister",
                "country": "Norway",
            },
            {
                "evidence": "Polish President Anna Nowak",
                "name": "Anna Nowak",
                "title": "President",
                "country": "Poland",
            },
        ],
        "location": {"evidence": "in Oslo", "city": "Oslo", "venue": None, "country": None},
        "date": {"text": "Friday"},
        "name": None,
        "host_country": "Norway",
        "is_summit": True,
        "agreements": [
            {
                "evidence": "signed a gas supply deal",
                "subject": "gas supply deal",
                "status": "signed",
            },
            {
                "evidence": "agreed to hold joint naval exercises",
                "subject": "joint naval exercises",
                "status": "agreed",
            },
            {
                "evidence": "Poland's offer to build a shared ammunition plant",
                "subject": "shared ammunition plant",
                "status": "offered",
            },
        ],
        "disputes": [
            {
                "evidence": "a row over fishing quotas in the Barents Sea",
                "subject": "fishing quotas in the Barents Sea",
                "status": "ongoing",
            },
            {
                "evidence": "Poland's objection to Norway's new visa rules",
                "subject": "Norway's new visa rules",
                "status": "ongoing",
            },
        ],
        "statements": [{"speaker": "Anna Nowak", "quote": "Our seas are safer when we stand together"}],
    },
)

#: A multilateral summit: the host's leader is named, the other states only as countries (delegations).
EXAMPLE_DELEGATIONS = Example(
    text=(
        "TALLINN, 3 March - Estonian Prime Minister Mari Kask hosted Latvia, Lithuania and Finland at a "
        "summit in Tallinn on 2-3 March on the safety of undersea power cables. The four governments agreed "
        "to patrol the cables jointly. Finland objected to a Latvian plan to route a new cable through its "
        "waters."
    ),
    answer={
        "participants": [
            {
                "evidence": "Estonian Prime Minister Mari Kask",
                "name": "Mari Kask",
                "title": "Prime Minister",
                "country": "Estonia",
            },
            {"evidence": "Latvia", "name": None, "title": None, "country": "Latvia"},
            {"evidence": "Lithuania", "name": None, "title": None, "country": "Lithuania"},
            {"evidence": "Finland", "name": None, "title": None, "country": "Finland"},
        ],
        "location": {"evidence": "in Tallinn", "city": "Tallinn", "venue": None, "country": None},
        "date": {"text": "2-3 March"},
        "name": None,
        "host_country": "Estonia",
        "is_summit": True,
        "agreements": [
            {
                "evidence": "agreed to patrol the cables jointly",
                "subject": "joint patrols of undersea power cables",
                "status": "agreed",
            },
        ],
        "disputes": [
            {
                "evidence": "Finland objected to a Latvian plan to route a new cable through its waters",
                "subject": "route of a new cable through Finnish waters",
                "status": "ongoing",
            },
        ],
        "statements": [],
    },
)

#: No summit: an incident between two states. The frame stays empty; the dispute is still listed.
EXAMPLE_NO_SUMMIT = Example(
    text=(
        "Ghana protested on Monday after Togolese soldiers crossed the border and detained two farmers, the "
        "foreign ministry in Accra said. Togo says the farmers were on its land. No talks are planned."
    ),
    answer={
        "participants": [],
        "location": None,
        "date": None,
        "name": None,
        "host_country": None,
        "is_summit": False,
        "agreements": [],
        "disputes": [
            {
                "evidence": "Ghana protested on Monday after Togolese soldiers crossed the border",
                "subject": "Togolese soldiers detaining farmers across the border",
                "status": "ongoing",
            },
        ],
        "statements": [],
    },
)

#: The worked examples, in the order they are shown: the richest last, nearest the article, since a small
#: model follows the example it read last most closely.
EXAMPLES = (EXAMPLE_NO_SUMMIT, EXAMPLE_DELEGATIONS, EXAMPLE)
