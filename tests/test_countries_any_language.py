"""States and international organisations named in any language and script (summit_extract._countries)."""

from __future__ import annotations

import pytest

from summit_extract._aligning import fold
from summit_extract._countries import (
    country,
    organization,
    party_mentions,
    state_mentions,
    state_spans,
    states_named,
)


def names(text: str, *, capitals: bool = False) -> list[str]:
    return [name for _, name in party_mentions(text, capitals=capitals)]


@pytest.mark.parametrize(
    ("written", "alpha2"),
    [
        ("ROK", "KR"),
        ("DPRK", "KP"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("U.S.", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("the United States", "US"),
        ("미국", "US"),
        ("북한", "KP"),
        ("한국", "KR"),
        ("США", "US"),
        ("Росія", "RU"),
        ("Росії", "RU"),
        ("Etats-Unis", "US"),
        ("États-Unis", "US"),
        ("Estados Unidos", "US"),
        ("Allemagne", "DE"),
        ("Deutschland", "DE"),
        ("中国", "CN"),
        ("韓国", "KR"),
        ("ミャンマー", "MM"),
        ("Georgia", "GE"),
        ("AU", "AU"),  # an alpha-2 code is the state; organization("AU") is the African Union
        ("CN", "CN"),
    ],
)
def test_country_places_names_in_any_language_script_or_code(written: str, alpha2: str) -> None:
    iso = country(written)
    assert iso.known and iso.alpha2 == alpha2


@pytest.mark.parametrize(
    "written",
    ["EU", "UN", "ASEAN", "NATO", "South America", "Europe", "Asia", "Korea", "Paris", "Québec", "America"],
)
def test_organizations_regions_cities_and_ambiguous_names_are_no_state(written: str) -> None:
    iso = country(written)
    assert iso.known is False and iso.alpha2 is None and iso.name == written


def test_acronyms_no_longer_fall_to_fuzzy_neighbours() -> None:
    assert country("EU").name == "EU"  # was Réunion
    assert country("Réunion").alpha2 == "RE"  # the island itself still is
    assert country("UN").alpha2 is None  # was the United Kingdom
    assert country("ROK").name == "South Korea"  # was Czechia


def test_korean_names_carry_particles_without_a_space() -> None:
    text = "미국의 대통령은 한국과 중국은 물론 일본, 미얀마와 북한 문제를 논의했다."
    assert [code for _, code in state_mentions(text)] == ["US", "KR", "CN", "JP", "MM", "KP"]
    # A name starts a word, and only a particle or a short noun may follow it: "인도적" (humanitarian) is
    # not India, the South China Sea ("남중국해") is not China.
    assert states_named("인도적 지원과 남중국해 문제") == set()
    assert states_named("인도와 인도네시아") == {"IN", "ID"}


def test_ukrainian_and_russian_names_inflect() -> None:
    text = "США та Росія; санкції проти Росії; переговори з Росією; Китай і Китаю; Україна, України, Україною"
    assert [code for _, code in state_mentions(text)] == ["US", *["RU"] * 3, "CN", "CN", *["UA"] * 3]
    assert states_named("Южной Кореи и Северной Корее") == {"KR", "KP"}
    assert states_named("Соединённых Штатов Америки") == {"US"}
    # A lower-case word is not a state's name ("мали": had), nor "того" (of that) Togo.
    assert states_named("вони мали того дня") == set()


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("Le Brésil et le Royaume-Uni ont signé avec les États-Unis", {"BR", "GB", "US"}),
        ("Les Etats-Unis et l'Allemagne", {"US", "DE"}),
        ("El presidente de Estados Unidos visitó España y México", {"US", "ES", "MX"}),
        ("O Brasil e a Argentina assinaram com a Alemanha", {"BR", "AR", "DE"}),
        ("Deutschland und Frankreich einigten sich mit Japan", {"DE", "FR", "JP"}),
        ("le président français et le gouvernement brésilien", {"FR", "BR"}),
        ("German Chancellor Olaf Scholz met the Italian premier", {"DE", "IT"}),
        ("Nigerian and Nigerien officials", {"NG", "NE"}),
        ("日本と米国は中国と北朝鮮について協議した", {"JP", "US", "CN", "KP"}),
        ("Turkey and Ivory Coast; Türkiye and Côte d'Ivoire", {"TR", "CI"}),
        ("der Streit um kanadische Einfuhren und die kubanische Regierung", {"CA", "CU"}),  # adjectives
        ("der kenianischen Regierung und einem Kanadischer Politiker", {"KE", "CA"}),
        # Adjectives no ending derives from the name ("allemand" of "Allemagne"), in five languages.
        ("le ministre allemand et son homologue belge, avec un diplomate grec", {"DE", "BE", "GR"}),
        ("el canciller alemán y el primer ministro belga, con un diplomático griego", {"DE", "BE", "GR"}),
        ("il cancelliere tedesco e il premier spagnolo", {"DE", "ES"}),
        ("o ministro alemão e o presidente francês", {"DE", "FR"}),
        ("die französische Regierung und der polnische Präsident", {"FR", "PL"}),
        ("o primeiro-ministro português e o presidente sul-coreano", {"PT", "KR"}),
        ("le président sud-coréen et son homologue nord-coréen", {"KR", "KP"}),
        ("le Premier ministre portugais et le ministre capverdien", {"PT", "CV"}),
        ("die portugiesische und die südafrikanische Regierung", {"PT", "ZA"}),
        # "république équatorienne" had been read as no state (a dev article's Ecuador granting asylum).
        ("le président de la république équatorienne", {"EC"}),
        ("el gobierno ecuatoriano y el presidente rumano", {"EC", "RO"}),
        ("o governo equatoriano e o primeiro-ministro búlgaro", {"EC", "BG"}),
        ("il premier croato e il presidente kazako", {"HR", "KZ"}),
        # French feminine of a name in "-ie" or "-ye": "Colombie" -> "colombienne", "Libye" -> "libyenne".
        ("la présidente colombienne et la ministre australienne", {"CO", "AU"}),
        ("la délégation libyenne et la partie lituanienne", {"LY", "LT"}),
        # A German name in "-ien" gives its adjective of the rest: "Rumänien" -> "rumänisch".
        ("die rumänische Regierung und der äthiopische Premier", {"RO", "ET"}),
        ("der serbische Präsident und die indonesischen Minister", {"RS", "ID"}),
    ],
)
def test_states_are_named_in_european_and_asian_languages(text: str, states: set[str]) -> None:
    assert states_named(text) == states


