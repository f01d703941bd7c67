"""What requests cost: the tokens of one response, their sum over every request of an extraction, and the
ledger that counts one planned request's answers.

The ledger is the one writer of the attempts counters: its own count of requests sent (what a result and
an error report), and the context's number of the answer being validated (which tells a validator
whether a re-ask is still possible: ``ExtractionContext.final_attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._secrets import clip

if TYPE_CHECKING:
    from ._context import ExtractionContext

__all__ = ["Ledger", "Usage", "usage_of"]


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


class Ledger:
    """Counts one planned request's answers and sums their tokens; the only writer of attempt counts."""

    def __init__(self) -> None:
        self.attempts = 0
        self.usage = Usage()
        self.context: ExtractionContext | None = None
        #: What the last answer said instead of an answer: the model's refusal, or "no choices".
        self.declined: str | None = None
        #: Whether the last request got a response that parsed as a completion.
        self.answered = False

    def begin(self, context: ExtractionContext | None, answers: int) -> None:
        """A call starts: at most ``answers`` answers of it will be validated, re-asks included."""
        self.context = context
        if context is not None:
            context.attempts.number, context.attempts.last = 0, answers

    def on_request(self, *args: Any, **kwargs: Any) -> None:
        """A request is sent (instructor's hook): its answer is the next one validated."""
        self.attempts += 1
        self.answered = False
        if self.context is not None:
            self.context.attempts.number += 1

    def on_response(self, response: Any) -> None:
        """A response arrived (instructor's hook): what it says instead of an answer, what it cost."""
        self.answered = True
        choices = getattr(response, "choices", None)
        if not choices:
            self.declined = "an answer with no choices"
        else:
            refused = getattr(getattr(choices[0], "message", None), "refusal", None)
            self.declined = f"a refusal ({clip(str(refused), 200)})" if refused else None
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage += usage_of(usage)

    def last_answer(self) -> None:
        """No re-ask follows the answer about to be validated (a cut-off answer kept, a Batch API one)."""
        if self.context is not None:
            self.context.attempts.number = self.context.attempts.last

    def received(self, completion: Any) -> None:
        """An answer that came without a request of ours (a Batch API output): counted with its tokens."""
        usage = getattr(completion, "usage", None)
        if usage is not None:
            self.attempts += 1
            self.usage += usage_of(usage)
