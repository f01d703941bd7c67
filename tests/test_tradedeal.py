"""The TradeDeal article type end to end, replayed from one cassette recorded from the embedded model.

``test_recorded_trade_deals`` extracts the three articles of devset_tradedeal/ (written for this project);
the command-line extract, HTML report and eval tests replay that same cassette (they send the very same
requests), so the second article type goes through exactly the commands Summit does. The assertions
state what the recorded model said. Re-record (the model is shared: lock and nice) with:

    flock /tmp/summit-model.lock nice -n 5 python -m pytest tests/test_tradedeal.py \\
        -k test_recorded_trade_deals --record-mode=rewrite -p no:cacheprovider
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_extract import Backend, TradeDeal, extract_result
from summit_extract._grounding import walk
from summit_extract._interfaces.cli import app
from summit_extract._interfaces.cli import options as _cli
from summit_extract._interfaces.report import colours

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset_tradedeal"
STEMS = ("canada_chile", "indonesia_australia", "kenya_japan")
CASSETTE = "test_recorded_trade_deals.yaml"
CANADA_CHILE = DEVSET / "articles" / "canada_chile.txt"

runner = CliRunner()


def article(stem: str) -> str:
    return (DEVSET / "articles" / f"{stem}.txt").read_text(encoding="utf-8")


def assert_grounded(deal: TradeDeal, text: str) -> None:
    items = list(walk(deal))
    assert items
    for item in items:
        assert item.span is not None and item.span.alignment != "unaligned", item
        assert text[item.span.start : item.span.end] == item.evidence_text(), item


def assert_canada_chile(deal: TradeDeal, text: str) -> None:
    """What the recorded model found in the Canada-Chile article, checked against the article."""
    assert deal.is_trade_deal and deal.status == "signed"
    assert deal.name == "Canada-Chile Modernized Trade Agreement"
    assert [(p.name, p.country_iso and p.country_iso.alpha3) for p in deal.parties] == [
        ("Chile", "CHL"),
        ("Canada", "CAN"),
    ]
    # "Tuesday", resolved by the library against the article's dateline (March 4, 2025).
    assert deal.signing_date is not None and deal.signing_date.text == "Tuesday"
    assert deal.signing_date.iso == "2025-03-04" and deal.signing_date.year_from == "dateline"
    commitments = [(c.party, c.kind, c.subject) for c in deal.commitments]
    assert commitments == [
        ("Canada", "tariff removal", "Chilean wine"),
        ("Chile", "tariff cut", "Canadian pork"),
        ("Canada", "quota", "Chilean blueberries"),
        ("Chile", "standards", "Canadian safety certificates for medical devices"),
    ]
    assert deal.commitments[1].detail == "from 12% to 4% over five years"
    assert [(c.raised_by, c.subject) for c in deal.concerns] == [
        ("Chilean dairy farmers", "competition from Canadian cheese"),
        ("Canadian fishing union", "Chilean 9% tariff on frozen salmon fillets"),
    ]
    assert_grounded(deal, text)


@pytest.mark.vcr
def test_recorded_trade_deals(local_backend: Backend) -> None:
    results = {stem: extract_result(article(stem), TradeDeal, backend=local_backend) for stem in STEMS}
    first = results["canada_chile"]
    assert_canada_chile(first.value, article("canada_chile"))
    assert first.requests == {"frame": 1, "commitments": 1, "concerns": 1}  # three passes, no re-ask
    assert first.usage.prompt_tokens > 1000 and first.backend == "local"

    kenya = results["kenya_japan"].value
    assert {p.country_iso.alpha3 for p in kenya.parties if p.country_iso} == {"KEN", "JPN"}
    assert ("Japan", "Kenyan cut flowers and black tea") in [(c.party, c.subject) for c in kenya.commitments]
    assert kenya.status == "signed"  # wrong: talks concluded, not signed; the eval counts it
    assert_grounded(kenya, article("kenya_japan"))

    # A tariff row, no deal: the small model still calls it one (the eval below counts that error).
    row = results["indonesia_australia"].value
    assert row.is_trade_deal and {p.name for p in row.parties} == {"Indonesia", "Australia"}
    assert any("live cattle" in c.subject for c in row.concerns)
    assert_grounded(row, article("indonesia_australia"))


def _replay(recording: bool, monkeypatch: pytest.MonkeyPatch, backend: Backend, tmp_path: Path) -> None:
    if recording:
        pytest.skip(f"replays {CASSETTE}; record test_recorded_trade_deals instead")
    monkeypatch.setattr(_cli, "build_backend", lambda *args: backend)
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))


@pytest.mark.vcr(CASSETTE)
def test_cli_extracts_a_trade_deal_then_summarizes_it_from_the_cache(
    local_backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recording: bool
) -> None:
    _replay(recording, monkeypatch, local_backend, tmp_path)
    text = CANADA_CHILE.read_text(encoding="utf-8")

    first = runner.invoke(app, ["extract", str(CANADA_CHILE), "--schema", "tradedeal", "--json"])
    assert first.exit_code == 0, first.stderr
    (record,) = [json.loads(line) for line in first.stdout.splitlines()]
    assert record["status"] == "ok" and record["attempts"] == 3
    deal = TradeDeal.model_validate(record["result"])
    assert_canada_chile(deal, text)

    second = runner.invoke(app, ["extract", str(CANADA_CHILE), "--schema", "tradedeal"])
    assert second.exit_code == 0, second.stderr
    out = second.stdout
    assert "Reports a trade deal: Canada-Chile Modernized Trade Agreement" in out
    assert "Parties (2)" in out and "Commitments (4)" in out and "Concerns (2)" in out
    assert "Signing date: Tuesday (2025-03-04)" in out and "Status: signed" in out
    assert "Chilean wine [Canada, tariff removal, as soon as the deal enters into force]" in out
    assert 'evidence: "Chile will cut its duty on Canadian pork from 12% to 4% over five years"' in out
    for c in deal.commitments:
        assert c.span is not None and f"[{c.span.start}:{c.span.end}]" in out
    assert "from cache, no request" in out
    assert "Is summit" not in out and "Participants" not in out  # nothing of another article type


class _Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.mark: dict[str, str] | None = None
        self.marks: list[tuple[dict[str, str], str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and a.get("id") == "article":
            self.inside = True
        elif self.inside and tag == "mark":
            self.mark = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.mark = None
        elif tag == "div" and self.inside:
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)
            if self.mark is not None:
                self.marks.append((self.mark, data))


@pytest.mark.vcr(CASSETTE)
def test_cli_report_highlights_a_trade_deal_by_class(
    local_backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recording: bool
) -> None:
    _replay(recording, monkeypatch, local_backend, tmp_path)
    page = tmp_path / "deal.html"
    result = runner.invoke(app, ["report", str(CANADA_CHILE), "--schema", "tradedeal", "-o", str(page)])
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    parsed = _Marks()
    parsed.feed(html)
    assert "".join(parsed.text) == CANADA_CHILE.read_text(encoding="utf-8")
    kinds = {k for attrs, _ in parsed.marks for k in attrs["data-kinds"].split()}
    assert kinds == {"party", "deal-date", "commitment", "concern"}
    wine = [data for attrs, data in parsed.marks if "commitment-0" in attrs["data-items"].split()]
    assert "".join(wine) == (
        "Canada will remove its 6% tariff on Chilean wine as soon as the deal enters into force"
    )
    party = [attrs for attrs, data in parsed.marks if data == "Chile" and "party-0" in attrs["data-items"]]
    assert party and party[0]["title"] == "party: Chile"  # Grounded.label()
    palette = colours(TradeDeal())
    assert set(palette) == {"party", "deal-date", "commitment", "concern"} and len(set(palette.values())) == 4
    for kind, colour in palette.items():
        assert f"mark.k-{kind}, .key.k-{kind} {{ background: {colour}; }}" in html
        assert f'data-toggle="{kind}"' in html
    # The result table: the deal's own top-level fields, then one table per list.
    assert "<th>Name</th><td>Canada-Chile Modernized Trade Agreement</td>" in html
    assert "<th>Status</th><td>signed</td>" in html and "<th>Is trade deal</th><td>yes</td>" in html
    assert "<h3>Commitments (4)</h3>" in html and "<h3>Concerns (2)</h3>" in html
    assert 'id="item-concern-1"' in html and "<td>Canadian fishing union</td>" in html


@pytest.mark.vcr(CASSETTE)
def test_cli_eval_scores_the_trade_deal_dev_set(
    local_backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recording: bool
) -> None:
    _replay(recording, monkeypatch, local_backend, tmp_path)
    out = tmp_path / "eval"
    result = runner.invoke(app, ["eval", str(DEVSET), "--schema", "tradedeal", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["predictions.jsonl", "report.json", "report.md"]
    agg: dict[str, Any] = json.loads((out / "report.json").read_text())["aggregate"]
    # The recorded model: Canada-Chile right throughout; the tariff row taken for a deal (its parties,
    # status, date and five "commitments" count against it); Kenya-Japan "signed" although only concluded.
    assert (agg["articles"], agg["failures"], agg["ungrounded_kept"]) == (3, 0, 0)
    assert (agg["is_trade_deal"], agg["status"], agg["date"]) == (0.6667, 0.3333, 0.6667)
    assert {
        k: (agg[k]["tp"], agg[k]["fp"], agg[k]["fn"]) for k in ("parties", "commitments", "concerns")
    } == {
        "parties": (4, 2, 0),
        "commitments": (7, 5, 1),
        "concerns": (5, 4, 1),
    }
    assert agg["macro"] == 0.6389 and agg["requests_per_article"] == 3.0
    assert agg["prompt_tokens_per_article"] > 2000
    md = (out / "report.md").read_text()
    assert md.strip() in result.stdout  # the same report, printed and written
    for row in (
        "| **macro** (mean of the six below) | **0.639** |",
        "| canada_chile | true→true ✓ | signed→signed ✓ | ✓ | 2/0/0 | 4/0/0 | 2/0/0 | 0 |",
        "| indonesia_australia | false→true ✗ | —→signed ✗ | ✗ | 0/2/0 | 0/5/0 | 1/4/1 | 0 |",
        "| kenya_japan | true→true ✓ | concluded→signed ✗ | ✓ | 2/0/0 | 3/0/1 | 2/0/0 | 0 |",
    ):
        assert row in md, row
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert [p["article"] for p in predictions] == sorted(STEMS)
    assert predictions[0]["requests"] == {"frame": 1, "commitments": 1, "concerns": 1}
    assert predictions[0]["prediction"]["parties"][1]["country_iso"]["alpha2"] == "CA"
