"""The one reader of articles (command line, Ray, Batch API): sources, ids in their JSON type, bad input.

No model: the command line is run with ``--dry-run``, which plans the requests and sends none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summit_extract import InputError
from summit_extract._interfaces.cli import app
from summit_extract.ray import read_articles

TEXT = "The presidents of Chile and Peru met in Lima on Monday and agreed to build a bridge."


def jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_ids_keep_their_json_type_and_a_row_without_one_is_named_by_its_line(tmp_path: Path) -> None:
    source = jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": 7, "text": TEXT},
            {"id": "7", "text": TEXT, "published": "2024-05-07T10:00:00"},
            {"text": TEXT},
        ],
    )
    items = read_articles(source)
    assert [i.id for i in items] == [7, "7", f"{source}:3"]
    assert [type(i.id) for i in items] == [int, str, str]
    assert [i.published for i in items] == [None, "2024-05-07", None]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": 7, "text": TEXT}, {"id": 7, "text": TEXT}], "the id 7 appears twice"),
        ([{"id": 1, "text": TEXT, "published": "May 7"}], "in.jsonl:1: published date 'May 7' is not"),
        ([{"id": 1, "body": TEXT}], "in.jsonl:1: each line needs a string field 'text'"),
    ],
)
def test_bad_rows_are_input_errors_that_say_where(
    tmp_path: Path, rows: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        read_articles(jsonl(tmp_path / "in.jsonl", rows))


def test_a_folder_without_text_files_is_read_for_jsonl_and_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="Parquet needs the ray extra's pyarrow")
    import pyarrow.parquet as pq

    folder = tmp_path / "articles"
    folder.mkdir()
    jsonl(folder / "a.jsonl", [{"id": 1, "text": TEXT}])
    rows = [{"id": 2, "text": TEXT}, {"id": 3, "text": TEXT}]
    pq.write_table(pa.Table.from_pylist(rows), folder / "b.parquet")
    assert [i.id for i in read_articles(folder)] == [1, 2, 3]
    assert [i.id for i in read_articles([folder / "b.parquet", folder / "a.jsonl"])] == [2, 3, 1]
    with pytest.raises(InputError, match="no such file or folder"):
        read_articles(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"has no \*\.txt, \*\.jsonl or \*\.parquet articles"):
        read_articles(tmp_path / "empty")


def test_the_command_line_reads_with_the_same_reader_and_keeps_id_types(tmp_path: Path) -> None:
    source = jsonl(tmp_path / "in.jsonl", [{"id": 7, "text": TEXT}, {"id": "7", "text": TEXT}])
    env = {"OPENAI_API_KEY": "sk-unused-dry-run"}  # --dry-run sends nothing
    result = CliRunner().invoke(app, ["extract", str(source), "--dry-run", "--backend", "openai"], env=env)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [7, "7"]
    twice = jsonl(tmp_path / "twice.jsonl", [{"id": 7, "text": TEXT}, {"id": 7, "text": TEXT}])
    refused = CliRunner().invoke(app, ["extract", str(twice), "--dry-run"])
    assert refused.exit_code == 2 and "the id 7 appears twice in the input" in refused.stderr
