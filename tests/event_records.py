"""Records of the invented event articles (``benchmarks/events/articles``), made as ``extract_many`` does:
each article answered pass by pass by a script (what a model might answer) and run through the real pipeline
(grounding, rules, normalization), so the records hold real spans into the real texts. No model, no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from summit_extract import Item, Summit, extract_many
from summit_extract.testing import ScriptedRequest, scripted_backend

ARTICLES = Path(__file__).resolve().parent.parent / "benchmarks" / "events" / "articles"

PUBLISHED = {
    "e01_kyiv_air_defence_summit": "2026-06-09",
    "e02_kiev_summit_other_outlet": "2026-06-09",
    "e03_trilateral_tokyo": "2026-12-02",
    "e04_bilateral_busan": "2026-12-05",
    "e05_nairobi_preview": "2026-09-01",
    "e06_nairobi_summit": "2026-09-07",
    "e07_rail_deal_analysis": "2026-09-08",
    "e08_chile_peru_fishing_row": "2026-09-08",
}


def _person(evidence: str, name: str | None, title: str | None, country: str) -> dict[str, Any]:
    return {"evidence": evidence, "name": name, "title": title, "country": country}


NO_FINDINGS: dict[str, Any] = {"agreements": [], "disputes": []}

#: What a model might answer for each article, pass by pass.
ANSWERS: dict[str, dict[str, dict[str, Any]]] = {
    "e01_kyiv_air_defence_summit": {
        "frame": {
            "participants": [
                _person("Polish President Marek Zawadzki", "Marek Zawadzki", "President", "Poland"),
                _person("Lithuanian President Rasa Vaitkutė", "Rasa Vaitkutė", "President", "Lithuania"),
                _person(
                    "Ukrainian President Volodymyr Zelensky", "Volodymyr Zelensky", "President", "Ukraine"
                ),
            ],
            "location": {"evidence": "in Kyiv", "city": "Kyiv", "venue": None, "country": None},
            "date": {"text": "Tuesday"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "signed a joint declaration on air defence cooperation",
                    "subject": "joint declaration on air defence cooperation",
                    "status": "signed",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "no agreement was reached on transit fees, which Lithuania wants raised",
                    "subject": "transit fees for Ukrainian grain",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e02_kiev_summit_other_outlet": {
        "frame": {
            "participants": [
                _person(
                    "Ukrainian President Volodymyr Zelenskyy", "Volodymyr Zelenskyy", "President", "Ukraine"
                ),
                _person("Polish President Zawadzki", "Zawadzki", "President", "Poland"),
                _person("Latvian Prime Minister Jānis Ozols", "Jānis Ozols", "Prime Minister", "Latvia"),
                _person("Lithuania was represented by its president", None, None, "Lithuania"),
            ],
            "location": {"evidence": "in Kiev", "city": "Kiev", "venue": None, "country": None},
            "date": {"text": "Tuesday"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "expected to sign a declaration on air defence cooperation",
                    "subject": "declaration on air defence cooperation",
                    "status": "planned",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "remain at odds with Kyiv over transit fees for Ukrainian grain",
                    "subject": "transit fees for Ukrainian grain",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e03_trilateral_tokyo": {
        "frame": {
            "participants": [
                _person(
                    "Japanese Prime Minister Hiroshi Tanabe", "Hiroshi Tanabe", "Prime Minister", "Japan"
                ),
                _person("Chinese Premier Li Wenhao", "Li Wenhao", "Premier", "China"),
                _person("South Korean President Park Min-jae", "Park Min-jae", "President", "South Korea"),
            ],
            "location": {"evidence": "in Tokyo", "city": "Tokyo", "venue": None, "country": None},
            "date": {"text": "Wednesday"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "agreed to resume talks on a trilateral free trade agreement",
                    "subject": "resume talks on a trilateral free trade agreement",
                    "status": "agreed",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "China and Japan remain at odds over seafood import restrictions",
                    "subject": "seafood import restrictions",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e04_bilateral_busan": {
        "frame": {
            "participants": [
                _person("South Korean President Park Min-jae", "Park Min-jae", "President", "South Korea"),
                _person(
                    "Japanese Prime Minister Hiroshi Tanabe", "Hiroshi Tanabe", "Prime Minister", "Japan"
                ),
            ],
            "location": {"evidence": "in Busan", "city": "Busan", "venue": None, "country": None},
            "date": {"text": "Saturday"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "signed an agreement on youth exchange visas",
                    "subject": "youth exchange visas",
                    "status": "signed",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "the long-running dispute over compensation for wartime forced labour",
                    "subject": "compensation for wartime forced labour",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e05_nairobi_preview": {
        "frame": {
            "participants": [
                _person("Kenyan President Daniel Mwangi", "Daniel Mwangi", "President", "Kenya"),
                _person("Tanzanian President Halima Nyerere", "Halima Nyerere", "President", "Tanzania"),
                _person("Ugandan President Joseph Okello", "Joseph Okello", "President", "Uganda"),
            ],
            "location": {"evidence": "in Nairobi", "city": "Nairobi", "venue": None, "country": None},
            "date": {"text": "September 7"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "to sign an agreement on a standard gauge railway linking the port of "
                    "Mombasa to Kampala",
                    "subject": "standard gauge railway from Mombasa to Kampala",
                    "status": "planned",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "a dispute over sugar import quotas between Kenya and Uganda",
                    "subject": "sugar import quotas",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e06_nairobi_summit": {
        "frame": {
            "participants": [
                _person("Kenyan President Daniel Mwangi", "Daniel Mwangi", "President", "Kenya"),
                _person("Ugandan President Joseph Okello", "Joseph Okello", "President", "Uganda"),
                _person("Tanzania's delegation was led by its president", None, None, "Tanzania"),
            ],
            "location": {
                "evidence": "at State House",
                "city": "Nairobi",
                "venue": "State House",
                "country": None,
            },
            "date": {"text": "Monday"},
            "is_summit": True,
        },
        "agreements": {
            "agreements": [
                {
                    "evidence": "signed an agreement on Monday to build a standard gauge railway from "
                    "Mombasa to Kampala",
                    "subject": "standard gauge railway from Mombasa to Kampala",
                    "status": "signed",
                }
            ]
        },
        "disputes": {
            "disputes": [
                {
                    "evidence": "the row over sugar import quotas between Kenya and Uganda",
                    "subject": "sugar import quotas",
                    "status": "ongoing",
                }
            ]
        },
    },
    "e07_rail_deal_analysis": {
        "frame": {"participants": [], "location": None, "date": None, "is_summit": False},
        "agreements": {
            "agreements": [
                {
                    "evidence": "The agreement to build a standard gauge railway from Mombasa to Kampala",
                    "subject": "standard gauge railway from Mombasa to Kampala",
                    "status": "signed",
                }
            ]
        },
        "disputes": {"disputes": []},
    },
    "e08_chile_peru_fishing_row": {
        "frame": {"participants": [], "location": None, "date": None, "is_summit": False},
        "agreements": {"agreements": []},
        "disputes": {
            "disputes": [
                {
                    "evidence": "reviving a row over the maritime boundary between the two countries",
                    "subject": "maritime boundary",
                    "status": "escalating",
                }
            ]
        },
    },
}


def text(stem: str) -> str:
    """The text of an invented article."""
    return (ARTICLES / f"{stem}.txt").read_text(encoding="utf-8")


def _answer(request: ScriptedRequest) -> dict[str, Any]:
    for stem, answers in ANSWERS.items():
        if request.article.startswith(text(stem)[:60]):
            return answers[request.pass_name]
    raise AssertionError(f"no answers for {request.article[:60]!r}")


def records(stems: list[str] | None = None, *, published: bool = True) -> list[dict[str, Any]]:
    """The records ``extract_many`` writes for the invented articles (ids are their stems), each with its
    ``published`` date when asked (records carry it as a top-level field)."""
    chosen = stems or list(ANSWERS)
    items = [Item(stem, text(stem)) for stem in chosen]
    summary = extract_many(items, out=None, schema=Summit, backend=scripted_backend(_answer), cache=False)
    out = []
    for record in summary.records:
        assert record["status"] == "ok", record
        if published:
            record = {**record, "published": PUBLISHED[record["id"]]}
        out.append(record)
    return sorted(out, key=lambda r: chosen.index(r["id"]))
