"""One run per environment: a second run waits or stops naming the holder; a dead holder blocks nobody."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from deployer.errors import EXIT_EXTERNAL, EnvironmentLocked, HostError
from deployer.locking import LOCK_FILE, Holder, environment_lock, read_holder
from tests.support import REPO_ROOT


def lock(
    directory: Path,
    command: str = "deploy",
    wait: float = 0.0,
    *,
    lines: list[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> AbstractContextManager[Holder]:
    shown = lines if lines is not None else []
    return environment_lock(
        directory, env_name="prod", command=command, wait_seconds=wait, progress=shown.append, sleep=sleep, clock=clock
    )


def holder_of(directory: Path) -> Holder:
    holder = read_holder(directory)
    assert holder is not None
    return holder


def test_the_holder_is_written_while_held_and_cleared_after(tmp_path: Path) -> None:
    with lock(tmp_path / "prod"):
        holder = holder_of(tmp_path / "prod")
        assert (holder.pid, holder.command) == (os.getpid(), "deploy")
        assert oct((tmp_path / "prod" / LOCK_FILE).stat().st_mode & 0o777) == "0o600"
    assert read_holder(tmp_path / "prod") is None


def test_a_second_run_stops_at_once_naming_the_holder_and_since_when(tmp_path: Path) -> None:
    with lock(tmp_path / "prod", "destroy"):
        since = holder_of(tmp_path / "prod").since
        with pytest.raises(EnvironmentLocked) as exc, lock(tmp_path / "prod"):
            pass
    assert exc.value.exit_code == EXIT_EXTERNAL
    assert exc.value.message == (
        f"environment 'prod' is locked by `miro-sentinel destroy` (pid {os.getpid()}) since {since}; "
        "two runs must not change it at once"
    )
    assert "lock.wait_seconds" in exc.value.remedy


def test_a_second_run_waits_and_says_so_once_then_proceeds(tmp_path: Path) -> None:
    with ExitStack() as first:
        first.enter_context(lock(tmp_path / "prod"))
        lines: list[str] = []
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if len(sleeps) == 3:
                first.close()  # the first run finishes while the second waits

        with lock(tmp_path / "prod", wait=600, lines=lines, sleep=sleep):
            assert holder_of(tmp_path / "prod").pid == os.getpid()
    assert len(sleeps) == 3
    assert len(lines) == 1
    assert lines[0].startswith(f"waiting for `miro-sentinel deploy` (pid {os.getpid()}) since ")
    assert lines[0].endswith("to finish with 'prod' (up to 600 s, lock.wait_seconds)")


def test_waiting_ends_with_the_holder_named_when_it_does_not_finish(tmp_path: Path) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with (
        lock(tmp_path / "prod"),
        pytest.raises(EnvironmentLocked),
        lock(tmp_path / "prod", wait=5, sleep=sleep, clock=lambda: now[0]),
    ):
        pass
    assert now[0] == 5


HOLDER = """
import sys, time
from pathlib import Path
from deployer.locking import environment_lock
with environment_lock(Path(sys.argv[1]), env_name="prod", command="deploy", wait_seconds=0, progress=print):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_holder_killed_with_sigkill_leaves_a_lock_the_next_run_takes(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "prod")], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(EnvironmentLocked) as exc, lock(tmp_path / "prod"):
            pass
        assert f"(pid {holder.pid})" in exc.value.message
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert holder_of(tmp_path / "prod").pid == holder.pid  # its line is left
    with lock(tmp_path / "prod"):
        assert holder_of(tmp_path / "prod").pid == os.getpid()


def test_a_lock_held_before_its_holder_line_is_written_is_reported_as_starting(tmp_path: Path) -> None:
    import fcntl

    (tmp_path / "prod").mkdir()
    fd = os.open(tmp_path / "prod" / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(EnvironmentLocked) as exc, lock(tmp_path / "prod"):
            pass
    finally:
        os.close(fd)
    assert "locked by a run that has just taken the lock (it has not named itself yet)" in exc.value.message


def test_a_lock_directory_that_cannot_be_made_is_a_host_error(tmp_path: Path) -> None:
    (tmp_path / "prod").write_text("a file where the directory should be")
    with pytest.raises(HostError) as exc, lock(tmp_path / "prod"):
        pass
    assert exc.value.message.startswith(f"cannot create the lock file of environment 'prod' in {tmp_path / 'prod'}")


def test_time_is_not_spent_when_the_lock_is_free(tmp_path: Path) -> None:
    sleeps: list[float] = []
    with lock(tmp_path / "prod", wait=600, sleep=sleeps.append):
        pass
    assert sleeps == []
