"""The README's "Your own article type" runs as written, through the scripted backend: no model, no network.

Its Python blocks, in order, make one module (imported as a user would import theirs); the test functions
it defines are run, then every ``summit-extract`` line of its shell block, with the CLI's backend answered
by the same script the README's test uses. So the section cannot rot, import a private name, or use a
name it never defines.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from summit_extract import _document
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.testing import scripted_backend
from tests.paths import ROOT

SECTION = "## Your own article type"


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n{SECTION}\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


@pytest.fixture
def readme_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setattr(_document, "_types", dict(_document._types))  # its register() is forgotten after
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "readme_ceasefire.py"
    path.write_text("\n\n".join(blocks("python")), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("readme_ceasefire", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_ceasefire"] = module
    try:
        spec.loader.exec_module(module)  # every block: the type, its test, the plan, the scoring and eval
        yield module
    finally:
        sys.modules.pop("readme_ceasefire", None)


def test_the_section_imports_nothing_private_and_shows_each_part() -> None:
    text = section()
    assert "summit_extract._" not in text and "from ._" not in text
    for part in (
        "class CeasefireTalks(Document)",
        "Pass(",
        "Example(",
        "scripted_backend(",
        "check_article_type",
        "plan_article",
        "class TalksScoring(Scoring)",
        "ListRule(",
        "gold/<stem>.json",
        "evaluate(",
        "summit-extract check",
        "--dry-run",
        "summit_extract.article_types",
    ):
        assert part in text, part
    assert len(blocks("python")) >= 4 and blocks("bash")


def test_the_section_runs_as_written(readme_module: ModuleType, tmp_path: Path) -> None:
    tests = [getattr(readme_module, name) for name in dir(readme_module) if name.startswith("test_")]
    assert tests
    for test in tests:
        test()
    assert (tmp_path / "eval" / "report.md").read_text() == readme_module.report.to_markdown()


def test_its_command_lines_run(
    readme_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = scripted_backend(readme_module.ANSWERS)
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    commands = [
        line for block in blocks("bash") for line in block.splitlines() if line.startswith("summit-extract ")
    ]
    assert len(commands) >= 5
    runner = CliRunner()
    for line in commands:
        args = shlex.split(line, comments=True)[1:]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (line, result.output)
    assert (tmp_path / "doha.html").is_file() and (tmp_path / "eval" / "report.json").is_file()
    assert backend.requests, "the extracting commands went through the scripted backend"
