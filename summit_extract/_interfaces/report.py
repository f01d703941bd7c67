"""The HTML evidence report: the article with every evidence span highlighted by the class of its item.

Works for any pydantic result: every ``Grounded`` item inside it is found (``walk``), coloured by its class
(a stable palette keyed by the class name, with a legend by class) and named by ``Grounded.label()``; the
result table shows the document's own top-level fields, then one table per list of items.

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
import re
import typing
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .._aligning import fold
from .._fields import WrittenDate
from .._grounding import Grounded, library_fields, walk
from .._result import Extraction

__all__ = ["PALETTE", "colours", "kind_of", "render_html"]

#: Highlight colours, light enough to read text on. A class takes the slot its name hashes to (crc32),
#: or the next free one when another class of the same report holds it.
PALETTE: tuple[str, ...] = (
    "#bfdcff",
    "#c7f0c2",
    "#ffc9c9",
    "#fff0a8",
    "#e2d0ff",
    "#ffdcb8",
    "#b9eee8",
    "#f6c8ec",
    "#dcebb0",
    "#d3dbe6",
    "#f3d9b1",
    "#c9c3f5",
)


@dataclass(frozen=True)
class _Item:
    """One grounded fact of the result, as the report shows it."""

    id: str
    kind: str
    label: str
    item: Grounded


def kind_of(cls: type[Grounded]) -> str:
    """The CSS-safe kind of an item class: its name in kebab case ("WrittenDate" -> "written-date")."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", cls.__name__).lower()


def _title(kind: str) -> str:
    return kind.replace("-", " ")


def _classes_in(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[Grounded]]:
    """The Grounded classes a field annotation can hold, depth first, in declaration order."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        if issubclass(annotation, Grounded):
            yield annotation
        for info in annotation.model_fields.values():
            yield from _classes_in(info.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        yield from _classes_in(arg, seen)


def _kinds(value: BaseModel) -> list[str]:
    """Every kind the result's type declares, then any other kind found among its items."""
    declared = [kind_of(c) for c in _classes_in(type(value), set())]
    found = [kind_of(type(g)) for g in walk(value)]
    return list(dict.fromkeys([*declared, *found]))


def colours(value: BaseModel | Extraction[Any]) -> dict[str, str]:
    """The colour of each kind of item in the report of ``value``: stable for a given article type."""
    model = value.value if isinstance(value, Extraction) else value
    return _palette(_kinds(model))


def _palette(kinds: Iterable[str]) -> dict[str, str]:
    taken: dict[int, str] = {}
    for kind in sorted(set(kinds)):
        slot = zlib.crc32(kind.encode()) % len(PALETTE)
        for step in range(len(PALETTE)):
            if (slot + step) % len(PALETTE) not in taken:
                slot = (slot + step) % len(PALETTE)
                break
        taken[slot] = kind  # more kinds than colours: they share the last slot probed
    return {kind: PALETTE[slot] for slot, kind in taken.items()}


def render_html(text: str, result: BaseModel | Extraction[Any], *, title: str | None = None) -> str:
    """A self-contained HTML page showing ``text`` with the evidence of ``result`` highlighted.

    ``result`` is any pydantic result holding ``Grounded`` items, or an ``Extraction`` of one (its costs are
    then shown). Raises ValueError when the spans do not fit ``text`` (the result of another text).
    """
    value = result.value if isinstance(result, Extraction) else result
    if not isinstance(value, BaseModel):
        raise TypeError(f"render_html needs a pydantic result or an Extraction, not {type(value).__name__}")
    items = _items(value)
    _check_spans(text, items)
    kinds = _kinds(value)
    palette = _palette(kinds)
    name = getattr(value, "name", None)
    heading = title or (name if isinstance(name, str) and name else f"{type(value).__name__} evidence report")
    body = [
        "<header><h1>",
        _e(heading),
        "</h1>",
        _legend(items, kinds),
        "</header>",
        '<main><section class="article" aria-label="Article"><h2>Article</h2><div id="article">',
        _highlighted(text, items),
        '</div></section><section class="result" aria-label="Result">',
        _result(value, items),
        _costs(result) if isinstance(result, Extraction) else "",
        "</section></main>",
    ]
    css = _CSS + "".join(_kind_css(k, c) for k, c in palette.items())
    return _PAGE.format(title=_e(heading), css=css, script=_SCRIPT, body="".join(body))


def _kind_css(k: str, c: str) -> str:
    return (
        f"mark.k-{k}, .key.k-{k} {{ background: {c}; }}\n.item.k-{k} {{ border-left-color: {c}; }}\n"
        f"mark.also-{k} {{ box-shadow: inset 0 -3px 0 {c}; }}\n"
        f"body.hide-{k} mark.k-{k} {{ background: transparent; }}\n"
    )


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _items(value: BaseModel) -> list[_Item]:
    found: list[_Item] = []
    counts: dict[str, int] = {}
    for item in walk(value):
        kind = kind_of(type(item))
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        found.append(_Item(f"{kind}-{n}", kind, item.label(), item))
    return found


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
            f"The evidence of {_title(it.kind)} {it.label!r} is not at [{it.item.span.start}, "
            f"{it.item.span.end}) of this text: render the report with the text the extraction was made from."
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
        tip = "; ".join(f"{_title(it.kind)}: {it.label}" for it in covering)
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


