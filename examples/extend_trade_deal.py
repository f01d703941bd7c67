"""Extend the schemas for a new article type: a trade deal, extracted with the generic `extract`.

    python examples/extend_trade_deal.py

Subclass `Grounded` for every fact that must carry verbatim evidence: the library aligns it with the
article, re-asks the model when it is not there, and drops it if it never is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from summit_extract import Grounded, extract_result


class Tariff(Grounded):
    """A tariff change the deal makes."""

    evidence: str = Field(description="Short verbatim phrase of the article stating this tariff change.")
    product: str = Field(description="Goods affected, as written.")
    change: str = Field(description="The change, as written, e.g. 'cut to 10%'.")


class TradeDeal(BaseModel):
    """A trade agreement between two or more economies."""

    is_trade_deal: bool = Field(description="True if the article reports a trade agreement between states.")
    parties: list[str] = Field(default_factory=list, description="Countries or blocs party to the deal.")
    status: Literal["negotiating", "agreed", "signed", "ratified", "in force"] | None = Field(
        default=None, description="How far the deal has got."
    )
    tariffs: list[Tariff] = Field(default_factory=list, description="Tariff changes the deal makes.")


ARTICLE = """BRUSSELS, June 12 - The European Union and New Zealand signed a free trade agreement on Monday.
Under the deal, EU tariffs on New Zealand kiwifruit will be removed on day one, and duties on New Zealand
butter will be cut to 10% over seven years. New Zealand will scrap tariffs on European cars."""


def main() -> None:
    result = extract_result(ARTICLE, TradeDeal)
    deal = result.value
    print(f"trade deal: {deal.is_trade_deal}, status: {deal.status}, parties: {', '.join(deal.parties)}")
    for t in deal.tariffs:
        assert t.span is not None
        print(f'  - {t.product}: {t.change}   [{t.span.start}:{t.span.end}] "{t.evidence}"')
    print(f"{result.attempts} request(s), {result.usage.total_tokens} tokens")


if __name__ == "__main__":
    main()
