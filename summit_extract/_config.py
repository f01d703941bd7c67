"""Settings of one extraction: budgets for re-asks, retries and time, the sampling settings tried in turn,
and what to do with ungrounded items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["STRATEGIES", "RetryPolicy", "Strategy", "Ungrounded"]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the library tries before it gives up. Every bound holds at once.

    - ``max_retries``: re-asks after output that is not valid JSON or fails validation (so at most
      ``max_retries + 1`` model answers per request).
    - ``max_attempts``: attempts in all, counting retries after transient HTTP failures (429, 5xx,
      timeouts, lost connections, garbled bodies) and after truncated output; each attempt may include
      up to ``max_retries`` re-asks.
    - ``timeout``: seconds one request may take; ``total_timeout``: seconds for the whole extraction.
    - Waits between transient retries grow exponentially from ``backoff_initial`` to ``backoff_max``
      with full jitter; a Retry-After (or retry-after-ms) header is honoured as given, on any status; when
      it asks for longer than what is left of ``total_timeout`` the call fails at once.
    - ``timeout`` is generous because a 1.5B model on two busy CPU cores can take minutes per answer.
    - ``reask_ungrounded``: whether an item whose evidence is not in the article, or which is malformed
      (a title where the name goes, an unknown status), is worth a re-ask. Off by default: measured on
      the embedded model, a re-ask mostly repeated the first answer at the full price of the article,
      so such an item is dropped (or flagged) at once. Errors in the answer as a whole (not JSON, a
      required field missing, a validator of your own schema) are still re-asked.
    """

    max_retries: int = 1
    max_attempts: int = 6
    timeout: float = 300.0
    total_timeout: float = 1800.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    reask_ungrounded: bool = False


Ungrounded = Literal["drop", "flag"]


@dataclass(frozen=True)
class Strategy:
    """Sampling settings for one attempt; later strategies fight runaway repetition harder."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    token_factor: float = 1.0


#: Tried in order: the first, then one more after each truncated answer.
STRATEGIES = (
    Strategy("greedy", {"temperature": 0.0}),
    Strategy("penalized", {"temperature": 0.0, "frequency_penalty": 0.5, "presence_penalty": 0.3}),
    Strategy(
        "penalized-sampled",
        {"temperature": 0.4, "frequency_penalty": 1.0, "presence_penalty": 0.6, "seed": 7},
        token_factor=1.5,
    ),
)
