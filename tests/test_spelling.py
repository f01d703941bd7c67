"""A name or a place the article holds is grounded in the article's own spelling, not dropped for the
model's (issue 19, "ground, don't gatekeep"): a name the model wrote with its hyphen lost, a middle name
left out, the full name where the article uses the surname, or in Latin letters for a Cyrillic or Korean
article. A different person, a near spelling in the same script or a short surname stays dropped.

Sentences written for these tests, in the shape the validation set showed (no article of it is quoted).
"""

from __future__ import annotations

import pytest

from summit_extract import ExtractionContext, Summit
from summit_extract._aligning import spelling
from summit_extract.tradedeal import TradeDeal

FRENCH = (
    "PARIS - Le président français a reçu Kim Jong-un à l'Élysée jeudi. Macron et son invité ont parlé "
    "du nucléaire. Le président uruguayen José Pepe Mujica était aussi présent."
)
UKRAINIAN = "Президент США Барак Обама прибув до Пекіна, де зустрівся з Путіним у четвер."
KOREAN = "문재인 대통령은 뉴욕에서 트럼프 대통령과 만났다."
KOREAN_NAMES = (
    "도널드 트럼프 미국 대통령과 문재인 대통령이 뉴욕에서 만났다. 서울을 방문한 존 케리 미 국무장관도 "
    "회담에 배석했다."
)


def written(value: str, text: str, *, surname: bool = False) -> str | None:
    found = spelling(value, text, surname=surname)
    return None if found is None else text[found[0] : found[1]]


@pytest.mark.parametrize(
    ("value", "text", "surname", "expected"),
    [
        ("Kim Jong Un", FRENCH, False, "Kim Jong-un"),  # a hyphen lost
        ("José Mujica", FRENCH, False, "José Pepe Mujica"),  # a middle name left out
        ("Jose Pepe Mujica", FRENCH, False, "José Pepe Mujica"),  # accents folded
        ("Emmanuel Macron", FRENCH, True, "Macron"),  # the surname the article uses
        ("Barack Obama", UKRAINIAN, True, "Барак Обама"),  # another script
        ("Beijing", UKRAINIAN, False, None),  # a different word, however alike the places
        ("Peking", UKRAINIAN, False, "Пекіна"),  # the same name, transliterated
        ("Moon Jae-in", KOREAN, True, "문재인"),
        ("Kim Jong Il", FRENCH, True, None),  # another person: no near spelling within one script
        ("Emmanuel Macron", FRENCH, False, None),  # the surname alone only for a person's name
        ("Ri Kim", FRENCH, True, None),  # a surname of three letters says too little
        ("Macron Kim", FRENCH, False, None),  # words in two sentences are no name
        # A foreign name in Hangul: a vowel after every consonant, l for r; the same consonants in
        # order, word for word.
        ("Donald Trump", KOREAN_NAMES, False, "도널드 트럼프"),
        ("John Kerry", KOREAN_NAMES, False, "존 케리"),
        ("Daniel Trainer", KOREAN_NAMES, False, None),  # other consonants
        ("Ban Ki-moon", KOREAN_NAMES, False, None),  # "방문한" (visiting): one word for three
        ("Kim Jong Un", KOREAN_NAMES, False, None),  # "미 국무장관" (the US secretary of state)
    ],
)
def test_a_value_is_found_in_the_articles_own_spelling(
    value: str, text: str, surname: bool, expected: str | None
) -> None:
    assert written(value, text, surname=surname) == expected


def test_a_participant_takes_the_articles_spelling_of_their_name_and_is_grounded_there() -> None:
    summit = Summit.model_validate(
        {
            "participants": [
                {"evidence": "Macron", "name": "Emmanuel Macron", "country": "France"},
                {"evidence": "Uruguayan President José Mujica", "name": "José Mujica", "country": "Uruguay"},
                {"evidence": "Kim Jong Un", "name": "Kim Jong Un", "country": "North Korea"},
            ],
            "is_summit": True,
        },
        context=ExtractionContext(FRENCH),
    )
    names = [(p.name, p.evidence, p.span.alignment if p.span else None) for p in summit.participants]
    assert names == [
        ("Macron", "Macron", "exact"),
        # The model's own words for the person are nowhere in the article: grounded at the name.
        ("José Pepe Mujica", "José Pepe Mujica", "exact"),
        ("Kim Jong-un", "Kim Jong-un", "exact"),
    ]


