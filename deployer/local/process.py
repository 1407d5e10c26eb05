"""Supervising the local cloud's process for ``cloud = "local"``: the one place that starts (or finds) it.

``LocalCloud.start`` attaches to an emulator already serving the state directory when it was started
explicitly (``miro-sentinel emulator serve``, ``"owner": "serve"`` in its ``server.json``), or starts
one as a child process and stops it again on ``close``. A child ends with the command that started
it, however that command ends (it watches a pipe on its standard input; SIGKILL closes it too), so
no local cloud is left behind; and no other command attaches to it. Everything lives in
``local.state_dir`` (``.miro-sentinel/local``, git-ignored, 0700): certificates, the DuckDB store,
and ``server.json`` (:class:`emulator.ready.ServerRecord`), which says where a running emulator
listens and holds its control token.

The child gets a clean environment: what Python needs to run, none of the operator's credentials
(no ``MIRO_*``, ``AZURE_*`` or ``ARM_*`` variable), so nothing the emulator serves can reveal them.

Talking to a running local cloud (its control API) is :mod:`deployer.local.control`; what a deployment
to it needs (endpoints, credential, settings) is :mod:`deployer.local.profile`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path

import requests

from deployer.config import LocalSettings
from deployer.errors import ConfigError, ConfigProblem, LocalEnvironmentError
from deployer.provision import ProgressCallback
from deployer.redaction import register_secrets
from emulator.ready import SERVER_FILE, ReadyInfo, ReadyLineError, ServerRecord
from emulator.statedir import StateDirError, ensure_private_dir

__all__ = ["LocalCloud", "serve"]

LOG_FILE = "emulator.log"

#: What the local cloud's process inherits from ours: enough to run Python, no credential of any kind.
_CHILD_ENV = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV",
     "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PYTHONUTF8", "PYTHONIOENCODING"}
)  # fmt: skip
#: How long a child whose command has ended may take to notice and stop, before we start another.
_CHILD_EXIT_SECONDS = 15.0


class LocalCloud:
    """A running local cloud: its ready information, and the child process when we started it."""

    def __init__(self, ready: ReadyInfo, *, process: subprocess.Popen[bytes] | None, state_dir: Path) -> None:
        # Its own secrets are secrets too: masked wherever they might be quoted.
        register_secrets((ready.client_secret, ready.miro_token, ready.control_token))
        self.ready = ready
        self._process = process
        self._state_dir = state_dir

    # --- starting and stopping ----------------------------------------------------------------------

    @classmethod
    def start(cls, settings: LocalSettings, *, environ: Mapping[str, str], progress: ProgressCallback) -> LocalCloud:
        """Attach to the emulator ``emulator serve`` runs on ``settings.state_dir``, or start our own.

        :param environ: our process environment; the child gets only what Python needs of it.
        :raises ConfigError: the state directory cannot be made private (another user's, not a directory).
        :raises LocalEnvironmentError: another command's local cloud uses the state directory, or ours did
            not start within ``startup_timeout_seconds``.
        """
        state_dir = Path(settings.state_dir).resolve()
        try:
            ensure_private_dir(state_dir)
        except StateDirError as exc:
            raise ConfigError(
                [ConfigProblem("settings", "local.state_dir", str(exc))],
                remedy="set local.state_dir to a directory of your own",
            ) from None
        running = _running(state_dir)
        if running is not None:
            progress(f"local cloud: using the one already running at {running.arm_endpoint}")
            return cls(running, process=None, state_dir=state_dir)
        progress(f"local cloud: starting (state in {_shown(state_dir)})")
        command = [
            sys.executable, "-m", "emulator", "serve", "--state-dir", str(state_dir),
            "--time-scale", f"{settings.time_scale:g}", "--seed", str(settings.seed),
            "--role-propagation-seconds", f"{settings.role_propagation_seconds:g}",
            "--ingestion-latency-seconds", f"{settings.ingestion_latency_seconds:g}",
            "--parent-pid", str(os.getpid()),
        ]  # fmt: skip
        log = os.open(state_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            # Its standard input is a pipe we hold until close(): when we end, however we end, it sees
            # end of file and stops. Its own session: a Ctrl-C meant for us reaches it only through us.
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=_child_environment(environ),
                start_new_session=True,
            )
        finally:
            os.close(log)
        ready = _read_ready_line(process, settings.startup_timeout_seconds, state_dir)
        cloud = cls(ready, process=process, state_dir=state_dir)
        progress(f"local cloud: ready at {ready.arm_endpoint}")
        return cloud

    def close(self) -> None:
        """Stop the emulator if this process started it (its state stays in the state directory)."""
        process, self._process = self._process, None
        if process is None:
            return
        _stop_child(process)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The local cloud's environment: ``environ`` without anything but what Python needs."""
    return {k: v for k, v in environ.items() if k in _CHILD_ENV or k.startswith("LC_")}


def _running(state_dir: Path) -> ReadyInfo | None:
    """The ready info of a shared emulator (``emulator serve``) serving ``state_dir``, if one answers.

    A leftover ``server.json`` of a dead emulator is removed. A child of another command is never
    attached to: while its command runs it is refused; once its command has ended, it is waited for.
    """
    try:
        record = ServerRecord.read(state_dir)
    except ReadyLineError:
        record = None  # not one this version wrote: nothing to attach to
        with contextlib.suppress(OSError):
            (state_dir / SERVER_FILE).unlink()
    if record is None:
        return None
    if not record.shared:
        if record.parent_pid is not None and _alive(record.parent_pid) and _alive(record.pid):
            raise LocalEnvironmentError(
                f"the local cloud in {_shown(state_dir)} belongs to another command (process {record.parent_pid}), "
                "which is still running",
                remedy="wait for that command to finish; to share one local cloud, run `miro-sentinel emulator serve`",
            )
        _wait_gone(record.pid, _CHILD_EXIT_SECONDS)
    if not _alive(record.pid):
        with contextlib.suppress(OSError):
            (state_dir / SERVER_FILE).unlink()
        return None
    if not record.shared:
        return None
    try:
        answer = requests.get(
            f"{record.ready.control_endpoint}/info",
            headers=record.ready.control_headers(),
            verify=record.ready.ca_cert,
            timeout=5,
        )
    except requests.RequestException:
        return None
    return record.ready if answer.status_code == 200 else None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs; a zombie (ended, not yet reaped by its new parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the signal test is all there is
    return state not in ("Z", "X")


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def _stop_child(process: subprocess.Popen[bytes]) -> None:
    """End our emulator: end of input first (it stops cleanly), then SIGTERM, then SIGKILL."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for stop, wait in ((None, 30.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, None)):
        if stop is not None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(stop)
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        process.stdout.close()


def _read_ready_line(process: subprocess.Popen[bytes], timeout: float, state_dir: Path) -> ReadyInfo:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        chunk = process.stdout.readline()
        if chunk:
            line += chunk
            if line.endswith(b"\n"):
                break
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.02)
    try:
        return ReadyInfo.from_json(line)
    except ReadyLineError as exc:
        _stop_child(process)
        tail = _log_tail(state_dir / LOG_FILE)
        if line.strip():  # it did start, but speaks another version's language
            raise LocalEnvironmentError(
                f"the local cloud's ready line is not understood: {exc}",
                remedy="reinstall miro-sentinel so the deployer and its local cloud are the same version",
            ) from None
        user = _other_user(tail)
        if user is not None:
            raise LocalEnvironmentError(
                f"the local cloud could not start: its state directory {_shown(state_dir)} is in use by {user}",
                remedy="wait for that command to finish, or keep one local cloud for every command with "
                "`miro-sentinel emulator serve` in another terminal (do not delete the directory while it is used)",
            ) from None
        raise LocalEnvironmentError(
            f"the local cloud did not start within {timeout:g} s{': ' + tail if tail else ''}",
            remedy=f"read {_shown(state_dir / LOG_FILE)}; or delete {_shown(state_dir)} to start from scratch",
        ) from None


def _other_user(log_tail: str) -> str | None:
    """Another process holding the local cloud's store, as its start-up failure names it, if it does."""
    found = re.search(r"lock.*?\(PID (\d+)\)", log_tail, re.IGNORECASE)
    if found:
        return f"another process (pid {found.group(1)})"
    if "conflicting lock" in log_tail.lower():
        return "another process"
    return None


def _log_tail(path: Path) -> str:
    try:
        lines = deque(path.read_text(errors="replace").splitlines(), maxlen=1)
    except OSError:
        return ""
    return lines[0] if lines else ""


def serve(
    state_dir: Path, *, host: str, port: int, time_scale: float, seed: int | None, allow_remote: bool = False
) -> int:
    """``miro-sentinel emulator serve``: run the local cloud in the foreground until interrupted.

    While it serves, ``server.json`` in the state directory (``"owner": "serve"``) tells ``--env local``
    commands to use it. Returns the exit status (2 for a bad host, time scale or state directory).
    """
    from emulator import cli  # the emulator package, reached from this module only

    argv = [
        "serve",
        "--state-dir",
        str(state_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--time-scale",
        f"{time_scale:g}",
    ]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if allow_remote:
        argv.append("--allow-remote")
    return int(cli.main(argv))
