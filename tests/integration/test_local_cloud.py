"""The local cloud the CLI starts, attaches to, and serves in the foreground."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deployer.config import load_settings, replace_section
from deployer.local import LocalCloud
from tests.support import REPO_ROOT


def local_settings(state_dir: Path) -> object:
    settings = load_settings("local", envs_dir=REPO_ROOT / "envs", environ={})
    return replace_section(settings, "local", state_dir=str(state_dir)).local


def test_start_then_restart_keeps_the_port_and_the_state(tmp_path: Path) -> None:
    settings = local_settings(tmp_path / "state")
    first = LocalCloud.start(settings, environ=dict(os.environ), progress=lambda _l: None)  # type: ignore[arg-type]
    try:
        endpoint, subscription = first.ready.arm_endpoint, first.ready.subscription_id
    finally:
        first.close()
    assert not (tmp_path / "state" / "server.json").exists()
    second = LocalCloud.start(settings, environ=dict(os.environ), progress=lambda _l: None)  # type: ignore[arg-type]
    try:
        # Same URL: the DCE endpoint and the connector's Miro URL stay valid, so a re-deploy writes nothing.
        assert second.ready.arm_endpoint == endpoint
        assert second.ready.subscription_id == subscription
    finally:
        second.close()


def test_emulator_serve_prints_one_ready_line_and_lets_commands_attach(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    command = [
        sys.executable,
        "-m",
        "deployer",
        "emulator",
        "serve",
        "--state-dir",
        str(state_dir),
        "--time-scale",
        "60",
    ]
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            info = json.loads(process.stdout.readline())
            for key in ("arm_endpoint", "authority", "tenant_id", "client_id", "client_secret", "subscription_id",
                        "resource_group", "workspace_name", "workspace_resource_id", "workspace_customer_id",
                        "query_endpoint", "ca_cert", "control_endpoint", "miro_base_url", "miro_token"):  # fmt: skip
                assert info[key], key
            assert json.loads((state_dir / "server.json").read_text())["pid"] == process.pid
            progress: list[str] = []
            attached = LocalCloud.start(local_settings(state_dir), environ=dict(os.environ), progress=progress.append)  # type: ignore[arg-type]
            attached.close()  # attached, not started: closing leaves the server running
            assert progress == [f"local cloud: using the one already running at {info['arm_endpoint']}"]
            assert process.poll() is None
        finally:
            process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert rest == ""  # exactly one line on stdout
    assert not (state_dir / "server.json").exists()


def test_a_stale_server_file_is_ignored(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "server.json").write_text(json.dumps({"pid": 2**22 + 7, "control_endpoint": "https://127.0.0.1:9"}))
    started = time.monotonic()
    cloud = LocalCloud.start(local_settings(state_dir), environ=dict(os.environ), progress=lambda _l: None)  # type: ignore[arg-type]
    try:
        assert cloud.ready.arm_endpoint.startswith("https://127.0.0.1:")
        assert os.path.exists(cloud.ready.ca_cert)
    finally:
        cloud.close()
    assert time.monotonic() - started < 60


def test_a_state_directory_in_use_is_named_and_not_offered_for_deletion(tmp_path: Path) -> None:
    import duckdb

    from deployer.errors import LocalEnvironmentError

    state_dir = tmp_path / "state"
    state_dir.mkdir()
    store = duckdb.connect(str(state_dir / "cloud.duckdb"))  # another process's local cloud, as far as it can tell
    try:
        with pytest.raises(LocalEnvironmentError) as exc:
            LocalCloud.start(local_settings(state_dir), environ=dict(os.environ), progress=lambda _l: None)  # type: ignore[arg-type]
    finally:
        store.close()
    assert exc.value.message == (
        f"the local cloud could not start: its state directory {state_dir} is in use by another process "
        f"(pid {os.getpid()})"
    )
    assert "delete" not in exc.value.remedy.replace("do not delete", "")
    assert "miro-sentinel emulator serve" in exc.value.remedy
