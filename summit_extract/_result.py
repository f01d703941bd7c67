"""What an extraction returns: the validated value, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from ._exceptions import Usage
from ._grounding import Grounded

__all__ = ["Extraction"]

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
    #: Answers received per request of the plan ("frame", "agreements", ...; "chunk2/frame" for long
    #: articles): more than one means re-asks.
    requests: dict[str, int] = field(default_factory=dict)
