"""Long articles: splitting into overlapping chunks, merging chunk results, and one recorded end-to-end run.

The unit tests build chunk results the way the library does (validated against the chunk's text with the
chunk's offset), without a model. The end-to-end test replays a cassette recorded from the embedded model:
re-record it with
``flock /tmp/summit-model.lock python -m pytest tests/test_chunking.py -k recorded --record-mode=rewrite``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from itertools import pairwise
from typing import Any

import pytest
from pydantic import BaseModel, Field

from summit_extract import (
    Backend,
    ExtractionContext,
    RetryPolicy,
    Summit,
    Usage,
    aextract_result,
    extract_result,
)
from summit_extract._aligning import _EDGE_PUNCT, fold
from summit_extract._chunking import CHARS_PER_TOKEN, Chunk, budget, plan, split
from summit_extract._document import choose_passes
from summit_extract._exceptions import InputError
from summit_extract._grounding import Grounded, walk
from summit_extract._merging import merge_models
from summit_extract._prompting import messages
from summit_extract._result import Extraction
from tests.paths import DEVSET, SEED

# -- split ----------------------------------------------------------------------------------------


def assert_covers(text: str, chunks: list[Chunk], max_chars: int) -> None:
    """Chunks slice the text back, fit the limit, advance, and leave nothing out but blank space."""
    assert chunks
    covered = [False] * len(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= max_chars
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    assert [c.start for c in chunks] == sorted({c.start for c in chunks})


def test_short_text_is_one_chunk() -> None:
    assert split("One sentence. Two.", 100, 10) == [Chunk(0, "One sentence. Two.")]


def test_split_covers_the_text_with_overlaps_on_sentence_boundaries(seed_text: str) -> None:
    chunks = split(seed_text, 800, 100)
    assert_covers(seed_text, chunks, 800)
    assert len(chunks) >= 7
    for previous, chunk in pairwise(chunks):
        assert chunk.start < previous.end, "consecutive chunks overlap"
        # Every cut falls after a sentence end (or a paragraph break), never mid-sentence.
        assert re.search(r"[.!?”\"]\s*$", previous.text), previous.text[-40:]
    assert split(seed_text, 800, 100) == chunks, "deterministic"


def test_split_prefers_paragraph_breaks() -> None:
    paragraphs = ["First paragraph here. It has two sentences.", "Second one. Short.", "Third one ends."]
    text = "\n\n".join(paragraphs)
    chunks = split(text, 60, 0)
    assert_covers(text, chunks, 60)
    # A sentence end ("Second one.") lies later within reach, but the paragraph break wins.
    assert chunks[0].text.rstrip() == paragraphs[0]


def test_split_without_any_boundary_cuts_hard_and_still_covers() -> None:
    text = "x" * 1000
    chunks = split(text, 300, 50)
    assert_covers(text, chunks, 300)
    assert all(b.start == a.end - 50 for a, b in pairwise(chunks))


def test_split_handles_cjk_sentences() -> None:
    text = "日本と韓国の首脳が会談した。" * 40
    chunks = split(text, 100, 20)
    assert_covers(text, chunks, 100)
    assert all(c.text.endswith("。") for c in chunks[:-1])


# -- budget and plan ------------------------------------------------------------------------------


def summit_messages(text: str) -> list[dict[str, str]]:
    """The longest request of a Summit article (passes share a prefix), as ``plan_article`` sizes chunks."""
    passes = choose_passes(Summit, None)
    asked = [messages(text, Summit, chosen=p, passes=passes) for p in passes]
    return max(asked, key=lambda m: sum(len(x["content"]) for x in m))


def test_an_article_that_fits_is_not_split(seed_text: str) -> None:
    msgs = summit_messages(seed_text)
    assert plan(seed_text, msgs, 8192) is None
    assert plan(seed_text, msgs, None) is None  # an unknown context (a remote API) is never split


def test_budget_leaves_room_for_the_fixed_prompt_and_the_output(seed_text: str) -> None:
    msgs = summit_messages(seed_text)
    fixed_chars = sum(len(m["content"]) for m in msgs) - len(seed_text)
    context = 4096  # too small for the seed and the fixed prompt (system message and worked examples)
    room = budget(msgs, seed_text, context)
    assert room is not None and 0 < room < (context - 256) * CHARS_PER_TOKEN - fixed_chars + 100
    chunks = plan(seed_text, msgs, context)
    assert chunks is not None and len(chunks) >= max(2, len(seed_text) // room)
    assert_covers(seed_text, chunks, room)


def test_a_context_too_small_for_any_chunk_is_an_error_not_a_truncation(seed_text: str) -> None:
    with pytest.raises(InputError, match="larger context window"):
        plan(seed_text, summit_messages(seed_text), 1024)


# -- merge ----------------------------------------------------------------------------------------


def part(text: str, start: int, end: int, data: dict[str, Any], tokens: int = 100) -> Extraction[Summit]:
    """What one chunk's extraction looks like: validated against the chunk, spans offset into the text."""
    chunk = Chunk(start, text[start:end])
    value = Summit.model_validate(data, context=ExtractionContext(chunk.text, offset=chunk.start))
    return Extraction(
        value=value, usage=Usage(tokens, tokens // 2), attempts=1, model="m", backend="b", seconds=1.5
    )


def merge(parts: list[Extraction[Summit]]) -> Extraction[Summit]:
    """What the pipeline does with the seed's chunk results: merge, finalize on the whole text, clear the
    frame of a non-summit (``_finishing.finalize``); usage and attempts are summed as its ledgers are."""
    if not parts:
        raise ValueError("nothing to merge")
    value = Summit.merge_chunks([p.value for p in parts])
    value.finalize(ExtractionContext(SEED.read_text(encoding="utf-8")))
    if not value.reports_event():
        value.clear_event()
    return Extraction(
        value=value,
        usage=sum((p.usage for p in parts), Usage()),
        attempts=sum(p.attempts for p in parts),
        model="m",
        backend="b",
        seconds=sum(p.seconds for p in parts),
    )


def summit(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "is_summit": True,
        "name": None,
        "location": None,
        "date": None,
        "host_country": None,
        "participants": [],
        "agreements": [],
        "disputes": [],
        "statements": [],
    }
    return {**base, **fields}


def person(evidence: str, name: str, title: str | None = None, country: str | None = None) -> dict[str, Any]:
    return {"evidence": evidence, "name": name, "title": title, "country": country}


def dispute(evidence: str, subject: str, parties: list[str]) -> dict[str, Any]:
    return {
        "evidence": evidence,
        "parties": parties,
        "subject": subject,
        "status": "ongoing",
    }


def agreement(evidence: str, subject: str, parties: list[str]) -> dict[str, Any]:
    return {
        "evidence": evidence,
        "parties": parties,
        "subject": subject,
        "kind": "security",
        "status": "agreed",
    }


QUOTE = "I myself feel pain in my heart that many people suffered pain"


@pytest.fixture
def seed_parts(seed_text: str) -> list[Extraction[Summit]]:
    """Three chunk results of the seed article; the first two overlap on [1000, 1500)."""
    a = part(
        seed_text,
        0,
        1500,
        summit(
            location={"evidence": "Rare Summit in Seoul", "city": "Seoul"},
            participants=[
                person("South Korean President Yoon Suk Yeol", "Yoon Suk Yeol", "President", "South Korea"),
                person("told Fumio Kishida", "Fumio Kishida", None, "Japan"),
            ],
            agreements=[
                agreement(
                    "agreed to cooperate on North Korea",
                    "cooperation on North Korea",
                    ["South Korea", "Japan"],
                )
            ],
            disputes=[
                dispute(
                    "a dispute on paying compensation to Koreans forced to work",
                    "wartime labor compensation",
                    ["South Korea", "Japan"],
                )
            ],
            statements=[{"speaker": "Kishida", "quote": QUOTE}],
        ),
    )
    b = part(
        seed_text,
        1000,
        2500,
        summit(
            participants=[person("Kishida said at a joint news conference", "Kishida", "Prime Minister")],
            agreements=[
                agreement(
                    "Yoon and Kishida agreed to cooperate on chips",
                    "chip cooperation",
                    ["South Korea", "Japan"],
                )
            ],
            # The same dispute, told from the overlap in other words; and the same quote.
            disputes=[
                dispute(
                    "dispute on paying compensation to Koreans forced to work at Japanese mines",
                    "compensation for forced labor",
                    ["Japan", "South Korea", "United States"],
                )
            ],
            statements=[{"speaker": "Fumio Kishida", "quote": QUOTE + " and sadness"}],
        ),
        tokens=200,
    )
    c = part(
        seed_text,
        4400,
        5689,
        summit(
            is_summit=False,
            disputes=[
                dispute(
                    "long-standing dispute over compensation",
                    "compensation for forced labor",
                    ["South Korea", "Japan"],
                )
            ],
        ),
        tokens=300,
    )
    return [a, b, c]


def test_merge_deduplicates_by_name_offsets_and_subject(
    seed_parts: list[Extraction[Summit]], seed_text: str
) -> None:
    result = merge(seed_parts)
    value = result.value

    assert value.is_summit, "a summit reported in any chunk is in the article"
    assert value.location is not None and value.location.city == "Seoul"
    people = {p.name: p for p in value.participants}
    assert list(people) == ["Yoon Suk Yeol", "Fumio Kishida"]  # "Kishida" is the same person
    kishida = people["Fumio Kishida"]
    assert kishida.title == "Prime Minister" and kishida.country == "Japan", "completed from the other chunk"
    # The second and fourth are the article's own "... on North Korea and implement a deal ..." and "The
    # two leaders also agreed for the dispatch of ...", which no chunk listed (the stated_agreements rule,
    # tested in test_summit_rules.py).
    assert [a.subject for a in value.agreements] == [
        "cooperation on North Korea",
        "implement a deal meant to heal a rift stemming from their troubled histories",
        "chip cooperation",
        "dispatch of a South Korean team to inspect the wrecked Fukushima Dai-Ichi nuclear plant",
    ]
    # Three tellings of the compensation dispute: overlapping evidence and a near-identical subject.
    assert len(value.disputes) == 1
    assert {fold(p) for p in value.disputes[0].parties} == {"south korea", "japan"}
    assert len(value.statements) == 1 and value.statements[0].quote.endswith("and sadness")

    for item in walk(value):
        assert item.span is not None
        assert seed_text[item.span.start : item.span.end] == item.evidence_text()
    starts = [i.span.start for i in value.participants if i.span]
    assert starts == sorted(starts)

    assert result.usage == Usage(600, 300)
    assert result.attempts == 3 and result.seconds == 4.5


def test_merge_is_deterministic_and_ignores_chunk_result_order(seed_parts: list[Extraction[Summit]]) -> None:
    once = merge(seed_parts).value.model_dump()
    assert merge(seed_parts).value.model_dump() == once
    # Lists come out in article order whatever order the chunks finished in.
    shuffled = merge([seed_parts[1], seed_parts[0], seed_parts[2]]).value
    assert [p.name for p in shuffled.participants] == [p["name"] for p in once["participants"]]
    assert [a.subject for a in shuffled.agreements] == [a["subject"] for a in once["agreements"]]


def test_merge_leaves_the_parts_untouched(seed_parts: list[Extraction[Summit]]) -> None:
    before = [p.value.model_dump() for p in seed_parts]
    merge(seed_parts)
    assert [p.value.model_dump() for p in seed_parts] == before


def test_merge_of_non_summit_chunks_has_no_participants(seed_text: str) -> None:
    yoon = person("South Korean President Yoon Suk Yeol", "Yoon Suk Yeol", "President", "South Korea")
    chips = agreement("Yoon and Kishida agreed to cooperate on chips", "chip cooperation", ["Japan"])
    a = part(seed_text, 0, 1500, summit(is_summit=False, participants=[yoon]))
    b = part(seed_text, 1000, 2500, summit(is_summit=False, agreements=[chips]))
    value = merge([a, b]).value
    assert value.is_summit is False and value.participants == []
    assert [x.subject for x in value.agreements] == ["chip cooperation"], "findings are never cleared"


def test_merge_of_one_part_is_that_part(seed_parts: list[Extraction[Summit]]) -> None:
    only = merge(seed_parts[:1])
    findings = {"participants", "agreements", "disputes"}
    assert only.value.model_dump(exclude=findings) == seed_parts[0].value.model_dump(exclude=findings)
    # The part's findings, with the parties the library reads from the article (the model answers none).
    parties = {"parties"}
    own = [d.model_dump(exclude=parties) for d in seed_parts[0].value.disputes]
    assert [d.model_dump(exclude=parties) for d in only.value.disputes] == own
    assert [d.parties for d in only.value.disputes] == [["Japan", "South Korea"]]
    # Finalized against the whole article, which states three more agreements in so many words beyond
    # this part ("... on North Korea and implement a deal ...", "Yoon and Kishida agreed to ...", "The two
    # leaders also agreed ..."): the stated_agreements rule.
    own = [a.model_dump(exclude=parties) for a in seed_parts[0].value.agreements]
    kept = [a.model_dump(exclude=parties) for a in only.value.agreements]
    assert kept[: len(own)] == own
    assert [a["subject"] for a in kept[len(own) :]] == [
        "implement a deal meant to heal a rift stemming from their troubled histories",
        "cooperate on chips",
        "dispatch of a South Korean team to inspect the wrecked Fukushima Dai-Ichi nuclear plant",
    ]
    assert [p.name for p in only.value.participants] == [p.name for p in seed_parts[0].value.participants]
    assert only.usage == seed_parts[0].usage and only.attempts == 1


def test_merging_no_chunk_results_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Summit.merge_chunks([])


class Quote(Grounded):
    text: str = Field(description="Words as written.")
    evidence_field = "text"


class Article(BaseModel):
    """A generic schema: merged field by field."""

    headline: str | None = None
    mentions_china: bool = False
    tags: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)


