"""The result stage: what an extraction returns, the final value and what it cost."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ._grounding import Grounded
from ._translating import Translation
from ._usage import Ledger, Usage

__all__ = ["Extraction", "result"]

T = TypeVar("T", bound=BaseModel)


@dataclass
class Extraction(Generic[T]):
    """An extraction's value and what it cost."""

    value: T
    usage: Usage
    attempts: int
    model: str
    backend: str
    seconds: float
    #: Items whose evidence was never found in the article and were removed (``ungrounded="drop"``).
    dropped: list[Grounded] = field(default_factory=list)
    #: Items kept although their evidence was never found (``ungrounded="flag"``).
    flagged: list[Grounded] = field(default_factory=list)
    #: Answers received per request of the plan, by its key: the pass ("frame", "agreements", ...), with
    #: the piece of a long article it read after an "@" ("agreements@2"); more than one means re-asks.
    requests: dict[str, int] = field(default_factory=dict)
    #: The English text the passes read when the article, written in another language, was read in
    #: translation (spans and evidence are the article's own all the same); None otherwise.
    translation: Translation | None = None


def result(
    value: Any,
    ledgers: Mapping[str, Ledger],
    *,
    model: str,
    backend: str,
    started: float,
    dropped: list[Grounded],
    flagged: list[Grounded],
    translation: Translation | None = None,
) -> Extraction[Any]:
    """The extraction of ``value``, its cost summed over the ledgers of its requests (by request key),
    timed from ``started`` (``time.monotonic()``)."""
    return Extraction(
        value=value,
        usage=sum((ledger.usage for ledger in ledgers.values()), Usage()),
        attempts=sum(ledger.attempts for ledger in ledgers.values()),
        model=model,
        backend=backend,
        seconds=round(time.monotonic() - started, 3),
        dropped=dropped,
        flagged=flagged,
        requests={key: ledger.attempts for key, ledger in ledgers.items()},
        translation=translation,
    )
