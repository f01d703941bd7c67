"""The Summit article type: a diplomatic summit, its participants, agreements, disputes and statements.

It plugs into the generic engine through the hooks of ``Document`` (passes, examples, ``finalize``,
what is cleared when no summit is reported, merge rules, scoring) and registers itself as the default
article type.
"""

from __future__ import annotations

from typing import Any

from ..toolkit import aextract_result, extract_result, register
from ._models import (
    Agreement,
    AgreementStatus,
    Dispute,
    DisputeStatus,
    Location,
    Participant,
    Statement,
    Summit,
    SummitDate,
)
from ._scoring import SummitScoring

__all__ = [
    "Agreement",
    "AgreementStatus",
    "Dispute",
    "DisputeStatus",
    "Location",
    "Participant",
    "Statement",
    "Summit",
    "SummitDate",
    "aextract_summit",
    "extract_summit",
]

Summit.scoring = SummitScoring()
register(Summit, "summit", default=True)


def extract_summit(text: str, **options: Any) -> Summit:
    """Extract the summit an article reports (``is_summit`` is False when it reports none)."""
    return extract_result(text, Summit, **options).value


async def aextract_summit(text: str, **options: Any) -> Summit:
    """The async twin of :func:`extract_summit`."""
    return (await aextract_result(text, Summit, **options)).value