def test_generic_schemas_merge_field_by_field(seed_text: str) -> None:
    def generic(start: int, end: int, data: dict[str, Any]) -> Extraction[Article]:
        chunk = seed_text[start:end]
        value = Article.model_validate(data, context=ExtractionContext(chunk, offset=start))
        return Extraction(value=value, usage=Usage(1, 1), attempts=1, model="m", backend="b", seconds=0.0)

    parts = [
        generic(
            0,
            1500,
            {
                "headline": None,
                "mentions_china": False,
                "tags": ["asia"],
                "quotes": [{"text": "shuttle diplomacy between the leaders"}],
            },
        ),
        generic(
            800,
            3000,
            {
                "headline": "Rare summit",
                "mentions_china": True,
                "tags": ["asia", "chips"],
                "quotes": [
                    {"text": "shuttle diplomacy between the leaders of Korea"},
                    {"text": "cooperate on chips"},
                ],
            },
        ),
        generic(2500, 4000, {"headline": "Ignored: a headline is already known", "tags": ["chips"]}),
    ]
    value = merge_models([p.value for p in parts])
    assert value.headline == "Rare summit", "first non-null scalar wins"
    assert value.mentions_china is True, "a boolean is true if any chunk says so"
    assert value.tags == ["asia", "chips"]
    assert [q.text for q in value.quotes] == [
        "shuttle diplomacy between the leaders of Korea",
        "cooperate on chips",
    ]


