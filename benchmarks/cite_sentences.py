"""Experiment: the model cites the number of the sentence that states a finding instead of copying words.

ALCE (Gao et al., 2023) has models cite numbered passages rather than quote them. Here the article the
model reads has its sentences numbered ("[3] The two leaders agreed ..."), and an agreement or dispute
asks for ``sentence`` (that number) where the library asks for ``evidence``; code then takes the words of
that sentence as the evidence, so whatever the model cites is grounded verbatim, and the model writes a
number instead of a phrase. Everything else is the library as shipped (passes, examples renumbered the
same way, every rule). Run by ``bench_quality.py --only library-cite``; adopted only if it wins on the
validation set.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, model_validator
from pydantic.json_schema import SkipJsonSchema

from summit_extract import Example, Summit
from summit_extract._context import context_of
from summit_extract._language import detect_language, sentences
from summit_extract.summit._models import PARTIES, AgreementStatus, DisputeStatus, _Finding
from summit_extract.summit._passes import EXAMPLES

__all__ = ["CitedSummit", "number_sentences"]

_MARK = re.compile(r"\[(\d+)\] ")


def number_sentences(text: str) -> str:
    """The text with each sentence preceded by its number in brackets, lines kept."""
    out, at = [], 0
    for n, (start, end) in enumerate(sentences(text, detect_language(text)), 1):
        out.append(text[at:start])
        out.append(f"[{n}] {text[start:end]}")
        at = end
    out.append(text[at:])
    return "".join(out)


def cited(text: str, number: int) -> str | None:
    """The words of sentence ``number`` of a numbered text, or None."""
    marks = list(_MARK.finditer(text))
    for i, m in enumerate(marks):
        if int(m.group(1)) == number:
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            return text[m.end() : end].rstrip()
    return None


def _sentence_required(schema: dict[str, Any]) -> None:
    # Required of the model (the grammar makes it write it), though rules may build one without it.
    schema["required"] = ["sentence", *schema.get("required", [])]


class _Cited(_Finding):
    """A finding whose evidence is the sentence the model cites by number."""

    model_config = ConfigDict(json_schema_extra=_sentence_required)

    @model_validator(mode="before")
    @classmethod
    def _take_cited_words(cls, data: Any, info: ValidationInfo) -> Any:
        context = context_of(info)
        if isinstance(data, dict) and context is not None and not data.get("evidence"):
            words = cited(context.text, int(data.get("sentence") or 0))
            data = {**data, "evidence": words or ""}
        return data


class CitedAgreement(_Cited):
    """Something two or more parties agreed, signed, planned, proposed or offered."""

    subject_says: ClassVar[str] = "was agreed"

    sentence: int = Field(default=0, description="The number in brackets of the sentence that states it.")
    subject: str = Field(description="What was agreed: a short English phrase, in any article language.")
    status: AgreementStatus = Field(description="How far it got, as the article says.")
    evidence: str = Field(default="", description="Left empty: code takes the cited sentence's words.")
    parties: SkipJsonSchema[list[str]] = Field(default_factory=list, description=PARTIES)


class CitedDispute(_Cited):
    """A disagreement between parties that the article reports."""

    subject_says: ClassVar[str] = "the dispute is about"

    sentence: int = Field(default=0, description="The number in brackets of the sentence that states it.")
    subject: str = Field(description="What the dispute is about (not who): a short English phrase.")
    status: DisputeStatus = Field(description="Where the dispute stands, as the article says.")
    evidence: str = Field(default="", description="Left empty: code takes the cited sentence's words.")
    parties: SkipJsonSchema[list[str]] = Field(default_factory=list, description=PARTIES)


def _cite(example: Example) -> Example:
    """An example with its sentences numbered and its findings citing them instead of quoting."""
    text = number_sentences(example.text)
    answer: dict[str, Any] = dict(example.answer)
    for field in ("agreements", "disputes"):
        items = []
        for item in example.answer.get(field) or []:
            at = text.index(item["evidence"])
            number = max(int(m.group(1)) for m in _MARK.finditer(text, 0, at + 1))
            items.append({"sentence": number, "subject": item["subject"], "status": item["status"]})
        answer[field] = items
    return Example(text=text, answer=answer)


class CitedSummit(Summit):
    """The Summit, its findings cited by sentence number."""

    agreements: list[CitedAgreement] = Field(default_factory=list)  # type: ignore[assignment]
    disputes: list[CitedDispute] = Field(default_factory=list)  # type: ignore[assignment]

    examples: ClassVar[tuple[Example, ...]] = tuple(_cite(e) for e in EXAMPLES)
