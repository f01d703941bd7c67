"""What a collect did and what the batch cost: batch tokens at the discount, live re-asks in full."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..._exceptions import Usage

__all__ = ["BATCH_DISCOUNT", "BatchCollect"]

#: What the Batch API charges relative to the live API (half price).
BATCH_DISCOUNT = 0.5


@dataclass
class BatchCollect:
    """What a collect did, and what the batch cost in tokens."""

    #: Records written from batch answers.
    from_batch: int = 0
    #: Items re-asked through the live path (their records are extract_many's), and how many failed there.
    reasked: int = 0
    reask_failed: int = 0
    #: Items sent again in a follow-up batch job.
    resubmitted: int = 0
    #: Error records written without a re-ask (``reask="none"`` or over ``max_live``).
    failed: int = 0
    #: Items already in OUT.
    skipped: int = 0
    #: Jobs not finished yet (collect again later).
    pending_jobs: int = 0
    batch_usage: Usage = field(default_factory=Usage)
    live_usage: Usage = field(default_factory=Usage)
    live_attempts: int = 0
    #: Failures of batch answers, by error type (before any re-ask).
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def billed_tokens(self) -> float:
        """Tokens at live prices that the batch costs: batch tokens at the discount, live tokens in full."""
        return self.batch_usage.total_tokens * BATCH_DISCOUNT + self.live_usage.total_tokens

    @property
    def saved_tokens(self) -> float:
        """Live-price tokens the discount saved."""
        return self.batch_usage.total_tokens * (1 - BATCH_DISCOUNT)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "from_batch": self.from_batch,
            "reasked": self.reasked,
            "reask_failed": self.reask_failed,
            "resubmitted": self.resubmitted,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending_jobs": self.pending_jobs,
            "batch_prompt_tokens": self.batch_usage.prompt_tokens,
            "batch_completion_tokens": self.batch_usage.completion_tokens,
            "live_prompt_tokens": self.live_usage.prompt_tokens,
            "live_completion_tokens": self.live_usage.completion_tokens,
            "live_attempts": self.live_attempts,
            "discount": BATCH_DISCOUNT,
            "billed_tokens": self.billed_tokens,
            "saved_tokens": self.saved_tokens,
            "errors": dict(self.errors),
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        errors = ", ".join(f"{n} {kind}" for kind, n in sorted(self.errors.items()))
        return (
            f"{self.from_batch} records from batch answers, {self.reasked} re-asked live "
            f"({self.reask_failed} failed there), {self.resubmitted} resubmitted, {self.failed} failed, "
            f"{self.skipped} already done, {self.pending_jobs} job(s) still running"
            f"{f'; batch answers failing: {errors}' if errors else ''}. Tokens: batch "
            f"{self.batch_usage.total_tokens} at {BATCH_DISCOUNT:.0%} price, "
            f"live {self.live_usage.total_tokens}; "
            f"billed as {self.billed_tokens:.0f} live tokens, {self.saved_tokens:.0f} saved"
        )
