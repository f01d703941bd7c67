"""Settings of one extraction: budgets for re-asks, retries and time, and what to do with ungrounded items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the library tries before it gives up. Every bound holds at once.

    - ``max_retries``: re-asks after output that is not valid JSON or fails validation (so at most
      ``max_retries + 1`` model answers per request).
    - ``max_attempts``: requests in all, counting retries after transient HTTP failures (429, 5xx,
      timeouts, lost connections) and after truncated output.
    - ``timeout``: seconds one request may take; ``total_timeout``: seconds for the whole extraction.
    - Waits between transient retries grow exponentially from ``backoff_initial`` to ``backoff_max``
      with full jitter; a 429's Retry-After header is honoured as given when it fits in the time left.
    """

    max_retries: int = 1
    max_attempts: int = 6
    timeout: float = 180.0
    total_timeout: float = 900.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0


Ungrounded = Literal["drop", "flag"]
