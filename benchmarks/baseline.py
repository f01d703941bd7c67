"""The plain-instructor baseline: what a new user would write first, on the same embedded model.

A simple schema, a one-line prompt, instructor's defaults (JSON_SCHEMA mode, 3 re-asks). Its output
has no evidence, so once converted to a :class:`Summit` every item has ``span=None`` and the scorer
counts each of them as an ungrounded value kept. The only departure from a bare script is
``max_tokens=2048``, so that a generation loop cannot stall the benchmark for minutes.
"""

from __future__ import annotations

import time
from typing import Any

import instructor
import openai
from instructor.core import InstructorRetryException
from pydantic import BaseModel

from summit_extract import (
    Agreement,
    Dispute,
    Extraction,
    Location,
    Participant,
    Summit,
    SummitDate,
    Usage,
    _dates,
)
from summit_extract._exceptions import ExtractionError
from summit_extract._usage import usage_of
from summit_extract.providers import local

PROMPT = "Extract the diplomatic summit described in this news article."
MAX_TOKENS = 2048


class BaselineParticipant(BaseModel):
    name: str | None
    title: str | None
    country: str | None


class BaselineItem(BaseModel):
    parties: list[str]
    subject: str
    status: str | None


class BaselineSummit(BaseModel):
    is_summit: bool
    location: str | None
    date: str | None
    participants: list[BaselineParticipant]
    agreements: list[BaselineItem]
    disputes: list[BaselineItem]


def to_summit(raw: BaselineSummit) -> Summit:
    """The baseline's answer as a Summit the scorer reads: same values, no evidence, no spans.

    ``model_construct`` keeps every value as the baseline gave it (the library's validators would
    reject or repair some, which would credit the baseline with the library's work).
    """
    return Summit.model_construct(
        is_summit=raw.is_summit,
        name=None,
        location=Location.model_construct(evidence="", city=raw.location, venue=None, country=None, span=None)
        if raw.location
        else None,
        date=_date(raw.date),
        host_country=None,
        participants=[
            Participant.model_construct(
                evidence="", name=p.name, title=p.title, country=p.country, country_iso=None, span=None
            )
            for p in raw.participants
        ],
        agreements=[
            Agreement.model_construct(
                evidence="", parties=a.parties, subject=a.subject, status=a.status, span=None
            )
            for a in raw.agreements
        ],
        disputes=[
            Dispute.model_construct(
                evidence="", parties=d.parties, subject=d.subject, status=d.status, span=None
            )
            for d in raw.disputes
        ],
        statements=[],
    )


def _date(text: str | None) -> SummitDate | None:
    """Read the baseline's date string as the library reads dates (no publication date)."""
    if not text:
        return None
    try:
        d = _dates.resolve(_dates.parse(text), None)
    except _dates.NotADate:
        return SummitDate.model_construct(text=text, year=None, month=None, day=None, iso=None, span=None)
    iso = f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if d.year and d.month and d.day else None
    return SummitDate.model_construct(text=text, year=d.year, month=d.month, day=d.day, iso=iso, span=None)


def make_client() -> instructor.Instructor:
    """instructor over the embedded model's OpenAI-compatible server, as a new user would set it up."""
    return instructor.from_openai(
        openai.OpenAI(base_url=local.server_url(), api_key="x"), mode=instructor.Mode.JSON_SCHEMA
    )


def extract_baseline(text: str, published: str | None = None, *, client: Any = None) -> Extraction[Summit]:
    """Run the baseline on one article; ``published`` is ignored (a plain prompt has no use for it)."""
    client = client or make_client()
    started = time.monotonic()
    calls = [0]

    def count(*_: Any, **__: Any) -> None:
        calls[0] += 1

    client.on("completion:response", count)
    try:
        raw, completion = client.chat.completions.create_with_completion(
            model=local.MODEL_NAME,
            response_model=BaselineSummit,
            messages=[{"role": "user", "content": f"{PROMPT}\n\n{text}"}],
            max_tokens=MAX_TOKENS,
        )
    except InstructorRetryException as exc:
        total = getattr(exc, "total_usage", None)
        usage = Usage(getattr(total, "prompt_tokens", 0) or 0, getattr(total, "completion_tokens", 0) or 0)
        raise ExtractionError(f"baseline failed: {exc}", attempts=calls[0], usage=usage) from exc
    finally:
        client.off("completion:response", count)
    usage = completion.usage
    return Extraction(
        value=to_summit(raw),
        usage=usage_of(usage) if usage else Usage(),
        attempts=calls[0],
        model=local.MODEL_NAME,
        backend="baseline",
        seconds=round(time.monotonic() - started, 3),
    )