def test_regions_and_places_name_no_state() -> None:
    assert states_named("South America and Latin American leaders met in Central America") == set()
    assert states_named("Leaders from South America") == set()
    assert states_named("talks in New Mexico and Indiana, then Mexico") == {"MX"}
    assert states_named("Organization of American States") == set()
    assert states_named("the South China Sea") == set()
    assert states_named("Washington and Beijing traded accusations") == set()  # capitals: only when asked
    assert states_named("タイミングを見て") == set()  # katakana "タイ" (Thailand) inside a longer word
    assert states_named("zwei kubische Meter") == set()  # cubic, not Cuban: "-isch" needs a longer stem
    assert states_named("Étienne est à Vienne, en Guyenne") == set()  # "-nne" ends no name here


def test_common_words_and_first_names_are_no_state() -> None:
    assert states_named("la réunion des ministres; la Cuarta Reunión Cumbre") == set()  # a meeting
    assert country("Réunion").alpha2 == "RE"  # the island, asked for by name
    assert states_named("Ruslan Stefanchuk met Marta Kos") == set()
    assert states_named("Seoul and Tokyo hosted the talks") == set()  # places, not states
    assert country("Korea, South").alpha2 == "KR"


def test_capitals_stand_for_their_governments_only_in_capitals_mode() -> None:
    text = "Washington and Beijing traded accusations; Moscow stayed silent."
    assert party_mentions(text) == []
    assert names(text, capitals=True) == ["United States", "China", "Russian Federation"]
    assert names("워싱턴과 베이징이 충돌했다", capitals=True) == ["United States", "China"]
    assert names("Brussels and Washington", capitals=True) == ["European Union", "United States"]
    assert names("Москва и Киев", capitals=True) == ["Russian Federation", "Ukraine"]


