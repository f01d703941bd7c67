"""The HTML event view in a real headless Chromium: each event's facts, each source's sentence, the
evidence marked where the article states it, the majority and the minority of a disagreement told apart.

Drives Chromium over the DevTools protocol on a pipe, as ``test_report_browser`` does (its ``Browser``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from summit_extract import Summit
from summit_extract._consolidating import consolidate
from summit_extract._interfaces.event_report import render_events_html
from tests.event_records import ANSWERS, records, text
from tests.test_report_browser import CHROMIUM, Browser

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install -y chromium chromium-driver)",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    assert CHROMIUM is not None
    chromium = Browser(CHROMIUM, tmp_path / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


MARKS_JS = """
Array.from(document.querySelectorAll("section.event mark")).map(m => ({
  event: m.closest("section.event").id,
  text: m.textContent, start: Number(m.dataset.start), end: Number(m.dataset.end),
  visible: m.getBoundingClientRect().width > 0 && m.getBoundingClientRect().height > 0,
  background: getComputedStyle(m).backgroundColor,
  article: m.closest("li").querySelector(".article").textContent,
}))
"""


def test_the_event_view_shows_each_fact_with_the_sentences_stating_it(
    browser: Browser, tmp_path: Path
) -> None:
    recs = records()
    events = list(consolidate(recs, schema=Summit))
    texts = {stem: text(stem) for stem in ANSWERS}
    page = tmp_path / "events.html"
    page.write_text(render_events_html(events, texts, title="Invented events"), encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.evaluate("document.title") == "Invented events"
    assert browser.evaluate("document.querySelectorAll('section.event').length") == 5

    marks = browser.evaluate(MARKS_JS)
    spanned = [s for e in events for fs in e.facts.values() for f in fs for s in f.sources if s.span]
    spanned += [s for e in events for c in e.fields.values() for v in c.values for s in v.sources if s.span]
    assert len(marks) == len(spanned) >= 40
    for mark in marks:  # each marked evidence is the article's own words at its span, and shows
        assert texts[mark["article"]][mark["start"] : mark["end"]] == mark["text"], mark
        assert mark["visible"] and mark["background"] == "rgb(255, 240, 168)", mark

    kyiv = next(e for e in events if len(e.articles) == 2)
    rows = browser.evaluate(
        f"""Array.from(document.getElementById("{kyiv.event}").querySelectorAll("table.facts tr.fact"))
            .map(r => r.querySelector("td.label").firstChild.textContent)"""
    )
    assert {"Marek Zawadzki", "Rasa Vaitkutė", "Volodymyr Zelenskyy", "Jānis Ozols"} <= set(rows)
    disputed = browser.evaluate(
        f"""Array.from(document.getElementById("{kyiv.event}").querySelectorAll(".claim.disputed"))
            .map(d => [d.dataset.field, d.textContent, getComputedStyle(d).color])"""
    )
    assert disputed == [["status", "status: signed (1), planned (1)", "rgb(170, 51, 51)"]]
    headline = browser.evaluate(
        f"""document.getElementById("{kyiv.event}").querySelector(".disagreements").textContent"""
    )
    assert headline == "Sources disagree on: agreements[0].status"
