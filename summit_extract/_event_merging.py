"""One event from the records that tell of it: each field's values with their sources, each item merged.

- A scalar field (``location``, ``date``, ``name``, a verdict) becomes a ``Claim``: the values the articles
  give, grouped when the type's ``same_fact`` calls them one (Kyiv and Kiev), each with the articles, spans
  and evidence stating it, the most-supported first, and which one a majority of articles states. Only the
  articles that report the event speak for its frame (``event_fields`` and scalars); one joined through a
  finding speaks for its findings only.
- A list of ``Grounded`` items becomes ``Fact`` items: the items of every article grouped by ``same_fact``
  (fullest first, so that a named person absorbs the bare delegation of their country when the type says
  they are one), each merged with ``_merging``'s rule (the fuller item, completed from the others) and
  listing every article, span and evidence stating it. Fields of an item whose values are a closed set (a
  ``Literal``: an agreement's status) become claims of the fact, so "signed" in one article and "planned"
  in another both show, with their sources.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ._aligning import fold
from ._document import Document
from ._event_keys import Window, unspanned
from ._events import ArticleRef, Claim, ClaimValue, Event, Fact, Source
from ._grounding import Grounded, is_unaligned, library_fields
from ._merging import _combine, _fullness

__all__ = ["Article", "event_id", "merge_event"]


@dataclass
class Article:
    """One record as consolidation sees it: its id, publication date, value and event window."""

    id: Any
    published: dt.date | None
    value: Document
    window: Window | None


def _id_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def event_id(ids: Sequence[Any]) -> str:
    """A stable id of the event its articles make: the same articles, the same id."""
    digest = hashlib.sha1("\n".join(sorted(_id_key(i) for i in ids)).encode()).hexdigest()
    return f"ev-{digest[:12]}"


def _source(article: Article, value: Any) -> Source:
    if isinstance(value, Grounded):
        span = value.span if value.span is not None and not is_unaligned(value) else None
        return Source(article=article.id, span=span, evidence=value.evidence_text() or None)
    return Source(article=article.id)


def _dump(value: Any) -> Any:
    if isinstance(value, Grounded):
        return unspanned(value).model_dump(mode="json", exclude={"span"})
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def _label(value: Any) -> str:
    return value.label() if isinstance(value, Grounded) else str(value)


def _same_plain(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return bool(a == b)


def _claim(values: Sequence[tuple[Article, Any]], same: Callable[[Any, Any], bool]) -> Claim | None:
    """The distinct values (grouped by ``same``) with their sources, most-supported first."""
    groups: list[tuple[Any, list[Source], set[str]]] = []
    for article, value in values:
        for i, (kept, sources, ids) in enumerate(groups):
            if same(kept, value):
                if isinstance(kept, Grounded) and isinstance(value, Grounded):
                    groups[i] = (_combine(kept, value), sources, ids)
                sources.append(_source(article, value))
                ids.add(_id_key(article.id))
                break
        else:
            groups.append((value, [_source(article, value)], {_id_key(article.id)}))
    if not groups:
        return None
    groups.sort(key=lambda g: -len(g[2]))  # stable: among equals, the first stated first
    counts = [len(g[2]) for g in groups]
    majority = 0 if len(counts) == 1 or counts[0] > counts[1] else None
    return Claim(
        values=[ClaimValue(value=_dump(v), label=_label(v), sources=s) for v, s, _ in groups],
        majority=majority,
        agreed=len(groups) == 1,
    )


def _is_choice(annotation: Any) -> bool:
    """A closed set of values (a ``Literal``, possibly optional): what sources can plainly disagree on."""
    if typing.get_origin(annotation) is Literal:
        return True
    return any(_is_choice(arg) for arg in typing.get_args(annotation))


def _facts(items: Sequence[tuple[Article, Grounded]], schema: type[Document]) -> list[Fact]:
    order = {id(item): n for n, (_, item) in enumerate(items)}
    # Fullest first: a named person is met before the bare delegation it may absorb.
    ranked = sorted(items, key=lambda pair: (tuple(-x for x in _fullness(pair[1])), order[id(pair[1])]))
    groups: list[tuple[Grounded, list[tuple[Article, Grounded]]]] = []
    for article, item in ranked:
        for i, (kept, members) in enumerate(groups):
            if schema.same_fact(kept, item):
                groups[i] = (_combine(kept, item), members)
                members.append((article, item))
                break
        else:
            groups.append((item, [(article, item)]))
    groups.sort(key=lambda g: min(order[id(item)] for _, item in g[1]))  # in the order first stated
    facts = []
    for kept, members in groups:
        members.sort(key=lambda pair: order[id(pair[1])])
        claims: dict[str, Claim] = {}
        for name, info in type(kept).model_fields.items():
            if _is_choice(info.annotation):
                stated = [(a, getattr(item, name)) for a, item in members if getattr(item, name) is not None]
                claim = _claim(stated, _same_plain)
                if claim is not None:
                    claims[name] = claim
        facts.append(
            Fact(
                label=kept.label(),
                value=_dump(kept),
                sources=[_source(a, item) for a, item in members],
                claims=claims,
            )
        )
    return facts


def merge_event(articles: Sequence[Article], schema: type[Document], type_name: str) -> Event:
    """The event told by ``articles`` (records of ``schema``), every value with its sources."""
    reporting = [a for a in articles if a.value.reports_event()]
    frame = reporting or list(articles)
    hidden = library_fields(schema)
    fields: dict[str, Claim] = {}
    facts: dict[str, list[Fact]] = {}
    disagreements: list[str] = []
    for name in schema.model_fields:
        if name in hidden:
            continue
        sample = getattr(articles[0].value, name)
        if isinstance(sample, list):
            speakers = frame if name in schema.event_fields else articles
            items = [(a, i) for a in speakers for i in getattr(a.value, name) if isinstance(i, Grounded)]
            facts[name] = merged = _facts(items, schema)
            disagreements += [
                f"{name}[{n}].{field}" for n, fact in enumerate(merged) for field, c in fact.claims.items()
                if not c.agreed
            ]  # fmt: skip
            continue
        stated = [(a, getattr(a.value, name)) for a in frame if getattr(a.value, name) is not None]

        def same(x: Any, y: Any) -> bool:
            if isinstance(x, Grounded) and isinstance(y, Grounded):
                return schema.same_fact(x, y)
            return _same_plain(x, y)

        claim = _claim(stated, same)
        if claim is not None:
            fields[name] = claim
            if not claim.agreed:
                disagreements.append(name)
    windows = [a.window for a in frame if a.window is not None]
    return Event(
        event=event_id([a.id for a in articles]),
        type=type_name,
        articles=[
            ArticleRef(
                id=a.id,
                published=a.published.isoformat() if a.published else None,
                reports_event=a.value.reports_event(),
            )
            for a in articles
        ],
        window=(
            (min(w.start for w in windows).isoformat(), max(w.end for w in windows).isoformat())
            if windows
            else None
        ),
        fields=fields,
        facts=facts,
        disagreements=disagreements,
    )