# -- end to end, recorded from the embedded model -----------------------------------------------------
#
# A compact schema keeps the fixed prompt small, so a text three times the context window takes about
# seven requests; with the Summit's field guide and worked example (~1,500 tokens by the 3-characters
# estimate) the same test needs ~19, over half an hour of the embedded model on this machine.


class Person(Grounded):
    """A person the article names."""

    evidence: str = Field(description="Short verbatim phrase of the article naming this person.")
    name: str = Field(description="The person's full name as written.")


class People(BaseModel):
    """The people an article names."""

    people: list[Person] = Field(
        default_factory=list, description="Every leader or official named, each once."
    )


#: A deliberately small context window, so the joined articles are over three times longer than it.
SMALL_CONTEXT = 1280
#: Dev-set articles joined, in order, until the text is long enough.
JOINED = [
    "000_fbac82d7d3572f62",
    "024_wikinews_chinese_submarine_japanese_waters",
    "014_wikinews_bush_visits_canada",
    "003_voa_africa_south_america_abuja_summit",
    "005_wikinews_lula_roh_brasilia_meeting",
]


def long_text() -> tuple[str, list[int]]:
    """Dev-set articles joined until the text is 3x the small context window; and where each starts."""
    text, starts = "", []
    for name in JOINED:
        if len(text) >= 3 * SMALL_CONTEXT * CHARS_PER_TOKEN:
            break
        text += "\n\n" if text else ""
        starts.append(len(text))
        text += (DEVSET / "articles" / f"{name}.txt").read_text(encoding="utf-8").strip()
    return text, starts


