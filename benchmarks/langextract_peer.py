"""The LangExtract peer: google's ``langextract`` on the same embedded model, scored by the same evaluator.

    peer = make_peer()                             # a LangExtractPeer, used as bench_quality.baseline_fn()
    extraction = peer(article_text, "2004-11-16")  # -> Extraction[Summit]

Smoke test (one article, under the model lock):

    cd /work/main && flock /tmp/summit-model.lock nice -n 5 python -c "import sys; \
sys.path.insert(0,'benchmarks'); import langextract_peer as p; f=p.make_peer(); \
print(f(open('devset/articles/005_wikinews_lula_roh_brasilia_meeting.txt').read(), None))"

How it runs: LangExtract's own idioms. A prompt description, two few-shot
``ExampleData`` (INVENTED for this project: fictional people, not taken from any dev set), its
OpenAI provider pointed at the embedded llama.cpp server (``summit_extract.providers.local.server_url()``)
with the JSON schema LangExtract derives from the examples (llama.cpp turns it into a grammar), its
default chunking (``max_char_buffer=1000`` characters), ``extraction_passes=1``, ``max_workers=1`` (the
server has one slot), ``temperature=0`` (as the library), ``max_tokens=2048`` per request (as the baseline)
and a 240 s timeout per request with no retries. Nothing is downloaded at run time (the default
RegexTokenizer is used, ``fetch_urls`` stays off). A chunk whose output does not parse is dropped with a
warning (LangExtract's default, ``suppress_parse_errors``).

Extraction classes: ``participant`` (text = name; title, country), ``meeting`` (text = the phrase
reporting the meeting; states), ``location`` (text = place; venue, city, country), ``date`` (text = date
as written), ``agreement`` and ``dispute`` (text = the clause; subject in English, parties, status).

Conversion to a :class:`Summit` (``model_construct``, so values are kept as LangExtract gave them):
each item's ``span`` is LangExtract's ``char_interval`` when it aligned the extraction
(``alignment="exact"`` for MATCH_EXACT, score 100; ``"fuzzy"`` for MATCH_FUZZY/LESSER/GREATER, score = the
rapidfuzz ratio of the text and the span), and ``None`` when it did not, so the scorer counts those as
ungrounded values kept. Participants are de-duplicated across chunks (same person when one name's words
are a subset of the other's; the longer name is kept), agreements and disputes by folded subject. The
first ``location`` and the first ``date`` extractions are used; the date is read by
``summit_extract._dates.parse`` and resolved against ``published``.

is_summit rule: True when LangExtract returned at least one ``meeting`` extraction AND at least two
distinct states are represented (the union of the meetings' ``states`` attribute and the participants'
``country`` attribute, compared as ISO 3166 codes when known). When it is False the summit frame
(location, date, participants) is cleared; agreements and disputes are always kept.

Cost: LangExtract reports no token usage. Every chat-completion request goes through an ``openai.OpenAI``
client whose ``chat.completions.create`` is wrapped: it counts requests and sums the ``usage``
(prompt_tokens, completion_tokens) llama.cpp returns in each response, so ``attempts`` is the number of
requests (one per chunk; LangExtract never re-asks) and ``Extraction.requests`` (when the installed
package has it) is ``{"chunk1": 1, ...}``. A failed request counts as an attempt but adds no tokens.
llama.cpp's own timings per request (prompt tokens read vs reused from its cache) are in
``peer.last_requests`` after each call.

Smoke test (005, no publication date, 2 chunks): 70 s, 2 requests, 2,284 prompt + 506 completion tokens;
is_summit, location, date and both participants right, 1 of 1 agreements plus 2 extra, 1 spurious dispute,
every span exact (0 ungrounded).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import unicodedata
from collections.abc import Sequence
from typing import Any

import langextract as lx
import openai
from langextract.core import data as lx_data
from rapidfuzz import fuzz

from summit_extract import (
    Agreement,
    Dispute,
    Extraction,
    Location,
    Participant,
    Span,
    Summit,
    SummitDate,
    Usage,
    _dates,
)
from summit_extract._exceptions import ExtractionError
from summit_extract.providers import local

try:  # the package is being split into engine and domain: take the country lookup from either layout
    from summit_extract._countries import country  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - the layout before the split
    from summit_extract._normalizing import country  # type: ignore[import-not-found, no-redef, unused-ignore]

#: LangExtract's own default chunk size in characters (about 250-300 tokens of article per request).
MAX_CHAR_BUFFER = 1000
MAX_TOKENS = 2048
REQUEST_TIMEOUT = 240.0

PROMPT = """\
Extract, in order of appearance, what a news article states about a meeting between states.
- participant: a leader, minister or official of a state taking part in the meeting, each person once.
  Text: the person's name as written. Attributes: title as written, country (in English).
