"""summit-extract: validated, evidence-backed facts about diplomatic summits from news articles.

The engine (planning, prompting, calling, grounding, chunking, merging, evaluating: the flat modules)
knows no article type; runners (``_runners``: batches, processes, Ray, the Batch API) take many articles
through it, and interfaces (``_interfaces``: the command line, the HTML report, schema files) sit on top.
The Summit (``summit_extract.summit``) and the trade deal (``summit_extract.tradedeal``) plug into it
as ``Document`` subclasses, written with ``summit_extract.toolkit`` alone. This module only re-exports the
public names.
"""

import logging

from ._backend import Backend, load_provider, resolve_backend
from ._config import RetryPolicy
from ._consolidating import ConsolidationSummary, consolidate
from ._context import ExtractionContext, written_in_article
from ._countries import Country
from ._deadline import Deadline
from ._document import Document, Example, Pass, article_types, check_article_type, register
from ._evaluating import ArticleScore, Counts, EvalReport, ListRule, Scoring, evaluate
from ._events import Claim, Event, Fact, Source
from ._exceptions import (
    ConfigurationError,
    ExtractionError,
    InputError,
    OutputError,
    OutputValidationError,
    RefusalError,
    SchemaError,
    SchemaProblem,
    SchemaWarning,
    TransportError,
    TruncatedOutputError,
    UnreachableError,
)
from ._extracting import aextract, aextract_result, extract, extract_result
from ._fields import OptionalText, StatedText, WrittenDate, WrittenName
from ._grounding import Grounded, Span
from ._interfaces.report import render_html
from ._planning import ArticlePlan, PlannedRequest, plan_article
from ._prompting import PROMPT_VERSION
from ._result import Extraction
from ._rules import Lexicon, Rule, RuleContext
from ._runners.batch import aextract_many, extract_many
from ._runners.openai_batch import batch_status, collect_batch, submit_batch
from ._runners.records import BatchSummary, Item
from ._usage import Usage
from ._version import package_version
from .summit import (
    Agreement,
    Dispute,
    Location,
    Participant,
    Statement,
    Summit,
    SummitDate,
    aextract_summit,
    extract_summit,
)
from .tradedeal import Commitment, Concern, DealDate, Party, TradeDeal

#: The installed version: pyproject.toml is its one source (see _version).
__version__ = package_version()

# Errors show the path users import them from (summit_extract.InputError), as httpx's do.
for _error in (
    ExtractionError,
    ConfigurationError,
    InputError,
    TransportError,
    OutputValidationError,
    TruncatedOutputError,
    RefusalError,
    OutputError,
    SchemaError,
    UnreachableError,
    SchemaWarning,
):
    _error.__module__ = "summit_extract"

# A library logs, the application decides where to: no output unless logging is configured.
logging.getLogger("summit_extract").addHandler(logging.NullHandler())

__all__ = [
    "PROMPT_VERSION",
    "Agreement",
    "ArticlePlan",
    "ArticleScore",
    "Backend",
    "BatchSummary",
    "Claim",
    "Commitment",
    "Concern",
    "ConfigurationError",
    "ConsolidationSummary",
    "Country",
    "Counts",
    "Deadline",
    "DealDate",
    "Dispute",
    "Document",
    "EvalReport",
    "Event",
    "Example",
    "Extraction",
    "ExtractionContext",
    "ExtractionError",
    "Fact",
    "Grounded",
    "InputError",
    "Item",
    "Lexicon",
    "ListRule",
    "Location",
    "OptionalText",
    "OutputError",
    "OutputValidationError",
    "Participant",
    "Party",
    "Pass",
    "PlannedRequest",
    "RefusalError",
    "RetryPolicy",
    "Rule",
    "RuleContext",
    "SchemaError",
    "SchemaProblem",
    "SchemaWarning",
    "Scoring",
    "Source",
    "Span",
    "StatedText",
    "Statement",
    "Summit",
    "SummitDate",
    "TradeDeal",
    "TransportError",
    "TruncatedOutputError",
    "UnreachableError",
    "Usage",
    "WrittenDate",
    "WrittenName",
    "aextract",
    "aextract_many",
    "aextract_result",
    "aextract_summit",
    "article_types",
    "batch_status",
    "check_article_type",
    "collect_batch",
    "consolidate",
    "evaluate",
    "extract",
    "extract_many",
    "extract_result",
    "extract_summit",
    "load_provider",
    "plan_article",
    "register",
    "render_html",
    "resolve_backend",
    "submit_batch",
    "written_in_article",
]
