"""The HTML evidence report: the article with every evidence span highlighted by kind, beside the result.

One self-contained file: inline CSS and a little inline JavaScript, nothing fetched (a Content-Security-Policy
forbids it), so it opens offline and can be mailed around. Everything taken from the article or the model
is escaped. Overlapping spans are cut into segments at every span boundary; each segment is one ``<mark>``
listing all the items it belongs to, coloured by the innermost (shortest) span, with a coloured underline
when another kind also covers it. Hovering a highlight lights up its item in the result and the reverse;
clicking jumps between them. Without JavaScript the highlights and their tooltips still show.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._aligning import fold
from ._grounding import Grounded
from .summit._models import Agreement, Dispute, Summit  # TODO(issue 8): generic report

if TYPE_CHECKING:
    from ._result import Extraction

#: Kinds of evidence, in legend order, with their highlight colours.
KINDS: dict[str, str] = {
    "participant": "#bfdcff",
    "agreement": "#c7f0c2",
    "dispute": "#ffc9c9",
    "statement": "#fff0a8",
    "location": "#e2d0ff",
    "date": "#ffdcb8",
}


@dataclass(frozen=True)
class _Item:
    """One grounded fact of the result, as the report shows it."""

    id: str
    kind: str
    label: str
    item: Grounded


def render_html(text: str, extraction: Extraction[Summit] | Summit, *, title: str | None = None) -> str:
    """A self-contained HTML page showing ``text`` with the evidence of ``extraction`` highlighted.

    Raises ValueError when the spans do not fit ``text`` (the result of another text).
    """
    summit = extraction if isinstance(extraction, Summit) else extraction.value
    if not isinstance(summit, Summit):
        raise TypeError(f"render_html needs a Summit or an Extraction of one, not {type(summit).__name__}")
    items = _items(summit)
    _check_spans(text, items)
    heading = title or summit.name or "Summit evidence report"
    body = [
        "<header><h1>",
        _e(heading),
        "</h1>",
        _legend(items),
        "</header>",
        '<main><section class="article" aria-label="Article"><h2>Article</h2><div id="article">',
        _highlighted(text, items),
        '</div></section><section class="result" aria-label="Result">',
        _result(summit, items),
        "" if isinstance(extraction, Summit) else _costs(extraction),
        "</section></main>",
    ]
    return _PAGE.format(title=_e(heading), css=_CSS, script=_SCRIPT, body="".join(body))


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _items(summit: Summit) -> list[_Item]:
    found: list[_Item] = []
    if summit.location is not None:
        loc = summit.location
        where = ", ".join(filter(None, [loc.venue, loc.city, loc.country]))
        found.append(_Item("location-0", "location", where, loc))
    if summit.date is not None:
        found.append(_Item("date-0", "date", summit.date.iso or summit.date.text, summit.date))
    groups: Sequence[tuple[str, Iterable[Grounded]]] = (
        ("participant", summit.participants),
        ("agreement", summit.agreements),
        ("dispute", summit.disputes),
        ("statement", summit.statements),
    )
    for kind, members in groups:
        for n, member in enumerate(members):
            found.append(_Item(f"{kind}-{n}", kind, _label(member), member))
    return found


def _label(item: Grounded) -> str:
    for name in ("name", "subject", "speaker"):
        value = getattr(item, name, None)
        if value:
            return str(value)
    return str(getattr(item, "country", "") or item.evidence_text())


def _placed(item: _Item) -> bool:
    span = item.item.span
    return span is not None and span.alignment != "unaligned" and span.end > span.start


def _check_spans(text: str, items: list[_Item]) -> None:
    """Refuse a result made from another text: spans beyond its end, or no evidence where its span says."""
    placed = [it for it in items if _placed(it) and it.item.span is not None]
    beyond = [it for it in placed if it.item.span is not None and it.item.span.end > len(text)]
    # A span may legitimately differ from its evidence string (a closing period the aligner ignored, a
    # participant grounded on their name): only a result where no evidence matches is refused.
    matching = [it for it in placed if _matches(text, it)]
    if beyond or (placed and not matching):
        it = (beyond or placed)[0]
        assert it.item.span is not None
        raise ValueError(
            f"The evidence of {it.kind} {it.label!r} is not at [{it.item.span.start}, {it.item.span.end}) "
            "of this text: render the report with the text the extraction was made from."
        )


def _matches(text: str, it: _Item) -> bool:
    span = it.item.span
    if span is None:
        return False
    found, said = fold(text[span.start : span.end]), fold(it.item.evidence_text())
    return bool(found) and (found in said or said in found)


def _highlighted(text: str, items: list[_Item]) -> str:
    """The article as escaped text and ``<mark>`` segments, one per stretch covered by the same spans."""
    placed = [it for it in items if _placed(it)]
    cuts = {0, len(text)}
    for it in placed:
        assert it.item.span is not None
        cuts.update((it.item.span.start, it.item.span.end))
    bounds = sorted(cuts)
    out: list[str] = []
    for start, end in itertools.pairwise(bounds):
        piece = _e(text[start:end])
        covering = [it for it in placed if _covers(it, start, end)]
        if not covering:
            out.append(piece)
            continue
        # Innermost span first: it is the most specific item, and its colour fills the segment.
        covering.sort(key=lambda it: (_length(it), it.id))
        kinds = list(dict.fromkeys(it.kind for it in covering))
        classes = ["ev", f"k-{kinds[0]}"] + [f"also-{k}" for k in kinds[1:2]]
        tip = "; ".join(f"{it.kind}: {it.label}" for it in covering)
        out.append(
            f'<mark class="{" ".join(classes)}" data-kinds="{" ".join(kinds)}" '
            f'data-items="{" ".join(it.id for it in covering)}" title="{_e(tip)}">{piece}</mark>'
        )
    return "".join(out)


def _covers(it: _Item, start: int, end: int) -> bool:
    span = it.item.span
    return span is not None and span.start <= start and end <= span.end


def _length(it: _Item) -> int:
    span = it.item.span
    return 0 if span is None else span.end - span.start


def _legend(items: list[_Item]) -> str:
    counts = {kind: sum(1 for it in items if it.kind == kind) for kind in KINDS}
    entries = "".join(
        f'<label class="key k-{kind}"><input type="checkbox" checked data-toggle="{kind}"> '
        f"{kind} <small>({counts[kind]})</small></label>"
        for kind in KINDS
    )
    return f'<div class="legend" aria-label="Legend">{entries}</div>'


def _ref(it: _Item) -> str:
    """The attributes that link an item of the result to its highlight."""
    return f'id="item-{it.id}" class="item k-{it.kind}" data-item="{it.id}" tabindex="0"'


def _evidence_cell(it: _Item) -> str:
    if _placed(it):
        return f"<q>{_e(it.item.evidence_text())}</q>"
    return f'<q>{_e(it.item.evidence_text())}</q> <span class="flag">not found in the article</span>'


def _result(summit: Summit, items: list[_Item]) -> str:
    by_id = {it.id: it for it in items}
    parts = ['<h2>Result</h2><table class="facts"><tbody>']
    verdict = "yes" if summit.is_summit else "no"
    parts.append(f"<tr><th>Summit reported</th><td>{verdict}</td></tr>")
    rows = [("Name", summit.name), ("Host country", summit.host_country)]
    for label, value in rows:
        if value:
            parts.append(f"<tr><th>{label}</th><td>{_e(value)}</td></tr>")
    for key, label in (("location-0", "Location"), ("date-0", "Date")):
        if key in by_id:
            it = by_id[key]
            parts.append(f"<tr {_ref(it)}><th>{label}</th><td>{_e(it.label)} {_evidence_cell(it)}</td></tr>")
    parts.append("</tbody></table>")

    people = [it for it in items if it.kind == "participant"]
    parts.append(f"<h3>Participants ({len(people)})</h3>")
    if people:
        parts.append(
            "<table><thead><tr><th>Name</th><th>Title</th><th>Country</th><th>Evidence</th></tr></thead><tbody>"
        )
        for it, p in zip(people, summit.participants, strict=True):
            iso = f" ({p.country_iso.alpha2})" if p.country_iso and p.country_iso.alpha2 else ""
            parts.append(
                f"<tr {_ref(it)}><td>{_e(p.name or '—')}</td><td>{_e(p.title or '')}</td>"
                f"<td>{_e(p.country or '')}{_e(iso)}</td><td>{_evidence_cell(it)}</td></tr>"
            )
        parts.append("</tbody></table>")

    sections: tuple[tuple[str, str, Sequence[Agreement | Dispute]], ...] = (
        ("agreement", "Agreements", summit.agreements),
        ("dispute", "Disputes", summit.disputes),
    )
    for kind, title, members in sections:
        linked = [it for it in items if it.kind == kind]
        parts.append(f"<h3>{title} ({len(linked)})</h3><ul>")
        for it, m in zip(linked, members, strict=True):
            extra = getattr(m, "kind", None) or ""
            detail = " · ".join(_e(x) for x in (extra, m.status, getattr(m, "date", None)) if x)
            background = getattr(m, "background", None)
            parts.append(
                f"<li {_ref(it)}><b>{_e(m.subject)}</b> <small>{detail}</small><br>"
                f'<span class="parties">{_e(", ".join(m.parties))}</span>'
                + (f"<br><small>{_e(background)}</small>" if background else "")
                + f"<br>{_evidence_cell(it)}</li>"
            )
        parts.append("</ul>")

    said = [it for it in items if it.kind == "statement"]
    parts.append(f"<h3>Statements ({len(said)})</h3><ul>")
    for it, s in zip(said, summit.statements, strict=True):
        flag = "" if _placed(it) else ' <span class="flag">not found in the article</span>'
        parts.append(f"<li {_ref(it)}><b>{_e(s.speaker)}</b>: <q>{_e(s.quote)}</q>{flag}</li>")
    parts.append("</ul>")
    return "".join(parts)


def _costs(extraction: Extraction[Summit]) -> str:
    u = extraction.usage
    rows = [
        ("Model", f"{extraction.model} ({extraction.backend})"),
        ("Requests", extraction.attempts),
        ("Tokens", f"{u.total_tokens:,} ({u.prompt_tokens:,} prompt, {u.completion_tokens:,} completion)"),
        ("Seconds", f"{extraction.seconds:.1f}"),
        ("Dropped (evidence not found)", len(extraction.dropped)),
        ("Kept but flagged", len(extraction.flagged)),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<h3>Costs</h3><table class="facts costs"><tbody>{cells}</tbody></table>'


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="summit-extract">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script>{script}</script>
</body>
</html>
"""

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d1d1f; }
header { padding: .6em 1.2em; border-bottom: 1px solid #ddd; position: sticky; top: 0; background: #fff;
  z-index: 2; }
