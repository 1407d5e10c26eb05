"""A local cloud served for a test module, the CLI pointed at it, and what its tables hold afterwards.

The cloud runs in the test process (as ``miro-sentinel emulator serve`` would, its ``server.json`` written),
so every command attaches to it; faults, quirks and the clock are set through its control API. After a
run that converged, :meth:`Cloud.count_events` compares what the local Miro generated over the windows
the connector says it collected with what reached the table: missing ids are lost events, ids seen more
than once doubled ones.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.reliability.harness import TALLY, Outcome, child_environment, count_orphans, files_with_canary, run
from tests.support import control_call, make_credential

#: Short budgets, so a fault that never clears ends a run in seconds.
SETTINGS = """cloud = "local"
engine = "arm"

[local]
state_dir = "{state_dir}"
time_scale = 120
seed = 23

[azure]
retry_budget_seconds = 3
max_attempts = 3

[validation]
role_propagation_timeout_seconds = 20
visibility_timeout_seconds = 20
poll_interval_seconds = 0.2

[miro]
retry_budget_seconds = 3
max_attempts = 3
"""

VALIDATION_PREFIX = "miro-sentinel-validation-"


@dataclass
class Cloud:
    """One served local cloud and a working directory whose ``envs/local.toml`` points at it."""

    root: Path
    server: Any

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.server.info)

    def cli(self, *args: str, cwd: Path | None = None, timeout: float = 300) -> Outcome:
        return run(args, cwd=cwd or self.root, env=child_environment(), timeout=timeout)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = control_call(self.info, method, path, body)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")
        self.control("DELETE", "/miro/faults")

    def count_events(self) -> tuple[int, int]:
        """(lost, doubled) over the windows the connector collected; both are added to the tally."""
        self.control("POST", "/ccf/resume")
        self.control("POST", "/clock/advance", {"seconds": 15 * 60})
        deadline = time.monotonic() + 30
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            connectors = self.control("GET", "/ccf")["connectors"]
            state = connectors[0] if connectors else {}
            if (state.get("state") or {}).get("windows_done", 0) >= 2:
                break
            time.sleep(0.2)
        self.control("POST", "/flush")
        if not state.get("collected_from"):
            return 0, 0
        generated = self.control(
            "GET",
            f"/miro/events?createdAfter={state['collected_from']}&createdBefore={state['collected_until']}",
        )["data"]
        stored = self.stored_ids()
        wanted = {e["id"] for e in generated}
        TALLY.add("events compared", len(wanted))
        lost = len(wanted - set(stored))
        doubled = sum(n - 1 for n in stored.values() if n > 1)
        TALLY.add("events lost", lost)
        TALLY.add("events doubled", doubled)
        if lost or doubled:
            TALLY.problem(f"events: {lost} lost, {doubled} doubled of {len(wanted)} generated")
        return lost, doubled

    def stored_ids(self) -> Counter[str]:
        """How often each Miro event id is in the table (validation records left out)."""
        i = self.info
        with make_credential(i) as credential:
            token = credential.get_token("https://api.loganalytics.io/.default").token
        answer = requests.post(
            f"{i['query_endpoint']}/v1/workspaces/{i['workspace_customer_id']}/query",
            json={"query": "MiroAuditLogs_CL | summarize n = count() by id"},
            headers={"Authorization": f"Bearer {token}"},
            verify=i["ca_cert"],
            timeout=60,
        )
        if answer.status_code == 400:  # no table (destroyed): nothing stored
            return Counter()
        answer.raise_for_status()
        rows = answer.json()["tables"][0]["rows"]
        return Counter(
            {row[0]: int(row[1]) for row in rows if row[0] and not str(row[0]).startswith(VALIDATION_PREFIX)}
        )


def served_cloud(root: Path) -> Generator[Cloud, None, None]:
    """A cloud served under ``root`` for as long as the generator is not closed."""
    from emulator.ready import OWNER_SERVE, ServerRecord
    from emulator.server import EmulatorServer

    state_dir = root / "state"
    (root / "envs").mkdir(parents=True, exist_ok=True)
    (root / "envs" / "local.toml").write_text(SETTINGS.format(state_dir=state_dir))
    with EmulatorServer(state_dir, time_scale=120, seed=23) as server:
        assert server.ready is not None
        ServerRecord(server.ready, os.getpid(), OWNER_SERVE).write(state_dir)
        yield Cloud(root, server)


def watched_cloud(root: Path) -> Generator[Cloud, None, None]:
    """:func:`served_cloud` for one test module; afterwards the canary is looked for in every file under ``root``
    (each one found is a leak) and the local clouds left running are counted (orphans)."""
    served = served_cloud(root)
    yield next(served)
    leaked = files_with_canary(root)
    TALLY.add("leaks", len(leaked))
    served.close()
    count_orphans(root)
    assert leaked == [], leaked


def second_machine(cloud: Cloud, name: str = "other-machine") -> Path:
    """Another working directory with the same settings (no shared .miro-sentinel/)."""
    other = cloud.root / name
    (other / "envs").mkdir(parents=True, exist_ok=True)
    (other / "envs" / "local.toml").write_text((cloud.root / "envs" / "local.toml").read_text())
    return other


def commands_of_the_cli() -> Sequence[str]:
    """The commands the installed CLI has (``backfill`` joins the matrix once it is on main)."""
    from deployer.cli.main import cli

    return sorted(cli.commands)