def article_sent(body: Any) -> str:
    payload = json.loads(body.decode() if isinstance(body, bytes) else body)
    user = next(m["content"] for m in payload["messages"] if m["role"] == "user")
    return str(user).split("Article:\n", 1)[1]


#: Generous time budgets: 2 cores shared with other work can make one answer take minutes.
#: The cassette was recorded when evidence not in the text was re-asked: replay asks the same requests.
SLOW_POLICY = RetryPolicy(max_retries=2, timeout=900.0, total_timeout=3600.0, reask_ungrounded=True)


def check_long(result: Extraction[People], vcr: Any) -> None:
    """What a chunked, merged extraction of the long text must show."""
    text, starts = long_text()
    chunks = plan(text, messages(text, People), SMALL_CONTEXT)
    assert chunks is not None and len(chunks) >= 4

    # Every request carried one chunk (so it fitted), and together they carried the whole text.
    # (Compared without trailing blank space: instructor renders message text as a Jinja template,
    # which drops a final newline.)
    sent = [article_sent(r.body) for r in vcr.requests]
    assert len(sent) == result.attempts >= len(chunks)
    assert {c.text.rstrip() for c in chunks} == {s.rstrip() for s in sent}
    room = budget(messages(text, People), text, SMALL_CONTEXT)
    assert room is not None and max(len(s) for s in sent) <= room

    # Merged: offsets point into the whole text, people come from different chunks and articles.
    people = result.value.people
    for item in people:
        assert item.span is not None and item.span.alignment != "unaligned"
        # The aligner ignores a closing period or quotation mark the model adds (see _aligning.align).
        assert text[item.span.start : item.span.end] == item.evidence_text().strip(_EDGE_PUNCT), item
    starts_of = [p.span.start for p in people if p.span]
    assert starts_of == sorted(starts_of), "in article order"

    def article_of(offset: int) -> int:
        return max(i for i, s in enumerate(starts) if s <= offset)

    def chunk_of(offset: int) -> int:
        return max(i for i, c in enumerate(chunks) if c.start <= offset)

    assert len({article_of(o) for o in starts_of}) >= 3, [p.name for p in people]
    assert len({chunk_of(o) for o in starts_of}) >= 4, [p.name for p in people]
    names = " ".join(p.name for p in people)
    assert "Kishida" in names and "Bush" in names, names
    # The overlaps between chunks were seen twice but each mention is kept once.
    spans = [(p.span.start, p.span.end) for p in people if p.span]
    assert len(spans) == len(set(spans))
    assert result.usage.prompt_tokens > len(chunks) * 300


