"""The event generator: realistic v2 events, the same for the same seed, for any range."""

from __future__ import annotations

import datetime as dt

from emulator.miro.generator import EventGenerator, Organization
from emulator.miro.times import to_micros

ORG = Organization("3458764500000000000", "Example Org")
START = to_micros(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
HOUR = 3_600_000_000


def _generator(seed: int = 7, rate: float = 30) -> EventGenerator:
    return EventGenerator(seed=seed, events_per_minute=rate, organization=ORG)


def test_the_same_seed_gives_the_same_events() -> None:
    first = [e.body for e in _generator().events(START, START + HOUR)]
    again = [e.body for e in _generator().events(START, START + HOUR)]
    assert first == again
    assert len(first) > 1000


def test_another_seed_gives_other_events() -> None:
    assert [e.key for e in _generator(1).events(START, START + HOUR)] != [
        e.key for e in _generator(2).events(START, START + HOUR)
    ]


def test_a_range_is_the_sum_of_its_parts_in_order() -> None:
    generator = _generator()
    cut = START + 1_234_567_000
    whole = list(generator.events(START, START + HOUR))
    parts = list(generator.events(START, cut)) + list(generator.events(cut, START + HOUR))
    assert [e.key for e in parts] == [e.key for e in whole]
    assert [e.key for e in whole] == sorted(e.key for e in whole)


def test_descending_order_is_the_reverse() -> None:
    generator = _generator()
    ascending = [e.key for e in generator.events(START, START + HOUR)]
    assert [e.key for e in generator.events(START, START + HOUR, descending=True)] == ascending[::-1]


def test_ids_are_unique_and_match_the_created_at_milliseconds() -> None:
    events = list(_generator(rate=200).events(START, START + HOUR))
    assert len({e.body["id"] for e in events}) == len(events)
    for event in events[:500]:
        assert event.body["id"].startswith(event.body["createdAt"][:23])
        assert event.body["createdAt"].endswith("+0000")


def test_events_cover_every_category_and_the_shapes_the_transform_must_handle() -> None:
    events = [e.body for e in _generator(rate=100).events(START, START + HOUR)]
    assert {e["category"] for e in events} == {"authentication", "boards", "teams", "users", "administration"}
    assert any("team" not in e["context"] for e in events)
    assert any("object" not in e for e in events)
    assert any("createdBy" not in e for e in events)
    assert any(isinstance(v, dict) for e in events for v in e["details"].values())
    assert any(not e["createdBy"]["name"].isascii() for e in events if "createdBy" in e)
    assert not any("type" in e for e in events)  # v2 events carry no top-level type


def test_some_events_share_an_instant_and_some_fall_on_a_whole_second() -> None:
    events = list(_generator(rate=100).events(START, START + HOUR))
    instants = [e.key[0] for e in events]
    assert len(set(instants)) < len(instants)
    assert any(i % 1_000_000 == 0 for i in instants)


def test_a_rate_of_zero_makes_no_events() -> None:
    assert list(_generator(rate=0).events(START, START + HOUR)) == []
