"""The toolkit of an article type: every name an article type needs from the engine, public and documented.

An article type is a :class:`Document` subclass (see the README, "Your own article type"). The two that
ship with the library, ``summit_extract.summit`` and ``summit_extract.tradedeal``, are written with the
names below and nothing private: an import-linter contract in pyproject.toml keeps them to it, so a type
of your own can do whatever they do.

Declaring the type
    :class:`Document`, :class:`Pass`, :class:`Example`, :func:`register`; facts with evidence are
    :class:`Grounded` items (each gets a :class:`Span`); :data:`OptionalText`, :data:`StatedText`,
    :data:`WrittenName` and :class:`WrittenDate` are field types; :func:`clean` reads "null", "unknown"
    and the like as None; hooks receive an :class:`ExtractionContext`.
Rules checked in code
    :class:`Rule`, :class:`RuleContext`, :class:`Lexicon` (words per language), :func:`negated` (is a cue
    word negated in its clause?), :data:`SENTENCE_GROUNDING` (the engine's own grounding rule).
Comparing text
    :func:`fold` (the form the normalized alignment compares), :func:`same_words` (two names of the same
    words), :func:`spans_overlap` (two evidence spans stating one fact), :func:`detect_language` and
    :data:`UNKNOWN`, :func:`injected_spans` (where an article carries instructions for the model),
    :func:`calendar_word` (is a word a month's or weekday's name in a language: "May" in English?).
Countries and organizations, in any language
    :class:`Country` and :func:`country` (ISO 3166), :func:`organization`, :func:`states_named`,
    :func:`state_mentions`, :func:`state_spans` (where, in the text as given), :func:`party_mentions`,
    :func:`capital_of` (a state's capital, for places), :data:`KOREAN_PARTICLES` (what a Korean word may
    carry after a name or a title: "미국의", "국가주석이").
Events across articles (consolidation hooks)
    :func:`findings` and :func:`finding_tokens` (a record's findings and their words), :func:`shares_finding`
    and :func:`default_same_fact` (the engine's defaults for "same finding" across articles).
Scoring against gold annotations, and extracting
    :class:`Scoring`, :class:`ListRule`, :class:`ArticleScore`, :class:`EvalReport`, :func:`evaluate`,
    :func:`score_article`; :class:`Extraction`, :func:`extract_result`, :func:`aextract_result`.
"""

from ._aligning import fold
from ._context import ExtractionContext
from ._countries import (
    KOREAN_PARTICLES,
    Country,
    capital_of,
    country,
    organization,
    party_mentions,
    state_mentions,
    state_spans,
    states_named,
)
from ._dates import calendar_word
from ._document import Document, Example, Pass, register
from ._evaluating import ArticleScore, EvalReport, ListRule, Scoring, evaluate, score_article
from ._event_keys import default_same_fact, finding_tokens, findings, shares_finding
from ._extracting import aextract_result, extract_result
from ._fields import OptionalText, StatedText, WrittenDate, WrittenName, clean
from ._grounding import Grounded, Span, same_words, spans_overlap
from ._input import injected_spans
from ._language import UNKNOWN, detect_language
from ._locating import SENTENCE_GROUNDING
from ._result import Extraction
from ._rules import Lexicon, Rule, RuleContext, negated

__all__ = [
    "KOREAN_PARTICLES",
    "SENTENCE_GROUNDING",
    "UNKNOWN",
    "ArticleScore",
    "Country",
    "Document",
    "EvalReport",
    "Example",
    "Extraction",
    "ExtractionContext",
    "Grounded",
    "Lexicon",
    "ListRule",
    "OptionalText",
    "Pass",
    "Rule",
    "RuleContext",
    "Scoring",
    "Span",
    "StatedText",
    "WrittenDate",
    "WrittenName",
    "aextract_result",
    "calendar_word",
    "capital_of",
    "clean",
    "country",
    "default_same_fact",
    "detect_language",
    "evaluate",
    "extract_result",
    "finding_tokens",
    "findings",
    "fold",
    "injected_spans",
    "negated",
    "organization",
    "party_mentions",
    "register",
    "same_words",
    "score_article",
    "shares_finding",
    "spans_overlap",
    "state_mentions",
    "state_spans",
    "states_named",
]
