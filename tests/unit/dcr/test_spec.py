"""Loading dcr/: shapes, errors that name the file and place, and agreement between the files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from deployer.dcr import bounds
from deployer.dcr.spec import load_samples, load_spec, load_stream, load_table, load_transform
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


def test_a_missing_connector_template_names_the_file(tmp_path: Path) -> None:
    spec = dataclasses.replace(load_spec(), root=tmp_path)

    with pytest.raises(InputError) as exc:
        spec.template("poller.json")

    path = tmp_path / "connector" / "poller.json"
    assert (str(exc.value), exc.value.path) == (f"cannot read {path}: No such file or directory", str(path))


def test_a_connector_template_is_read_as_utf8(tmp_path: Path) -> None:
    (tmp_path / "connector").mkdir()
    (tmp_path / "connector" / "definition.json").write_bytes('{"title": "Miro — Ørsted"}'.encode())
    spec = dataclasses.replace(load_spec(), root=tmp_path)

    assert spec.template("definition.json") == '{"title": "Miro — Ørsted"}'


@pytest.mark.parametrize(
    ("loader", "text", "message"),
    [
        (load_table, '{"name": "T_CL", "columns": "id"}', "expected an object with a non-empty 'columns' list (table)"),
        (load_table, '{"name": "T_CL", "columns": []}', "expected an object with a non-empty 'columns' list (table)"),
        (load_table, '{"name": "T_CL", "columns": [{"name": 1, "type": "string"}]}', "columns[0] needs a string 'name' and 'type'"),
        (load_table, '{"name": "T_CL", "columns": [{"name": "a"}]}', "columns[0] needs a string 'name' and 'type'"),
        (load_table, '{"columns": [{"name": "a", "type": "string"}]}', "'name' must be the table name"),
        (load_stream, "[]", "expected an object with a non-empty 'columns' list (stream)"),
    ],
)  # fmt: skip
def test_a_malformed_definition_is_refused_naming_the_file(
    tmp_path: Path, loader: Callable[[Path], object], text: str, message: str
) -> None:
    path = tmp_path / "definition.json"
    path.write_text(text)

    with pytest.raises(InputError) as exc:
        loader(path)

    assert (str(exc.value), exc.value.path, exc.value.exit_code) == (f"{path}: {message}", str(path), 2)


def test_a_table_keeps_its_description_and_canonical_column_types(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text('{"name": "T_CL", "description": "d", "columns": [{"name": "ok", "type": "Boolean"}]}')

    table = load_table(path)

    assert (table.description, table.columns[0].type) == ("d", "boolean")


@pytest.mark.parametrize(
    "text", ['{"events": []}', '{"rows": []}', "[]", '{"events": {}, "rows": []}', '{"events": [], "rows": {}}']
)
def test_a_sample_needs_events_and_rows(tmp_path: Path, text: str) -> None:
    (tmp_path / "s.json").write_text(text)

    with pytest.raises(InputError) as exc:
        load_samples(tmp_path)

    assert (str(exc.value), exc.value.path) == (
        f"{tmp_path / 's.json'}: a sample needs 'events' and 'rows' lists",
        str(tmp_path / "s.json"),
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-01-02T03:04:05Z", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("2026-01-02T03:04:05", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("2026-01-02T03:04:05+02:00", dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=dt.UTC)),
        (None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_a_samples_now_is_an_aware_time(tmp_path: Path, now: str | None, expected: dt.datetime) -> None:
    (tmp_path / "01-a.json").write_text(json.dumps({"description": "about a", "events": [], "rows": [], "now": now}))

    [sample] = load_samples(tmp_path)

    assert (sample.name, sample.description, sample.now) == ("01-a", "about a", expected)
    assert sample.now.tzinfo is not None


def test_a_samples_now_must_be_iso_8601(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"events": [], "rows": [], "now": "yesterday"}')

    with pytest.raises(InputError) as exc:
        load_samples(tmp_path)

    assert (str(exc.value), exc.value.path) == (
        f"{tmp_path / 's.json'}: 'now' must be an ISO 8601 datetime",
        str(tmp_path / "s.json"),
    )


def test_a_missing_transform_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_transform(tmp_path / "transform.kql")

    path = tmp_path / "transform.kql"
    assert (str(exc.value), exc.value.path) == (f"cannot read {path}: No such file or directory", str(path))


def test_a_transform_longer_than_azure_allows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_text("source | extend x = '" + "a" * bounds.MAX_TRANSFORM_CHARS + "'")
    with pytest.raises(InputError) as exc:
        load_transform(path)
    assert str(exc.value) == f"{path}: 15,382 characters; Azure allows at most 15,360 in a transformation"
    assert exc.value.exit_code == 2


def test_a_binary_transform_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_bytes(b"source\xff\xfe\x00")
    with pytest.raises(InputError, match=r"t\.kql is not UTF-8 text$"):
        load_transform(path)


def test_a_transform_that_is_not_a_regular_file_is_refused_without_reading_it() -> None:
    with pytest.raises(InputError, match=r"^/dev/zero is not a regular file"):
        load_transform(Path("/dev/zero"))


def test_a_table_file_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"table\.json: JSON nested too deeply to read$"):
        load_table(path)


def test_a_table_file_too_large_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text(" " * (bounds.MAX_DEFINITION_BYTES + 1))
    with pytest.raises(InputError, match=r"table\.json: larger than 1,048,576 bytes, the most dcr test reads"):
        load_table(path)
