"""The typed context of one extraction: what validators and article-type hooks may know about the article.

Pydantic validators of a response model receive it through :func:`context_of`, hooks such as
``Document.finalize`` receive it as an argument. It replaces an untyped dict read by string keys.

Why a ContextVar: instructor renders every message as a Jinja template whenever it is given
``context=``, which would rewrite an article containing ``{{`` or ``{%`` before the model saw it. So the
calling stage, and only it, carries the context to the validators in a ContextVar (:func:`active`).

A validator that finds something wrong it could let go (evidence that is not in the article, a value the
article does not state) raises one signal, :class:`Reask`, with what to keep instead; whether the answer
is asked again or the fallback kept is decided in one place, :func:`reasking`, from the context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, TypeVar, cast

from pydantic import ValidationError, ValidationInfo

from ._aligning import FoldedText, contains

__all__ = [
    "DateSource",
    "ExtractionContext",
    "Reask",
    "active",
    "context_of",
    "reasking",
    "written_in_article",
]

#: Where the year of a resolved date came from: the date itself, the caller's ``published``, or the
#: article's own dateline ("December 8, 2004 — ...").
DateSource = Literal["text", "published", "dateline"]


@dataclass
class Attempts:
    """Which answer of one request is being validated; written only by the request's ledger (``_usage``)."""

    number: int = 1
    last: int = 1


@dataclass
class ExtractionContext:
    """The article (or one chunk of it) being extracted, and how strict validation may be.

    - ``text``: the text the model read; evidence must be found in it.
    - ``offset``: where ``text`` starts in the whole article (spans are offsets into the whole article).
    - ``published``: the publication date used to resolve "May 7" or "on Sunday", and ``published_from``,
      whether the caller gave it or the article's dateline states it.
    - ``attempt`` / ``final_attempt``: the answer being validated; out of re-asks, an item that cannot be
      grounded is marked unaligned (to be dropped or flagged) instead of failing the extraction.
    - ``reask_ungrounded``: whether evidence that is not in the text is worth a re-ask. Off by default:
      a small model mostly repeats itself, so the item is dropped at once.
    - ``pass_name``: the pass of the article type this request asks ("frame", "main" for one request of
      every field); None outside a planned request.
    """

    text: str
    published: dt.date | None = None
    published_from: DateSource | None = None
    offset: int = 0
    reask_ungrounded: bool = False
    attempts: Attempts = field(default_factory=Attempts)
    whole_text: str | None = None
    #: Items found only in an instruction planted inside the article (a prompt injection), set aside as
    #: ungrounded; ``finalize`` hooks see them in the whole article's context.
    quarantined: list[object] = field(default_factory=list)
    pass_name: str | None = None
    _folded: FoldedText | None = field(default=None, repr=False)

    @property
    def folded(self) -> FoldedText:
        """The text folded for normalized matching, computed once."""
        if self._folded is None:
            self._folded = FoldedText(self.text)
        return self._folded

    @property
    def attempt(self) -> int:
        """The number of the answer being validated (1 for the first)."""
        return self.attempts.number

    @property
    def final_attempt(self) -> bool:
        """Whether no re-ask is left after this answer."""
        return self.attempts.number >= self.attempts.last

    @property
    def lenient(self) -> bool:
        """Whether an ungrounded item is marked unaligned (dropped or flagged) rather than re-asked."""
        return self.final_attempt or not self.reask_ungrounded

    @property
    def article(self) -> str:
        """The whole article (``text`` is only a chunk of it when the article was split)."""
        return self.whole_text if self.whole_text is not None else self.text

    def is_written(self, value: str) -> bool:
        """Whether ``value`` is written in the text (ignoring case, spacing, quotes, dashes, accents)."""
        return bool(value) and contains(self.text, value)


_active: ContextVar[ExtractionContext | None] = ContextVar("summit_extract_context", default=None)


@contextlib.contextmanager
def active(context: ExtractionContext | None) -> Iterator[None]:
    """Make ``context`` the context of the validations run inside the block (the calling stage's carrier)."""
    token = _active.set(context)
    try:
        yield
    finally:
        _active.reset(token)


def context_of(info: ValidationInfo | None = None) -> ExtractionContext | None:
    """The extraction context of a validation: pydantic's own ``context=`` if it is one, else the active one.

    None outside an extraction (loading a stored result, building a model by hand): validators then
    check shapes only.
    """
    if info is not None and isinstance(info.context, ExtractionContext):
        return info.context
    return _active.get()


def written_in_article(value: str | None, info: ValidationInfo | None = None) -> bool:
    """For a user's validator: is ``value`` written in the article being extracted?

    True outside an extraction (there is no article to check against) and for an empty value.
    """
    context = context_of(info)
    if not value or context is None:
        return True
    return context.is_written(value)


P = ParamSpec("P")
R = TypeVar("R")


class Reask(ValueError):
    """A validator's signal that the answer is worth asking again (its message tells the model why).

    When no re-ask is wanted or left, ``instead`` is kept in place of what the validator returns (an
    item marked unaligned, None for a value the article does not state). ``reason`` may be the
    ``ValidationError`` to send back as it is.
    """

    def __init__(self, reason: str | ValidationError, *, instead: Any) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.instead = instead


def reasking(validator: Callable[P, R]) -> Callable[P, R]:
    """Decorate a validator (its last argument pydantic's ``ValidationInfo``) that raises :class:`Reask`:
    the one place that decides between a re-ask and the validator's fallback, by the context's
    ``lenient`` (see :class:`ExtractionContext`). Outside an extraction, the signal is an error."""

    @functools.wraps(validator)
    def settle(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return validator(*args, **kwargs)
        except Reask as signal:
            context = context_of(cast(ValidationInfo, args[-1]))
            if context is not None and context.lenient:
                return signal.instead  # type: ignore[no-any-return]
            if isinstance(signal.reason, ValidationError):
                raise signal.reason from None
            raise

    return settle
