"""Translating: asked to, an article in another language is read in English, what is found brought back to it.

What the translation requests hold, how the English text is put together, and how an answer read in it
is brought back to the article (evidence, spans, names, dates) are tested on the library's own functions;
a translation request that fails is a fault, tested against the fake server; what the embedded model
makes of a Portuguese article is replayed from its recording (``cassettes/test_translating``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from summit_extract import Backend, ExtractionContext, RetryPolicy, Summit, aextract_result, extract_result
from summit_extract._aligning import spelling
from summit_extract._translating import (
    GROUP_CHARS,
    Translation,
    plan_reading,
    read,
    restore,
)
from tests.fake_openai import FakeOpenAI, article_of, ok, status
from tests.paths import ROOT

TUNING = ROOT / "benchmarks" / "tuning" / "articles"
PORTUGUESE = (TUNING / "t06_pt_lisboa_cabo_verde.txt").read_text(encoding="utf-8")
FRENCH = (TUNING / "t02_fr_bruxelles_weimar.txt").read_text(encoding="utf-8")
ENGLISH = (ROOT / "devset" / "articles" / "005_wikinews_lula_roh_brasilia_meeting.txt").read_text(
    encoding="utf-8"
)

#: An English translation of the Portuguese article, one line per sentence, as the model answers it.
PORTUGUESE_IN_ENGLISH = [
    "Portugal and Cape Verde sign mobility agreement in Lisbon",
    "LISBON - The Portuguese Prime Minister, João Almeida, received the Prime Minister of Cape Verde, "
    "Carlos Tavares, in Lisbon on Wednesday for the seventh Portugal-Cape Verde summit.",
    "The two heads of government signed a mobility agreement that eases work visas and decided to "
    "create a joint fund for the energy transition in the archipelago.",
    "Portugal also proposed to strengthen cooperation on maritime surveillance in the Atlantic.",
    "The summit took place without public disagreements, according to sources of both governments.",
]


class _Answer:
    """A translation request's answer, as its schema validates it."""

    def __init__(self, sentences: list[str]) -> None:
        self.sentences = sentences


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI(latency=0.0) as server:
        yield server


def _translation(text: str, english: list[str], backend: Backend) -> Translation:
    reading = plan_reading(text, backend, RetryPolicy())
    assert reading is not None
    translation = read(reading, [_Answer(english)])  # type: ignore[list-item]
    assert translation is not None
    return translation


def test_an_english_article_is_never_translated(srv: FakeOpenAI) -> None:
    assert plan_reading(ENGLISH, srv.backend(), RetryPolicy()) is None
    got = extract_result(ENGLISH, Summit, backend=srv.backend(), translate=True)
    assert "translate" not in got.requests and got.translation is None
    assert srv.count == len(got.requests)


def test_each_sentence_is_asked_once_in_order_and_answered_by_exactly_one(srv: FakeOpenAI) -> None:
    reading = plan_reading(PORTUGUESE, srv.backend(), RetryPolicy())
    assert reading is not None and reading.language == "pt"
    [(key, call)] = reading.calls
    assert key == "translate"
    asked = call.messages[-1]["content"]
    sentences = [PORTUGUESE[a:b] for a, b in reading.sentences]
    assert len(sentences) == len(PORTUGUESE_IN_ENGLISH)
    for n, sentence in enumerate(sentences, 1):
        assert f"[{n}] {' '.join(sentence.split())}" in asked
    lines = call.schema.model_json_schema()["properties"]["sentences"]
    assert lines["minItems"] == lines["maxItems"] == len(sentences)


def test_a_long_article_is_translated_in_several_requests_none_longer_than_a_group(srv: FakeOpenAI) -> None:
    long = "\n\n".join([FRENCH] * 8)
    reading = plan_reading(long, srv.backend(), RetryPolicy())
    assert reading is not None and len(reading.groups) > 1
    assert [key for key, _ in reading.calls][:2] == ["translate@1", "translate@2"]
    covered = [i for group, _ in reading.groups for i in group]
    assert covered == list(range(len(reading.sentences)))  # every sentence once, in order
    for group, _ in reading.groups:
        chars = sum(reading.sentences[i][1] - reading.sentences[i][0] for i in group)
        assert chars <= GROUP_CHARS or len(group) == 1


def test_the_english_text_keeps_the_article_s_lines_and_where_each_sentence_comes_from(
    srv: FakeOpenAI,
) -> None:
    translation = _translation(PORTUGUESE, PORTUGUESE_IN_ENGLISH, srv.backend())
    assert translation.text.splitlines()[0] == PORTUGUESE_IN_ENGLISH[0]
    assert translation.text.count("\n") == PORTUGUESE.strip().count("\n")
    (a, b), (c, d) = translation.pairs[3]
    assert translation.text[a:b] == PORTUGUESE_IN_ENGLISH[3]
    assert (
        PORTUGUESE[c:d] == "Portugal propôs ainda reforçar a cooperação na vigilância marítima no Atlântico."
    )


