"""The library's exception hierarchy: everything it raises on purpose derives from ExtractionError.

    ExtractionError                 an extraction failed; carries .attempts and .usage
    ├── ConfigurationError          no usable backend, a bad key, model, URL or option
    │   └── SchemaError (TypeError) an article type is defined wrongly (a field, pass or example)
    ├── InputError (ValueError)     the article cannot be used as given
    ├── TransportError              the endpoint kept failing (429, 5xx, timeouts, lost connections)
    │   └── UnreachableError        nothing answers at the endpoint (connection refused, unknown host)
    ├── OutputValidationError       the model's output never validated
    │   └── TruncatedOutputError    it kept running into max_tokens
    ├── RefusalError                the model refused, or returned no choices
    └── OutputError                 a batch's output could not be written (disk full, a closed pipe)

Each is re-exported as ``summit_extract.<Name>`` and reports that path as its module. Messages name what
failed, after how many attempts and at what token cost, and say what to do. They never
carry an API key: the library never formats request headers or client settings into a message.

``SchemaWarning`` (a ``UserWarning``) is issued for what is probably, not certainly, a mistake in an
article type (a plain ``str`` field the article is never checked for).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._usage import Usage  # re-exported: it lived here, and errors carry one

__all__ = [
    "ConfigurationError",
    "ExtractionError",
    "InputError",
    "OutputError",
    "OutputValidationError",
    "RefusalError",
    "SchemaError",
    "SchemaProblem",
    "SchemaWarning",
    "TransportError",
    "TruncatedOutputError",
    "UnreachableError",
    "Usage",
]


class ExtractionError(Exception):
    """Base class of every error the library raises on purpose."""

    def __init__(self, message: str, *, attempts: int = 0, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage or Usage()
        #: What failed, without the counts: the message adds the requests and tokens of the whole article.
        self.reason: str | None = None


class ConfigurationError(ExtractionError):
    """No usable backend, or a backend or option is misconfigured."""


class InputError(ExtractionError, ValueError):
    """The input cannot be used as given: an article (empty, not text, too large) or an evaluation set."""


@dataclass(frozen=True)
class SchemaProblem:
    """One mistake (or, with ``warning``, a probable one) in an article type, and how to fix it."""

    #: Where it is: ``Class.field``, ``Class.event_fields``, ``Class.examples[0]``.
    where: str
    #: What is wrong and what to do instead.
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class SchemaError(ConfigurationError, TypeError):
    """An article type is defined wrongly; ``problems`` names each class, field and fix."""

    def __init__(self, message: str, problems: tuple[SchemaProblem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class SchemaWarning(UserWarning):
    """An article type has a field that is probably not what was meant (the message says what to use)."""


class TransportError(ExtractionError):
    """The endpoint kept failing (rate limits, server errors, timeouts, lost connections)."""


class UnreachableError(TransportError):
    """Nothing answers at the endpoint (connection refused, unknown host): retrying will not help soon."""


class OutputValidationError(ExtractionError):
    """The model's output never validated against the schema within the re-ask budget."""


class TruncatedOutputError(OutputValidationError):
    """The model kept running into its token limit, even with the anti-repetition strategies."""


class RefusalError(ExtractionError):
    """The model refused to answer or returned no choices."""


class OutputError(ExtractionError):
    """The batch output could not be written (disk full, a closed pipe); what was written is resumable."""
