"""Loading dcr/: shapes, errors that name the file and place, and agreement between the files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployer.dcr.spec import load_events, load_spec, load_stream, load_table
from deployer.errors import InputError


def test_shipped_files_load() -> None:
    spec = load_spec()
    assert spec.table.name == "MiroAuditLogs_CL"
    assert len(spec.table.columns) == 20
    assert spec.stream.name == "Custom-MiroAuditLogs_CL"
    assert spec.output_stream == "Custom-MiroAuditLogs_CL"
    assert spec.transform.startswith("source\n")
    assert not spec.transform.endswith("\n")


def test_transform_reads_only_declared_stream_columns() -> None:
    spec = load_spec()
    declared = {c.name for c in spec.stream.columns}
    for name in ("createdAt", "createdBy", "context", "object", "details", "type", "event", "category", "id"):
        assert name in declared
        assert name in spec.transform


def test_events_from_a_miro_page_object(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text('{"type": "cursor-list", "limit": 100, "size": 1, "cursor": "c", "data": [{"id": "1"}]}')
    assert load_events(page) == [{"id": "1"}]


def test_events_must_be_objects(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('[{"id": "1"}, 5]')
    with pytest.raises(InputError, match=r"e.json: event \[1\] is a int, not a JSON object"):
        load_events(path)


def test_events_must_be_an_array_or_a_page(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('{"id": "1"}')
    with pytest.raises(InputError, match="expected a JSON array of Miro audit events or a Miro page object"):
        load_events(path)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('[\n{"id": }\n]')
    with pytest.raises(InputError) as exc:
        load_events(path)
    assert str(exc.value) == f"{path}:2:8: invalid JSON: Expecting value"
    assert exc.value.exit_code == 2


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read .*missing\.json: No such file or directory"):
        load_events(tmp_path / "missing.json")


def test_table_with_unknown_column_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"name": "X_CL", "columns": [{"name": "a", "type": "text"}]}')
    with pytest.raises(InputError) as caught:
        load_table(path)
    assert caught.value.message == (
        f"{path}: columns[0] (a): 'text' is not a table column type Azure accepts "
        "(string, int, long, real, boolean, dateTime, guid, dynamic)"
    )


@pytest.mark.parametrize("spelling", ["bool", "double", "timespan", "decimal", "uniqueid", " string"])
def test_a_table_takes_only_the_types_the_tables_api_accepts(tmp_path: Path, spelling: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"name": "X_CL", "columns": [{"name": "a", "type": spelling}]}))
    with pytest.raises(InputError, match="is not a table column type Azure accepts"):
        load_table(path)


def test_a_stream_takes_only_the_types_a_dcr_accepts(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"name": "Custom-X", "columns": [{"name": "a", "type": "guid"}]}')
    with pytest.raises(InputError) as caught:
        load_stream(path)
    assert caught.value.message == (
        f"{path}: columns[0] (a): 'guid' is not a stream column type Azure accepts "
        "(string, int, long, real, boolean, datetime, dynamic)"
    )


def test_column_types_are_compared_without_regard_to_case(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    columns = [{"name": "a", "type": "DateTime"}, {"name": "b", "type": "BOOLEAN"}, {"name": "c", "type": "Guid"}]
    path.write_text(json.dumps({"name": "X_CL", "columns": columns}))
    assert [c.type for c in load_table(path).columns] == ["datetime", "boolean", "guid"]


def test_stream_name_must_be_custom(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"name": "Microsoft-X", "columns": [{"name": "a", "type": "string"}]}')
    with pytest.raises(InputError, match="must be a custom stream name starting with 'Custom-'"):
        load_stream(path)
