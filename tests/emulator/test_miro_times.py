"""Miro's time formats: query parameters, createdAt, ids and cursors."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.miro.times import (
    format_created_at,
    format_key,
    parse_created_at,
    parse_key,
    parse_query_time,
    to_micros,
)

NOON = to_micros(dt.datetime(2023, 3, 30, 17, 26, 50, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("2023-03-30T17:26:50.000Z", NOON),  # Miro's documented form
        ("2023-03-30T17:26:50.00Z", NOON),  # the Sentinel poller's form
        ("2023-03-30T17:26:50.250Z", NOON + 250_000),
        ("2023-03-30T17:26:50.25Z", NOON + 250_000),
    ],
)
def test_query_times_in_the_documented_and_the_poller_forms_are_read(text: str, micros: int) -> None:
    assert parse_query_time(text) == micros


@pytest.mark.parametrize(
    "text",
    [
        "2023-03-30T17:26:50Z",  # no milliseconds
        "2023-03-30T17:26:50.0Z",
        "2023-03-30T17:26:50.0000Z",
        "2023-03-30T17:26:50.000+00:00",
        "2023-03-30T17:26:50.000",
        "2023-03-30 17:26:50.000Z",
        "1680197210000",
        "2023-02-30T17:26:50.000Z",
    ],
)
def test_other_query_time_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_query_time(text)


def test_created_at_has_milliseconds_and_a_colon_less_offset() -> None:
    assert format_created_at(NOON + 840_687) == "2023-03-30T17:26:50.840+0000"


@pytest.mark.parametrize(
    "text", ["2023-03-30T17:26:50.840+0000", "2023-03-30T17:26:50.840Z", "2023-03-30T19:26:50.840+02:00"]
)
def test_created_at_is_read_with_any_offset(text: str) -> None:
    assert parse_created_at(text) == NOON + 840_000


def test_an_id_holds_the_microseconds_and_the_number_and_reads_back() -> None:
    key = (NOON + 840_687, 1234567890123456789)
    text = format_key(key)
    assert text == "2023-03-30T17:26:50.840687Z#1234567890123456789-DDB"
    assert parse_key(text) == key


def test_a_cursor_cut_at_its_hash_is_no_cursor() -> None:
    assert parse_key("2023-03-30T17:26:50.840687Z") is None
