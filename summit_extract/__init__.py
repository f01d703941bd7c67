"""summit-extract: validated, evidence-backed facts about diplomatic summits from news articles."""

import logging

from ._backend import Backend, load_provider, resolve_backend
from ._batch import BatchSummary, Item, aextract_many, extract_many
from ._config import RetryPolicy
from ._evaluating import EvalReport, evaluate
from ._exceptions import (
    ConfigurationError,
    ExtractionError,
    InputError,
    OutputValidationError,
    RefusalError,
    TransportError,
    TruncatedOutputError,
    Usage,
)
from ._extracting import (
    Extraction,
    aextract,
    aextract_result,
    aextract_summit,
    extract,
    extract_result,
    extract_summit,
)
from ._grounding import Grounded, Span
from ._models import Agreement, Country, Dispute, Location, Participant, Statement, Summit, SummitDate
from ._openai_batch import batch_status, collect_batch, submit_batch
from ._prompting import PROMPT_VERSION
from ._report import render_html

__version__ = "0.1.0"

# A library logs, the application decides where to: no output unless logging is configured.
logging.getLogger("summit_extract").addHandler(logging.NullHandler())

__all__ = [
    "PROMPT_VERSION",
    "Agreement",
    "Backend",
    "BatchSummary",
    "ConfigurationError",
    "Country",
    "Dispute",
    "EvalReport",
    "Extraction",
    "ExtractionError",
    "Grounded",
    "InputError",
    "Item",
    "Location",
    "OutputValidationError",
    "Participant",
    "RefusalError",
    "RetryPolicy",
    "Span",
    "Statement",
    "Summit",
    "SummitDate",
    "TransportError",
    "TruncatedOutputError",
    "Usage",
    "aextract",
    "aextract_many",
    "aextract_result",
    "aextract_summit",
    "batch_status",
    "collect_batch",
    "evaluate",
    "extract",
    "extract_many",
    "extract_result",
    "extract_summit",
    "load_provider",
    "render_html",
    "resolve_backend",
    "submit_batch",
]
