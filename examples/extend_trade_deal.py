"""Extend the schemas: the built-in TradeDeal article type, then your own variant of it with one more pass.

    python examples/extend_trade_deal.py            # embedded model (or OPENAI_* settings), ~1-2 minutes

The TradeDeal type (summit_extract/tradedeal/) is built only on the public hooks the README's "Extending the
schemas" walks through. Subclassing it keeps every hook (passes, worked example, finalize to ISO codes,
merge rules, scoring) and adds a field asked in a pass of its own. Writes trade_deal.html beside this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from summit_extract import OptionalText, Pass, TradeDeal, extract_result, render_html


class ValuedTradeDeal(TradeDeal):
    """A trade deal, and the value of trade between the parties as the article states it."""

    trade_value: OptionalText = Field(
        default=None, description="The value of trade between the parties, as written; null if not stated."
    )

    passes: ClassVar[tuple[Pass, ...]] = (
        *TradeDeal.passes,
        Pass("value", ("trade_value",), "Copy the value of trade between the parties, or null."),
    )


ARTICLE = """June 12, 2023

BRUSSELS - The European Union and New Zealand signed a free trade agreement on Monday. Under the deal,
EU tariffs on New Zealand kiwifruit will be removed on day one, and duties on New Zealand butter will be
cut to 10% over seven years. New Zealand will scrap tariffs on European cars. Irish farmers said the
deal would hurt beef producers. Trade between the two was worth 9 billion euros last year."""


def main() -> None:
    result = extract_result(ARTICLE, ValuedTradeDeal)
    deal = result.value
    parties = ", ".join(f"{p.name} ({p.country_iso.alpha2 if p.country_iso else '?'})" for p in deal.parties)
    print(f"trade deal: {deal.is_trade_deal}, status: {deal.status}, parties: {parties}")
    print(f"signed: {deal.signing_date.iso if deal.signing_date else None}, trade value: {deal.trade_value}")
    for c in deal.commitments:
        assert c.span is not None
        print(f'  - {c.party}: {c.kind} on {c.subject}   [{c.span.start}:{c.span.end}] "{c.evidence}"')
    for concern in deal.concerns:
        print(f"  ! {concern.raised_by or 'someone'}: {concern.subject}")
    page = Path(__file__).with_name("trade_deal.html")
    page.write_text(render_html(ARTICLE, result, title="EU-New Zealand"), encoding="utf-8")
    print(f"{result.attempts} request(s), {result.usage.total_tokens} tokens; report: {page}")


if __name__ == "__main__":
    main()
