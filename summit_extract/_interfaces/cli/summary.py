"""What the commands print: a readable summary of one record, and one line for a batch.

Generic over article types: the verdict (for a type that says whether the article reports its event), then
each top-level field in order, items with their evidence and where it lies in the article.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..._document import Document
from ..._fields import WrittenDate
from ..._grounding import Grounded, library_fields
from ..._runners.records import BatchSummary, Item, Record
from .app import printable

__all__ = ["print_batch_summary", "print_summary"]


def print_batch_summary(summary: BatchSummary, out: Path | None) -> None:
    """One line on stderr: what the batch did, and where its records went."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False)
    where = f" -> {printable(str(out))}" if out is not None else ""
    console.print(f"[bold]summit-extract[/bold]: {escape(printable(str(summary)))}{where}", soft_wrap=True)


def print_summary(record: Record, item: Item, schema: type[BaseModel] | None = None) -> None:
    """A readable summary of one record: what the article reports, each fact with its evidence.

    Generic over article types: the verdict (for a type that says whether the article reports its event),
    then each top-level field in order, items with their evidence and where it lies in the article.
    """
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    result = printable(record.result)
    console.print(f"[bold]{escape(printable(str(item.id)))}[/bold]")
    value: BaseModel | None = None
    if schema is not None:
        with contextlib.suppress(ValueError):
            value = schema.model_validate(result)
    if value is None:
        console.print(escape(json.dumps(result, indent=2, ensure_ascii=False)))
    else:
        for line in _summary_lines(value):
            console.print(line)
    cost = (
        "from cache, no request"
        if record.cached
        else f"{record.attempts} request(s), {record.usage.total_tokens} tokens, {record.seconds:.1f} s"
    )
    dropped = f", {record.dropped} ungrounded item(s) dropped" if record.dropped else ""
    flagged = f", {record.flagged} ungrounded item(s) flagged" if record.flagged else ""
    who = escape(printable(f"{record.backend} {record.model}"))
    console.print(f"[dim]{who}: {cost}{dropped}{flagged}[/dim]")


def _words(name: str) -> str:
    """A class or field name as words: "PeaceTreaty" -> "peace treaty", "host_country" -> "host country"."""
    import re

    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


def _plain(value: Any) -> str:
    if isinstance(value, WrittenDate):
        return value.text + (f" ({value.iso})" if value.iso else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value if v is not None)
    if isinstance(value, BaseModel):
        return ", ".join(_plain(getattr(value, f)) for f in type(value).model_fields if getattr(value, f))
    return "" if value is None else str(value)


def _evidence(item: Grounded, described: str) -> str:
    from rich.markup import escape

    span = item.span
    where = f" [{span.start}:{span.end}]" if span is not None else ""
    mark = " (unaligned)" if span is not None and span.alignment == "unaligned" else ""
    evidence = item.evidence_text()
    if evidence and evidence in described:  # a quote is its own evidence: say only where it is
        return f" [dim]{escape(where.strip())}{mark}[/dim]" if where or mark else ""
    return f'\n      [dim]evidence: "{escape(evidence)}"{escape(where)}{mark}[/dim]'


def _describe(item: Grounded) -> str:
    """An item in one line: its label, its other short fields in brackets, its list fields named."""
    label = item.label()
    hidden = {"span", item.evidence_field, *library_fields(type(item))}
    extras: list[str] = []
    lists: list[str] = []
    for name in type(item).model_fields:
        field_value = getattr(item, name)
        if name in hidden or field_value in (None, "", []):
            continue
        text = _plain(field_value)
        if isinstance(field_value, list):
            lists.append(f"{_words(name)}: {text}")
        elif text and text not in label:
            extras.append(text)
    return label + (f" [{', '.join(extras)}]" if extras else "") + "".join(f" {x}" for x in lists)


def _summary_lines(value: BaseModel) -> list[str]:
    from rich.markup import escape

    lines: list[str] = []
    model = type(value)
    verdict: bool | None = None
    if isinstance(value, Document) and type(value).reports_event is not Document.reports_event:
        verdict = value.reports_event()
        what = _words(model.__name__)
        name = getattr(value, "name", None)
        suffix = escape(f": {name}") if isinstance(name, str) and name else ""
        lines.append(f"Reports [bold]{'a' if verdict else 'no'} {escape(what)}[/bold]{suffix}")
    for field_name, info in model.model_fields.items():
        field_value = getattr(value, field_name)
        title = escape(_words(field_name).capitalize())
        holds_items = _holds_grounded(info.annotation)
        if field_name == "name" and verdict is not None:
            continue
        if isinstance(field_value, bool) and verdict is not None and field_value == verdict:
            continue  # the verdict, already said
        if isinstance(field_value, list) and holds_items:
            lines.append(f"[bold]{title}[/bold] ({len(field_value)})")
            for entry in field_value:
                if isinstance(entry, Grounded):
                    described = _describe(entry)
                    lines.append(f"  - {escape(described)}{_evidence(entry, described)}")
                else:
                    lines.append(f"  - {escape(_plain(entry))}")
        elif isinstance(field_value, Grounded):
            described = (
                _plain(field_value) if isinstance(field_value, WrittenDate) else _describe(field_value)
            )
            lines.append(f"[bold]{title}[/bold]: {escape(described)}{_evidence(field_value, described)}")
        elif field_value is None and holds_items:
            lines.append(f"[bold]{title}[/bold]: not stated")
        elif field_value not in (None, "", []):
            lines.append(f"[bold]{title}[/bold]: {escape(_plain(field_value))}")
    return lines


def _holds_grounded(annotation: Any) -> bool:
    import typing

    if isinstance(annotation, type):
        return issubclass(annotation, Grounded)
    return any(_holds_grounded(arg) for arg in typing.get_args(annotation))