def _legend(items: list[_Item], kinds: list[str]) -> str:
    entries = "".join(
        f'<label class="key k-{kind}"><input type="checkbox" checked data-toggle="{kind}"> '
        f"{_e(_title(kind))} <small>({sum(1 for it in items if it.kind == kind)})</small></label>"
        for kind in kinds
    )
    return f'<div class="legend" aria-label="Legend">{entries}</div>'


def _ref(it: _Item) -> str:
    """The attributes that link an item of the result to its highlight."""
    return f'id="item-{it.id}" class="item k-{it.kind}" data-item="{it.id}" tabindex="0"'


def _evidence_cell(it: _Item) -> str:
    if _placed(it):
        return f"<q>{_e(it.item.evidence_text())}</q>"
    return f'<q>{_e(it.item.evidence_text())}</q> <span class="flag">not found in the article</span>'


def _heading(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    return info.title or name.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    """A field value as short plain text: lists joined, items by their label, models by their values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, WrittenDate):
        return f"{value.text} ({value.iso})" if value.iso else value.text
    if isinstance(value, Grounded):
        return value.label()
    if isinstance(value, BaseModel):
        parts = [_text(getattr(value, f)) for f in type(value).model_fields]
        return " · ".join(p for p in parts if p and p not in ("yes", "no"))
    if isinstance(value, list):
        return ", ".join(t for t in map(_text, value) if t)
    return str(value)


def _is_item_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Grounded) for v in value)


def _item_list_field(model: type[BaseModel], name: str, value: Any) -> bool:
    """A list of Grounded items, or an empty list declared to hold them."""
    if _is_item_list(value):
        return True
    return (
        isinstance(value, list)
        and not value
        and any(True for _ in _classes_in(model.model_fields[name].annotation, set()))
    )


def _result(value: BaseModel, items: list[_Item]) -> str:
    by_obj = {id(it.item): it for it in items}
    model = type(value)
    parts = ['<h2>Result</h2><table class="facts"><tbody>']
    lists: list[str] = []
    for name in model.model_fields:
        field_value = getattr(value, name)
        label = _heading(model, name)
        if _item_list_field(model, name, field_value):
            lists.append(name)
        elif isinstance(field_value, Grounded) and id(field_value) in by_obj:
            it = by_obj[id(field_value)]
            cell = f"{_e(_text(field_value))} {_evidence_cell(it)}"
            parts.append(f"<tr {_ref(it)}><th>{_e(label)}</th><td>{cell}</td></tr>")
        elif field_value is not None and field_value != [] and not isinstance(field_value, Grounded):
            parts.append(f"<tr><th>{_e(label)}</th><td>{_e(_text(field_value))}</td></tr>")
    parts.append("</tbody></table>")
    for name in lists:
        members: list[Grounded] = getattr(value, name)
        parts.append(f"<h3>{_e(_heading(model, name))} ({len(members)})</h3>")
        if members:
            parts.append(_item_table(members, by_obj))
    return "".join(parts)


def _item_table(members: list[Grounded], by_obj: dict[int, _Item]) -> str:
    """One row per item: its fields (those any item fills), then its evidence."""
    columns: list[str] = []
    for member in members:
        cls = type(member)
        hidden = {"span", member.evidence_field}
        for name in cls.model_fields:
            if name in hidden or name in columns:
                continue
            if name in library_fields(cls) and getattr(member, name) is None:
                continue
            columns.append(name)
    columns = [c for c in columns if any(_text(getattr(m, c, None)) for m in members)]
    head = "".join(f"<th>{_e(c.replace('_', ' ').capitalize())}</th>" for c in columns)
    rows = [f"<table><thead><tr>{head}<th>Evidence</th></tr></thead><tbody>"]
    for member in members:
        it = by_obj.get(id(member))
        cells = "".join(f"<td>{_e(_text(getattr(member, c, None)))}</td>" for c in columns)
        if it is None:
            rows.append(f"<tr>{cells}<td><q>{_e(member.evidence_text())}</q></td></tr>")
        else:
            rows.append(f"<tr {_ref(it)}>{cells}<td>{_evidence_cell(it)}</td></tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _costs(extraction: Extraction[Any]) -> str:
    u = extraction.usage
    rows: list[tuple[str, object]] = [
        ("Model", f"{extraction.model} ({extraction.backend})"),
        ("Requests", extraction.attempts),
        ("Tokens", f"{u.total_tokens:,} ({u.prompt_tokens:,} prompt, {u.completion_tokens:,} completion)"),
        ("Seconds", f"{extraction.seconds:.1f}"),
        ("Dropped (evidence not found)", len(extraction.dropped)),
        ("Kept but flagged", len(extraction.flagged)),
    ]
    if extraction.requests:
        rows.insert(2, ("Answers per pass", ", ".join(f"{k}: {v}" for k, v in extraction.requests.items())))
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
"""

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
