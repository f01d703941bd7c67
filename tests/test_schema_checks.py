"""Every mistake a newcomer made defining an article type is caught before any request.

When the class is defined (or at the latest when it is registered or first planned) a ``SchemaError``
names the class, the field and the fix; a plain ``str`` field gets a ``SchemaWarning``. The scripted
backend records every request, so "before any request" is checked, not assumed. ``summit-extract check``
prints the same findings.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field, field_validator
from typer.testing import CliRunner

from summit_extract import (
    ConfigurationError,
    Document,
    Example,
    ExtractionError,
    Grounded,
    ListRule,
    OptionalText,
    Pass,
    SchemaError,
    SchemaWarning,
    Scoring,
    StatedText,
    _document,
    check_article_type,
    extract_result,
    plan_article,
    register,
)
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.testing import scripted_backend
from tests.truce import ARTICLE, Side, Truce

runner = CliRunner()


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Types registered by a test are forgotten after it."""
    monkeypatch.setattr(_document, "_types", dict(_document._types))


def only(error: SchemaError) -> Any:
    (problem,) = error.problems
    return problem


# -- the mistakes, one by one --------------------------------------------------------------------------


def test_a_grounded_item_without_its_evidence_field_is_refused_where_a_document_uses_it() -> None:
    class Party(Grounded):  # no evidence field: an abstract base would be fine, a field type is not
        name: str

    with pytest.raises(SchemaError) as info:

        class Talks(Document):
            parties: list[Party] = Field(default_factory=list)

    problem = only(info.value)
    assert problem.where == "Party.evidence"
    assert "add `evidence: str" in problem.message and "evidence_field" in problem.message
    assert "(its fields: name)" in problem.message
    assert str(info.value).startswith("Talks is not a valid article type: Party.evidence:")


def test_an_evidence_field_that_names_no_field_is_refused_when_the_item_is_defined() -> None:
    with pytest.raises(SchemaError) as info:

        class Party(Grounded):
            evidence_field: ClassVar[str] = "label"
            name: str

    problem = only(info.value)
    assert problem.where == "Party.evidence_field"
    assert problem.message.startswith("names 'label', which is not a field of Party")


def test_an_evidence_field_that_is_not_a_str_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"Party.names: holds the evidence but is `list\[str\]`"):

        class Party(Grounded):
            evidence_field: ClassVar[str] = "names"
            names: list[str]


def test_event_fields_naming_no_field_are_refused_with_the_fields_there_are() -> None:
    with pytest.raises(SchemaError) as info:

        class Talks(Truce):
            event_fields: ClassVar[tuple[str, ...]] = ("sides", "nope")

    problem = only(info.value)
    assert problem.where == "Talks.event_fields"
    assert "names 'nope', which is not a field of Talks" in problem.message
    assert "'sides', 'is_truce', 'terms'" in problem.message


def test_a_pass_naming_no_field_and_default_passes_naming_no_pass_are_refused() -> None:
    with pytest.raises(SchemaError) as info:

        class Talks(Truce):
            passes: ClassVar[tuple[Pass, ...]] = (Pass("frame", ("side", "is_truce"), "List the sides."),)
            default_passes: ClassVar[tuple[str, ...] | None] = ("frame", "terms")

    wheres = {p.where: p.message for p in info.value.problems}
    assert "did you mean 'sides'?" in wheres["Talks.passes['frame']"]
    assert "names 'terms', which is not a declared pass" in wheres["Talks.default_passes"]


def test_a_pass_named_as_the_library_names_its_own_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"Talks.passes\['main'\]: 'main' is a name the library uses"):

        class Talks(Truce):
            passes: ClassVar[tuple[Pass, ...]] = (Pass("main", ("sides", "is_truce", "terms"), ""),)


def test_an_example_answer_with_misspelled_keys_is_refused_with_the_key_it_meant() -> None:
    # The misspelled key also leaves 'sides' unanswered: the model would be shown {"sides": null}.
    missing = pytest.warns(SchemaWarning, match=r"the answer has no 'sides' \(asked in pass 'frame'\)")
    with missing, pytest.raises(SchemaError) as info:

        class Talks(Truce):
            examples: ClassVar[tuple[Example, ...]] = (
                Example(
                    text="Envoys of Ruritania and Freedonia agreed to swap prisoners.",
                    answer={
                        "sidez": [{"name": "Ruritania"}],
                        "is_truce": True,
                        "terms": [{"evidense": "agreed to swap prisoners", "subject": "prisoner swap"}],
                    },
                ),
            )

    messages = [str(p) for p in info.value.problems if not p.warning]
    assert any(
        "Talks.examples[0]: answer: 'sidez' is not a field of Talks: did you mean 'sides'?" in m
        for m in messages
    ), messages
    assert any(
        "answer['terms'][0]: 'evidense' is not a field of Term: did you mean 'evidence'?" in m
        for m in messages
    ), messages


