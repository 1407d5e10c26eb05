"""A local cloud per test, and the real CLI run against it as an operator would.

Each test gets its own in-process local cloud (fresh state), an ``envs/local.toml`` pointing at it, and
``LocalEnv.cli`` to run ``python -m deployer`` in a child process; the child finds the running cloud
through ``server.json`` in the state directory, as ``miro-sentinel emulator serve`` makes it do.

Every test runs with a canary Miro token; after the test, the canary must appear in no output and in no
file under the test's directory (settings, the local cloud's store and logs) nor in new temporary files.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deployer.azure.arm import ArmClient
from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import TokenCredential, client_secret_credential
from deployer.azure.query import QueryClient
from tests.support import REPO_ROOT, control_call

CANARY = f"miro-canary-{uuid.uuid4().hex}"

LOCAL_TOML = """
cloud = "local"
engine = "arm"

[local]
state_dir = "{state_dir}"
time_scale = 120
seed = 11

[validation]
role_propagation_timeout_seconds = 30
visibility_timeout_seconds = 20
poll_interval_seconds = 0.2

[miro]
retry_budget_seconds = 5
max_attempts = 3
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith(("error: ", "hint: "))]


@dataclass
class LocalEnv:
    """One test's local cloud and the CLI pointed at it."""

    root: Path
    server: Any
    outputs: list[str] = field(default_factory=list)

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.server.info)

    def _child_env(self, token: str | None, env: dict[str, str] | None) -> dict[str, str]:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRO_SENTINEL_", "MIRO_ACCESS_TOKEN"))}
        child_env["PYTHONPATH"] = str(REPO_ROOT)
        if token is not None:
            child_env["MIRO_ACCESS_TOKEN"] = token
        child_env.update(env or {})
        return child_env

    def cli(self, *args: str, token: str | None = CANARY, env: dict[str, str] | None = None) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "deployer", *args],
            cwd=self.root,
            env=self._child_env(token, env),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        self.outputs += [done.stdout, done.stderr]
        return Run(done.returncode, done.stdout, done.stderr)

    def popen(self, *args: str, token: str | None = CANARY, cwd: Path | None = None) -> subprocess.Popen[str]:
        """``cli`` started in the background (pipes for stdout and stderr); the caller collects its output."""
        return subprocess.Popen(
            [sys.executable, "-m", "deployer", *args],
            cwd=cwd or self.root,
            env=self._child_env(token, None),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, process: subprocess.Popen[str]) -> Run:
        """Wait for a :meth:`popen` process; its output joins what the canary check reads."""
        stdout, stderr = process.communicate(timeout=180)
        self.outputs += [stdout, stderr]
        return Run(process.returncode, stdout, stderr)

    def cli_in_terminal(self, *args: str, env: dict[str, str | None], columns: int = 100) -> Run:
        """Run the CLI in a pseudo-terminal ``columns`` wide: ``Run.stdout`` is all the terminal received.

        ``env`` adds variables to the child's environment, or removes those set to None.
        """
        merged: dict[str, str | None] = {
            k: v for k, v in os.environ.items() if not k.startswith(("MIRO_SENTINEL_", "MIRO_ACCESS_TOKEN"))
        }
        merged.update({"PYTHONPATH": str(REPO_ROOT), "MIRO_ACCESS_TOKEN": CANARY, "TERM": "xterm", **env})
        child_env = {k: v for k, v in merged.items() if v is not None}
        controller, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        received = bytearray()

        def drain() -> None:
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                received.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "deployer", *args],
                cwd=self.root,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=terminal,
                stderr=terminal,
                timeout=180,
                check=False,
            )
        finally:
            os.close(terminal)
            reader.join(timeout=10)
            os.close(controller)
        text = received.decode("utf-8", errors="replace").replace("\r\n", "\n")
        self.outputs.append(text)
        return Run(done.returncode, text, "")

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = control_call(self.info, method, path, body)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def clear_requests(self) -> None:
        self.control("DELETE", "/requests")

    def requests_log(self) -> list[dict[str, Any]]:
        """What clients asked of the local cloud since the last clear (control calls excluded)."""
        value: list[dict[str, Any]] = self.control("GET", "/requests")["value"]
        return value

    def miro_token(self, label: str = "MIRO_ACCESS_TOKEN") -> dict[str, Any]:
        tokens = self.control("GET", "/miro/tokens")["value"]
        return next(t for t in tokens if t.get("label") == label)

    def register_canary(self, preset: str) -> None:
        self.control("POST", "/miro/tokens", {"token": CANARY, "preset": preset, "label": "MIRO_ACCESS_TOKEN"})

    def azure(self) -> tuple[AzureCloud, TokenCredential]:
        """The local cloud as the product addresses Azure (Blob service included), and its own principal."""
        i = self.info
        cloud = AzureCloud(
            arm_endpoint=i["arm_endpoint"],
            query_endpoint=i["query_endpoint"],
            authority=i["authority"],
            ca_bundle=i["ca_cert"],
            blob_endpoint=i["blob_endpoint"],
        )
        credential = client_secret_credential(
            cloud, tenant_id=i["tenant_id"], client_id=i["client_id"], client_secret=i["client_secret"]
        )
        return cloud, credential

    def arm(self) -> ArmClient:
        """The deployer's own ARM client, signed in as the local cloud's service principal."""
        cloud, credential = self.azure()
        return ArmClient(credential, cloud, self.info["subscription_id"], poll_interval=0)

    def query(self, kql: str) -> list[dict[str, Any]]:
        """Rows of a KQL query on the local workspace, through the deployer's own query client."""
        cloud, credential = self.azure()
        with QueryClient(credential, cloud, self.info["workspace_customer_id"]) as client:
            return client.query(kql, timespan=None)

    def poller(self, name: str = "MiroSentinelAuditLogsPoller") -> dict[str, Any]:
        """The local CCF poller's state for a connector (windows done, failures, last status)."""
        for connector in self.control("GET", "/ccf")["connectors"]:
            if connector["name"] == name:
                return dict(connector.get("state") or {})
        return {}

    def wait_until(self, predicate: Callable[[], bool], *, what: str, timeout: float = 30) -> None:
        """Poll ``predicate`` until it holds; fail the test, naming ``what``, after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
            time.sleep(0.1)

    def advance(self, minutes: float) -> None:
        """Move the local cloud's clock ahead (the CCF poller then runs the windows that became due)."""
        self.control("POST", "/clock/advance", {"seconds": minutes * 60})


