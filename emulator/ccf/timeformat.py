"""``queryTimeFormat``: how the poller writes a window's start and end into the request.

Three kinds of value (RestApiPoller ``request.queryTimeFormat``):

* ``UnixTimestamp`` / ``UnixTimestampInMills``: seconds / milliseconds since the epoch.
* A .NET date and time format string, rendered in UTC with the invariant culture, e.g.
  ``yyyy-MM-dd'T'HH:mm:ss'.00Z'`` -> ``2025-12-05T10:05:00.00Z``. Custom specifiers (``yyyy``, ``MM``,
  ``dd``, ``HH``, ``mm``, ``ss``, ``f``/``F`` up to 7, ``tt``, ``zzz``, ``K``...), quoted literals,
  ``\\`` escapes, ``%`` prefixes, and the one-letter standard formats (``o``, ``s``, ``u``, ``R``...).
* Absent: ISO 8601 in UTC, ``yyyy-MM-ddTHH:mm:ssZ`` (the documented default).

:func:`compile_format` checks a format once (at PUT, where Azure would refuse it) and returns a renderer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["DEFAULT_FORMAT", "TimeRenderer", "compile_format"]

DEFAULT_FORMAT = "yyyy-MM-ddTHH:mm:ssZ"

TimeRenderer = Callable[[dt.datetime], str]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: The invariant culture's patterns for the one-letter standard formats.
_STANDARD = {
    "d": "MM/dd/yyyy",
    "D": "dddd, dd MMMM yyyy",
    "f": "dddd, dd MMMM yyyy HH:mm",
    "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm",
    "G": "MM/dd/yyyy HH:mm:ss",
    "m": "MMMM dd",
    "M": "MMMM dd",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "HH:mm",
    "T": "HH:mm:ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "y": "yyyy MMMM",
    "Y": "yyyy MMMM",
}

_Part = Callable[[dt.datetime], str]


def compile_format(text: str | None) -> TimeRenderer:
    """A renderer for ``queryTimeFormat``; raises ``ValueError`` for a format .NET would refuse."""
    if text is None or text == "":
        text = DEFAULT_FORMAT
    if text == "UnixTimestamp":
        return lambda value: str(int(_utc(value).timestamp()))
    if text == "UnixTimestampInMills":
        return lambda value: str(_millis(_utc(value)))
    if len(text) == 1:
        if text not in _STANDARD:
            raise ValueError(f"{text!r} is not a standard date and time format")
        text = _STANDARD[text]
    parts = _parse(text)

    def render(value: dt.datetime) -> str:
        utc = _utc(value)
        out = ""
        for part in parts:
            piece = part(utc)
            if piece == _DROP_DOT:
                # .NET drops the decimal point before 'F' digits that print nothing.
                out = out[:-1] if out.endswith(".") else out
            else:
                out += piece
        return out

    return render


_DROP_DOT = "\x00"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _millis(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _run(text: str, i: int) -> int:
    """Length of the run of the same character starting at ``i``."""
    j = i
    while j < len(text) and text[j] == text[i]:
        j += 1
    return j - i


def _literal(piece: str) -> _Part:
    return lambda _value: piece


def _parse(text: str) -> list[_Part]:
    parts: list[_Part] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ValueError(f"unterminated quoted text starting at position {i} in {text!r}")
            parts.append(_literal(text[i + 1 : end]))
            i = end + 1
            continue
        if ch == "\\":
            if i + 1 >= len(text):
                raise ValueError(f"a backslash at the end of {text!r} escapes nothing")
            parts.append(_literal(text[i + 1]))
            i += 2
            continue
        if ch == "%":
            if i + 1 >= len(text) or text[i + 1] in "%'\"\\":
                raise ValueError(f"'%' at position {i} in {text!r} must precede one format specifier")
            parts.append(_specifier(text[i + 1], 1, text))
            i += 2
            continue
        count = _run(text, i)
        parts.append(_specifier(ch, count, text))
        i += count
    return parts


def _specifier(ch: str, count: int, text: str) -> _Part:
    if ch == "y":
        if count == 1:
            return lambda v: str(v.year % 100)
        if count == 2:
            return lambda v: f"{v.year % 100:02d}"
        return lambda v: str(v.year).zfill(count)
    if ch == "M":
        if count >= 4:
            return lambda v: _MONTHS[v.month - 1]
        if count == 3:
            return lambda v: _MONTHS[v.month - 1][:3]
        return _number("month", count)
    if ch == "d":
        if count >= 4:
            return lambda v: _DAYS[v.weekday()]
        if count == 3:
            return lambda v: _DAYS[v.weekday()][:3]
        return _number("day", count)
    if ch in "Hms":
        return _number({"H": "hour", "m": "minute", "s": "second"}[ch], min(count, 2))
    if ch == "h":
        width = min(count, 2)
        return lambda v: str((v.hour % 12) or 12).zfill(width)
    if ch in "fF":
        if count > 7:
            raise ValueError(f"more than 7 '{ch}' in {text!r}")
        return _fraction(count, trim=ch == "F")
    if ch == "t":
        return lambda v: ("AM" if v.hour < 12 else "PM")[: 1 if count == 1 else 2]
    if ch == "z":
        return _literal({1: "+0", 2: "+00"}.get(count, "+00:00"))
    if ch == "K":
        return _literal("Z" * count)
    if ch == "g":
        return _literal("A.D.")
    return _literal(ch * count)


def _number(field: str, width: int) -> _Part:
    return lambda v: str(getattr(v, field)).zfill(width)


def _fraction(count: int, *, trim: bool) -> _Part:
    def part(v: dt.datetime) -> str:
        digits = f"{v.microsecond:06d}0"[:count]
        if trim:
            digits = digits.rstrip("0")
            return digits or _DROP_DOT
        return digits

    return part
