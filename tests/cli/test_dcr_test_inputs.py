"""`dcr test` on real event files, and on inputs beyond a bound: one line, exit 2, never "bug"."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from tests.cli.conftest import CliRunner, Run


def event(i: int) -> dict[str, object]:
    return {"id": f"e{i}", "event": "board_opened", "createdAt": "2024-05-01T00:00:00.000+0000"}


def refused(run: Run, message: str) -> None:
    """The run failed as bad input does: exit 2, ``error: <message>`` and a hint, nothing else."""
    assert run.code == 2, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0] == f"error: {message}", lines
    assert len(lines) == 2 and lines[1].startswith("hint: "), lines
    assert run.stdout == ""


def test_gzipped_ndjson_gives_its_rows_as_json(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(event(i)) + "\n" for i in range(3)).encode()))
    run = cli("dcr", "test", "--events", str(path), "--output", "json")
    assert run.code == 0, run.stderr
    rows = json.loads(run.stdout)
    assert [r["id"] for r in rows] == ["e0", "e1", "e2"]
    assert rows[0]["TimeGenerated"] == "2024-05-01T00:00:00Z"


def test_a_directory_is_summarised_in_text(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([event(1), event(2)]))
    (tmp_path / "b.ndjson").write_text(json.dumps(event(3)) + "\n")
    run = cli("dcr", "test", "--events", str(tmp_path))
    assert run.code == 0, run.stderr
    assert run.stdout.startswith(f"dcr test: 3 rows from 3 events ({tmp_path}) → table MiroAuditLogs_CL (20 columns)")


def test_a_malformed_event_fails_the_check_with_its_place_and_keeps_the_other_rows(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(event(1)) + "\n" + '{"id": "e2",\n' + json.dumps(event(3)) + "\n")
    run = cli("dcr", "test", "--events", str(path), "--output", "json")
    assert run.code == 1
    assert [r["id"] for r in json.loads(run.stdout)] == ["e1", "e3"]
    assert run.stderr.splitlines()[0] == (
        f"FAIL {path}: event 2 (line 2): not valid JSON: Expecting property name enclosed in double quotes (column 13)"
    )


def test_an_empty_file_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("")
    refused(cli("dcr", "test", "--events", str(path)), f"{path} is empty: it holds no events")


def test_dev_zero_as_events_is_refused(cli: CliRunner) -> None:
    refused(
        cli("dcr", "test", "--events", "/dev/zero"),
        "/dev/zero is not a regular file (a pipe, device or socket); dcr test reads files of a known size",
    )


def test_a_pipe_as_events_is_refused_without_waiting_for_a_writer(cli: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    refused(
        cli("dcr", "test", "--events", str(fifo)),
        f"{fifo} is not a regular file (a pipe, device or socket); dcr test reads files of a known size",
    )


def test_a_glob_matching_nothing_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    refused(cli("dcr", "test", "--events", str(tmp_path / "*.json")), f"no files match {tmp_path / '*.json'}")


def test_a_symlink_loop_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    loop = tmp_path / "events.json"
    loop.symlink_to(loop)
    refused(cli("dcr", "test", "--events", str(loop)), f"cannot read {loop}: Too many levels of symbolic links")


def test_a_directory_of_too_many_files_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    for i in range(10_001):
        (tmp_path / f"{i:05d}.json").touch()
    refused(
        cli("dcr", "test", "--events", str(tmp_path)),
        f"{tmp_path}: more than 10,000 files; dcr test reads at most that many in one run",
    )


def test_deeply_nested_json_in_an_event_is_checked_not_a_crash(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text('[{"id": "deep", "details": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    run = cli("dcr", "test", "--events", str(path))
    assert run.code == 1
    assert f'FAIL {path}: event 1 (id "deep"): details is longer than 64 KB' in run.stdout
    assert "bug" not in run.stderr


def test_deeply_nested_json_in_a_table_file_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    refused(cli("dcr", "test", "--table", str(path)), f"{path}: JSON nested too deeply to read")


def test_a_megabyte_transform_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_text("source\n" + "| extend x = 1\n" * 70_000)
    refused(
        cli("dcr", "test", "--transform", str(path)),
        f"{path}: more than 15,360 characters; Azure allows at most 15,360 in a transformation",
    )


def test_a_binary_transform_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_bytes(bytes(range(256)))
    refused(cli("dcr", "test", "--transform", str(path)), f"{path} is not UTF-8 text")


def test_two_hundred_nested_parentheses_are_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_text("source | extend x = " + "(" * 200 + "1" + ")" * 200)
    refused(
        cli("dcr", "test", "--transform", str(path)),
        f"{path}: brackets nest 200 levels deep; dcr test checks transforms nested at most 32 deep",
    )


def test_a_very_long_chain_of_operators_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_text("source | extend x = " + "+".join(["1"] * 3_000))
    refused(
        cli("dcr", "test", "--transform", str(path)), f"{path}: the query nests deeper than the engine can translate"
    )


def test_a_transform_whose_sql_explodes_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.kql"
    path.write_text("source | extend x = " + "tostring(" * 5 + "id" + ")" * 5)
    run = cli("dcr", "test", "--transform", str(path))
    assert run.code == 2
    assert run.stderr.startswith(f"error: {path}: the query translates to 4,414,")
    assert "characters of SQL, more than the 262,144 the engine plans in reasonable time and memory" in run.stderr


def test_a_broken_file_after_good_ones_prints_no_rows_only_the_error_document(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_text(json.dumps(event(1)) + "\n")
    (tmp_path / "b.json").write_text("[{")
    run = cli("dcr", "test", "--events", str(tmp_path), "--output", "json")
    assert run.code == 2
    document = json.loads(run.stdout)
    assert document["error"]["message"] == (
        f"{tmp_path / 'b.json'}:1:3: invalid JSON: Expecting property name enclosed in double quotes"
    )
