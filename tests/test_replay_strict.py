"""Replay is strict: a test whose cassette holds an interaction it never plays fails, and an answer is
never played twice. Checked by running small test files (with this suite's conftest) on a cassette made
here, never on a committed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.paths import ROOT


def interaction(n: int) -> dict[str, object]:
    json_type = {"Content-Type": ["application/json"]}
    return {
        "request": {"body": f'{{"n": {n}}}', "headers": json_type, "method": "POST",
                    "uri": "http://127.0.0.1:9/v1/echo"},
        "response": {"body": {"string": f'{{"answer": {n}}}'}, "headers": json_type,
                     "status": {"code": 200, "message": "OK"}},
    }


TEST = '''
import httpx2, pytest

@pytest.mark.vcr
def test_echo():
    for n in {numbers}:
        assert httpx2.post("http://127.0.0.1:9/v1/echo", content='{{"n": %d}}' % n).json() == {{"answer": n}}
'''


def run(tmp_path: Path, recorded: list[int], asked: list[int]) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", project / "tests" / "conftest.py")
    shutil.copy(ROOT / "tests" / "paths.py", project / "tests" / "paths.py")
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_echo.py").write_text(TEST.format(numbers=asked))
    cassette = project / "cassettes" / "test_echo" / "test_echo.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(yaml.safe_dump({"interactions": [interaction(n) for n in recorded], "version": 1}))
    (project / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = \"--record-mode=none --block-network\"\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--rootdir", str(project), str(project / "tests" / "test_echo.py")],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_test_that_plays_its_whole_recording_passes(tmp_path: Path) -> None:
    result = run(tmp_path, recorded=[1, 2], asked=[1, 2])
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_interaction_never_played_fails_the_test(tmp_path: Path) -> None:
    result = run(tmp_path, recorded=[1, 2], asked=[1])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 2 recorded interaction(s) were never played" in result.stdout


def test_an_answer_is_never_played_twice(tmp_path: Path) -> None:
    result = run(tmp_path, recorded=[1], asked=[1, 1])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CannotOverwriteExistingCassetteException" in result.stdout
