"""How a stream declaration shapes incoming records (``shape_records_sql``, shared with ``dcr test``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import kqlengine as kql


def shaped(kind: str, value: Any) -> Any:
    con = kql.connect()
    try:
        columns = [kql.KqlColumn("v", kind)]
        kql.create_table(con, "t", columns)
        kql.insert_rows(con, "t", columns, [{"v": value, "undeclared": 1}])
        row = con.execute("SELECT v FROM t").fetchone()
        return row[0] if row else None
    finally:
        con.close()


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("string", "text", "text"),
        ("string", {"a": [1, 2.5, "é"]}, '{"a":[1,2.5,"é"]}'),
        ("string", 12, "12"),
        ("long", 42, 42),
        ("long", " -7 ", -7),
        ("long", "4.5", None),
        ("long", 4.7, 4),
        ("long", True, 1),
        ("long", 1e20, None),
        ("int", "+5", 5),
        ("real", "1e3", 1000.0),
        ("real", False, 0.0),
        ("real", {"no": 1}, None),
        ("boolean", "TRUE", True),
        ("boolean", 1, None),
        ("datetime", "2026-01-02T03:04:05Z", dt.datetime(2026, 1, 2, 3, 4, 5)),
        ("datetime", "2026-01-02T03:04:05+0000", None),
        ("datetime", 1767323045, None),
        ("dynamic", {"k": [1]}, '{"k":[1]}'),
        ("string", None, None),
        # A JSON null is null; the string "null" is text, not null.
        ("string", "null", "null"),
        ("string", 'say "hi"', 'say "hi"'),
        ("string", True, "true"),
        ("guid", None, None),
        ("dynamic", None, None),
        ("dynamic", "null", '"null"'),
        ("dynamic", [None], "[null]"),
    ],
)
def test_values_are_coerced_to_the_declared_type(kind: str, value: Any, expected: Any) -> None:
    assert shaped(kind, value) == expected


def test_a_missing_field_is_null() -> None:
    con = kql.connect()
    columns = [kql.KqlColumn("a", "string"), kql.KqlColumn("b", "long")]
    kql.create_table(con, "t", columns)

    kql.insert_rows(con, "t", columns, [{"a": "x"}])

    assert con.execute("SELECT * FROM t").fetchall() == [("x", None)]
    con.close()
