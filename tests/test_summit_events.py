"""The Summit's consolidation hooks one by one: places by alias, people across spellings, a bare delegation
as its country's named leader, windows from year-less dates and publication, what blocks a record."""

from __future__ import annotations

import datetime as dt

from summit_extract import Dispute, Location, Participant, Summit, SummitDate
from summit_extract._countries import country
from summit_extract._event_keys import Window
from summit_extract.summit._events import place_key, same_person


def person(name: str | None, country_name: str, title: str | None = "President") -> Participant:
    return Participant(
        evidence=name or f"the {country_name} delegation",
        name=name,
        title=title,
        country=country_name,
        country_iso=country(country_name),
    )


def summit(city: str | None, *people: Participant, date: SummitDate | None = None) -> Summit:
    location = Location(evidence=f"in {city}", city=city) if city else None
    return Summit(participants=list(people), location=location, date=date, is_summit=True)


def test_a_capital_is_one_place_in_any_listed_spelling() -> None:
    assert place_key(Location(evidence="in Kyiv", city="Kyiv")) == "@UA"
    assert place_key(Location(evidence="in Kiev", city="Kiev")) == place_key(
        Location(evidence="x", city="Київ")
    )
    assert place_key(Location(evidence="in Brasília", city="Brasília")) == "@BR"
    assert place_key(Location(evidence="in Cebu", city="Cebu City")) == "cebu city"
    assert place_key(Location(evidence="in the Philippines", country="Philippines")) is None


def test_people_across_spellings_and_partial_names_but_not_relatives() -> None:
    assert same_person(
        person("Gloria Arroyo", "Philippines"), person("Gloria Macapagal Arroyo", "Philippines")
    )
    assert same_person(person("Muammar Ghadafi", "Libya"), person("Muammar Gaddafi", "Libya"))
    assert same_person(person("Volodymyr Zelensky", "Ukraine"), person("Volodymyr Zelenskyy", "Ukraine"))
    assert not same_person(person("Kim Jong-un", "North Korea"), person("Kim Jong-il", "North Korea"))
    assert not same_person(person("Muammar Ghadafi", "Libya"), person("Muammar Gaddafi", "Egypt"))


def test_a_bare_delegation_is_its_countrys_leader_not_its_minister() -> None:
    delegation = person(None, "Tanzania", title=None)
    assert Summit.same_fact(delegation, person("Halima Nyerere", "Tanzania"))
    assert Summit.same_fact(person("Halima Nyerere", "Tanzania"), delegation)
    assert not Summit.same_fact(delegation, person("Amani Said", "Tanzania", title="Foreign Minister"))
    assert not Summit.same_fact(delegation, person("Daniel Mwangi", "Kenya"))
    assert Summit.same_fact(delegation, person(None, "Tanzania", title=None))


def test_meetings_differ_by_city_and_need_shared_states() -> None:
    tokyo = summit("Tokyo", person("Hiroshi Tanabe", "Japan"), person("Park Min-jae", "South Korea"))
    busan = summit("Busan", person("Hiroshi Tanabe", "Japan"), person("Park Min-jae", "South Korea"))
    unplaced = summit(None, person("Park Min-jae", "South Korea"))
    elsewhere = summit("Tokyo", person("Daniel Mwangi", "Kenya"))
    assert not tokyo.same_event(busan)
    assert tokyo.same_event(unplaced) and busan.same_event(unplaced)
    assert not tokyo.same_event(elsewhere)


def test_a_non_summit_joins_only_through_a_shared_finding() -> None:
    row = Dispute(evidence="a row over sugar quotas", subject="sugar import quotas", status="ongoing")
    report = Summit(is_summit=False, disputes=[row])
    meeting = summit("Nairobi", person("Daniel Mwangi", "Kenya"))
    assert not report.same_event(meeting)
    meeting.disputes = [
        Dispute(evidence="the sugar quota dispute", subject="sugar import quotas", status="ongoing")
    ]
    assert report.same_event(meeting) and meeting.same_event(report)


def test_windows_from_year_less_dates_ranges_and_publication() -> None:
    day = dt.date(2004, 12, 1)
    ranged = summit("Cusco", date=SummitDate(text="7-9 December", month=12, day=7))
    assert ranged.event_window(day) == Window(dt.date(2004, 12, 7), dt.date(2004, 12, 9))
    weekday = summit("Cusco", date=SummitDate(text="Wednesday"))
    assert weekday.event_window(day) == Window(dt.date(2004, 12, 1), dt.date(2004, 12, 1))
    undated = summit("Cusco")
    window = undated.event_window(day)
    assert window is not None and not window.firm and window.start < day < window.end
    assert undated.event_window(None) is None


def test_tokens_block_by_states_place_and_findings() -> None:
    meeting = summit("Kiev", person("Volodymyr Zelensky", "Ukraine"))
    meeting.disputes = [
        Dispute(evidence="x", subject="transit fees for grain", status="ongoing", parties=["Lithuania"])
    ]
    assert meeting.event_tokens() == {
        "place:@UA", "state:UA", "state:LT", "about:trans", "about:fees", "about:grain",
    }  # fmt: skip
