"""The HTML event view: the facts of each event, and for each one the sentence of every article stating it.

One self-contained page like the evidence report's (``_report``): inline CSS, no script, nothing fetched (a
Content-Security-Policy forbids it), everything from the articles or the records escaped. Per event: its
articles and window, what the sources disagree on, then a table per scalar field (each value the articles
give, the majority's marked, the sources of each) and per list field (each merged fact, the articles
stating it, an item's disputed fields such as a status). Each source shows the sentence of its article
holding the evidence (``_language.sentence_at``), the evidence itself marked; a source whose article text
was not given shows its evidence alone, and one whose span does not slice back to the text says so.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from .._events import Claim, Event, Fact, Source
from .._language import detect_language, sentence_at

__all__ = ["render_events_html"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _key(article: Any) -> str:
    return str(article)


class _Texts:
    """Article texts by id, with each one's language detected once (for its sentence boundaries)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = {str(k): v for k, v in texts.items()}
        self.languages: dict[str, str] = {}

    def sentence(self, source: Source) -> str:
        text = self.texts.get(_key(source.article))
        evidence = source.evidence or ""
        span = source.span
        if text is None or span is None:
            found = f"<mark>{_e(evidence)}</mark>" if evidence else "<i>(no evidence span)</i>"
            return f'<span class="quote unplaced">{found}</span>'
        if text[span.start : span.end] != evidence:
            return (
                f'<span class="quote mismatch">span does not slice back to the article: {_e(evidence)}</span>'
            )
        key = _key(source.article)
        if key not in self.languages:
            self.languages[key] = detect_language(text)
        start, end = sentence_at(text, span.start, span.end, self.languages[key])
        return (
            f'<span class="quote">{_e(text[start : span.start])}<mark data-start="{span.start}" '
            f'data-end="{span.end}">{_e(evidence)}</mark>{_e(text[span.end : end])}</span>'
        )


def _sources(sources: list[Source], texts: _Texts) -> str:
    items = "".join(
        f'<li><span class="article">{_e(s.article)}</span> {texts.sentence(s)}</li>' for s in sources
    )
    return f'<ul class="sources">{items}</ul>'


def _claim_rows(name: str, claim: Claim, texts: _Texts) -> str:
    rows = []
    for n, value in enumerate(claim.values):
        majority = claim.majority == n
        status = "agreed" if claim.agreed else ("majority" if majority else "minority")
        badge = "" if claim.agreed else f' <span class="badge {status}">{status}</span>'
        head = f'<td rowspan="{len(claim.values)}">{_e(name)}</td>' if n == 0 else ""
        rows.append(
            f'<tr class="value {status}">{head}<td class="label">{_e(value.label)}{badge}</td>'
            f'<td class="count">{value.articles}</td><td>{_sources(value.sources, texts)}</td></tr>'
        )
    return "".join(rows)


def _fact_claims(fact: Fact) -> str:
    parts = []
    for name, claim in fact.claims.items():
        shown = ", ".join(
            f"{'<b>' if claim.majority == n and not claim.agreed else ''}{_e(v.label)} ({v.articles})"
            f"{'</b>' if claim.majority == n and not claim.agreed else ''}"
            for n, v in enumerate(claim.values)
        )
        css = "claim" if claim.agreed else "claim disputed"
        parts.append(f'<div class="{css}" data-field="{_e(name)}">{_e(name)}: {shown}</div>')
    return "".join(parts)


def _event(event: Event, texts: _Texts) -> str:
    window = f" · {_e(event.window[0])} – {_e(event.window[1])}" if event.window else ""
    articles = ", ".join(
        f"<code>{_e(a.id)}</code>{'' if a.reports_event else ' (joined by a finding)'}"
        for a in event.articles
    )
    out = [
        f'<section class="event" id="{_e(event.event)}" data-articles="{len(event.articles)}">',
        f"<h2>{_e(event.event)} · {len(event.articles)} article(s){window}</h2>",
        f'<p class="articles">{articles}</p>',
    ]
    if event.disagreements:
        out.append(f'<p class="disagreements">Sources disagree on: {_e(", ".join(event.disagreements))}</p>')
    if event.fields:
        out.append(
            '<table class="claims"><tr><th>field</th><th>value</th><th>articles</th><th>stated in</th></tr>'
        )
        out += [_claim_rows(name, claim, texts) for name, claim in event.fields.items()]
        out.append("</table>")
    for name, facts in event.facts.items():
        if not facts:
            continue
        out.append(f'<h3>{_e(name)}</h3><table class="facts" data-field="{_e(name)}">')
        out.append("<tr><th>fact</th><th>articles</th><th>stated in</th></tr>")
        for fact in facts:
            count = len({repr(s.article) for s in fact.sources})
            out.append(
                f'<tr class="fact"><td class="label">{_e(fact.label)}{_fact_claims(fact)}</td>'
                f'<td class="count">{count}</td><td>{_sources(fact.sources, texts)}</td></tr>'
            )
        out.append("</table>")
    out.append("</section>")
    return "\n".join(out)


def render_events_html(
    events: Iterable[Event], texts: Mapping[str, str] | None = None, *, title: str = "Events"
) -> str:
    """The event view of ``events``; ``texts`` (article id -> text) gives each source its sentence."""
    chosen = _Texts(texts or {})
    body = "\n".join(_event(event, chosen) for event in events)
    return _PAGE.format(title=_e(title), css=_CSS, body=body or "<p>No events.</p>")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title><style>{css}</style></head>
<body><h1>{title}</h1>
{body}
</body></html>
"""

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
section.event { border-top: 2px solid #888; margin-top: 2em; padding-top: .5em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid #ddd; padding: .3em .5em; vertical-align: top; text-align: left; }
td.count { text-align: right; width: 4em; }
mark { background: #fff0a8; }
ul.sources { margin: 0; padding-left: 1.1em; }
.article { font: 12px monospace; color: #555; }
.badge { font-size: 11px; padding: 0 .4em; border-radius: 3px; }
.badge.majority { background: #c7f0c2; }
.badge.minority { background: #ffc9c9; }
tr.minority td.label { color: #a33; }
.disagreements { color: #a33; font-weight: bold; }
.claim { font-size: 12px; color: #555; }
.claim.disputed { color: #a33; }
.mismatch { color: #a33; }
"""
