"""The HTML evidence report: spans highlighted by their item's class, the article escaped and kept whole.

The report is generic: the Summit is one article type, the trade deal (tests/test_tradedeal.py) another.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import BaseModel, Field

from summit_extract import Extraction, ExtractionContext, Grounded, Span, Summit, Usage
from summit_extract._grounding import walk
from summit_extract._interfaces.report import PALETTE, colours, kind_of, render_html

#: Seed-article facts, several of them overlapping (a participant inside an agreement's evidence, a
#: statement inside a dispute's), as the embedded model reports them.
SEED_SUMMIT: dict[str, Any] = {
    "is_summit": True,
    "name": None,
    "location": {"evidence": "Rare Summit in Seoul", "city": "Seoul"},
    "date": {"text": "May 7"},
    "host_country": "South Korea",
    "participants": [
        {
            "evidence": "South Korean President Yoon Suk Yeol",
            "name": "Yoon Suk Yeol",
            "title": "President",
            "country": "South Korea",
        },
        {"evidence": "Fumio Kishida", "name": "Fumio Kishida", "title": "Prime Minister", "country": "Japan"},
        {
            "evidence": "Russian President Vladimir Putin",
            "name": "Vladimir Putin",
            "title": "President",
            "country": "Russia",
        },
    ],
    "agreements": [
        {
            "evidence": "Yoon and Kishida agreed to cooperate on chips",
            "parties": ["South Korea", "Japan"],
            "subject": "cooperation on chips",
            "kind": "technology",
            "status": "agreed",
        },
        {
            "evidence": "South Korean President Yoon Suk Yeol told Fumio Kishida that cooperation with the "
            "US was important to tackle security challenges",
            "parties": ["South Korea", "Japan"],
            "subject": "security cooperation with the US",
            "kind": "security",
            "status": "agreed",
        },
    ],
    "disputes": [
        {
            "evidence": "a dispute on paying compensation to Koreans forced to work at Japanese mines and "
            "factories",
            "parties": ["South Korea", "Japan"],
            "subject": "compensation for forced labor",
            "status": "easing",
        },
    ],
    "statements": [
        {
            "speaker": "Yoon Suk Yeol",
            "quote": "It is significant that shuttle diplomacy between the leaders of Korea and Japan is now "
            "in full swing",
        },
        {
            "speaker": "Kishida",
            "quote": "I myself feel pain in my heart that many people suffered pain and sadness in the very "
            "tough environment",
        },
    ],
}


def grounded(text: str, data: dict[str, Any], *, finalize: bool = True) -> Summit:
    """A Summit validated against the text and finalized, as an extraction leaves it."""
    context = ExtractionContext(text)
    summit = Summit.model_validate(data, context=context)
    if not finalize:  # made-up texts name no two states: keep what was validated
        return summit
    summit.finalize(context)
    if not summit.reports_event():
        summit.clear_event()
    return summit


@pytest.fixture
def seed_summit(seed_text: str) -> Summit:
    return grounded(seed_text, SEED_SUMMIT)


class Marks(HTMLParser):
    """Collects the article's text and its ``<mark>`` segments from a rendered report."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside div#article
        self.mark: dict[str, str] | None = None
        self.text: list[str] = []
        self.marks: list[tuple[dict[str, str], str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and a.get("id") == "article":
            self.depth = 1
        elif self.depth and tag == "mark":
            assert self.mark is None, "marks never nest: overlaps are cut into segments"
            self.mark = a
        elif self.depth:
            raise AssertionError(f"unexpected <{tag}> inside the article")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self.mark is not None:
            self.mark = None
        elif tag == "div" and self.depth:
            self.depth = 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
            if self.mark is not None:
                self.marks.append((self.mark, data))


def parse(page: str) -> Marks:
    parser = Marks()
    parser.feed(page)
    return parser


def test_every_span_is_highlighted_in_marks_of_its_kind(seed_text: str, seed_summit: Summit) -> None:
    page = render_html(seed_text, seed_summit)
    parsed = parse(page)
    assert "".join(parsed.text) == seed_text, "the article is reproduced whole, character for character"

    kinds: dict[str, Sequence[Grounded | None]] = {
        "location": [seed_summit.location],
        "summit-date": [seed_summit.date],
        "participant": seed_summit.participants,
        "agreement": seed_summit.agreements,
        "dispute": seed_summit.disputes,
        "statement": seed_summit.statements,
    }
    checked = 0
    for kind, items in kinds.items():
        for n, item in enumerate(items):
            assert item is not None and item.span is not None
            ident = f"{kind}-{n}"
            segments = [(attrs, data) for attrs, data in parsed.marks if ident in attrs["data-items"].split()]
            assert (
                "".join(data for _, data in segments)
                == item.evidence_text()
                == seed_text[item.span.start : item.span.end]
            )
            assert all(kind in attrs["data-kinds"].split() for attrs, _ in segments)
            # The linked item of the result is there, with the same id.
            assert f'id="item-{ident}"' in page
            checked += 1
    assert checked == len(list(walk(seed_summit))) == 11  # the added stated agreement is marked too


def test_overlapping_spans_are_cut_into_segments_coloured_by_the_innermost(
    seed_text: str, seed_summit: Summit
) -> None:
    parsed = parse(render_html(seed_text, seed_summit))
    # Both leaders' names lie inside the security agreement's evidence: those stretches belong to both.
    for n, name in ((0, "South Korean President Yoon Suk Yeol"), (1, "Fumio Kishida")):
        segment = [a for a, data in parsed.marks if data == name]
        assert len(segment) == 1, name
        assert segment[0]["data-items"].split() == [f"participant-{n}", "agreement-0"]
        assert segment[0]["class"] == "ev k-participant also-agreement"
    between = [a for a, data in parsed.marks if data == " told "]
    assert between and between[0]["data-items"] == "agreement-0" and between[0]["class"] == "ev k-agreement"
    # The quote lies inside no other span; the compensation dispute lies after it, apart.
    quote = [a for a, data in parsed.marks if "shuttle diplomacy" in data]
    assert len(quote) == 1 and quote[0]["data-kinds"] == "statement" and "k-statement" in quote[0]["class"]


def test_crossing_spans_render_as_three_segments() -> None:
    text = "Leaders said: Alpha Beta Gamma Delta, then left."
    summit = grounded(
        text,
        {
            "is_summit": True,
            "participants": [
                {"evidence": "Alpha Beta Gamma", "name": "Alpha Beta Gamma", "country": None, "title": None}
            ],
            "statements": [{"speaker": "Alpha", "quote": "Beta Gamma Delta"}],
        },
        finalize=False,
    )
    parsed = parse(render_html(text, summit))
    segments = [(a["data-kinds"], a["class"], data) for a, data in parsed.marks]
    assert segments == [
        ("participant", "ev k-participant", "Alpha "),
        ("participant statement", "ev k-participant also-statement", "Beta Gamma"),
        ("statement", "ev k-statement", " Delta"),
    ]


def test_the_article_and_the_result_are_escaped() -> None:
    text = (
        'At the <img src=x onerror=alert(1)> summit leaders wrote <script>alert("x")</script> & met: '
        "\"President Ana <b>Lima</b>\" said 'hi' & left."
    )
    summit = grounded(
        text,
        {
            "is_summit": True,
            "name": "<img src=x onerror=alert(1)>",
            "participants": [
                {
                    "evidence": "President Ana <b>Lima</b>",
                    "name": "Ana <b>Lima</b>",
                    "title": "President",
                    "country": None,
                }
            ],
            "statements": [{"speaker": "Ana", "quote": '<script>alert("x")</script> & met'}],
        },
        finalize=False,
    )
    page = render_html(text, summit)
    assert page.count("<script") == 1, "only the report's own script"
    assert "<img" not in page and "<b>Lima" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    parsed = parse(page)
    assert "".join(parsed.text) == text
    assert [data for a, data in parsed.marks if "participant-0" in a["data-items"]] == [
        "President Ana <b>Lima</b>"
    ]
    assert parsed.tags.count("script") == 1 and "img" not in parsed.tags


def test_the_page_is_self_contained(seed_text: str, seed_summit: Summit) -> None:
    page = render_html(seed_text, seed_summit, title="Seoul summit")
    assert page.startswith("<!DOCTYPE html>") and "<title>Seoul summit</title>" in page
    assert "default-src 'none'" in page, "a CSP forbids fetching anything"
    assert not re.search(r"<(link|iframe|img|object|embed)\b|\bsrc=|@import|url\(", page)
    assert "https://" not in page.replace(html.escape(seed_text), "")
    palette = colours(seed_summit)
    assert set(palette) == {"participant", "location", "summit-date", "agreement", "dispute", "statement"}
    assert len(set(palette.values())) == 6, "each class has its own colour"
    for kind, colour in palette.items():
        assert f"mark.k-{kind}, .key.k-{kind} {{ background: {colour}; }}" in page
        assert f'data-toggle="{kind}"' in page, "every kind is in the legend"


def test_an_extraction_shows_its_costs_and_its_flagged_items(seed_text: str, seed_summit: Summit) -> None:
    lost = seed_summit.statements[1].model_copy(
        update={"span": Span(start=0, end=0, alignment="unaligned", score=0.0)}
    )
    summit = seed_summit.model_copy(update={"statements": [seed_summit.statements[0], lost]})
    result = Extraction(
        value=summit,
        usage=Usage(1234, 321),
        attempts=2,
        model="qwen",
        backend="local",
        seconds=61.25,
        flagged=[lost],
    )
    page = render_html(seed_text, result)
    assert "1,555 (1,234 prompt, 321 completion)" in page and "qwen (local)" in page and "61.2" in page
    assert "not found in the article" in page
    parsed = parse(page)
    assert not [a for a, _ in parsed.marks if "statement-1" in a["data-items"]], "no highlight without a span"


def test_a_result_from_another_text_is_refused(seed_summit: Summit) -> None:
    with pytest.raises(ValueError, match="render the report with the text the extraction was made from"):
        render_html("A different, much shorter article.", seed_summit)


def test_a_result_from_another_text_of_the_same_length_is_refused(
    seed_text: str, seed_summit: Summit
) -> None:
    with pytest.raises(ValueError, match="render the report with the text the extraction was made from"):
        render_html(seed_text[::-1], seed_summit)


def test_evidence_the_aligner_trimmed_is_highlighted_as_the_article_has_it(seed_text: str) -> None:
    # The model closed its evidence with a period the article does not have there; alignment ignores it.
    data = {
        "is_summit": True,
        "participants": [
            {
                "evidence": "South Korean President Yoon Suk Yeol.",
                "name": "Yoon Suk Yeol",
                "country": "South Korea",
            }
        ],
    }
    summit = Summit.model_validate(data, context=ExtractionContext(seed_text))
    parsed = parse(render_html(seed_text, summit))
    assert [data for _, data in parsed.marks] == ["South Korean President Yoon Suk Yeol"]


# --- any article type ---------------------------------------------------------------------------


class Finding(Grounded):
    """A made-up item class: its label is its own."""

    evidence: str
    topic: str
    weight: int | None = None

    def label(self) -> str:
        return f"finding about {self.topic}"


class Audit(BaseModel):
    """A plain pydantic result (no Document): scalars, a list of strings, and grounded items."""

    auditor: str
    pages: int
    passed: bool
    tags: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)


AUDIT_TEXT = "The auditor found missing receipts and a late filing, and praised the new ledger."


def test_any_pydantic_result_is_reported_with_its_own_classes_labels_and_fields() -> None:
    audit = Audit.model_validate(
        {
            "auditor": "R. Okafor",
            "pages": 12,
            "passed": False,
            "tags": ["tax", "2024"],
            "findings": [
                {"evidence": "missing receipts", "topic": "receipts", "weight": 3},
                {"evidence": "a late filing", "topic": "deadlines"},
            ],
        },
        context=ExtractionContext(AUDIT_TEXT),
    )
    page = render_html(AUDIT_TEXT, audit)
    parsed = parse(page)
    assert "".join(parsed.text) == AUDIT_TEXT
    assert [(a["data-items"], a["class"], data) for a, data in parsed.marks] == [
        ("finding-0", "ev k-finding", "missing receipts"),
        ("finding-1", "ev k-finding", "a late filing"),
    ]
    assert parsed.marks[0][0]["title"] == "finding: finding about receipts"  # Grounded.label()
    assert "<title>Audit evidence report</title>" in page
    # The document's own top-level fields, whatever they are, then a table per list of items.
    rows = (
        "<th>Auditor</th><td>R. Okafor</td>",
        "<th>Pages</th><td>12</td>",
        "<th>Passed</th><td>no</td>",
        "<th>Tags</th><td>tax, 2024</td>",
        "<h3>Findings (2)</h3>",
        "<th>Topic</th><th>Weight</th>",
    )
    for row in rows:
        assert row in page, row
    assert 'id="item-finding-1"' in page and "<td>deadlines</td>" in page
    palette = colours(audit)
    assert list(palette) == ["finding"] and palette["finding"] in PALETTE
    assert 'data-toggle="finding"' in page
    assert f"mark.k-finding, .key.k-finding {{ background: {palette['finding']}; }}" in page


def test_colours_are_keyed_by_class_and_stable(seed_text: str, seed_summit: Summit) -> None:
    first = colours(seed_summit)
    empty = colours(Summit())  # the same article type, nothing found: the same colours
    assert first == empty
    assert kind_of(type(seed_summit.participants[0])) == "participant"
    # A class's colour does not depend on the order its items come in.
    shuffled = seed_summit.model_copy(update={"participants": seed_summit.participants[::-1]})
    assert colours(shuffled) == first
    assert render_html(seed_text, seed_summit) == render_html(seed_text, seed_summit)


def test_the_report_module_imports_no_article_type() -> None:
    import ast
    from pathlib import Path

    import summit_extract._interfaces.report as report

    tree = ast.parse(Path(report.__file__).read_text())
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in imported if "summit" in m.split(".")[-1] or "tradedeal" in m], imported