h1 { font-size: 1.25em; margin: 0 0 .3em; }
h2 { font-size: 1.05em; margin: .2em 0 .6em; } h3 { font-size: 1em; margin: 1.2em 0 .4em; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5em; padding: 1em 1.2em; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
#article { white-space: pre-wrap; overflow-wrap: anywhere; font-family: Georgia, serif; line-height: 1.65; }
mark.ev { color: inherit; padding: 0; cursor: pointer; }
mark.ev.active, .item.active { outline: 2px solid #1d1d1f; }
mark.ev.flash, .item.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { outline: 3px solid #ff7a00; } to { outline: 3px solid transparent; } }
.legend { display: flex; flex-wrap: wrap; gap: .4em; }
.key { padding: 0 .5em; border-radius: 3px; font-size: .9em; cursor: pointer; user-select: none; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { text-align: left; vertical-align: top; padding: .25em .4em; border-bottom: 1px solid #eee; }
.facts th { width: 12em; color: #555; font-weight: 600; }
ul { padding-left: 1.1em; } li { margin: .35em 0; padding: .15em .3em; }
.item { border-left: 4px solid transparent; cursor: pointer; }
q { color: #444; font-style: italic; }
.flag { color: #a40000; font-size: .85em; font-weight: 600; }
.parties { color: #555; font-size: .9em; }
""" + "".join(
    f"mark.k-{k}, .key.k-{k} {{ background: {c}; }}\n.item.k-{k} {{ border-left-color: {c}; }}\n"
    f"mark.also-{k} {{ box-shadow: inset 0 -3px 0 {c}; }}\n"
    f"body.hide-{k} mark.k-{k} {{ background: transparent; }}\n"
    for k, c in KINDS.items()
)

_SCRIPT = """
(function () {
  "use strict";
  var marks = Array.prototype.slice.call(document.querySelectorAll("mark.ev"));
  function marksOf(id) {
    return marks.filter(function (m) { return m.dataset.items.split(" ").indexOf(id) >= 0; });
  }
  function itemOf(id) { return document.getElementById("item-" + id); }
  function light(ids, on) {
    ids.forEach(function (id) {
      marksOf(id).forEach(function (m) { m.classList.toggle("active", on); });
      var it = itemOf(id); if (it) { it.classList.toggle("active", on); }
    });
  }
  function flash(el) {
    el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash");
    el.scrollIntoView({block: "center", behavior: "smooth"});
  }
  marks.forEach(function (m) {
    var ids = m.dataset.items.split(" ");
    m.addEventListener("mouseenter", function () { light(ids, true); });
    m.addEventListener("mouseleave", function () { light(ids, false); });
    m.addEventListener("click", function () { var it = itemOf(ids[0]); if (it) { flash(it); } });
  });
  document.querySelectorAll(".item[data-item]").forEach(function (it) {
    var id = it.dataset.item;
    it.addEventListener("mouseenter", function () { light([id], true); });
    it.addEventListener("mouseleave", function () { light([id], false); });
    it.addEventListener("click", function () { var ms = marksOf(id); if (ms.length) { flash(ms[0]); } });
  });
  document.querySelectorAll("input[data-toggle]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.body.classList.toggle("hide-" + box.dataset.toggle, !box.checked);
    });
  });
})();
"""
