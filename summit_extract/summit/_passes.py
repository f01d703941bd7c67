"""How a Summit is asked for: three focused passes over one shared prompt prefix, and a worked example.

The frame comes first (who meets, where, when, and last the verdict), then agreements, then disputes;
statements are an extra pass, asked only on request (``passes=[..., "statements"]``), since they are not
worth their output tokens for most uses. The example article is invented for this project (never taken
from the dev set), and ``tests/test_examples.py`` checks that every evidence in it is copied from it.
"""

from __future__ import annotations

from .._document import Example, Pass

__all__ = ["EXAMPLE", "INSTRUCTIONS", "PASSES"]

INSTRUCTIONS = (
    "A summit is a meeting of leaders or ministers of two or more states. Agreements and disputes count "
    "whether or not the article reports a summit."
)

PASSES = (
    Pass(
        "frame",
        ("participants", "location", "date", "name", "host_country", "is_summit"),
        "List the leaders, ministers or state delegations who take part in the meeting the article reports, "
        "each once; then where and when they meet, the meeting's name and host country as written; "
        "last, is_summit.",
    ),
    Pass(
        "agreements",
        ("agreements",),
        "List every agreement the article reports: each thing the parties agreed, signed, decided, plan, "
        "proposed or offered. One item per thing agreed: split 'agreed to X and Y' into two items.",
        piecewise=True,
    ),
    Pass(
        "disputes",
        ("disputes",),
        "List every dispute the article reports: each disagreement, row, rift, accusation, protest, boycott "
        "or conflict between states, governments or groups, current or past. One item per issue.",
        piecewise=True,
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
                "parties": ["Norway", "Poland"],
                "status": "signed",
            },
            {
                "evidence": "agreed to hold joint naval exercises",
                "subject": "joint naval exercises",
                "parties": ["Norway", "Poland"],
                "status": "agreed",
            },
            {
                "evidence": "Poland's offer to build a shared ammunition plant",
                "subject": "shared ammunition plant",
                "parties": ["Poland", "Norway"],
                "status": "offered",
            },
        ],
        "disputes": [
            {
                "evidence": "a row over fishing quotas in the Barents Sea",
                "subject": "fishing quotas in the Barents Sea",
                "parties": ["Poland", "Norway"],
                "status": "ongoing",
            },
            {
                "evidence": "Poland's objection to Norway's new visa rules",
                "subject": "Norway's new visa rules",
                "parties": ["Poland", "Norway"],
                "status": "ongoing",
            },
        ],
        "statements": [{"speaker": "Anna Nowak", "quote": "Our seas are safer when we stand together"}],
    },
)