@pytest.mark.vcr
def test_recorded_long_article_is_chunked_and_merged(local_backend: Backend, vcr: Any) -> None:
    text, starts = long_text()
    assert len(starts) >= 3
    assert len(text) / CHARS_PER_TOKEN >= 3 * SMALL_CONTEXT, "three times the context window, or more"
    backend = dataclasses.replace(local_backend, context_tokens=SMALL_CONTEXT)
    check_long(extract_result(text, People, backend=backend, policy=SLOW_POLICY), vcr)


@pytest.mark.vcr("test_recorded_long_article_is_chunked_and_merged.yaml")
async def test_long_article_async_twin_replays_the_same_cassette(local_backend: Backend, vcr: Any) -> None:
    text, _ = long_text()
    backend = dataclasses.replace(local_backend, context_tokens=SMALL_CONTEXT)
    check_long(await aextract_result(text, People, backend=backend, policy=SLOW_POLICY), vcr)


def test_chunks_naming_one_country_each_make_a_summit_once_merged(seed_text: str) -> None:
    yoon = person("South Korean President Yoon Suk Yeol", "Yoon Suk Yeol", "President", "South Korea")
    a = part(seed_text, 0, 1000, summit(participants=[yoon]))
    b = part(
        seed_text, 1000, 2500, summit(participants=[person("Kishida said", "Kishida", "premier", "Japan")])
    )
    value = merge([a, b]).value
    assert value.is_summit
    assert [(p.name, p.title) for p in value.participants] == [
        ("Yoon Suk Yeol", "President"),
        ("Kishida", "Prime Minister"),
    ], "normalized once merged"
    assert [p.country_iso.alpha2 for p in value.participants if p.country_iso] == ["KR", "JP"]
    # A chunk that names one country's leader alone does not make the merged article "no summit":
    # the summit check reads the states the article names, not one chunk's participants.
    alone = merge([a, part(seed_text, 1000, 2500, summit())]).value
    assert alone.is_summit is True and alone.participants[0].name == "Yoon Suk Yeol"
    # ... and Japan, which the article's own "leaders of South Korea and Japan" lists, joins as a delegation.
    assert [(p.name, p.country) for p in alone.participants[1:]] == [(None, "Japan")]