- meeting: the phrase reporting that leaders or ministers of two or more states meet, have met or will
  meet (a summit, talks, a state visit). Attribute states: the states represented, in English. Do not
  extract domestic meetings or meetings only mentioned in passing.
- location: where the meeting takes place. Attributes: venue, city, country (null when not stated).
- date: the date of the meeting, exactly as written.
- agreement: the clause stating something states agreed, signed, planned or proposed. Attributes:
  subject (a few English words), parties (states), status (agreed, signed, planned, proposed, offered,
  in progress or rejected).
- dispute: the clause stating a disagreement between states. Attributes: subject (a few English words),
  parties (states), status (ongoing, escalating, easing or resolved).
Use exact text from the article for every extraction; do not paraphrase it. Subjects are in English
whatever the article's language."""

_EX1 = (
    "VALLETTA, 14 May 2019 – Maltese Prime Minister Carmen Vella hosted Tunisian President Hédi Mansour "
    "for a one-day summit at the Auberge de Castille. The two leaders signed a memorandum on maritime "
    "search and rescue and agreed to open a direct ferry line between the two countries next year. "
    "Mansour said fishing rights around the Pelagie banks remain contested, and Vella said Malta still "
    "objects to Tunisia's new tariff on imported cement."
)
_EX2 = (
    "SANTIAGO, 2 mars 2021 – Le ministère chilien des Affaires étrangères a protesté contre la nouvelle "
    "carte maritime publiée par le Pérou. Aucune rencontre entre les deux gouvernements n'est prévue."
)
_MT = ["Malta", "Tunisia"]

#: Few-shot examples, invented for this project (fictional people; not from any dev set).
EXAMPLES = [
    lx.data.ExampleData(
        text=_EX1,
        extractions=[
            lx.data.Extraction("date", "14 May 2019"),
            lx.data.Extraction(
                "participant", "Carmen Vella", attributes={"title": "Prime Minister", "country": "Malta"}
            ),
            lx.data.Extraction(
                "participant", "Hédi Mansour", attributes={"title": "President", "country": "Tunisia"}
            ),
            lx.data.Extraction("meeting", "one-day summit", attributes={"states": _MT}),
            lx.data.Extraction(
                "location",
                "Auberge de Castille",
                attributes={"venue": "Auberge de Castille", "city": "Valletta", "country": "Malta"},
            ),
            lx.data.Extraction(
                "agreement",
                "signed a memorandum on maritime search and rescue",
                attributes={"subject": "maritime search and rescue", "parties": _MT, "status": "signed"},
            ),
            lx.data.Extraction(
                "agreement",
                "agreed to open a direct ferry line between the two countries next year",
                attributes={"subject": "direct ferry line", "parties": _MT, "status": "planned"},
            ),
            lx.data.Extraction(
                "dispute",
                "fishing rights around the Pelagie banks remain contested",
                attributes={
                    "subject": "fishing rights around the Pelagie banks",
                    "parties": _MT,
                    "status": "ongoing",
                },
            ),
            lx.data.Extraction(
                "dispute",
                "Malta still objects to Tunisia's new tariff on imported cement",
                attributes={
                    "subject": "Tunisian tariff on imported cement",
                    "parties": _MT,
                    "status": "ongoing",
                },
            ),
        ],
    ),
    lx.data.ExampleData(
        text=_EX2,
        extractions=[
            lx.data.Extraction(
                "dispute",
                "a protesté contre la nouvelle carte maritime publiée par le Pérou",
                attributes={
                    "subject": "Peru's new maritime map",
                    "parties": ["Chile", "Peru"],
                    "status": "ongoing",
                },
            ),
        ],
    ),
]


class _Meter:
    """Counts the requests a client makes, sums the token usage and keeps llama.cpp's own timings."""

    def __init__(self) -> None:
        self.log: list[dict[str, Any]] = []

    @property
    def usage(self) -> Usage:
        return Usage(sum(r["prompt_tokens"] for r in self.log), sum(r["completion_tokens"] for r in self.log))

    def wrap(self, client: openai.OpenAI) -> openai.OpenAI:
        create = client.chat.completions.create

        def counted(*args: Any, **kwargs: Any) -> Any:
            record: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0}
            self.log.append(record)  # a failed request still counts as an attempt
            response = create(*args, **kwargs)
            if (usage := getattr(response, "usage", None)) is not None:
                record.update(
                    prompt_tokens=usage.prompt_tokens or 0, completion_tokens=usage.completion_tokens or 0
                )
            # llama.cpp's timings: prompt tokens read (prompt_n) and reused from its cache (cache_n).
            timings = (getattr(response, "model_extra", None) or {}).get("timings") or {}
            record.update(
                prompt_read=timings.get("prompt_n"),
                prompt_reused=timings.get("cache_n"),
                prompt_ms=timings.get("prompt_ms"),
                generate_ms=timings.get("predicted_ms"),
            )
            return response

        client.chat.completions.create = counted  # type: ignore[method-assign]
        return client