@pytest.mark.parametrize(
    ("written", "english"),
    [
        ("EU", "European Union"),
        ("the EU", "European Union"),
        ("Union européenne", "European Union"),
        ("UE", "European Union"),
        ("Unión Europea", "European Union"),
        ("유럽연합", "European Union"),
        ("ЄС", "European Union"),
        ("Євросоюзу", "European Union"),
        ("UN", "United Nations"),
        ("ONU", "United Nations"),
        ("유엔", "United Nations"),
        ("ООН", "United Nations"),
        ("Nations unies", "United Nations"),
        ("African Union", "African Union"),
        ("AU", "African Union"),
        ("NATO", "NATO"),
        ("НАТО", "NATO"),
        ("OTAN", "NATO"),
        ("ASEAN", "ASEAN"),
        ("Mercosur", "Mercosur"),
        ("Mercosul", "Mercosur"),
        ("Arab League", "Arab League"),
        ("Ligue arabe", "Arab League"),
    ],
)
def test_organizations_are_named_in_any_language(written: str, english: str) -> None:
    assert organization(written) == english


@pytest.mark.parametrize("written", ["un", "eu", "Un", "France", "Washington", "South America", ""])
def test_short_acronyms_keep_their_case_and_states_are_no_organization(written: str) -> None:
    assert organization(written) is None


def test_party_mentions_give_states_and_organizations_in_text_order() -> None:
    text = "L'UE, la France et l'ONU ont rencontré l'Union africaine; un accord avec eu."
    assert names(text) == ["European Union", "France", "United Nations", "African Union"]
    assert names("유엔과 유럽연합, 그리고 미국의 대표가") == [
        "United Nations",
        "European Union",
        "United States",
    ]
    assert names("ЄС, ООН та НАТО підтримали Україну") == [
        "European Union",
        "United Nations",
        "NATO",
        "Ukraine",
    ]
    assert names("la Unión Europea y el Mercosur") == ["European Union", "Mercosur"]
    assert names("国連と欧州連合、東南アジア諸国連合") == ["United Nations", "European Union", "ASEAN"]
    assert party_mentions("EU") == [(0, "European Union")]
    assert state_mentions("EU and UN") == []  # neither is a state


def test_positions_are_in_the_folded_text() -> None:
    text = "  Die Straße nach Frankreich, the U.S. and 미국의 대표"
    folded = fold(text)
    found = state_mentions(text)
    assert [code for _, code in found] == ["FR", "US", "US"]
    assert [folded[at : at + 3] for at, _ in found] == ["fra", "u.s", "미국의"[:3]]
    at, name = party_mentions(text)[0]
    assert name == "France" and folded[at:].startswith("frankreich")


def test_a_long_article_gives_every_mention_of_each_repeated_paragraph() -> None:
    # Speed is measured by benchmarks, not asserted here (a shared machine makes timings noise); what a
    # long text must give is each mention of every repeat, found by one pass over it.
    seed = (
        "German Chancellor Olaf Scholz met the Italian premier in Rome, while the U.S. and Japan agreed to "
        "work with the European Union and NATO; 미국과 중국은 북한 문제를 논의했다. Росія та Китай. "
    )
    once = state_mentions(seed)
    assert once, "the paragraph names states"
    repeats = 5000 // len(seed)
    assert len(state_mentions(seed * repeats)) == repeats * len(once)


def test_state_spans_are_where_the_text_as_given_names_each_state() -> None:
    # Positions in the text itself, accents and all, not in the folded text.
    text = "Émile  arrived: la Belgique et le président sud-coréen, puis la Côte d'Ivoire."
    assert [(text[a:b], code) for a, b, code in state_spans(text)] == [
        ("Belgique", "BE"),
        ("sud-coréen", "KR"),
        ("Côte d'Ivoire", "CI"),
    ]
