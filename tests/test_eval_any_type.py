"""Evaluation of any article type: gold files checked first and named when wrong, articles without gold
listed, a folder without gold a usage error, and the same reports from ``evaluate(out_dir=...)`` as from
the command line. Extractions are answered by the scripted backend; every test says how many requests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_extract import InputError, evaluate
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract.testing import ScriptedBackend, scripted_backend
from tests.truce import ANSWERS, ARTICLE, GOLD, Truce

runner = CliRunner()


def devset(root: Path, golds: dict[str, Any], articles: list[str]) -> Path:
    (root / "articles").mkdir(parents=True)
    (root / "gold").mkdir()
    for stem in articles:
        (root / "articles" / f"{stem}.txt").write_text(ARTICLE, encoding="utf-8")
    for stem, gold in golds.items():
        (root / "gold" / f"{stem}.json").write_text(gold if isinstance(gold, str) else json.dumps(gold))
    return root


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedBackend:
    scripted = scripted_backend(ANSWERS)
    monkeypatch.setattr(_cli, "build_backend", lambda *args: scripted)
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    return scripted


def test_gold_files_that_do_not_validate_are_named_with_their_errors_before_any_request(
    tmp_path: Path, backend: ScriptedBackend
) -> None:
    folder = devset(
        tmp_path / "dev",
        {"t1": GOLD, "t2": {"sides": ["Elbonia"]}, "t3": {"is_truce": "maybe"}, "t4": "{not json"},
        ["t1", "t2", "t3", "t4"],
    )
    with pytest.raises(InputError) as info:
        evaluate(folder, schema=Truce, backend=backend)
    message = str(info.value)
    assert message.startswith("3 gold file(s) do not validate; fix them:")
    assert f"{folder / 'gold' / 't2.json'}: not a valid GoldTruce (is_truce: Field required)" in message
    assert (
        f"{folder / 'gold' / 't3.json'}: not a valid GoldTruce (is_truce: Input should be a valid boolean"
        in message
    )
    assert f"{folder / 'gold' / 't4.json'}: not a valid GoldTruce ((the file): Invalid JSON" in message
    assert "t1.json" not in message
    assert backend.requests == []

    result = runner.invoke(app, ["eval", str(folder), "--schema", "tests.truce:Truce"])
    assert result.exit_code == 2 and "t2.json: not a valid GoldTruce" in result.stderr
    assert backend.requests == []


def test_a_folder_without_gold_is_a_usage_error(tmp_path: Path, backend: ScriptedBackend) -> None:
    folder = tmp_path / "dev"
    (folder / "articles").mkdir(parents=True)
    (folder / "articles" / "t1.txt").write_text(ARTICLE)
    with pytest.raises(
        InputError, match=r"gold: no such folder\. An evaluation folder holds articles/<stem>\.txt"
    ):
        evaluate(folder, schema=Truce, backend=backend)
    result = runner.invoke(app, ["eval", str(folder), "--schema", "tests.truce:Truce"])
    assert result.exit_code == 2, result.output
    assert "no such folder" in result.stderr and backend.requests == []


def test_a_gold_file_without_its_article_is_a_usage_error(tmp_path: Path, backend: ScriptedBackend) -> None:
    folder = devset(tmp_path / "dev", {"t1": GOLD, "t2": GOLD}, ["t1"])
    with pytest.raises(
        InputError, match=r"gold file\(s\) without their article: .*t2\.txt; add the articles"
    ):
        evaluate(folder, schema=Truce, backend=backend)
    assert backend.requests == []


def test_articles_without_gold_are_listed_not_skipped_silently(
    tmp_path: Path, backend: ScriptedBackend
) -> None:
    folder = devset(tmp_path / "dev", {"t1": GOLD}, ["t1", "t2", "t3"])
    report = evaluate(folder, schema=Truce, backend=backend)
    assert [a.article for a in report.articles] == ["t1"] and report.unscored == ["t2", "t3"]
    assert "Not scored, no gold file (2): t2, t3" in report.to_markdown()
    assert report.to_dict()["unscored"] == ["t2", "t3"]
    assert backend.asked == ["frame", "terms"]  # only the scored article was extracted


def test_evaluate_out_dir_writes_what_the_command_line_writes(
    tmp_path: Path, backend: ScriptedBackend
) -> None:
    folder = devset(tmp_path / "dev", {"t1": GOLD}, ["t1"])
    report = evaluate(folder, schema=Truce, backend=backend, out_dir=tmp_path / "api")
    api = tmp_path / "api"
    assert (api / "report.md").read_text() == report.to_markdown()
    assert json.loads((api / "report.json").read_text()) == report.to_dict()
    assert [json.loads(line)["article"] for line in (api / "predictions.jsonl").read_text().splitlines()] == [
        "t1"
    ]

    result = runner.invoke(
        app, ["eval", str(folder), "--schema", "tests.truce:Truce", "-o", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    cli = tmp_path / "cli"
    assert (cli / "report.md").read_text() == result.stdout.rstrip("\n") + "\n"
    for name in ("report.md", "report.json", "predictions.jsonl"):
        assert (cli / name).is_file() and (api / name).is_file()
    cli_report, api_report = json.loads((cli / "report.json").read_text()), report.to_dict()
    assert cli_report["aggregate"]["macro"] == api_report["aggregate"]["macro"] == 1.0
    assert cli_report["articles"][0]["matches"] == api_report["articles"][0]["matches"]
