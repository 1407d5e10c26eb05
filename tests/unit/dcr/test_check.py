"""The transform check: the cases Azure refuses, and the samples row for row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from deployer.dcr.check import check_table, check_transform, output_schema_problems
from deployer.dcr.spec import DEFAULT_SAMPLE_NOW, DcrSpec, Sample, TableColumn, TableSpec, load_spec
from deployer.errors import KqlSyntaxError
from kqlengine import KqlColumn
from tests.support import OFFICIAL_MIRO_DIR, requires_shared


@pytest.fixture(scope="module")
def spec() -> DcrSpec:
    return load_spec()


def with_transform(spec: DcrSpec, text: str) -> DcrSpec:
    return dataclasses.replace(spec, transform=text)


def test_the_shipped_transform_passes_every_sample(spec: DcrSpec) -> None:
    result = check_transform(spec)
    assert result.failures == []
    assert result.samples == len(spec.samples) >= 7
    assert len(result.rows) == sum(len(s.rows) for s in spec.samples)


def test_rows_follow_table_column_order(spec: DcrSpec) -> None:
    result = check_transform(spec)
    assert len(result.rows) >= len(spec.samples)
    assert {tuple(row) for row in result.rows} == {spec.table.column_names}


def test_offset_without_colon_gives_the_right_time(spec: DcrSpec) -> None:
    result = check_transform(spec, events=[{"id": "x", "createdAt": "2023-09-01T09:30:10.840+0000"}])
    assert result.rows[0]["TimeGenerated"] == "2023-09-01T09:30:10.84Z"
    assert result.rows[0]["createdAt"] == "2023-09-01T09:30:10.84Z"


def test_arbitrary_events_give_rows_without_samples(spec: DcrSpec) -> None:
    result = check_transform(spec, events=[{"id": "1", "createdAt": "2024-05-01T00:00:00Z", "event": "board_opened"}])
    assert result.ok
    assert result.samples == 0
    assert result.rows[0]["event"] == "board_opened"
    assert result.rows[0]["logType"] == "event"


def test_syntax_error_is_a_usage_error_with_line_and_column(spec: DcrSpec) -> None:
    with pytest.raises(KqlSyntaxError) as exc:
        check_transform(with_transform(spec, "source\n| project id,"), transform_path="t.kql")
    assert (exc.value.line, exc.value.column) == (2, 14)
    assert exc.value.exit_code == 2
    assert str(exc.value) == (
        "t.kql:2:14: mismatched input '<EOF>' (the text ends or breaks off where an expression is expected)"
    )


def test_a_short_syntax_error_is_kept_whole(spec: DcrSpec) -> None:
    with pytest.raises(KqlSyntaxError) as exc:
        check_transform(with_transform(spec, "source | project id id"), transform_path="t.kql")
    assert str(exc.value) == "t.kql:1:21: extraneous input 'id' expecting {<EOF>, ';'}"


def test_output_column_missing_from_the_table_is_invalid_transform_output(spec: DcrSpec) -> None:
    result = check_transform(with_transform(spec, spec.transform + ", extraColumn = 1"), events=[{"id": "a"}])
    assert (
        "output column 'extraColumn' (long) is not in table MiroAuditLogs_CL (Azure: InvalidTransformOutput); "
        "add it to the table or drop it with project"
    ) in result.failures


def test_type_mismatch_is_invalid_transform_output(spec: DcrSpec) -> None:
    text = spec.transform.replace("| project TimeGenerated,", "| extend event = 5\n| project TimeGenerated,")
    result = check_transform(with_transform(spec, text), events=[{"id": "a", "createdAt": "2024-01-01T00:00:00Z"}])
    assert result.failures == [
        "output column 'event' is long but the table column is string (Azure: InvalidTransformOutput); "
        "convert it with tostring()"
    ]


def test_table_columns_the_transform_does_not_produce_are_reported(spec: DcrSpec) -> None:
    text = spec.transform.replace(", details", "")
    result = check_transform(with_transform(spec, text), events=[{"id": "a", "createdAt": "2024-01-01T00:00:00Z"}])
    assert result.failures == [
        "table columns not produced by the transform (they would always be empty): details (dynamic)"
    ]


def test_null_time_generated_is_reported(spec: DcrSpec) -> None:
    text = "source\n| extend TimeGenerated = todatetime(createdAt)\n| project TimeGenerated, id"
    table = dataclasses.replace(
        spec.table, columns=(TableColumn("TimeGenerated", "datetime"), TableColumn("id", "string"))
    )
    result = check_transform(
        dataclasses.replace(spec, transform=text, table=table), events=[{"id": "a", "createdAt": "junk"}]
    )
    assert result.failures == [
        "row 1: TimeGenerated is null (the record would be stored with its ingestion time or dropped)"
    ]


def test_subset_violations_are_failures(spec: DcrSpec) -> None:
    result = check_transform(with_transform(spec, spec.transform + "\n| summarize count() by id"), events=[])
    assert result.failures[0].startswith("transform: line 13, column 3: operator 'summarize' is not allowed")


def test_a_sample_mismatch_names_sample_row_and_column(spec: DcrSpec) -> None:
    text = spec.transform.replace('iif(isempty(type), "event", type)', "type")
    result = check_transform(with_transform(spec, text))
    assert 'sample 01-v2-sign-in-offset-without-colon: row 1: logType: expected "event", got null' in result.failures


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("Type", "column 'Type': 'Type' is a name Azure reserves; rename it (e.g. 'Type_')"),
        ("TenantId", "column 'TenantId': 'TenantId' is a name Azure reserves; rename it (e.g. 'TenantId_')"),
        ("x" * 46, f"column '{'x' * 46}': 46 characters; Azure allows at most 45"),
        (
            "1st",
            "column '1st': names must have 2 or more characters, start with a letter and use only letters, digits and underscores",
        ),
    ],
)
def test_table_column_names_azure_rejects(spec: DcrSpec, column: str, message: str) -> None:
    table = dataclasses.replace(spec.table, columns=(*spec.table.columns, TableColumn(column, "string")))
    assert message in check_table(table)


def test_id_column_is_accepted_like_the_official_solution(spec: DcrSpec) -> None:
    assert check_table(spec.table) == []


def test_table_name_must_end_with_cl(spec: DcrSpec) -> None:
    assert check_table(dataclasses.replace(spec.table, name="MiroAuditLogs")) == [
        "table 'MiroAuditLogs': a custom table name must start with a letter, use letters, digits and underscores, and end with _CL"
    ]


@requires_shared
def test_the_official_solution_table_is_the_same_as_ours(spec: DcrSpec) -> None:
    official = json.loads((OFFICIAL_MIRO_DIR / "MiroAuditLogs_Table.json").read_text())
    columns = [(c["name"], c["type"]) for c in official["properties"]["schema"]["columns"]]
    assert columns == [(c.name, c.type) for c in spec.table.columns]
    assert official["name"] == spec.table.name


@requires_shared
def test_the_official_stream_declaration_is_the_same_as_ours(spec: DcrSpec) -> None:
    [official] = json.loads((OFFICIAL_MIRO_DIR / "MiroAuditLogs_DCR.json").read_text())
    [(name, declaration)] = official["properties"]["streamDeclarations"].items()
    assert name == spec.stream.name
    assert [(c["name"], c["type"]) for c in declaration["columns"]] == [(c.name, c.type) for c in spec.stream.columns]


@requires_shared
def test_the_official_transform_is_valid_kql_for_a_dcr_but_gets_v2_events_wrong(spec: DcrSpec) -> None:
    [official] = json.loads((OFFICIAL_MIRO_DIR / "MiroAuditLogs_DCR.json").read_text())
    transform = official["properties"]["dataFlows"][0]["transformKql"]
    result = check_transform(with_transform(spec, transform))
    assert not [f for f in result.failures if f.startswith(("transform:", "output column", "table columns"))]
    v2 = "sample 01-v2-sign-in-offset-without-colon: row 1:"
    assert (
        f"{v2} TimeGenerated is null (the record would be stored with its ingestion time or dropped)" in result.failures
    )
    assert f'{v2} logType: expected "event", got null' in result.failures
    assert f'{v2} context_team_type: expected "team", got ""' in result.failures
    # The v1-shaped event, which it was written for, passes.
    assert not [f for f in result.failures if "03-v1-board-opened" in f]


def test_an_output_column_of_another_type_names_the_conversion() -> None:
    columns = [KqlColumn("TimeGenerated", "datetime"), KqlColumn("flag", "string"), KqlColumn("n", "string")]

    problems = output_schema_problems(columns, {"TimeGenerated": "datetime", "flag": "boolean", "n": "long"}, "T_CL")

    assert problems == [
        "output column 'flag' is string but the table column is boolean (Azure: InvalidTransformOutput); "
        "convert it with tobool()",
        "output column 'n' is string but the table column is long (Azure: InvalidTransformOutput); "
        "convert it with tolong()",
    ]


def test_a_string_fits_a_guid_column_and_a_null_fits_any() -> None:
    columns = [KqlColumn("TimeGenerated", "null"), KqlColumn("id", "string"), KqlColumn("n", "null")]

    assert output_schema_problems(columns, {"TimeGenerated": "datetime", "id": "guid", "n": "long"}, "T_CL") == []


def test_a_guid_column_takes_no_other_type_than_string() -> None:
    problems = output_schema_problems([KqlColumn("id", "long")], {"id": "guid"}, "T_CL")

    assert problems == [
        "output column 'id' is long but the table column is guid (Azure: InvalidTransformOutput); "
        "convert it with toguid()"
    ]


def test_time_generated_must_be_a_datetime() -> None:
    problems = output_schema_problems([KqlColumn("TimeGenerated", "string")], {"TimeGenerated": "string"}, "T_CL")

    assert problems == ["output column 'TimeGenerated' must be a datetime, not string"]


def test_a_sample_mismatch_shows_both_values_as_written(spec: DcrSpec) -> None:
    sample = Sample(
        name="non-ascii",
        description="",
        events=({"id": "1", "createdAt": "2024-05-01T00:00:00Z", "object": {"name": "Tafel Ørsted"}},),
        rows=({**dict(check_transform(spec, events=[{"id": "1"}]).rows[0]), "object_name": "Tafel Orsted"},),
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )

    result = check_transform(dataclasses.replace(spec, samples=(sample,)))

    assert 'sample non-ascii: row 1: object_name: expected "Tafel Orsted", got "Tafel Ørsted"' in result.failures


def table_of(*columns: tuple[str, str]) -> TableSpec:
    return TableSpec("T_CL", "", tuple(TableColumn(name, kind) for name, kind in columns))


def test_a_table_may_have_500_columns_but_not_501() -> None:
    at_limit = [("TimeGenerated", "datetime"), *((f"c{i:03d}", "string") for i in range(499))]

    assert check_table(table_of(*at_limit)) == []
    assert check_table(table_of(*at_limit, ("extra", "string"))) == [
        "table 'T_CL': 501 columns; Azure allows at most 500"
    ]


def test_a_column_name_of_45_characters_is_allowed_and_46_is_not() -> None:
    assert check_table(table_of(("TimeGenerated", "datetime"), ("a" * 45, "string"))) == []
    assert check_table(table_of(("TimeGenerated", "datetime"), ("a" * 46, "string"))) == [
        f"column '{'a' * 46}': 46 characters; Azure allows at most 45"
    ]


def test_a_column_defined_twice_in_any_case_is_named_once() -> None:
    table = table_of(("TimeGenerated", "datetime"), ("userId", "string"), ("UserID", "string"))

    assert check_table(table) == ["column 'UserID': defined twice (column names are case-insensitive here)"]


def test_a_table_without_time_generated_is_refused() -> None:
    assert check_table(table_of(("id", "string"))) == [
        "column 'TimeGenerated': every table needs a TimeGenerated column of type datetime"
    ]


def test_a_sample_whose_rows_have_other_columns_names_them_once(spec: DcrSpec) -> None:
    produced = dict(check_transform(spec, events=[{"id": "1"}]).rows[0])
    expected = {k: v for k, v in produced.items() if k != "event"} | {"extra": 1}
    sample = Sample("cols", "", ({"id": "1"}, {"id": "2"}), (expected, {**expected, "id": "2"}), DEFAULT_SAMPLE_NOW)

    result = check_transform(dataclasses.replace(spec, samples=(sample,)))

    assert [f for f in result.failures if "columns differ" in f] == [
        "sample cols: columns differ from the expected rows: event, extra"
    ]


def test_a_sample_without_events_leaves_the_others_in_place(spec: DcrSpec) -> None:
    empty = Sample("00-empty", "no events, no rows", (), (), spec.samples[0].now)
    result = check_transform(dataclasses.replace(spec, samples=(empty, *spec.samples)))
    assert result.failures == []
    assert result.samples == len(spec.samples) + 1


def test_in_memory_events_that_are_not_objects_are_reported(spec: DcrSpec) -> None:
    result = check_transform(spec, events=[{"id": "a", "createdAt": "2024-01-01T00:00:00Z"}, 7])  # type: ignore[list-item]
    assert result.failures == ["event 2: a number, not a JSON object (Azure refuses the whole call)"]
    assert [r["id"] for r in result.rows] == ["a"]
