"""The local cloud for ``cloud = "local"``: the one place that starts (or finds) the emulator.

``LocalCloud.start`` attaches to an emulator already serving the state directory (one started with
``miro-sentinel emulator serve``), or starts one as a child process and stops it again on ``close``.
Everything it keeps lives in ``local.state_dir`` (``.miro-sentinel/local``, git-ignored): certificates,
the DuckDB store, and ``server.json``, which says where a running emulator listens.

A token given in ``MIRO_ACCESS_TOKEN`` is registered in the local Miro as a valid Enterprise token (unless
the local Miro already knows it, so a test can give a token other rights first), so any token can be
traced through the whole path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import requests
from azure.core.credentials import TokenCredential

from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import client_secret_credential
from deployer.config import LocalSettings, Secret, Settings, replace_section
from deployer.errors import LocalEnvironmentError
from deployer.provision import ProgressCallback

__all__ = ["LocalCloud", "serve"]

SERVER_FILE = "server.json"  # written by the emulator while it serves
LOG_FILE = "emulator.log"

_REQUIRED = (
    "arm_endpoint", "authority", "tenant_id", "client_id", "client_secret", "subscription_id", "resource_group",
    "location", "workspace_name", "workspace_customer_id", "query_endpoint", "ca_cert", "control_endpoint",
    "miro_base_url",
)  # fmt: skip


class LocalCloud:
    """A running local cloud: its ready information, and the child process when we started it."""

    def __init__(self, info: dict[str, Any], *, process: subprocess.Popen[bytes] | None, state_dir: Path) -> None:
        missing = [k for k in _REQUIRED if k not in info]
        if missing:
            raise LocalEnvironmentError(f"the local cloud's ready line lacks {', '.join(missing)}")
        self.info = info
        self._process = process
        self._state_dir = state_dir
        self._http = requests.Session()
        # Passed on every call: a session's verify loses to REQUESTS_CA_BUNDLE from the environment.
        self._verify = str(info["ca_cert"])

    # --- starting and stopping ----------------------------------------------------------------------

    @classmethod
    def start(cls, settings: LocalSettings, *, progress: ProgressCallback) -> LocalCloud:
        """Attach to the emulator serving ``settings.state_dir``, or start one.

        :raises LocalEnvironmentError: it did not start within ``startup_timeout_seconds``.
        """
        state_dir = Path(settings.state_dir).resolve()
        running = _running(state_dir)
        if running is not None:
            progress(f"local cloud: using the one already running at {running['arm_endpoint']}")
            return cls(running, process=None, state_dir=state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        progress(f"local cloud: starting (state in {_shown(state_dir)})")
        command = [
            sys.executable, "-m", "emulator", "serve", "--state-dir", str(state_dir),
            "--time-scale", f"{settings.time_scale:g}", "--seed", str(settings.seed),
            "--role-propagation-seconds", f"{settings.role_propagation_seconds:g}",
            "--ingestion-latency-seconds", f"{settings.ingestion_latency_seconds:g}",
        ]  # fmt: skip
        log = (state_dir / LOG_FILE).open("ab")
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        finally:
            log.close()
        info = _read_ready_line(process, settings.startup_timeout_seconds, state_dir)
        cloud = cls(info, process=process, state_dir=state_dir)
        progress(f"local cloud: ready at {info['arm_endpoint']}")
        return cloud

    def close(self) -> None:
        """Stop the emulator if this process started it (its state stays in the state directory)."""
        self._http.close()
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    # --- what clients need --------------------------------------------------------------------------

    @property
    def cloud(self) -> AzureCloud:
        return AzureCloud(
            arm_endpoint=self.info["arm_endpoint"],
            query_endpoint=self.info["query_endpoint"],
            authority=self.info["authority"],
            ca_bundle=str(self.info["ca_cert"]),
        )

    def credential(self) -> TokenCredential:
        """The local cloud's service principal (its secret is the emulator's own, printed in its ready line)."""
        return client_secret_credential(
            self.cloud,
            tenant_id=self.info["tenant_id"],
            client_id=self.info["client_id"],
            client_secret=self.info["client_secret"],
        )

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` with the local subscription, resource group, workspace and Miro filled in."""
        i = self.info
        settings = replace_section(
            settings,
            "azure",
            tenant_id=i["tenant_id"],
            subscription_id=i["subscription_id"],
            resource_group=i["resource_group"],
            location=i["location"],
        )
        settings = replace_section(settings, "workspace", name=i["workspace_name"], resource_group=i["resource_group"])
        settings = replace_section(settings, "miro", api_base_url=i["miro_base_url"])
        if not settings.validation.principal_object_id and i.get("principal_object_id"):
            settings = replace_section(settings, "validation", principal_object_id=i["principal_object_id"])
        return dataclasses.replace(settings, sources={**settings.sources, "azure.subscription_id": "local cloud"})

    def register_miro_token(self, token: Secret) -> None:
        """Make the local Miro accept ``token`` as a valid Enterprise token, unless it already knows it."""
        url = f"{self.info['control_endpoint']}/miro/tokens"
        body = {"token": token.reveal(), "preset": "valid", "label": "MIRO_ACCESS_TOKEN"}
        try:
            response = self._http.post(url, json=body, timeout=30, verify=self._verify)
        except requests.RequestException as exc:
            raise LocalEnvironmentError(f"cannot reach the local cloud's control API: {type(exc).__name__}") from exc
        # A token the local Miro already knows keeps its rights (so a test can revoke one beforehand).
        if response.status_code == 400 and "already registered" in response.text:
            return
        if response.status_code not in (200, 201):
            raise LocalEnvironmentError(f"the local Miro refused to register the token ({response.status_code})")

    def wait_for_first_poll(self, connector_name: str, *, timeout: float = 60.0) -> str:
        """Wait until the connector has polled the local Miro once, so the demo's report is complete.

        In Azure the first poll takes 5-30 minutes and ``health`` reports it as it is; the local cloud
        polls within seconds. Its poller's own status says when (independent of query latency).
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self._poller_state(connector_name)
            if state.get("last_status"):
                return (
                    f"the connector polled the local Miro: {state.get('windows_done', 0)} window(s), "
                    f"{state.get('total_events', 0)} events so far (last fetch: {state['last_status']})"
                )
            if time.monotonic() > deadline:
                return f"the connector has not polled within {timeout:g} s"
            time.sleep(0.1)

    def _poller_state(self, connector_name: str) -> dict[str, Any]:
        try:
            response = self._http.get(f"{self.info['control_endpoint']}/ccf", timeout=30, verify=self._verify)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise LocalEnvironmentError(f"cannot read the local poller's status: {type(exc).__name__}") from exc
        for connector in response.json().get("connectors", []):
            if connector.get("name") == connector_name:
                return dict(connector.get("state") or {})
        return {}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _running(state_dir: Path) -> dict[str, Any] | None:
    """The ready info of an emulator serving ``state_dir``, if one answers."""
    try:
        info = json.loads((state_dir / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    try:
        answer = requests.get(f"{info['control_endpoint']}/info", verify=str(info["ca_cert"]), timeout=5)
    except (requests.RequestException, KeyError):
        return None
    return dict(info) if answer.status_code == 200 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_ready_line(process: subprocess.Popen[bytes], timeout: float, state_dir: Path) -> dict[str, Any]:
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
        info = json.loads(line)
        if not isinstance(info, dict):
            raise ValueError("not an object")
    except ValueError:
        process.kill()
        process.wait()
        tail = _log_tail(state_dir / LOG_FILE)
        raise LocalEnvironmentError(
            f"the local cloud did not start within {timeout:g} s{': ' + tail if tail else ''}",
            remedy=f"read {_shown(state_dir / LOG_FILE)}; or delete {_shown(state_dir)} to start from scratch",
        ) from None
    return info


def _log_tail(path: Path) -> str:
    try:
        lines = deque(path.read_text(errors="replace").splitlines(), maxlen=1)
    except OSError:
        return ""
    return lines[0] if lines else ""


def serve(state_dir: Path, *, host: str, port: int, time_scale: float, seed: int | None) -> int:
    """``miro-sentinel emulator serve``: run the local cloud in the foreground until interrupted.

    While it serves, ``server.json`` in the state directory tells ``--env local`` commands to use it.
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
    return int(cli.main(argv))