def _canary_files(directory: Path, since: float, *, skip: tuple[str, ...] = ()) -> list[str]:
    found = []
    needle = CANARY.encode()
    for folder, subdirs, files in os.walk(directory):
        subdirs[:] = [d for d in subdirs if not d.startswith(skip)]
        for name in files:
            path = Path(folder, name)
            try:
                if path.stat().st_mtime >= since and needle in path.read_bytes():
                    found.append(str(path))
            except OSError:
                continue
    return found


@pytest.fixture
def local_env(tmp_path: Path) -> Iterator[LocalEnv]:
    from emulator.ready import OWNER_SERVE, ServerRecord
    from emulator.server import EmulatorServer

    started = time.time()
    state_dir = tmp_path / "state"
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "local.toml").write_text(LOCAL_TOML.format(state_dir=state_dir))
    with EmulatorServer(state_dir, time_scale=120, seed=11) as server:
        # What `miro-sentinel emulator serve` writes, so the CLI uses this cloud rather than start one.
        ServerRecord(server.ready, os.getpid(), OWNER_SERVE).write(state_dir)
        env = LocalEnv(tmp_path, server)
        yield env
    leaks = [o for o in env.outputs if CANARY in o]
    assert not leaks, f"the canary token appeared in command output: {leaks[0][:300]}"
    assert not _canary_files(tmp_path, started), "the canary token is in a file under the test directory"
    temporary = _canary_files(Path(tempfile.gettempdir()), started, skip=("pytest-of-",))
    assert not temporary, f"the canary token is in a temporary file: {temporary}"
