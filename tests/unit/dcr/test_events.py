"""Event files for dcr test: layouts, gzip, directories and globs, events Azure refuses, and the bounds."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from deployer.dcr import bounds
from deployer.dcr import check as check_module
from deployer.dcr.check import TransformCheck, check_transform
from deployer.dcr.events import find_event_files
from deployer.dcr.spec import DcrSpec, load_spec
from deployer.errors import InputError


@pytest.fixture(scope="module")
def spec() -> DcrSpec:
    return load_spec()


def event(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"e{i}", "event": "board_opened", "createdAt": "2024-05-01T00:00:00Z", **fields}


def check(spec: DcrSpec, path: Path | str) -> tuple[TransformCheck, list[dict[str, Any]]]:
    """Check the events at ``path`` as ``dcr test --events`` does; also returns the rows it printed."""
    rows: list[dict[str, Any]] = []
    result = check_transform(
        spec, event_files=find_event_files(path), row_sink=lambda texts: rows.extend(json.loads(t) for t in texts)
    )
    return result, rows


def write_ndjson(path: Path, events: list[Any]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_an_array_gives_one_row_per_event_in_order(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event(1), event(2)]))
    result, rows = check(spec, path)
    assert result.ok, result.failures
    assert (result.events, result.row_count) == (2, 2)
    assert [r["id"] for r in rows] == ["e1", "e2"]
    assert list(rows[0])[:3] == ["TimeGenerated", "id", "createdAt"]


def test_ndjson_gives_one_row_per_line_and_skips_blank_lines(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(event(1)) + "\n\n" + json.dumps(event(2)) + "\n")
    result, rows = check(spec, path)
    assert result.ok, result.failures
    assert [r["id"] for r in rows] == ["e1", "e2"]


@pytest.mark.parametrize("name", ["events.json.gz", "events-without-suffix"])
def test_gzip_is_read_by_its_content(spec: DcrSpec, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps([event(1), event(2)]).encode()))
    result, rows = check(spec, path)
    assert result.ok, result.failures
    assert [r["id"] for r in rows] == ["e1", "e2"]


def test_a_pretty_printed_miro_page_stands_for_its_events(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(
        json.dumps({"type": "cursor-list", "limit": 100, "size": 2, "data": [event(1), event(2)]}, indent=2)
    )
    result, rows = check(spec, path)
    assert result.ok, result.failures
    assert [r["id"] for r in rows] == ["e1", "e2"]


def test_miro_pages_one_per_line(spec: DcrSpec, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "pages.ndjson", [{"data": [event(1), event(2)]}, {"data": [event(3)]}])
    result, rows = check(spec, path)
    assert result.events == 3
    assert [r["id"] for r in rows] == ["e1", "e2", "e3"]


def test_a_directory_gives_its_event_files_in_name_order(spec: DcrSpec, tmp_path: Path) -> None:
    (tmp_path / "b.ndjson").write_text(json.dumps(event(3)) + "\n")
    (tmp_path / "a.json").write_text(json.dumps([event(1), event(2)]))
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress((json.dumps(event(4)) + "\n").encode()))
    (tmp_path / "notes.txt").write_text("not events")
    result, rows = check(spec, tmp_path)
    assert result.ok, result.failures
    assert [r["id"] for r in rows] == ["e1", "e2", "e3", "e4"]


def test_a_glob_gives_the_files_it_matches(spec: DcrSpec, tmp_path: Path) -> None:
    write_ndjson(tmp_path / "day-1.ndjson", [event(1)])
    write_ndjson(tmp_path / "day-2.ndjson", [event(2)])
    write_ndjson(tmp_path / "other.ndjson", [event(3)])
    _, rows = check(spec, str(tmp_path / "day-*.ndjson"))
    assert [r["id"] for r in rows] == ["e1", "e2"]


def test_an_empty_array_has_no_events_and_passes(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("[]")
    result, rows = check(spec, path)
    assert result.ok
    assert (result.events, rows) == (0, [])


def test_a_malformed_line_in_the_middle_of_a_large_file_is_reported_with_its_place(
    spec: DcrSpec, tmp_path: Path
) -> None:
    path = tmp_path / "events.ndjson"
    lines = [json.dumps(event(i)) for i in range(1, 20_001)]
    lines[10_000] = '{"id": "e10001", "event": '
    path.write_text("\n".join(lines) + "\n")
    result, rows = check(spec, path)
    assert result.failures == [
        f"{path}: event 10,001 (line 10,001): not valid JSON: Expecting value (column 27)",
    ]
    assert (result.events, result.row_count) == (20_000, 19_999)
    assert rows[10_000]["id"] == "e10002"


def test_an_event_that_is_not_an_object_is_reported_and_the_others_are_checked(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event(1), 5, event(3), "text"]))
    result, rows = check(spec, path)
    assert result.failures == [
        f"{path}: event 2: a number, not a JSON object (Azure refuses the whole call)",
        f"{path}: event 4: a string, not a JSON object (Azure refuses the whole call)",
    ]
    assert [r["id"] for r in rows] == ["e1", "e3"]


def test_a_null_time_generated_names_the_file_the_event_and_its_id(spec: DcrSpec, tmp_path: Path) -> None:
    text = "source\n| extend TimeGenerated = todatetime(createdAt)\n| project TimeGenerated, id"
    narrow = load_spec()
    narrow = DcrSpec(narrow.root, narrow.table, narrow.stream, text, narrow.samples)
    path = write_ndjson(tmp_path / "events.ndjson", [event(1), event(2, createdAt="junk"), event(3)])
    result, _ = check(narrow, path)
    assert (
        f'{path}: event 2 (id "e2"): TimeGenerated is null (the record would be stored with its ingestion time or dropped)'
        in result.failures
    )


def test_an_event_larger_than_one_ingestion_call_is_reported(spec: DcrSpec, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "events.ndjson", [event(1), event(2, details={"blob": "x" * bounds.MAX_CALL_BYTES})])
    result, rows = check(spec, path)
    assert result.failures == [
        f'{path}: event 2 (id "e2"): larger than 1,048,576 bytes, the most one Logs Ingestion call carries; '
        "Azure can never accept it"
    ]
    assert [r["id"] for r in rows] == ["e1"]


def test_a_field_longer_than_64_kb_is_reported_as_truncated(spec: DcrSpec, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "events.ndjson", [event(1, details={"blob": "x" * bounds.MAX_FIELD_BYTES})])
    result, _ = check(spec, path)
    assert result.failures == [
        f'{path}: event 1 (id "e1"): details is longer than 64 KB (65,536 bytes); Azure truncates longer field values'
    ]


def test_problems_beyond_the_first_hundred_are_counted(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([1] * 150))
    result, _ = check(spec, path)
    assert len(result.failures) == 101
    assert result.failures[-1] == "... and 50 more problem(s) with single events (the first 100 are listed)"


def test_deep_nesting_in_an_event_is_carried_through_not_a_crash(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        '[{"id": "deep", "createdAt": "2024-05-01T00:00:00Z", "details": ' + "[" * 100_000 + "]" * 100_000 + "}]"
    )
    texts: list[str] = []
    result = check_transform(spec, event_files=find_event_files(path), row_sink=texts.extend)
    assert result.failures == [
        f'{path}: event 1 (id "deep"): details is longer than 64 KB (65,536 bytes); Azure truncates longer field values'
    ]
    assert texts[0].startswith('{"TimeGenerated":"2024-05-01T00:00:00Z","id":"deep",')
    assert texts[0].endswith('"details":' + "[" * 100_000 + "]" * 100_000 + "}")


# --- what makes the whole input unusable: one error, exit 2 ----------------------------------------------


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('[\n{"id": }\n]')
    with pytest.raises(InputError) as exc:
        check(load_spec(), path)
    assert str(exc.value) == f"{path}:2:8: invalid JSON: Expecting value"
    assert exc.value.exit_code == 2


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("  \n")
    with pytest.raises(InputError, match=r"events\.json is empty: it holds no events$"):
        find_event_files(path)


def test_a_file_that_is_not_json_events_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(InputError, match=r"expected JSON events .* but the file starts with b'\\x00'"):
        find_event_files(path)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read .*missing\.json: No such file or directory"):
        find_event_files(tmp_path / "missing.json")


def test_a_glob_matching_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^no files match .*\*\.ndjson$"):
        find_event_files(str(tmp_path / "*.ndjson"))


def test_a_directory_without_event_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"holds no event files \(\*\.json, \*\.ndjson or \*\.jsonl"):
        find_event_files(tmp_path)


def test_a_directory_with_too_many_files_is_refused(tmp_path: Path) -> None:
    for i in range(bounds.MAX_EVENT_FILES + 1):
        (tmp_path / f"{i:05d}.json").touch()
    with pytest.raises(InputError, match=r"more than 10,000 files; dcr test reads at most that many in one run"):
        find_event_files(tmp_path)


def test_a_device_or_pipe_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        with pytest.raises(InputError, match=r"is not a regular file \(a pipe, device or socket\)"):
            find_event_files(path)


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match=r"cannot read .*loop\.json: Too many levels of symbolic links"):
        find_event_files(loop)


def test_more_input_than_the_bound_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b"[")
        handle.truncate(bounds.MAX_INPUT_BYTES + 1)  # sparse: no disk is used
    with pytest.raises(InputError, match=r"more than 4 GiB of events; dcr test reads at most that in one run"):
        find_event_files(path)


def test_more_events_than_the_bound_are_refused(spec: DcrSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounds, "MAX_EVENTS", 10)
    path = write_ndjson(tmp_path / "events.ndjson", [event(i) for i in range(11)])
    with pytest.raises(InputError, match=r"more than 10 events; dcr test checks at most that many in one run"):
        check(spec, path)


def test_a_json_value_beyond_the_bound_is_refused(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text('[{"id": "' + "x" * (3 * bounds.MAX_JSON_VALUE_BYTES) + '"}]')
    with pytest.raises(InputError, match=r"events\.json: a JSON value is larger than 16 MiB"):
        check(spec, path)


def test_events_needing_more_memory_than_the_engine_has_are_refused(
    spec: DcrSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_module, "MEMORY_LIMIT_MIB", 48)
    path = write_ndjson(tmp_path / "events.ndjson", [event(i, details={"blob": "x" * 1_000_000}) for i in range(40)])
    with pytest.raises(InputError, match=r"^the events need more than the 48 MiB of memory dcr test gives its engine"):
        check(spec, path)


def test_broken_events_are_reported_before_a_broken_transform(spec: DcrSpec, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("[{")
    broken = DcrSpec(spec.root, spec.table, spec.stream, "source\n| project id,", spec.samples)
    with pytest.raises(InputError, match=r"events\.json:1:3: invalid JSON"):
        check(broken, path)
