"""No orphaned local clouds: the emulator a command starts ends with it, however the command ends.

Issue 14, item 5: after SIGTERM, SIGHUP or kill -9 of a command that had started the local cloud, its
emulator kept running and later commands silently attached to it. Here the real ``deploy --env
local`` is killed with each signal once its local cloud is up; the emulator must be gone within a
bounded time, and the next run must start its own, cleanly. The emulator's environment must hold
none of the operator's credentials.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from deployer.config import LocalSettings
from deployer.errors import LocalEnvironmentError
from deployer.local import LocalCloud
from emulator.ready import SERVER_FILE, ServerRecord
from tests.support import REPO_ROOT, sample_ready_line

#: How long an emulator may take to notice that its command has ended and stop cleanly.
GONE_WITHIN_SECONDS = 30.0

SETTINGS = """
cloud = "local"
engine = "arm"

[local]
state_dir = "{state_dir}"
time_scale = 120
"""

#: In the deployer's environment; none may reach the emulator's.
CREDENTIALS = {
    "MIRO_ACCESS_TOKEN": "miro-canary-orphans",
    "AZURE_CLIENT_SECRET": "azure-canary-orphans",
    "ARM_CLIENT_SECRET": "arm-canary-orphans",
    "MIRO_SENTINEL_LOCAL_TIME_SCALE": "120",
}


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its new parent to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_until_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def read_until(stream: IO[str], prefix: str, timeout: float = 120.0) -> list[str]:
    """Lines of ``stream`` up to the first that starts with ``prefix``."""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if not ready:
            continue
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no line starting {prefix!r} within {timeout:g} s: {lines}")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "local.toml").write_text(SETTINGS.format(state_dir=tmp_path / "state"))
    return tmp_path


def operator_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRO_", "AZURE_", "ARM_"))}
    return {**env, "PYTHONPATH": str(REPO_ROOT), **CREDENTIALS}


def deploy(workdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deployer", "deploy", "--env", "local"],
        cwd=workdir,
        env=operator_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_deploy_once_its_cloud_is_up(
    workdir: Path, emulators: list[int], signum: signal.Signals
) -> tuple[int, ServerRecord, dict[str, str]]:
    """Run ``deploy --env local`` and send it ``signum`` once its local cloud is ready.

    Returns the command's pid, its cloud's server.json and the cloud's environment (read while it ran).
    """
    command = deploy(workdir)
    try:
        assert command.stderr is not None
        read_until(command.stderr, "local cloud: ready at")
        record = ServerRecord.read(workdir / "state")
        assert record is not None
        emulators.append(record.pid)
        environment = environment_of(record.pid)
        command.send_signal(signum)
        command.wait(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        if command.stderr is not None:
            command.stderr.close()
    return command.pid, record, environment


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode("utf-8", "replace").split("\0") if "=" in entry)


@pytest.fixture
def emulators() -> Iterator[list[int]]:
    """Emulator pids a test saw; any still running afterwards is stopped (by its id) and fails the test."""
    seen: list[int] = []
    yield seen
    left = [pid for pid in seen if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "an emulator outlived its test"


def local_settings(workdir: Path) -> LocalSettings:
    return LocalSettings(state_dir=str(workdir / "state"), time_scale=120)


def start_and_close(workdir: Path, emulators: list[int]) -> tuple[list[str], ServerRecord]:
    """Start the local cloud as a command does, then close it: its progress lines and its server.json."""
    progress: list[str] = []
    cloud = LocalCloud.start(local_settings(workdir), environ=operator_environment(), progress=progress.append)
    try:
        record = ServerRecord.read(workdir / "state")
        assert record is not None
        emulators.append(record.pid)
    finally:
        cloud.close()
    return progress, record


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to see a process's environment")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_the_local_cloud_ends_with_the_deploy_that_started_it(
    workdir: Path, emulators: list[int], signum: signal.Signals
) -> None:
    state_dir = workdir / "state"

    pid, record, environment = kill_deploy_once_its_cloud_is_up(workdir, emulators, signum)

    assert (record.owner, record.parent_pid) == ("child", pid)
    assert sorted(k for k in environment if k.startswith(("MIRO", "AZURE", "ARM_"))) == []
    assert not any(secret in "\0".join(environment.values()) for secret in CREDENTIALS.values() if secret != "120")
    assert wait_until_gone(record.pid, GONE_WITHIN_SECONDS), f"the emulator outlived {signum.name} of its command"
    assert not (state_dir / SERVER_FILE).exists(), "it stopped cleanly, removing server.json"

    progress, _ = start_and_close(workdir, emulators)
    assert progress[0].startswith("local cloud: starting"), "the next run starts its own cloud"


@pytest.mark.slow
def test_a_deploy_after_a_killed_one_converges(workdir: Path, emulators: list[int]) -> None:
    _, record, _ = kill_deploy_once_its_cloud_is_up(workdir, emulators, signal.SIGKILL)
    assert wait_until_gone(record.pid, GONE_WITHIN_SECONDS)

    done = subprocess.run(
        [sys.executable, "-m", "deployer", "deploy", "--env", "local"],
        cwd=workdir,
        env=operator_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "local cloud: starting" in done.stderr
    assert "already running" not in done.stderr


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to see a process's environment")
def test_the_emulator_a_command_starts_gets_no_credentials(workdir: Path, emulators: list[int]) -> None:
    environ = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **CREDENTIALS, "MIRO_SENTINEL_ENV": "prod"}
    cloud = LocalCloud.start(local_settings(workdir), environ=environ, progress=lambda _line: None)
    record = ServerRecord.read(workdir / "state")
    assert record is not None
    emulators.append(record.pid)
    try:
        environment = environment_of(record.pid)
    finally:
        cloud.close()

    assert environment == {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_record(state_dir: Path, **fields: Any) -> None:
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state_dir / SERVER_FILE).write_text(json.dumps({**sample_ready_line("https://127.0.0.1:9"), **fields}))


def test_a_leftover_server_json_of_a_dead_cloud_is_removed_and_a_new_one_started(
    workdir: Path, emulators: list[int]
) -> None:
    write_record(workdir / "state", pid=dead_pid(), owner="serve", parent_pid=None)

    progress, record = start_and_close(workdir, emulators)

    assert progress[0].startswith("local cloud: starting")
    assert record.owner == "child" and record.ready.arm_endpoint != "https://127.0.0.1:9"


def test_a_cloud_another_running_command_started_is_never_attached_to(workdir: Path) -> None:
    other_command = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    its_cloud = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_record(workdir / "state", pid=its_cloud.pid, owner="child", parent_pid=other_command.pid)
        with pytest.raises(LocalEnvironmentError) as caught:
            LocalCloud.start(local_settings(workdir), environ=operator_environment(), progress=lambda _line: None)
    finally:
        for process in (other_command, its_cloud):
            process.kill()
            process.wait()

    assert caught.value.message == (
        f"the local cloud in {workdir / 'state'} belongs to another command (process {other_command.pid}), "
        "which is still running"
    )
    assert "miro-sentinel emulator serve" in caught.value.remedy
    assert caught.value.exit_code == 3


def test_a_leftover_server_json_of_a_child_whose_command_ended_is_cleaned(workdir: Path, emulators: list[int]) -> None:
    write_record(workdir / "state", pid=dead_pid(), owner="child", parent_pid=dead_pid())

    progress, _ = start_and_close(workdir, emulators)

    assert progress[0].startswith("local cloud: starting")


def test_closing_the_command_stops_its_cloud_cleanly(workdir: Path, emulators: list[int]) -> None:
    cloud = LocalCloud.start(local_settings(workdir), environ=operator_environment(), progress=lambda _line: None)
    record = ServerRecord.read(workdir / "state")
    assert record is not None
    emulators.append(record.pid)

    cloud.close()

    assert not running(record.pid)
    assert not (workdir / "state" / SERVER_FILE).exists()
