"""Code rules over a model's answer, as declared objects: what each may do, and in which languages.

A small model's answer is checked and completed in code, but a rule written in words ("agreed", "a row
over") only knows the languages its words cover. So every rule declares them: on an article in another
language it does not run and the model's answer stands (it *fails open*). Rules that need no wording
(grounding, counting states) declare ``languages=None`` and run on every article.

- :class:`Rule`: a name, what it may do (:data:`Action`), its languages, and the function that applies it
  to a value through a typed :class:`RuleContext` (the article, its language and sentences).
- :class:`Lexicon`: the words of a rule, per language, as data (an article type ships its own JSON file),
  never as regex literals in code; a term matches at the start of a word ("agree" finds "agreed"), at
  its end when written "-ending" ("-erà" finds "presterà"), or anywhere in a word for languages written
  without spaces between words and particles.
- :func:`negated`: whether a cue is negated ("did not agree", "signed no agreement", "n'a pas signé").
- :func:`run_rules`: apply an article type's rules in their declared order, each only where it runs.

The article type lists its rules (``Document.rules``); the generic ones (sentence grounding, the cue
filter) live in the engine and serve every type. Each rule's worth is measured on the development and
validation sets by switching it off alone (``benchmarks/REPORT.md``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._aligning import fold
from ._context import ExtractionContext
from ._language import UNKNOWN, detect_language, sentence_at, sentences

__all__ = [
    "NEGATION",
    "Action",
    "Lexicon",
    "Rule",
    "RuleContext",
    "negated",
    "run_rules",
]

#: What a rule may do to the model's answer: ground an item the model could not quote, drop an item,
#: add one the model left out, overrule a verdict, or rewrite a field.
Action = Literal["ground", "drop", "add", "overrule", "rewrite"]

#: Languages written without spaces between a word and its particles (Korean "미국과") or at all
#: (Japanese, Chinese, Thai): a term may match anywhere in a word.
_NO_WORD_STARTS = frozenset({"ja", "zh", "ko", "th", "lo", "km", "my"})


class Lexicon:
    """Words per language and key ("agreement", "negation", ...), loaded from data."""

    def __init__(self, data: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        self.data = {lang: {key: tuple(terms) for key, terms in keys.items()} for lang, keys in data.items()}

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """A lexicon from a JSON file: ``{"en": {"agreement": ["agree", ...], ...}, "fr": {...}}``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({lang: keys for lang, keys in data.items() if not lang.startswith("_")})

    def languages(self, *keys: str) -> frozenset[str]:
        """The languages whose words cover every one of ``keys``."""
        return frozenset(lang for lang, words in self.data.items() if all(words.get(k) for k in keys))

    def terms(self, key: str, language: str) -> tuple[str, ...]:
        """The words of ``key`` in ``language`` (none when the lexicon does not cover it)."""
        return self.data.get(language, {}).get(key, ())

    def pattern(self, key: str, language: str) -> re.Pattern[str] | None:
        """A pattern finding any word of ``key`` in ``language``; None when the lexicon has none."""
        return _compile(self.terms(key, language), language)

    def search(self, key: str, text: str, language: str) -> re.Match[str] | None:
        """The first word of ``key`` in ``text``, or None (also when ``language`` is not covered)."""
        pattern = self.pattern(key, language)
        return pattern.search(text) if pattern is not None else None

    def finditer(self, key: str, text: str, language: str) -> Iterable[re.Match[str]]:
        """Every word of ``key`` in ``text``."""
        pattern = self.pattern(key, language)
        return pattern.finditer(text) if pattern is not None else ()

    def lookup(self, key: str, value: str, language: str | None = None) -> str | None:
        """For a key whose terms are ``"written=canonical"`` pairs (titles): the canonical form of a value
        written in any covered language (or only ``language``), matched whole, case and accents aside."""
        wanted = fold(value).strip(" .")
        for lang, words in self.data.items():
            if language is not None and lang != language:
                continue
            for term in words.get(key, ()):
                written, _, canonical = term.partition("=")
                if fold(written) == wanted:
                    return canonical or written
        return None


@functools.lru_cache(maxsize=512)
def _compile(terms: tuple[str, ...], language: str) -> re.Pattern[str] | None:
    if not terms:
        return None
    # A term ending in "!" is a whole word ("row!" is not "rowing"); otherwise it starts a word. One
    # starting with "-" ends a word: a tense written as an ending ("-erà!": "presterà", "firmerà").
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        whole = term.endswith("!")
        ending = term.startswith("-")
        body = re.escape(term.rstrip("!").removeprefix("-")).replace(r"\ ", r"\s+")
        start = "" if language in _NO_WORD_STARTS else r"(?<!\w)\w+" if ending else r"(?<!\w)"
        alternatives.append(start + body + (r"(?!\w)" if whole else ""))
    return re.compile("|".join(alternatives), re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _negation() -> Lexicon:
    return Lexicon.load(Path(__file__).with_name("data") / "negation.json")


#: The languages whose negation words the engine knows.
NEGATION = frozenset({"en", "fr", "es", "de", "pt", "it"})


def negated(text: str, start: int, end: int, language: str) -> bool:
    """Whether the cue at ``text[start:end]`` is negated within its clause: a negation among the four
    words before it ("did not agree", "failed to sign", "n'ont pas signé") or right after it ("signed no
    agreement", "offered no new ideas")."""
    words = _negation()
    if language not in words.languages("before"):
        return False
    before = re.split(r"[,;:.!?\n]", text[max(0, start - 60) : start])[-1]
    before_words = " ".join(before.split()[-4:])
    after = " ".join(re.split(r"[,;:.!?\n]", text[end : end + 40])[0].split()[:2])
    return bool(words.search("before", before_words, language) or words.search("after", after, language))


@dataclass
class RuleContext:
    """What a rule is handed: the whole article's extraction context, its language and sentences."""

    context: ExtractionContext
    language: str = UNKNOWN
    _sentences: tuple[tuple[int, int], ...] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, context: ExtractionContext) -> RuleContext:
        """The rule context of an article, its language detected from the text."""
        return cls(context, detect_language(context.article))

    @property
    def text(self) -> str:
        """The whole article."""
        return self.context.article

    @property
    def sentences(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of each sentence of the article."""
        if self._sentences is None:
            self._sentences = sentences(self.text, self.language)
        return self._sentences

    def sentence_at(self, start: int, end: int) -> tuple[int, int]:
        """The bounds of the sentence holding ``text[start:end]``."""
        return sentence_at(self.text, start, end, self.language)


@dataclass(frozen=True)
class Rule:
    """One code rule: its name, what it may do, the languages its wording covers, and how it applies."""

    name: str
    action: Action
    apply: Callable[[Any, RuleContext], None] = field(repr=False)
    #: The languages the rule's wording covers; None when it needs no wording and runs on any article.
    languages: frozenset[str] | None = None
    #: What it does and why, in a sentence (reports and the README list it).
    doc: str = ""

    def runs_on(self, language: str) -> bool:
        """Whether the rule runs on an article written in ``language``."""
        return self.languages is None or language in self.languages


def run_rules(
    value: Any,
    rules: Sequence[Rule],
    context: RuleContext,
    enabled: frozenset[str] | None = None,
) -> list[str]:
    """Apply ``rules`` in order, each only if enabled (None: all) and written for the article's language;
    return the names of those that ran."""
    ran = []
    for rule in rules:
        if (enabled is None or rule.name in enabled) and rule.runs_on(context.language):
            rule.apply(value, context)
            ran.append(rule.name)
    return ran
