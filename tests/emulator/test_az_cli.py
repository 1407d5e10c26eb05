"""The real Azure CLI against the local cloud, as someone poking at it would use it.

Needs ``az`` (``make az-cli`` installs it into ``.venv/az``; one on ``PATH`` or named by ``AZ_CLI`` works
too); skipped, saying so, without it. ``az`` is pointed at the local cloud the documented way for a
private cloud: ``az cloud register --endpoint-resource-manager``, MSAL's instance discovery off
(``core.instance_discovery=false``, as for Azure Stack) and the local CA in ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from local_cloud import Http, Pipeline

from tests.support import REPO_ROOT, skip_or_fail


def _az() -> str | None:
    for candidate in (os.environ.get("AZ_CLI"), str(REPO_ROOT / ".venv/az/bin/az"), shutil.which("az")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


AZ = _az()
if AZ is None:
    pytestmark = skip_or_fail("az", "the Azure CLI is not installed: `make az-cli` puts it in .venv/az (or set AZ_CLI)")


class Az:
    def __init__(self, binary: str, info: dict[str, Any], config_dir: Path) -> None:
        self.binary = binary
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(config_dir),
            "AZURE_CONFIG_DIR": str(config_dir),
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "REQUESTS_CA_BUNDLE": info["ca_cert"],
        }

    def __call__(self, *args: str) -> Any:
        done = subprocess.run(
            [self.binary, *args, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"az {' '.join(args[:3])}: {done.stderr[-2000:]}"
        return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture(scope="module")
def az(emulator_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Az:
    """``az`` registered for the local cloud and signed in as its service principal (once: ``az`` is slow)."""
    assert AZ is not None
    info = dict(emulator_server.info)
    run = Az(AZ, info, tmp_path_factory.mktemp("azure"))
    run("cloud", "register", "--name", "MiroSentinelLocal", "--endpoint-resource-manager", info["arm_endpoint"])
    run("cloud", "set", "--name", "MiroSentinelLocal")
    run(
        "login", "--service-principal", "--username", info["client_id"], "--password", info["client_secret"],
        "--tenant", info["tenant_id"],
    )  # fmt: skip
    return run


def test_az_login_with_a_service_principal_finds_the_subscription(az: Az, emulator: dict[str, Any]) -> None:
    account = az("account", "show")
    assert (account["id"], account["tenantId"], account["user"]["type"]) == (
        emulator["subscription_id"],
        emulator["tenant_id"],
        "servicePrincipal",
    )


def test_az_lists_groups_and_resources_and_shows_one_without_an_api_version(
    az: Az, emulator: dict[str, Any], pipeline: Pipeline
) -> None:
    assert [g["name"] for g in az("group", "list")] == [emulator["resource_group"]]
    listed = {r["id"].lower() for r in az("resource", "list")}
    assert pipeline.rule_id.lower() in listed and emulator["workspace_resource_id"].lower() in listed
    shown = az("resource", "show", "--ids", pipeline.rule_id)
    assert shown["properties"]["immutableId"] == pipeline.immutable_id


def test_az_grants_and_lists_a_role_by_its_name(
    az: Az, emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    other = http.control("POST", "/principals", {})
    created = az(
        "role", "assignment", "create", "--role", "Monitoring Metrics Publisher", "--scope", pipeline.rule_id,
        "--assignee-object-id", other["object_id"], "--assignee-principal-type", "ServicePrincipal",
    )  # fmt: skip
    assert created["principalId"] == other["object_id"]
    listed = az("role", "assignment", "list", "--scope", pipeline.rule_id, "--fill-principal-name", "false")
    assert {(a["principalId"], a["roleDefinitionName"]) for a in listed} >= {
        (other["object_id"], "Monitoring Metrics Publisher")
    }


def test_az_reads_dcr_metrics_over_a_time_range(az: Az, emulator: dict[str, Any], pipeline: Pipeline) -> None:
    answer = az(
        "monitor", "metrics", "list", "--resource", pipeline.rule_id, "--metric", "RowsReceived_Count",
        "--aggregation", "Total", "--start-time", "2026-01-01T00:00:00Z", "--end-time", "2026-01-01T01:00:00Z",
        "--interval", "PT1H",
    )  # fmt: skip
    [metric] = answer["value"]
    assert metric["name"]["value"] == "RowsReceived_Count"
    assert [p["total"] for p in metric["timeseries"][0]["data"]] == [0.0]
