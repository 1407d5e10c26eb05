"""The KQL engine adapter: types in and out, loading, strict datetimes, errors."""

from __future__ import annotations

import datetime as dt

import pytest

import kqlengine as kql

STREAM = [
    kql.KqlColumn("id", "string"),
    kql.KqlColumn("createdAt", "string"),
    kql.KqlColumn("n", "long"),
    kql.KqlColumn("ok", "boolean"),
    kql.KqlColumn("details", "dynamic"),
]


def run(query: str, records: list[dict[str, object]], **kwargs: object) -> kql.KqlResult:
    return kql.run_transform(query, STREAM, records, **kwargs)  # type: ignore[arg-type]


def test_result_types_are_kql_type_names() -> None:
    result = run(
        "source | extend t = todatetime(createdAt), s = tostring(details.a) | project id, t, n, ok, details, s",
        [{"id": "a", "createdAt": "2024-01-02T03:04:05Z", "n": 7, "ok": True, "details": {"a": 1}}],
    )
    assert [(c.name, c.type) for c in result.columns] == [
        ("id", "string"),
        ("t", "datetime"),
        ("n", "long"),
        ("ok", "boolean"),
        ("details", "dynamic"),
        ("s", "string"),
    ]


def test_values_decode_to_python_types() -> None:
    result = run(
        "source | extend t = todatetime(createdAt) | project t, details",
        [{"id": "a", "createdAt": "2024-01-02T03:04:05.25Z", "details": {"a": [1, {"b": None}]}}],
    )
    assert result.rows == [(dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC), {"a": [1, {"b": None}]})]


def test_undeclared_fields_are_dropped_and_missing_ones_are_null() -> None:
    result = run("source", [{"id": "a", "extra": "x"}])
    assert result.as_dicts() == [{"id": "a", "createdAt": None, "n": None, "ok": None, "details": None}]


def test_values_are_coerced_to_the_declared_stream_type() -> None:
    result = run(
        "source | project id, n, ok",
        [{"id": 12, "n": "41", "ok": "true"}, {"id": {"x": 1}, "n": "not a number", "ok": "maybe"}],
    )
    assert result.rows == [("12", 41, True), ('{"x":1}', None, None)]


def test_todatetime_rejects_offset_without_colon() -> None:
    # Kusto documents ISO 8601 with Z; the adapter treats a colon-less offset as unparseable (conservative).
    result = run(
        "source | extend t = todatetime(createdAt) | project id, t",
        [
            {"id": "no-colon", "createdAt": "2023-09-01T09:30:10.840+0000"},
            {"id": "colon", "createdAt": "2023-09-01T11:30:10.840+02:00"},
            {"id": "zulu", "createdAt": "2023-09-01T09:30:10.840Z"},
        ],
    )
    assert result.rows == [
        ("no-colon", None),
        ("colon", dt.datetime(2023, 9, 1, 9, 30, 10, 840000, tzinfo=dt.UTC)),
        ("zulu", dt.datetime(2023, 9, 1, 9, 30, 10, 840000, tzinfo=dt.UTC)),
    ]


def test_todatetime_reads_offset_without_colon_when_asked() -> None:
    # The other variant of the open question, for the local cloud's quirk todatetime_colonless_offset=parsed.
    records: list[dict[str, object]] = [
        {"id": "no-colon", "createdAt": "2023-09-01T11:30:10.840+0200"},
        {"id": "stream", "createdAt": "2023-09-01T09:30:10.840+0000"},
    ]
    result = run("source | extend t = todatetime(createdAt) | project id, t", records, colonless_offsets="parsed")
    assert result.rows == [
        ("no-colon", dt.datetime(2023, 9, 1, 9, 30, 10, 840000, tzinfo=dt.UTC)),
        ("stream", dt.datetime(2023, 9, 1, 9, 30, 10, 840000, tzinfo=dt.UTC)),
    ]


def test_a_datetime_stream_column_follows_the_same_offset_rule() -> None:
    columns = [kql.KqlColumn("t", "datetime")]
    record = [{"t": "2023-09-01T09:30:10+0000"}]
    assert kql.run_transform("source", columns, record).rows == [(None,)]
    assert kql.run_transform("source", columns, record, colonless_offsets="parsed").rows == [
        (dt.datetime(2023, 9, 1, 9, 30, 10, tzinfo=dt.UTC),)
    ]


def test_an_unknown_offset_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="colonless_offsets must be one of null, parsed, not 'lenient'"):
        kql.connect(colonless_offsets="lenient")


def test_now_is_pinned_when_given() -> None:
    now = dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    result = run("source | extend t = now() | project t", [{"id": "a"}], now=now)
    assert result.rows == [(now,)]


def test_syntax_diagnostics_are_one_based() -> None:
    [diag] = kql.syntax_diagnostics("source\n| project id,")
    assert (diag.line, diag.column) == (2, 14)
    assert diag.message.startswith("mismatched input '<EOF>'")


def test_syntax_diagnostics_empty_for_valid_text() -> None:
    assert kql.syntax_diagnostics("source | where id == 'a'") == []