def _make_model(meter: _Meter) -> Any:
    """LangExtract's OpenAI provider on the embedded server, constrained by the examples' schema."""
    url = local.server_url()
    config = lx.factory.ModelConfig(
        model_id=local.MODEL_NAME,
        provider="OpenAILanguageModel",
        provider_kwargs={
            "api_key": "local",
            "base_url": url,
            "temperature": 0.0,
            "max_workers": 1,
            "max_output_tokens": MAX_TOKENS,
        },
    )
    model: Any = lx.factory.create_model(config, examples=EXAMPLES, use_schema_constraints=True)
    # Same endpoint, but with a timeout, no silent retries, and a meter on every request.
    model._client = meter.wrap(
        openai.OpenAI(api_key="local", base_url=url, timeout=REQUEST_TIMEOUT, max_retries=0)
    )
    return model


class LangExtractPeer:
    """``(text, published) -> Extraction[Summit]`` through LangExtract; the server starts on first call.

    After each call, ``last_requests`` holds one dict per request: prompt_tokens, completion_tokens and
    llama.cpp's prompt_read / prompt_reused (tokens read vs reused from its prompt cache), prompt_ms,
    generate_ms (None where the server did not report them).
    """

    def __init__(self, max_char_buffer: int = MAX_CHAR_BUFFER) -> None:
        self.max_char_buffer = max_char_buffer
        self.last_requests: list[dict[str, Any]] = []
        self._meter = _Meter()
        self._model: Any = None

    def __call__(self, text: str, published: str | None) -> Extraction[Summit]:
        if self._model is None:
            self._model = _make_model(self._meter)
        self._meter.log = self.last_requests = []
        started = time.monotonic()
        try:
            result = lx.extract(
                text,
                prompt_description=PROMPT,
                examples=EXAMPLES,
                model=self._model,
                use_schema_constraints=False,  # already applied to the model above
                max_char_buffer=self.max_char_buffer,
                extraction_passes=1,
                max_workers=1,
                batch_length=1,
                show_progress=False,
                prompt_validation_level=lx.prompt_validation.PromptValidationLevel.ERROR,
            )
        except Exception as exc:
            raise ExtractionError(
                f"langextract failed: {type(exc).__name__}: {exc}",
                attempts=len(self.last_requests),
                usage=self._meter.usage,
            ) from exc
        if not isinstance(result, lx_data.AnnotatedDocument):
            raise ExtractionError(f"langextract returned {type(result).__name__}, not an AnnotatedDocument")
        extra: dict[str, Any] = {}
        if "requests" in {f.name for f in dataclasses.fields(Extraction)}:
            # One answer per chunk: LangExtract never re-asks (a chunk that fails to parse is dropped).
            extra["requests"] = {f"chunk{i}": 1 for i in range(1, len(self.last_requests) + 1)}
        return Extraction(
            value=to_summit(result.extractions or [], text, published),
            usage=self._meter.usage,
            attempts=len(self.last_requests),
            model=local.MODEL_NAME,
            backend="langextract",
            seconds=round(time.monotonic() - started, 3),
            **extra,
        )


def make_peer(max_char_buffer: int = MAX_CHAR_BUFFER) -> LangExtractPeer:
    """LangExtract as a ``(text, published) -> Extraction[Summit]`` callable, like ``baseline_fn()``."""
    return LangExtractPeer(max_char_buffer)


# --- conversion -------------------------------------------------------------------------------------


def to_summit(extractions: Sequence[lx_data.Extraction], text: str, published: str | None) -> Summit:
    """LangExtract's extractions as a Summit the scorer reads (rules in the module docstring)."""
    by_class: dict[str, list[lx_data.Extraction]] = {}
    for e in extractions:
        by_class.setdefault((e.extraction_class or "").strip().lower(), []).append(e)

    participants = _participants(by_class.get("participant", []), text)
    states = {
        key for e in by_class.get("meeting", []) for s in _list(e, "states") if (key := _state_key(s))
    } | {key for p in participants if (key := _state_key(p.country))}
    is_summit = bool(by_class.get("meeting")) and len(states) >= 2

    location = _location(by_class.get("location", []), text)
    date = _date(by_class.get("date", []), text, published)
    return Summit.model_construct(
        is_summit=is_summit,
        name=None,
        location=location if is_summit else None,
        date=date if is_summit else None,
        host_country=None,
        participants=participants if is_summit else [],
        topics=[],
        agreements=_items(by_class.get("agreement", []), text, Agreement),
        disputes=_items(by_class.get("dispute", []), text, Dispute),
        statements=[],
    )


