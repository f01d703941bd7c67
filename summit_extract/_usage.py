"""What requests cost: the tokens of one response, and their sum over every request of an extraction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "usage_of"]


@dataclass(frozen=True)
class Usage:
    """Tokens spent, summed over every request an extraction made."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Of ``prompt_tokens``, how many the server reused from its prompt cache (when it says).
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
        )


def usage_of(usage: Any) -> Usage:
    """Tokens of one response's ``usage``, with the prompt tokens the server served from its cache."""
    details = getattr(usage, "prompt_tokens_details", None)
    return Usage(
        int(getattr(usage, "prompt_tokens", 0) or 0),
        int(getattr(usage, "completion_tokens", 0) or 0),
        int(getattr(details, "cached_tokens", 0) or 0),
    )