def test_an_example_answer_may_not_fill_what_the_library_fills() -> None:
    with pytest.raises(SchemaError, match=r"'span' is filled by the library, never by the model"):

        class Talks(Truce):
            examples: ClassVar[tuple[Example, ...]] = (
                Example(
                    text="Envoys of Ruritania and Freedonia agreed to swap prisoners.",
                    answer={
                        "sides": [{"name": "Ruritania", "span": {"start": 10, "end": 19}}],
                        "is_truce": True,
                        "terms": [],
                    },
                ),
            )


def test_an_example_whose_evidence_is_not_in_its_own_text_is_refused() -> None:
    with pytest.raises(SchemaError) as info:

        class Talks(Truce):
            examples: ClassVar[tuple[Example, ...]] = (
                Example(
                    text="Envoys of Ruritania and Freedonia met on Monday.",
                    answer={
                        "sides": [{"name": "Ruritania"}, {"name": "Freedonia"}],
                        "is_truce": True,
                        "terms": [{"evidence": "signed a peace treaty", "subject": "peace treaty"}],
                    },
                ),
            )

    problem = only(info.value)
    assert problem.where == "Talks.examples[0]"
    assert (
        "pass 'terms'" in problem.message
        and "'signed a peace treaty' is not in the article" in problem.message
    )
    assert "copied character for character from its own text" in problem.message


def test_an_example_that_answers_no_list_a_pass_asks_is_a_warning_not_an_error() -> None:
    # A subclass adding a field inherits examples that do not answer it: the model is shown null for it.
    with pytest.warns(SchemaWarning, match=r"Talks.examples\[0\]: the answer has no 'extra'") as record:

        class Talks(Truce):
            extra: OptionalText = None

    assert record[0].filename == __file__  # the warning points at the class definition


def test_a_plain_str_field_is_a_warning_that_says_what_to_use_instead() -> None:
    with pytest.warns(SchemaWarning) as record:

        class Talks(Truce):
            mediator: str | None = None
            venue: StatedText = None
            summary: OptionalText = None
            headline: str = ""

            @field_validator("headline")
            @classmethod
            def _short(cls, value: str) -> str:
                return value[:80]

    messages = [str(w.message) for w in record if issubclass(w.category, SchemaWarning)]
    mediator = [m for m in messages if m.startswith("Talks.mediator")]
    assert mediator == [
        "Talks.mediator: is a plain str: the article is never checked for it, so a value the article does "
        "not contain is kept. Use StatedText (kept only if written in the article), a Grounded item (with "
        "its evidence), or OptionalText for words of the model's own (not checked)"
    ]
    assert not [m for m in messages if m.startswith(("Talks.venue", "Talks.summary", "Talks.headline"))]


def test_a_valid_type_defines_silently_and_checks_clean() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Talks(Truce):
            venue: StatedText = None
            examples: ClassVar[tuple[Example, ...]] = (
                Example(
                    text="Envoys of Ruritania and Freedonia met in Geneva and agreed to swap prisoners.",
                    answer={
                        "sides": [{"name": "Ruritania"}, {"name": "Freedonia"}],
                        "venue": "Geneva",
                        "is_truce": True,
                        "terms": [{"evidence": "agreed to swap prisoners", "subject": "prisoner swap"}],
                    },
                ),
            )

    assert check_article_type(Talks) == []
    assert check_article_type(Truce) == []


# -- registered, first planned ---------------------------------------------------------------------------


def test_a_bare_grounded_model_as_the_schema_fails_at_the_first_plan_before_any_request() -> None:
    class Party(Grounded):
        name: str

    backend = scripted_backend({"main": {"name": "Elbonia"}})
    with pytest.raises(SchemaError, match="Party has no field 'evidence'"):
        extract_result(ARTICLE, Party, backend=backend)
    with pytest.raises(SchemaError):
        plan_article(ARTICLE, Party, backend=backend)
    assert backend.requests == []


