"""What an extraction returns: the validated value, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from ._grounding import Grounded
from ._usage import Usage

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
    #: Answers received per request of the plan, by its key: the pass ("frame", "agreements", ...), with
    #: the piece of a long article it read after an "@" ("agreements@2"); more than one means re-asks.
    requests: dict[str, int] = field(default_factory=dict)
