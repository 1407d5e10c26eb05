"""queryTimeFormat: .NET custom and standard formats, Unix timestamps, the ISO default."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.ccf.timeformat import compile_format

WHEN = dt.datetime(2025, 12, 5, 10, 5, 0, 123_456, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss'.00Z'", "2025-12-05T10:05:00.00Z"),  # the official Miro connector
        (None, "2025-12-05T10:05:00Z"),  # the documented default
        ("yyyy-MM-ddTHH:mm:ssZ", "2025-12-05T10:05:00Z"),
        ("yyyy-MM-ddTHH:mm:ss.fffZ", "2025-12-05T10:05:00.123Z"),
        ("yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "2025-12-05T10:05:00.123456Z"),
        ("UnixTimestamp", "1764929100"),
        ("UnixTimestampInMills", "1764929100123"),
        ("o", "2025-12-05T10:05:00.1234560Z"),
        ("s", "2025-12-05T10:05:00"),
        ("u", "2025-12-05 10:05:00Z"),
        ("R", "Fri, 05 Dec 2025 10:05:00 GMT"),
        ("dd/MM/yy h:m tt", "05/12/25 10:5 AM"),
        ("ddd, MMMM d", "Fri, December 5"),
        ('"at" HH\\h mm', "at 10h 05"),
        ("%d", "5"),
        ("yyyy-MM-ddTHH:mm:sszzz", "2025-12-05T10:05:00+00:00"),
    ],
)
def test_formats_render_as_dotnet_renders_them_in_utc(fmt: str | None, text: str) -> None:
    assert compile_format(fmt)(WHEN) == text


def test_f_digits_that_print_nothing_take_their_decimal_point_with_them() -> None:
    assert compile_format("HH:mm:ss.FFF")(WHEN.replace(microsecond=0)) == "10:05:00"


def test_other_offsets_are_rendered_in_utc() -> None:
    local = WHEN.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert compile_format("yyyy-MM-dd'T'HH:mm:ss'.00Z'")(local) == "2025-12-05T10:05:00.00Z"


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("yyyy-MM-dd'T", "unterminated quoted text"),
        ("ss.ffffffff", "more than 7 'f'"),
        ("q", "'q' is not a standard date and time format"),
        ("HH\\", "escapes nothing"),
    ],
)
def test_formats_dotnet_refuses_are_refused(fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_format(fmt)