def test_names_in_latin_letters_are_grounded_in_a_cyrillic_article() -> None:
    summit = Summit.model_validate(
        {
            "participants": [
                {"evidence": "U.S. President Barack Obama", "name": "Barack Obama", "country": "USA"},
                {"evidence": "Russian President Vladimir Putin", "name": "Vladimir Putin", "country": "RU"},
            ],
            "location": {"evidence": "in Beijing", "city": "Peking"},
            "is_summit": True,
        },
        context=ExtractionContext(UKRAINIAN),
    )
    assert [(p.name, p.evidence) for p in summit.participants] == [
        ("Барак Обама", "Барак Обама"),
        ("Путіним", "Путіним"),  # the article names him by his surname only (inflected)
    ]
    location = summit.location
    assert location is not None and location.city == "Пекіна" and location.evidence == "Пекіна"
    assert location.span is not None and location.span.alignment == "fuzzy"
    assert 80 <= location.span.score < 100  # honest: alike, not the same
    assert UKRAINIAN[location.span.start : location.span.end] == "Пекіна"


def test_a_foreign_name_in_latin_letters_is_grounded_where_a_korean_article_writes_it_in_hangul() -> None:
    # As the model answers a Korean article: the name in English, inside an evidence of both scripts.
    summit = Summit.model_validate(
        {
            "participants": [
                {"evidence": "미국 대통령 Donald Trump", "name": "Donald Trump", "country": "USA"},
                {"evidence": "문재인", "name": "문재인", "country": "South Korea"},
            ],
            "is_summit": True,
        },
        context=ExtractionContext(KOREAN_NAMES),
    )
    assert [(p.name, p.evidence) for p in summit.participants] == [
        ("도널드 트럼프", "도널드 트럼프"),
        ("문재인", "문재인"),
    ]


def test_another_person_of_a_like_name_is_not_taken_for_the_one_the_article_names() -> None:
    summit = Summit.model_validate(
        {"participants": [{"evidence": "Kim Jong Il", "name": "Kim Jong Il", "country": "North Korea"}]},
        context=ExtractionContext(FRENCH),
    )
    assert all(p.name != "Kim Jong-un" for p in summit.participants)
    assert all(p.name is None for p in summit.participants)


def test_a_stated_text_is_not_cut_to_its_last_word() -> None:
    # "summit" is in the article, "European Council summit" is not: a meeting's name is no surname.
    summit = Summit.model_validate(
        {"name": "European Council summit", "is_summit": False},
        context=ExtractionContext("The summit opened on Monday."),
    )
    assert summit.name is None


def test_every_article_type_gets_the_articles_spelling() -> None:
    # StatedText is the engine's: a trade deal's name spelled with its hyphen lost is the article's.
    text = "Les deux pays ont signé l'accord Mercosur-UE à Bruxelles."
    deal = TradeDeal.model_validate({"name": "Mercosur UE"}, context=ExtractionContext(text))
    assert deal.name == "Mercosur-UE"


def test_a_place_the_model_wrote_in_english_takes_the_articles_spelling_from_its_evidence() -> None:
    text = "서울 = 두 정상은 12일 서울 용산 대통령실에서 정상회담을 열었다."
    summit = Summit.model_validate(
        {"location": {"evidence": "서울 용산 대통령실", "city": "Seoul", "venue": None, "country": "Korea"}},
        context=ExtractionContext(text),
    )
    location = summit.location
    assert location is not None and location.span is not None and location.span.alignment == "exact"
    assert location.city == "서울"
    assert location.country == "Korea"  # written nowhere in any spelling: left as the model wrote it


def test_a_place_written_as_the_article_writes_it_is_left_alone() -> None:
    text = "PARIS - Les ministres se sont réunis à Paris, à l'Élysée."
    summit = Summit.model_validate(
        {"location": {"evidence": "à Paris", "city": "Paris", "venue": "Elysee", "country": None}},
        context=ExtractionContext(text),
    )
    assert summit.location is not None
    assert (summit.location.city, summit.location.venue) == ("Paris", "Elysee")  # accents folded: written
