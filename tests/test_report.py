"""The HTML evidence report: every span highlighted by kind, the article escaped and reproduced whole."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import pytest

from summit_extract import Summit, Usage
from summit_extract._extracting import Extraction
from summit_extract._grounding import Grounded, GroundingContext, Span, walk
from summit_extract._normalizing import normalize
from summit_extract._report import KINDS, render_html

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
    "topics": ["security", "chips", "history"],
    "agreements": [
        {
            "evidence": "Yoon and Kishida agreed to cooperate on chips",
            "parties": ["South Korea", "Japan"],
            "subject": "cooperation on chips",
            "kind": "technology",
            "status": "agreed",
            "date": None,
        },
        {
            "evidence": "South Korean President Yoon Suk Yeol told Fumio Kishida that cooperation with the "
            "US was important to tackle security challenges",
            "parties": ["South Korea", "Japan"],
            "subject": "security cooperation with the US",
            "kind": "security",
            "status": "agreed",
            "date": None,
        },
    ],
    "disputes": [
        {
            "evidence": "a dispute on paying compensation to Koreans forced to work at Japanese mines and "
            "factories",
            "parties": ["South Korea", "Japan"],
            "subject": "compensation for forced labor",
            "background": "Japan's 1910-1945 colonial rule",
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


def grounded(text: str, data: dict[str, Any]) -> Summit:
    """A Summit validated against the text, as an extraction leaves it."""
    return normalize(Summit.model_validate(data, context=GroundingContext(text)))


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
        "date": [seed_summit.date],
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
    assert checked == len(list(walk(seed_summit))) == 10


def test_overlapping_spans_are_cut_into_segments_coloured_by_the_innermost(
    seed_text: str, seed_summit: Summit
) -> None:
    parsed = parse(render_html(seed_text, seed_summit))
    # Both leaders' names lie inside the security agreement's evidence: those stretches belong to both.
    for n, name in ((0, "South Korean President Yoon Suk Yeol"), (1, "Fumio Kishida")):
        segment = [a for a, data in parsed.marks if data == name]
        assert len(segment) == 1, name
        assert segment[0]["data-items"].split() == [f"participant-{n}", "agreement-1"]
        assert segment[0]["class"] == "ev k-participant also-agreement"
    between = [a for a, data in parsed.marks if data == " told "]
    assert between and between[0]["data-items"] == "agreement-1" and between[0]["class"] == "ev k-agreement"
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
    for kind, colour in KINDS.items():
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
    summit = Summit.model_validate(data, context=GroundingContext(seed_text))
    parsed = parse(render_html(seed_text, summit))
    assert [data for _, data in parsed.marks] == ["South Korean President Yoon Suk Yeol"]
