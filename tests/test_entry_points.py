"""An article type installed from a separate package is known by name to every command.

The test builds the package in a temporary folder as an installer lays it out (its module, and a
``.dist-info`` folder whose ``entry_points.txt`` declares ``ceasefire`` in the
``summit_extract.article_types`` group), puts that folder on the path, and runs every command with
``--schema ceasefire``; a fresh process finds it too. Building a wheel needs no network here, but the
``wheel`` package is not always installed: the layout is what ``pip install`` would write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_extract import _document
from summit_extract._document import article_type, installed_article_types
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.testing import scripted_backend
from tests import truce
from tests.paths import ROOT

runner = CliRunner()


def install(site: Path) -> None:
    """Lay out the package ``ceasefire_talks`` (tests/truce.py under another name) as pip installs it."""
    site.mkdir()
    (site / "ceasefire_talks.py").write_text(
        Path(truce.__file__).read_text(encoding="utf-8"), encoding="utf-8"
    )
    info = site / "ceasefire_talks-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ceasefire-talks\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[summit_extract.article_types]\nceasefire = ceasefire_talks:Truce\n"
    )
    (info / "RECORD").write_text("ceasefire_talks.py,,\nceasefire_talks-0.1.0.dist-info/METADATA,,\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    install(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(_document, "_types", dict(_document._types))  # forgotten after the test
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    yield folder
    sys.modules.pop("ceasefire_talks", None)  # each test installs and imports it anew


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_an_installed_type_is_found_by_name_loaded_once_and_registered(site: Path) -> None:
    assert installed_article_types() == {"ceasefire": "ceasefire_talks:Truce"}
    assert "ceasefire" not in _document.article_types()  # nothing is imported before it is asked for
    found = article_type("ceasefire")
    assert found is not None and found.__module__ == "ceasefire_talks" and found.__name__ == "Truce"
    assert article_type("ceasefire") is found and _document.article_types()["ceasefire"] is found


def test_every_command_takes_the_installed_name(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = scripted_backend(truce.ANSWERS)
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    (tmp_path / "dev" / "articles").mkdir(parents=True)
    (tmp_path / "dev" / "gold").mkdir()
    article = tmp_path / "dev" / "articles" / "t1.txt"
    article.write_text(truce.ARTICLE)
    (tmp_path / "dev" / "gold" / "t1.json").write_text(json.dumps(truce.GOLD))

    check = run("check", "--schema", "ceasefire")
    assert check.exit_code == 0, check.output
    assert "Truce (ceasefire)" in check.stdout and "Truce: no mistakes" in check.stdout

    summary = run("extract", article, "--schema", "ceasefire")
    assert summary.exit_code == 0, summary.output
    assert "Reports a truce" in summary.stdout and "Elbonia" in summary.stdout

    jsonl = run("extract", article, "--schema", "ceasefire", "-o", "-", "--no-cache")
    assert jsonl.exit_code == 0, jsonl.output
    assert json.loads(jsonl.stdout)["result"]["terms"][0]["subject"] == "border reopening"

    dry = run("extract", article, "--schema", "ceasefire", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert [r["key"] for r in json.loads(dry.stdout)["requests"]] == ["frame", "terms"]

    page = run("report", article, "--schema", "ceasefire", "-o", "t1.html", "--no-cache")
    assert page.exit_code == 0, page.output
    assert "agreed to reopen the border" in (tmp_path / "t1.html").read_text()

    scored = run("eval", "dev", "--schema", "ceasefire", "-o", "eval")
    assert scored.exit_code == 0, scored.output
    assert json.loads((tmp_path / "eval" / "report.json").read_text())["aggregate"]["macro"] == 1.0

    schemas = run("schema", "--schema", "ceasefire", "-o", "schemas")
    assert schemas.exit_code == 0, schemas.output
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == [
        "ceasefire.request.frame.schema.json",
        "ceasefire.request.terms.schema.json",
        "ceasefire.result.schema.json",
    ]

    planned = run(
        "batch", "submit", article, "--schema", "ceasefire", "-o", "batch.jsonl", "--dry-run", "--json"
    )
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["requests"] == 2

    # Every extraction above went through the scripted backend; nothing else was asked.
    assert set(backend.asked) == {"frame", "terms"}


def test_a_fresh_process_finds_the_installed_type(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "summit_extract", "check", "--schema", "ceasefire"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Truce (ceasefire)" in proc.stdout and "Truce: no mistakes" in proc.stdout


def test_an_unknown_name_says_how_to_make_one_known(site: Path) -> None:
    result = run("check", "--schema", "armistice")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "'armistice' is no known article type (known: ceasefire, summit, tradedeal)" in message
    assert "register(MyType, 'name')" in message
    assert '[project.entry-points."summit_extract.article_types"] name = "package.module:MyType"' in message
    assert "package.module:Class" in message


def test_an_installed_name_that_does_not_load_is_a_clear_error(site: Path) -> None:
    (site / "ceasefire_talks.py").write_text("raise ImportError('no module named ceasefire_helpers')\n")
    result = run("check", "--schema", "ceasefire")
    assert result.exit_code == 3
    assert (
        "The article type 'ceasefire' is installed as ceasefire_talks:Truce, but loading it failed"
        in result.stderr
    )
