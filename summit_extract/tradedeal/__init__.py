"""The TradeDeal article type: a trade agreement, its parties, commitments and concerns.

The second article type, built only on the engine's public hooks and ``summit_extract.toolkit`` (see the
README, "Your own article type"); it registers itself as ``tradedeal``.
"""

from __future__ import annotations

from ..toolkit import register
from ._models import Commitment, CommitmentKind, Concern, DealDate, DealStatus, Party, TradeDeal
from ._scoring import GoldTradeDeal, TradeDealScoring

__all__ = [
    "Commitment",
    "CommitmentKind",
    "Concern",
    "DealDate",
    "DealStatus",
    "GoldTradeDeal",
    "Party",
    "TradeDeal",
    "TradeDealScoring",
]

TradeDeal.scoring = TradeDealScoring()
register(TradeDeal, "tradedeal")
