"""How a TradeDeal is asked for: the frame, then the commitments, then the concerns; and a worked example.

The example article is invented for this project (Iceland and Peru have no such deal) and is in no
evaluation set; ``tests/test_tradedeal.py`` checks that every evidence in it is copied from it.
"""

from __future__ import annotations

from ..toolkit import Example, Pass

__all__ = ["EXAMPLE", "INSTRUCTIONS", "PASSES"]

INSTRUCTIONS = (
    "A trade deal is an agreement on trade between two or more states or blocs. Commitments and concerns "
    "count whether or not the article reports a deal."
)

PASSES = (
    Pass(
        "frame",
        ("parties", "name", "signing_date", "status", "is_trade_deal"),
        "List the countries or blocs party to the trade deal the article reports, each once; then the "
        "deal's name and when it was signed, as written, and how far it has got; last, is_trade_deal. "
        "An article about a tariff row or a trade dispute with no agreement reports no trade deal.",
    ),
    Pass(
        "commitments",
        ("commitments",),
        "List every commitment the deal makes: each tariff removed or cut, quota opened, market opened, "
        "standard recognised, investment or purchase promised. One item per party and goods.",
    ),
    Pass(
        "concerns",
        ("concerns",),
        "List every concern the article reports: each objection, fear, complaint or trade dispute, and "
        "who raises it. One item per issue.",
    ),
)

EXAMPLE = Example(
    text=(
        "REYKJAVIK, September 3 - Iceland and Peru signed a free trade agreement on Wednesday after three "
        "rounds of talks. Iceland will eliminate its tariffs on Peruvian asparagus, and Peru will cut its 9% "
        "duty on Icelandic frozen fish to zero over four years. Peru also agreed to a quota of 500 tonnes of "
        "Icelandic lamb at a reduced rate.\n\n"
        "Icelandic vegetable growers warned that cheap imports could hurt greenhouse farms, and Peruvian "
        "officials complained about Iceland's strict labelling rules for coffee."
    ),
    answer={
        "parties": [{"name": "Iceland"}, {"name": "Peru"}],
        "name": None,
        "signing_date": {"text": "Wednesday"},
        "status": "signed",
        "is_trade_deal": True,
        "commitments": [
            {
                "evidence": "Iceland will eliminate its tariffs on Peruvian asparagus",
                "party": "Iceland",
                "kind": "tariff removal",
                "subject": "Peruvian asparagus",
                "detail": None,
            },
            {
                "evidence": "Peru will cut its 9% duty on Icelandic frozen fish to zero over four years",
                "party": "Peru",
                "kind": "tariff cut",
                "subject": "Icelandic frozen fish",
                "detail": "from 9% to zero over four years",
            },
            {
                "evidence": "a quota of 500 tonnes of Icelandic lamb at a reduced rate",
                "party": "Peru",
                "kind": "quota",
                "subject": "Icelandic lamb",
                "detail": "500 tonnes at a reduced rate",
            },
        ],
        "concerns": [
            {
                "evidence": "cheap imports could hurt greenhouse farms",
                "subject": "cheap imports hurting greenhouse farms",
                "raised_by": "Icelandic vegetable growers",
            },
            {
                "evidence": "complained about Iceland's strict labelling rules for coffee",
                "subject": "Iceland's labelling rules for coffee",
                "raised_by": "Peruvian officials",
            },
        ],
    },
)
