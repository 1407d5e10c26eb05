"""`--since` spans for `miro-sentinel events`."""

from __future__ import annotations

import datetime as dt

import pytest

from deployer.events import parse_since


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("90m", dt.timedelta(minutes=90)),
        ("24h", dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=7)),
        (" 2d ", dt.timedelta(days=2)),
    ],
)
def test_a_span_is_a_whole_number_of_minutes_hours_or_days(text: str, span: dt.timedelta) -> None:
    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["7", "1w", "1.5d", "-1d", "0d", "d", "7 d"])
def test_anything_else_is_refused_naming_the_forms_allowed(text: str) -> None:
    with pytest.raises(ValueError, match="is not a span: use a whole number and m, h or d, such as 90m, 24h or 7d"):
        parse_since(text)


def test_a_span_beyond_two_years_is_refused() -> None:
    with pytest.raises(ValueError, match="'731d' is longer than 730 days"):
        parse_since("731d")
