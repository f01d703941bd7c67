"""Evaluation against gold annotations: the engine's entry point; each article type brings its matching rules.

An article type sets ``Document.scoring`` to an object with an ``evaluate(devset_dir, **options)`` method
(see ``summit_extract/summit/_scoring.py`` for the Summit's rules).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from ._document import Document, default_article_type
from ._exceptions import ConfigurationError

__all__ = ["Scoring", "evaluate"]


class Scoring(Protocol):
    """The matching rules of an article type."""

    def evaluate(self, devset_dir: Path, **options: Any) -> Any:
        """Extract (or take predictions) and score every article of a dev set against its gold."""
        ...


def evaluate(devset_dir: Path, *, schema: type[BaseModel] | None = None, **options: Any) -> Any:
    """Score a dev set with the matching rules of ``schema`` (default: the default article type)."""
    chosen = schema or default_article_type()
    scoring = chosen.scoring if isinstance(chosen, type) and issubclass(chosen, Document) else None
    if scoring is None:
        raise ConfigurationError(f"{chosen.__name__} declares no scoring rules (Document.scoring).")
    return scoring.evaluate(Path(devset_dir), **options)
