"""The checkpoint: what it remembers, what it refuses to trust, and that a write is all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from deployer.backfill.checkpoint import Checkpoint, CheckpointTarget
from deployer.backfill.timerange import Interval

TARGET = CheckpointTarget("ws-guid", "MiroAuditLogs_CL", "dcr-0123")
DAY = dt.timedelta(days=1)
MONDAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def day(n: int) -> Interval:
    return Interval(MONDAY + n * DAY, MONDAY + (n + 1) * DAY)


def test_done_windows_come_back_merged_in_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "env" / "backfill-checkpoint.json"
    first = Checkpoint.load(path, TARGET)
    for n in (2, 0, 1):
        first.done(day(n))
    again = Checkpoint.load(path, TARGET)
    assert again.covered == [Interval(day(0).start, day(2).end)]
    assert again.ignored is None


def test_a_window_being_sent_is_remembered_with_its_time_until_it_is_done(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    checkpoint = Checkpoint.load(path, TARGET)
    since = MONDAY + dt.timedelta(hours=30)
    checkpoint.start_sending(day(1), since)
    assert Checkpoint.load(path, TARGET).sending == {day(1): since}
    checkpoint.done(day(1))
    assert Checkpoint.load(path, TARGET).sending == {}


def test_a_checkpoint_about_another_dcr_is_ignored_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    Checkpoint.load(path, TARGET).done(day(0))
    other = Checkpoint.load(path, CheckpointTarget("ws-guid", "MiroAuditLogs_CL", "dcr-after-redeploy"))
    assert other.covered == []
    assert other.ignored is not None and "about another table or DCR" in other.ignored


def test_an_unreadable_checkpoint_is_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    path.write_text('{"schema": "miro-sentinel.backfill-checkpoint/1", "cover')
    checkpoint = Checkpoint.load(path, TARGET)
    assert checkpoint.covered == [] and checkpoint.ignored is not None


def test_a_failed_write_leaves_the_previous_checkpoint_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint.json"
    checkpoint = Checkpoint.load(path, TARGET)
    checkpoint.done(day(0))
    before = path.read_text()

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        checkpoint.done(day(1))
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]  # no temporary file left behind
    assert json.loads(before)["covered"] == [["2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"]]
