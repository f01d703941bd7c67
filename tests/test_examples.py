"""Worked examples: every registered article type's examples are answers the library itself accepts.

An example teaches the model by showing it an answer; one whose evidence is not copied from its own text
teaches it to invent, and one taken from the dev set inflates what is measured on it. So, for every
example of every registered article type:

- each pass's part of the answer validates against that pass's response model, grounded against the
  example's own text with re-asks still possible (so nothing is silently salvaged or dropped);
- every evidence is found exactly or after normalization (never fuzzily), and its span slices back to it;
- the whole answer, once finalized, keeps its own verdict (an example the overrule rules would undo
  contradicts the library);
- no example text is taken from the dev set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from summit_extract import Document, Example, ExtractionContext, Grounded, Summit, article_types
from summit_extract._aligning import FoldedText, align, fold
from summit_extract._context import Attempts
from summit_extract._document import Pass, pass_model, passes_of
from summit_extract._grounding import is_unaligned, library_fields, walk
from tests.paths import DEVSET

CASES = [
    pytest.param(cls, n, example, id=f"{name}-{n}")
    for name, cls in sorted(article_types().items())
    for n, example in enumerate(cls.examples)
]


def strict(text: str) -> ExtractionContext:
    """A context in which an ungrounded or malformed item is an error (a re-ask), not dropped quietly."""
    return ExtractionContext(text, reask_ungrounded=True, attempts=Attempts(1, 2))


def evidence_strings(value: Any, cls: type[Any] | None = None) -> Iterator[str]:
    """Every evidence string in a raw answer: the ``evidence_field`` of each Grounded item it holds."""
    if isinstance(value, list):
        for item in value:
            yield from evidence_strings(item, cls)
    elif isinstance(value, dict) and cls is not None:
        grounded = isinstance(cls, type) and issubclass(cls, Grounded)
        if grounded and isinstance(value.get(cls.evidence_field), str):
            yield value[cls.evidence_field]
        for name, sub in value.items():
            info = getattr(cls, "model_fields", {}).get(name)
            if info is not None:
                yield from evidence_strings(sub, _item_class(info.annotation))


def _item_class(annotation: Any) -> type[Any] | None:
    """The pydantic class inside ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _item_class(arg)
        if found is not None and hasattr(found, "model_fields"):
            return found
    return None


def test_the_summit_type_is_registered_with_examples() -> None:
    assert article_types()["summit"] is Summit
    assert Summit.examples, "the Summit prompt shows a worked example"


@pytest.mark.parametrize(("cls", "n", "example"), CASES)
def test_example_answers_only_fields_the_model_fills(cls: type[Document], n: int, example: Example) -> None:
    fillable = set(cls.model_fields) - library_fields(cls)
    assert set(example.answer) <= fillable, set(example.answer) - fillable
    asked = {f for p in passes_of(cls) for f in p.fields}
    assert asked <= set(example.answer), f"no example answer for {sorted(asked - set(example.answer))}"
    # Nor inside its items: an agreement's parties are the library's, so the example shows none.
    for name, value in example.answer.items():
        item_cls = _item_class(cls.model_fields[name].annotation)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and item_cls is not None and hasattr(item_cls, "model_fields"):
                hidden = set(item) & library_fields(item_cls)
                assert not hidden, f"{name} item answers library fields {sorted(hidden)}"


@pytest.mark.parametrize(("cls", "n", "example"), CASES)
def test_every_pass_of_the_example_validates_and_is_grounded_in_its_own_text(
    cls: type[Document], n: int, example: Example
) -> None:
    text = example.text
    for chosen in passes_of(cls):
        model = pass_model(cls, chosen)
        part = {f: example.answer.get(f) for f in chosen.fields}
        value = model.model_validate(part, context=strict(text))
        items = list(walk(value))
        assert len(items) == len(list(evidence_strings(part, model))), f"pass {chosen.name}: items lost"
        for item in items:
            assert not is_unaligned(item), (chosen.name, item)
            assert item.span is not None, (chosen.name, item)
            assert item.span.alignment in ("exact", "normalized"), (chosen.name, item)
            assert text[item.span.start : item.span.end] == item.evidence_text(), (chosen.name, item)


@pytest.mark.parametrize(("cls", "n", "example"), CASES)
def test_every_evidence_of_the_example_is_copied_from_its_text(
    cls: type[Document], n: int, example: Example
) -> None:
    found = list(evidence_strings(example.answer, cls))
    assert found, "an example shows at least one evidence"
    folded = FoldedText(example.text)
    for evidence in found:
        match = align(evidence, example.text, folded)
        assert match is not None and match.alignment in ("exact", "normalized"), evidence


@pytest.mark.parametrize(("cls", "n", "example"), CASES)
def test_the_finalized_example_keeps_its_own_verdict(cls: type[Document], n: int, example: Example) -> None:
    value = cls.model_validate(example.answer, context=strict(example.text))
    before = value.reports_event()
    value.finalize(ExtractionContext(example.text))
    assert value.reports_event() == before, getattr(value, "is_summit_reason", None)


@pytest.mark.parametrize(("cls", "n", "example"), CASES)
def test_the_finalized_example_keeps_every_finding(cls: type[Document], n: int, example: Example) -> None:
    # An example whose findings the code rules drop teaches the model what the library then throws away
    # (an example whose cue word the rules do not know, say).
    value = cls.model_validate(example.answer, context=strict(example.text))
    value.finalize(ExtractionContext(example.text))
    for name, answered in example.answer.items():
        if isinstance(answered, list) and answered and name in type(value).model_fields:
            kept = getattr(value, name)
            evidence = [getattr(i, "evidence", i) for i in kept]
            assert len(kept) == len(answered), (n, name, evidence)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) >= 30]


def test_no_example_text_is_taken_from_the_dev_set() -> None:
    dev = {path.name: fold(path.read_text(encoding="utf-8")) for path in (DEVSET / "articles").glob("*.txt")}
    assert dev, "the dev set is where the examples must not come from"
    examples = [e for cls in article_types().values() for e in cls.examples]
    assert examples
    for example in examples:
        for sentence in _sentences(example.text):
            hits = [name for name, article in dev.items() if fold(sentence) in article]
            assert not hits, (sentence, hits)


def test_the_check_catches_an_example_whose_evidence_is_invented() -> None:
    # The checks above are only worth something if they fail on a bad example.
    bad = Example(
        text="Leaders of Chile and Peru met in Lima on Monday.",
        answer={"agreements": [{"evidence": "signed a trade pact", "subject": "trade pact",
                                "parties": ["Chile", "Peru"], "status": "signed"}]},
    )
    chosen = Pass("agreements", ("agreements",), "")
    with pytest.raises(ValueError, match="is not in the article"):
        pass_model(Summit, chosen).model_validate(bad.answer, context=strict(bad.text))
    (evidence,) = evidence_strings(bad.answer, Summit)
    assert align(evidence, bad.text) is None