def test_a_bare_grounded_model_given_as_schema_on_the_command_line_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bare_party.py").write_text(
        "from summit_extract import Grounded\n\nclass Party(Grounded):\n    name: str\n"
    )
    (tmp_path / "a.txt").write_text(ARTICLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    backend = scripted_backend({"main": {"name": "Elbonia"}})
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    for command in (["extract", str(tmp_path / "a.txt")], ["extract", "--dry-run", str(tmp_path / "a.txt")]):
        result = runner.invoke(app, [*command, "--schema", "bare_party:Party"])
        assert result.exit_code == 2, result.output
        assert "Party.evidence: Party has no field 'evidence'" in result.stderr
    check = runner.invoke(app, ["check", "--schema", "bare_party:Party"])
    assert check.exit_code == 1 and "error: Party.evidence: Party has no field 'evidence'" in check.stdout
    assert backend.requests == []


def test_scoring_that_reads_fields_nobody_has_is_refused_when_registered_and_when_planned() -> None:
    class GoldTalks(BaseModel):
        is_truce: bool
        parties: list[str] = []

    class TalksScoring(Scoring):
        gold = GoldTalks
        lists: ClassVar[dict[str, ListRule]] = {"parties": ListRule(lambda g, p: 1.0)}
        macro: ClassVar[tuple[str, ...] | None] = ("parties_f1", "is_truce")

    class Talks(Truce):
        pass

    Talks.scoring = TalksScoring()
    with pytest.raises(SchemaError) as info:
        register(Talks, "talks")
    wheres = {p.where: p.message for p in info.value.problems}
    assert (
        "names 'parties', which is not a field of Talks (or give predicted_items)"
        in wheres["Talks.scoring.lists['parties']"]
    )
    assert "names 'is_truce', which is not an accuracy or '<list>_f1' score" in wheres["Talks.scoring.macro"]
    assert "talks" not in _document.article_types()
    backend = scripted_backend({})
    with pytest.raises(SchemaError):
        plan_article(ARTICLE, Talks, backend=backend)
    assert backend.requests == []


def test_scoring_given_as_a_class_is_refused() -> None:
    class Talks(Truce):
        pass

    Talks.scoring = type(Truce.scoring)  # type: ignore[assignment]  # the class, not an instance
    with pytest.raises(SchemaError, match=r"Talks.scoring: must be an instance of a Scoring subclass"):
        register(Talks, "talks")


@pytest.mark.parametrize("name", ["", "my:talks", "two words", None])
def test_register_refuses_a_name_the_command_line_cannot_use(name: Any) -> None:
    with pytest.raises(SchemaError, match="a name is letters, digits"):
        register(Truce, name)


def test_register_refuses_what_is_not_a_document() -> None:
    with pytest.raises(SchemaError, match="register\\(\\) takes a Document subclass"):
        register(Side, "side")  # type: ignore[arg-type]


def test_a_schema_error_sits_in_the_library_s_exception_tree() -> None:
    with pytest.raises(SchemaError) as info:

        class Party(Grounded):
            evidence_field: ClassVar[str] = "nope"

    error = info.value
    assert isinstance(error, ConfigurationError) and isinstance(error, ExtractionError)
    assert isinstance(error, TypeError)  # as pydantic's own definition errors are
    assert type(error).__module__ == "summit_extract" and SchemaWarning.__module__ == "summit_extract"


# -- summit-extract check --------------------------------------------------------------------------------

BROKEN = """
from typing import ClassVar
from pydantic import Field
from summit_extract import Document, Grounded

class Party(Grounded):
    name: str

class Talks(Document):
    parties: list[Party] = Field(default_factory=list)
    event_fields: ClassVar[tuple[str, ...]] = ("nope",)
"""

WARNED = """
from tests.truce import Truce

class Talks(Truce):
    mediator: str | None = None
"""


def test_check_lists_every_mistake_of_a_broken_type_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_talks.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = runner.invoke(app, ["check", "--schema", "broken_talks:Talks"])
    assert result.exit_code == 1, result.output
    assert "error: Party.evidence: Party has no field 'evidence'" in result.stdout
    assert "error: Talks.event_fields: names 'nope', which is not a field of Talks" in result.stdout
    assert "2 mistake(s)" in result.stdout


def test_check_passes_a_type_with_only_a_warning_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "warned_talks.py").write_text(WARNED)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = runner.invoke(app, ["check", "--schema", "warned_talks:Talks"])
    assert result.exit_code == 0, result.output
    assert "warning: Talks.mediator: is a plain str" in result.stdout
    assert "warning: Talks.examples[0]: the answer has no 'mediator' (asked in pass 'rest')" in result.stdout
    assert "Talks: no mistakes, 2 warning(s)" in result.stdout
    assert "passes: frame (sides, is_truce); terms (terms); rest (mediator)" in result.stdout


def test_check_without_a_schema_checks_every_registered_type() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    for name in ("Summit (summit)", "TradeDeal (tradedeal)", "Summit: no mistakes", "TradeDeal: no mistakes"):
        assert name in result.stdout
    assert "evidence: Agreement.evidence, Dispute.evidence" in result.stdout


def test_any_other_command_given_a_broken_type_is_a_usage_error_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_talks.py").write_text(BROKEN)
    (tmp_path / "a.txt").write_text(ARTICLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    backend = scripted_backend({})
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    result = runner.invoke(app, ["extract", str(tmp_path / "a.txt"), "--schema", "broken_talks:Talks"])
    assert result.exit_code == 2, result.output
    assert "Talks is not a valid article type (2 problems)" in result.stderr
    assert backend.requests == []