def test_a_group_left_unanswered_stays_as_written(srv: FakeOpenAI) -> None:
    long = "\n\n".join([FRENCH] * 8)
    reading = plan_reading(long, srv.backend(), RetryPolicy())
    assert reading is not None and len(reading.groups) > 1
    first = reading.groups[0][0]
    answers: list[Any] = [_Answer([f"English sentence {i}." for i in first])] + [None] * (
        len(reading.groups) - 1
    )
    translation = read(reading, answers)
    assert translation is not None
    assert translation.text.startswith(f"English sentence {first[0]}.")
    a, b = reading.sentences[first[-1] + 1]
    assert long[a:b] in translation.text  # the next group's sentences, as written
    # An answer with too few sentences is no translation of its group; no answer at all, no translation.
    wrong = read(reading, [_Answer(["too few"]), *answers[1:]])
    assert wrong is not None and wrong.text.startswith(long[: reading.sentences[0][1]].strip())
    assert read(reading, [None] * len(reading.groups)) is None


def _read_in_english(translation: Translation, answer: dict[str, Any]) -> Summit:
    return Summit.model_validate(answer, context=ExtractionContext(translation.text))


def test_findings_read_in_english_are_grounded_in_the_article_s_own_sentence(srv: FakeOpenAI) -> None:
    translation = _translation(PORTUGUESE, PORTUGUESE_IN_ENGLISH, srv.backend())
    value = _read_in_english(
        translation,
        {
            "participants": [
                {"evidence": "Prime Minister of Cape Verde, Carlos Tavares", "name": "Carlos Tavares"}
            ],
            "location": {"evidence": "in Lisbon", "city": "Lisbon"},
            "agreements": [
                {
                    "evidence": "signed a mobility agreement that eases work visas",
                    "subject": "mobility agreement easing work visas",
                    "status": "signed",
                }
            ],
            "is_summit": True,
        },
    )
    assert restore(value, PORTUGUESE, translation) == []
    [agreement] = value.agreements
    assert agreement.evidence == (
        "Os dois chefes de governo assinaram um acordo de mobilidade que facilita a concessão de vistos de "
        "trabalho e decidiram criar um fundo conjunto para a transição energética no arquipélago."
    )
    assert agreement.subject == "mobility agreement easing work visas"  # the subject stays in English
    for item in (agreement, value.participants[0], value.location):
        assert item is not None and item.span is not None
        assert item.span.alignment == "translated"
        assert PORTUGUESE[item.span.start : item.span.end] == item.evidence
    # Names and places take the article's spelling, and their evidence is where it writes them.
    assert value.location is not None and value.location.city == "Lisboa"
    assert value.location.evidence == "Lisboa"
    assert value.participants[0].evidence == "Carlos Tavares"


def test_the_meeting_s_name_and_host_read_in_english_are_kept_only_as_the_article_writes_them(
    srv: FakeOpenAI,
) -> None:
    translation = _translation(PORTUGUESE, PORTUGUESE_IN_ENGLISH, srv.backend())
    english = {"name": "Portugal-Cape Verde summit", "host_country": "Portugal", "is_summit": True}
    value = _read_in_english(translation, english)
    assert (value.name, value.host_country) == ("Portugal-Cape Verde summit", "Portugal")  # in the English
    restore(value, PORTUGUESE, translation)
    # The article calls it "sétima cimeira luso-cabo-verdiana": the English name is written nowhere in it.
    assert value.name is None
    assert value.host_country == "Portugal"  # a country the article names stays
    # A name the translation kept as the article writes it is kept; one it respelled takes the article's.
    value = _read_in_english(translation, {"name": "Lisbon", "host_country": "Cape Verde", "is_summit": True})
    restore(value, PORTUGUESE, translation)
    assert (value.name, value.host_country) == ("Lisboa", "Cape Verde")


def test_a_date_the_translation_added_is_stated_by_no_words_of_the_article(srv: FakeOpenAI) -> None:
    article = "Les dirigeants se réuniront mercredi 29 à Rome.\nIls signeront une déclaration."
    english = ["The leaders will meet on Wednesday, March 29, in Rome.", "They will sign a declaration."]
    translation = _translation(article, english, srv.backend())
    value = _read_in_english(translation, {"date": {"text": "March 29"}, "is_summit": True})
    assert value.date is not None and value.date.month == 3
    [lost] = restore(value, article, translation)
    assert lost is value.date and value.date.span is not None and value.date.span.alignment == "unaligned"
    # The weekday the article does write is brought back in its words.
    value = _read_in_english(translation, {"date": {"text": "Wednesday"}, "is_summit": True})
    assert restore(value, article, translation) == []
    assert value.date is not None and value.date.text == "mercredi"


