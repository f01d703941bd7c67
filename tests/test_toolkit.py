"""summit_extract.toolkit: what an article type needs from the engine is public, documented, and enough.

The built-in types import nothing private (import-linter checks it in .ci/run; the last test here reads
their imports the same way, so a plain ``python -m pytest`` catches it too).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import summit_extract
from summit_extract import toolkit
from summit_extract.toolkit import Span, country, fold, organization, same_words, spans_overlap, states_named

PACKAGE = Path(summit_extract.__file__).parent


@pytest.mark.parametrize("name", toolkit.__all__)
def test_every_name_is_there_and_documented(name: str) -> None:
    value = getattr(toolkit, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert name in (toolkit.__doc__ or ""), f"the toolkit's docstring does not list {name}"


def test_text_comparisons() -> None:
    assert fold("Kim’s  SUMMIT") == fold("kim's summit")
    assert same_words("Kishida", "Fumio Kishida") and same_words("LEE Jae-myung", "Lee Jae-myung")
    assert not same_words("Kishida", "Abe") and not same_words(None, "Abe")


def test_span_overlap_is_half_the_shorter_span() -> None:
    def span(start: int, end: int) -> Span:
        return Span(start=start, end=end, alignment="exact", score=100.0)

    assert spans_overlap(span(0, 10), span(5, 30))  # 5 of the shorter 10
    assert not spans_overlap(span(0, 10), span(6, 30))
    unaligned = Span(start=0, end=10, alignment="unaligned", score=0.0)
    assert not spans_overlap(span(0, 10), unaligned) and not spans_overlap(None, span(0, 10))


def test_countries_and_organizations_in_any_language() -> None:
    assert [country(name).alpha2 for name in ("Etats-Unis", "ROK", "Türkiye")] == ["US", "KR", "TR"]
    assert country("South America").known is False
    assert organization("ONU") is not None and organization("Paris") is None
    assert states_named("Japanese and French ministers met") == {"JP", "FR"}


@pytest.mark.parametrize("article_type", ["summit", "tradedeal"])
def test_the_built_in_types_import_only_public_names(article_type: str) -> None:
    for path in sorted((PACKAGE / article_type).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2:  # from ..x import y
                assert node.module == "toolkit", f"{path.name} imports summit_extract.{node.module}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                assert parts[0] != "summit_extract" or not any(p.startswith("_") for p in parts), path.name
