"""The finalize stage: the merged answer of a whole article made final.

In order: the article type's grounding rules locate what the model wrote in its own words in the
sentence stating it (``_locating``); what is still ungrounded is dropped or flagged; the type's
``finalize`` hook normalizes the whole and applies its other rules (``_rules``); an article that turns
out not to report the event has its event fields cleared (never its findings).
"""

from __future__ import annotations

from pydantic import BaseModel

from ._config import Ungrounded
from ._context import ExtractionContext
from ._document import Document
from ._grounding import Grounded, drop_unaligned, is_unaligned, walk
from ._rules import RuleContext

__all__ = ["finalize"]


def finalize(
    value: BaseModel, whole: ExtractionContext, ungrounded: Ungrounded
) -> tuple[list[Grounded], list[Grounded]]:
    """Make ``value`` final in place, in the context of the whole article; return what was dropped and
    what was flagged (``ungrounded`` says which)."""
    if isinstance(value, Document):
        value.ground_rules(RuleContext.of(whole))
    dropped: list[Grounded] = []
    flagged: list[Grounded] = []
    if ungrounded == "drop":
        dropped = drop_unaligned(value)
    else:
        flagged = [g for g in walk(value) if is_unaligned(g)]
    if isinstance(value, Document):
        value.finalize(whole)
        if not value.reports_event():
            value.clear_event()
    return dropped, flagged
