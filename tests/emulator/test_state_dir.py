"""The state directory is private (0700, files 0600) and holds no secret in clear but server.json."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.cloud import Cloud
from emulator.ready import SERVER_FILE
from emulator.sealed import SecretBox
from emulator.statedir import StateDirError, ensure_private_dir
from tests.support import REPO_ROOT, control_call


def modes(directory: Path) -> dict[str, str]:
    """Every entry under ``directory`` (itself included) with its permission bits, as octal text."""
    found = {".": oct(stat.S_IMODE(directory.stat().st_mode))}
    for folder, subdirs, files in os.walk(directory):
        for name in [*subdirs, *files]:
            path = Path(folder, name)
            found[str(path.relative_to(directory))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


class Serving:
    """``python -m emulator serve`` in a child process, as a user or the deployer starts it."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "serve",
                "--state-dir",
                str(state_dir),
                "--log-level",
                "WARNING",
                *extra,
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = control_call(self.info, method, path, body)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, errors = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, errors
        return errors


@pytest.fixture
def loose_state_dir(tmp_path: Path) -> Iterator[Path]:
    """A state directory that already exists, readable by everyone, with a file of an older version."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o755)
    os.chmod(state_dir, 0o755)
    (state_dir / "emulator.log").write_text("old log\n")
    os.chmod(state_dir / "emulator.log", 0o644)
    yield state_dir


@pytest.mark.slow
def test_every_file_of_a_served_state_dir_is_owner_only(loose_state_dir: Path) -> None:
    old_umask = os.umask(0o022)  # what a user's shell usually has: the emulator must not rely on it
    try:
        serving = Serving(loose_state_dir)
    finally:
        os.umask(old_umask)
    try:
        serving.control("POST", "/principals", {"display_name": "extra"})  # writes, so the WAL exists
        while_serving = modes(loose_state_dir)
    finally:
        serving.stop()
    after = modes(loose_state_dir)

    assert {"server.json", "cloud.duckdb", "cloud.duckdb.wal", "secrets.key", "token-signing-key.pem", "port", "tls/ca.pem",
            "tls/server-key.pem", "emulator.log"} <= set(while_serving)  # fmt: skip
    for seen in (while_serving, after):
        loose = {name: mode for name, mode in seen.items() if int(mode, 8) & 0o077}
        assert loose == {}
    assert while_serving["."] == "0o700"
    assert while_serving["server.json"] == "0o600"


@pytest.mark.slow
def test_no_secret_is_kept_in_clear_once_the_cloud_stopped(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    serving = Serving(state_dir)
    try:
        registered = serving.control("POST", "/principals", {"display_name": "second"})
        secrets = {
            "client secret": serving.info["client_secret"],
            "registered secret": registered["client_secret"],
            "control token": serving.info["control_token"],
            "miro token": serving.info["miro_token"],
        }
    finally:
        serving.stop()

    assert not (state_dir / SERVER_FILE).exists()
    found = {
        (what, str(path.relative_to(state_dir)))
        for path in state_dir.rglob("*")
        if path.is_file()
        for what, secret in secrets.items()
        if secret.encode() in path.read_bytes()
    }
    assert found == set()


def test_server_json_holds_the_control_token_while_serving(tmp_path: Path) -> None:
    serving = Serving(tmp_path / "state")
    try:
        record = json.loads((tmp_path / "state" / SERVER_FILE).read_text())
    finally:
        serving.stop()

    assert record["control_token"] == serving.info["control_token"]
    assert record["owner"] == "serve"
    assert record["pid"] == serving.process.pid


def test_a_client_secret_kept_in_clear_by_an_older_version_is_sealed_on_start(tmp_path: Path) -> None:
    cloud = Cloud(tmp_path, base_url="https://127.0.0.1:1")
    secret = cloud.identity.client_secret
    kept = cloud.store.document("meta", "identity")
    del kept["client_secret_sealed"]
    cloud.store.put_document("meta", "identity", {**kept, "client_secret": secret})
    cloud.store.put_document(
        "entra",
        "old-client",
        {"client_id": "old-client", "client_secret": "old-secret", "object_id": "o", "display_name": "d"},
    )
    cloud.close()

    again = Cloud(tmp_path, base_url="https://127.0.0.1:1")
    try:
        identity = again.store.document("meta", "identity")
        old = again.store.document("entra", "old-client")
        assert again.identity.client_secret == secret
        assert "client_secret" not in identity
        assert SecretBox(tmp_path / "secrets.key").open(identity["client_secret_sealed"]) == secret
        assert "client_secret" not in old
        assert again.directory.by_client_id("old-client").accepts("old-secret")  # type: ignore[union-attr]
    finally:
        again.close()


def test_a_loose_existing_directory_is_tightened(loose_state_dir: Path) -> None:
    ensure_private_dir(loose_state_dir)

    assert modes(loose_state_dir) == {".": "0o700", "emulator.log": "0o600"}


def test_a_state_dir_that_is_a_file_is_refused_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")

    done = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(tmp_path / "state")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: the state directory {tmp_path / 'state'} exists and is not a directory"
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_state_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    os.chown(state_dir, 65534, 65534)

    with pytest.raises(StateDirError, match=r"belongs to another user \(uid 65534\); use a directory of your own"):
        ensure_private_dir(state_dir)