@pytest.mark.parametrize(
    ("value", "text", "spelled"),
    [
        ("Lisbon", "recebeu em Lisboa o primeiro-ministro", "Lisboa"),
        ("Putin", "Президент Росії Володимир Путін прибув до Пекіна", "Путін"),
        ("Moon Jae-in", "문재인 대통령은 뉴욕에서 트럼프 대통령과 만났다", "문재인"),
        ("Carlos Tavares", "o primeiro-ministro de Cabo Verde, Carlos Tavares,", "Carlos Tavares"),
    ],
)
def test_a_name_takes_the_article_s_spelling_across_scripts(value: str, text: str, spelled: str) -> None:
    # How the translation's names are brought back (``write_as_the_article(..., any_script=True)``).
    found = spelling(value, text, any_script=True)
    assert found is not None and text[found[0] : found[1]] == spelled


def test_a_name_the_article_spells_otherwise_is_left_as_it_is() -> None:
    # "Germany" is "Allemagne": no spelling of it, so no word of the article is taken for it.
    assert spelling("Germany", "entre l'Allemagne, la France et l'Italie", any_script=True) is None


def test_a_failed_translation_reads_the_article_as_written(srv: FakeOpenAI) -> None:
    srv.script(status(400))
    got = extract_result(PORTUGUESE, Summit, backend=srv.backend(), translate=True)
    assert got.requests["translate"] == 1 and got.translation is None
    passes = srv.requests[1:]
    assert passes and all("assinaram um acordo de mobilidade" in article_of(body) for body in passes)
    for item in [*got.value.agreements, *got.value.participants]:
        assert item.span is not None and PORTUGUESE[item.span.start : item.span.end] == item.evidence


def test_an_article_is_read_as_written_unless_a_translation_is_asked_for(srv: FakeOpenAI) -> None:
    got = extract_result(PORTUGUESE, Summit, backend=srv.backend())
    assert "translate" not in got.requests and got.translation is None
    assert srv.count == len(got.requests)
    before = srv.count
    srv.script(status(400))
    got = asyncio.run(aextract_result(PORTUGUESE, Summit, backend=srv.backend(), translate=True))
    assert got.requests["translate"] == 1
    assert "Translation" in str(srv.requests[before]["response_format"])  # asked before any pass


@pytest.mark.vcr
def test_the_embedded_model_reads_a_portuguese_summit_in_english(local_backend: Backend) -> None:
    got = extract_result(PORTUGUESE, Summit, backend=local_backend, translate=True)
    value = got.value
    assert got.requests["translate"] == 1 and got.translation is not None
    assert "Carlos Tavares" in got.translation.text  # names kept as the article writes them
    assert value.is_summit
    # The frame read "in Lisbon"; the place comes back as the article writes it, where it writes it.
    assert value.location is not None and value.location.city == "Lisboa"
    assert value.location.span is not None and value.location.span.alignment == "translated"
    # The findings were read in Portuguese: what was proposed and agreed, grounded in its sentences.
    subjects = " | ".join(a.subject for a in value.agreements)
    assert "maritime surveillance" in subjects and "fund" in subjects
    assert [a.status for a in value.agreements if "maritime" in a.subject] == ["proposed"]
    for item in [*value.agreements, *value.disputes, *value.participants, value.location]:
        assert item is not None and item.span is not None
        assert PORTUGUESE[item.span.start : item.span.end] == item.evidence  # the article's own words
    # The frame also wrote "Lisbon" as the date: no words of the article state a date there, so it went.
    assert value.date is None and [type(d).__name__ for d in got.dropped] == ["SummitDate"]


def test_the_frame_reads_the_translation_and_the_findings_read_the_article(srv: FakeOpenAI) -> None:
    # Asked to translate, the Summit's frame pass reads an article in another language in English
    # (Pass.translated); its agreements and disputes passes read it as written. All comes back in its words.
    srv.script(ok({"sentences": PORTUGUESE_IN_ENGLISH}))
    got = extract_result(PORTUGUESE, Summit, backend=srv.backend(), translate=True)
    assert got.translation is not None and got.translation.language == "pt"
    read_by = {requested_key(body): article_of(body) for body in srv.requests[1:]}
    assert "Carlos Tavares, in Lisbon on Wednesday" in read_by["frame"]
    assert "assinaram um acordo" in read_by["agreements"] and "assinaram um acordo" in read_by["disputes"]
    assert list(got.requests) == ["translate", "frame", "agreements", "disputes"]
    for item in [*got.value.participants, *got.value.agreements, *got.value.disputes, got.value.location]:
        if item is not None:
            assert item.span is not None and PORTUGUESE[item.span.start : item.span.end] == item.evidence


def requested_key(body: dict[str, Any]) -> str:
    """The pass a request asks, from its response model's title ("SummitFrame" -> "frame")."""
    title = str(body["response_format"]["json_schema"]["name"])
    return title.removeprefix("Summit").lower()