def _span(e: lx_data.Extraction, text: str) -> Span | None:
    """LangExtract's alignment as a Span, or None when it did not find the extraction in the article."""
    ci, status = e.char_interval, e.alignment_status
    if ci is None or ci.start_pos is None or ci.end_pos is None or status is None:
        return None
    start, end = ci.start_pos, ci.end_pos
    if status == lx_data.AlignmentStatus.MATCH_EXACT:
        return Span(start=start, end=end, alignment="exact", score=100.0)
    score = fuzz.ratio(_fold(e.extraction_text or ""), _fold(text[start:end]))
    return Span(start=start, end=end, alignment="fuzzy", score=round(score, 1))


def _attr(e: lx_data.Extraction, key: str) -> str | None:
    value = (e.attributes or {}).get(key)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v)
    value = " ".join(str(value).split()) if value is not None else ""
    return value if value and value.lower() not in {"null", "none", "n/a"} else None


def _list(e: lx_data.Extraction, key: str) -> list[str]:
    value = (e.attributes or {}).get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[,;]", str(value))
    return [s for v in items if (s := " ".join(str(v).split())) and s.lower() not in {"null", "none"}]


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return " ".join("".join(c for c in s if not unicodedata.combining(c)).lower().split())


def _state_key(name: str | None) -> str | None:
    if not name:
        return None
    iso = country(name.replace(".", "").strip())
    return iso.alpha3 if iso.known and iso.alpha3 else _fold(name)


def _participants(found: list[lx_data.Extraction], text: str) -> list[Participant]:
    kept: list[tuple[set[str], Participant]] = []
    for e in found:
        name = " ".join((e.extraction_text or "").split())
        if not name:
            continue
        words = set(re.findall(r"\w+", _fold(name)))
        p = Participant.model_construct(
            evidence=e.extraction_text,
            name=name,
            title=_attr(e, "title"),
            country=_attr(e, "country"),
            country_iso=None,
            span=_span(e, text),
        )
        same = next((i for i, (w, _) in enumerate(kept) if words <= w or w <= words), None)
        if same is None:
            kept.append((words, p))
        elif len(words) > len(kept[same][0]):
            kept[same] = (words, p)  # the fuller name of the same person
    return [p for _, p in kept]


def _location(found: list[lx_data.Extraction], text: str) -> Location | None:
    for e in found:
        venue, city, nation = _attr(e, "venue"), _attr(e, "city"), _attr(e, "country")
        if not (venue or city or nation):
            city = " ".join((e.extraction_text or "").split()) or None
        if venue or city or nation:
            return Location.model_construct(
                evidence=e.extraction_text, city=city, venue=venue, country=nation, span=_span(e, text)
            )
    return None


def _date(found: list[lx_data.Extraction], text: str, published: str | None) -> SummitDate | None:
    pub = dt.date.fromisoformat(published) if published else None
    for e in found:
        written = " ".join((e.extraction_text or "").split())
        if not written:
            continue
        span = _span(e, text)
        try:
            parsed = _dates.parse(written)
        except _dates.NotADate:
            parsed = _dates.PartialDate(None, None, None)
        d = _dates.resolve(parsed, pub)
        year_from = "text" if parsed.year is not None else "published" if d.year is not None else None
        return SummitDate.model_construct(
            text=written, year=d.year, month=d.month, day=d.day, iso=d.iso, year_from=year_from, span=span
        )
    return None


def _items(found: list[lx_data.Extraction], text: str, kind: type[Agreement] | type[Dispute]) -> list[Any]:
    """Agreements or disputes, once per subject."""
    seen: set[str] = set()
    out: list[Any] = []
    for e in found:
        subject = _attr(e, "subject") or " ".join((e.extraction_text or "").split())
        if not subject or _fold(subject) in seen:
            continue
        seen.add(_fold(subject))
        common: dict[str, Any] = {
            "evidence": e.extraction_text,
            "parties": _list(e, "parties"),
            "subject": subject,
            "status": _attr(e, "status"),
            "span": _span(e, text),
        }
        if kind is Agreement:
            out.append(Agreement.model_construct(**common, kind="other", date=None))
        else:
            out.append(Dispute.model_construct(**common, background=None))
    return out
