"""The ready line and server.json: one typed model, validated on read."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from emulator.ready import OWNER_CHILD, OWNER_SERVE, SERVER_FILE, ReadyInfo, ReadyLineError, ServerRecord
from tests.support import sample_ready_line


def ready_dict() -> dict[str, Any]:
    return dict(sample_ready_line())


def test_a_ready_line_round_trips_through_json() -> None:
    ready = ReadyInfo.from_dict(ready_dict())

    again = ReadyInfo.from_json(ready.to_json())

    assert again == ready
    assert again.time_scale == 60.0
    assert "\n" not in ready.to_json()


def test_missing_keys_are_named_miro_token_included() -> None:
    data = ready_dict()
    del data["miro_token"], data["control_token"]

    with pytest.raises(ReadyLineError, match="the ready line lacks control_token, miro_token"):
        ReadyInfo.from_dict(data)


def test_a_mistyped_key_is_named() -> None:
    with pytest.raises(ReadyLineError, match="bound_port must be an integer, not str"):
        ReadyInfo.from_dict({**ready_dict(), "bound_port": "4443"})


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ReadyLineError, match="control_token is empty"):
        ReadyInfo.from_dict({**ready_dict(), "control_token": ""})


def test_keys_of_a_newer_writer_are_ignored() -> None:
    assert ReadyInfo.from_dict({**ready_dict(), "quirks": {"x": "y"}}) == ReadyInfo.from_dict(ready_dict())


def test_text_that_is_not_json_is_a_ready_line_error() -> None:
    with pytest.raises(ReadyLineError, match="the ready line is not JSON"):
        ReadyInfo.from_json(b"Traceback (most recent call last):")


def test_the_control_headers_carry_the_control_token() -> None:
    assert ReadyInfo.from_dict(ready_dict()).control_headers() == {"Authorization": "Bearer ctl"}


def test_server_json_is_written_owner_only_and_read_back(tmp_path: Path) -> None:
    record = ServerRecord(ReadyInfo.from_dict(ready_dict()), 1234, OWNER_CHILD, parent_pid=99)

    path = record.write(tmp_path)

    assert path == tmp_path / SERVER_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ServerRecord.read(tmp_path) == record
    assert not ServerRecord.read(tmp_path).shared  # type: ignore[union-attr]
    assert json.loads(path.read_text())["owner"] == "child"


def test_only_a_cloud_started_with_serve_is_shared() -> None:
    assert ServerRecord(ReadyInfo.from_dict(ready_dict()), 1, OWNER_SERVE).shared


def test_no_server_json_reads_as_none(tmp_path: Path) -> None:
    assert ServerRecord.read(tmp_path) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pid": None}, "pid must be a positive integer"),
        ({"owner": None}, "server.json lacks owner"),
        ({"owner": "someone"}, "owner must be 'serve' or 'child'"),
        ({"parent_pid": "1"}, "parent_pid must be an integer"),
    ],
)
def test_a_server_json_of_another_shape_is_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    body = {**ready_dict(), "pid": 5, "owner": "serve", **change}
    (tmp_path / SERVER_FILE).write_text(json.dumps(body))

    with pytest.raises(ReadyLineError, match=message):
        ServerRecord.read(tmp_path)