def test_unknown_column_is_an_engine_schema_error() -> None:
    with pytest.raises(kql.EngineError) as exc:
        run("source | project nosuchcolumn", [{"id": "a"}])
    assert exc.value.kind == "schema"
    assert str(exc.value) == "unknown column 'nosuchcolumn' (not in the stream declaration, nor defined earlier)"


def test_unsupported_construct_is_named() -> None:
    with pytest.raises(kql.EngineError) as exc:
        run("source | project-keep id", [{"id": "a"}])
    assert exc.value.kind == "unsupported"


@pytest.mark.parametrize(
    ("spelling", "canonical"), [("dateTime", "datetime"), ("bool", "boolean"), ("STRING", "string")]
)
def test_type_spellings_azure_accepts_are_normalised(spelling: str, canonical: str) -> None:
    assert kql.normalize_kql_type(spelling) == canonical


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown column type 'text'"):
        kql.normalize_kql_type("text")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02T03:04:05Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC), "2024-01-02T03:04:05.12Z"),
        (dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2024-01-02T03:04:05Z"),
    ],
)
def test_format_datetime_is_iso_utc_with_z(value: dt.datetime, text: str) -> None:
    assert kql.format_datetime(value) == text


def test_queries_run_on_a_persistent_table() -> None:
    con = kql.connect()
    cols = [kql.KqlColumn("TimeGenerated", "datetime"), kql.KqlColumn("event", "string")]
    kql.create_table(con, "MiroAuditLogs_CL", cols)
    kql.insert_rows(
        con,
        "MiroAuditLogs_CL",
        cols,
        [{"TimeGenerated": f"2024-01-01T0{i}:00:00Z", "event": "e" if i % 2 else "f"} for i in range(6)],
    )
    result = kql.run_query(con, "MiroAuditLogs_CL | summarize n = count() by event | sort by event asc")
    assert result.rows == [("e", 3), ("f", 3)]
    latest = kql.run_query(con, "MiroAuditLogs_CL | summarize Time = max(TimeGenerated)")
    assert latest.rows == [(dt.datetime(2024, 1, 1, 5, tzinfo=dt.UTC),)]


def test_carried_columns_survive_every_project() -> None:
    text = "source | project id, n | extend m = n | project m"
    carried = kql.carry_columns(text, ["_pos"])
    assert carried == "source | project id, n, _pos | extend m = n | project m, _pos"


def test_carry_columns_leaves_text_that_does_not_parse() -> None:
    assert kql.carry_columns("source | project id,", ["_pos"]) == "source | project id,"


def test_parse_gives_the_tree_or_the_problems() -> None:
    assert kql.parse("source | take 1").tree is not None
    broken = kql.parse("source\n| project id,")
    assert broken.tree is None
    assert [(d.line, d.column) for d in broken.diagnostics] == [(2, 14)]


def test_kept_columns_pass_through_shaping_first() -> None:
    con = kql.connect()
    con.execute("""CREATE TABLE raw AS SELECT 7 AS pos, '{"id": 5, "n": "12"}'::JSON AS rec""")
    columns = [kql.KqlColumn("id", "string"), kql.KqlColumn("n", "long")]
    rows = con.execute(kql.shape_records_sql(columns, "raw", record="rec", keep=["pos"])).fetchall()
    assert rows == [(7, "5", 12)]


def test_rows_render_as_json_text_the_way_queries_return_them() -> None:
    con = kql.connect()
    con.execute(
        "CREATE TABLE t AS SELECT TIMESTAMP '2024-01-02 03:04:05.120' AS t, 'Å\"' AS s, "
        """'{"a": [1, null]}'::JSON AS d, NULL::BIGINT AS n, TRUE AS b"""
    )
    columns = [
        kql.KqlColumn("t", "datetime"),
        kql.KqlColumn("s", "string"),
        kql.KqlColumn("d", "dynamic"),
        kql.KqlColumn("n", "long"),
        kql.KqlColumn("b", "boolean"),
    ]
    [(text,)] = con.execute(f"SELECT {kql.json_object_sql(columns)} FROM t").fetchall()
    assert text == '{"t":"2024-01-02T03:04:05.12Z","s":"Å\\"","d":{"a":[1,null]},"n":null,"b":true}'


def test_result_columns_without_running() -> None:
    con = kql.connect()
    kql.create_table(con, "source", STREAM)
    sql, params = kql.translate("source | extend t = todatetime(createdAt) | project id, t", con)
    assert kql.result_columns(con, sql, params) == (kql.KqlColumn("id", "string"), kql.KqlColumn("t", "datetime"))


def test_sql_beyond_the_limit_is_an_engine_limit_error() -> None:
    con = kql.connect()
    kql.create_table(con, "source", STREAM)
    with pytest.raises(kql.EngineError) as exc:
        kql.translate("source | extend x = tostring(tostring(tostring(id)))", con, max_sql_chars=10_000)
    assert exc.value.kind == "limit"
    assert str(exc.value).startswith("the query translates to 6")
