"""Paths, markers and helpers shared by the test suites."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.identity import ClientSecretCredential

from deployer.provision import Target

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
OFFICIAL_MIRO_DIR = SHARED_DIR / "api-specs" / "sentinel-miro-solution" / "Data Connectors" / "MiroAuditLogs_CCF"

#: Tests that read ../shared carry this marker; tests/conftest.py skips them, saying why, where it is absent.
requires_shared = pytest.mark.shared


def required_tools() -> set[str]:
    """Tools this run must have (``REQUIRE_TEST_TOOLS``, space-separated, as CI sets it).

    Where a tool is named, the tests that need it fail without it instead of being skipped, so a CI
    machine that lost its ``terraform`` or ``az`` cannot go green by skipping them. (Not ``MIRO_SENTINEL_*``:
    the product reads every variable of that prefix as a setting, and would refuse this one.)
    """
    return set(os.environ.get("REQUIRE_TEST_TOOLS", "").split())


def skip_or_fail(tool: str, reason: str) -> pytest.MarkDecorator:
    """A skip saying why, or, where ``tool`` is required, a collection error saying the same."""
    if tool in required_tools():
        raise pytest.UsageError(f"{tool} is required here (REQUIRE_TEST_TOOLS) but {reason}")
    return pytest.mark.skip(reason=reason)


def control_call(info: dict[str, Any], method: str, path: str, body: Any = None) -> requests.Response:
    """A call to a local cloud's control API, with its control token, as a client of its ready line makes it."""
    return requests.request(
        method,
        info["control_endpoint"] + path,
        json=body,
        headers={"Authorization": f"Bearer {info['control_token']}"},
        verify=info["ca_cert"],
        timeout=30,
    )


def sample_ready_line(base: str = "https://127.0.0.1:4443") -> dict[str, object]:
    """A complete ready line with made-up values (for what reads one, not for a client to use)."""
    return {
        "arm_endpoint": base,
        "authority": base,
        "tenant_id": "t",
        "client_id": "c",
        "client_secret": "s",
        "principal_object_id": "p",
        "subscription_id": "sub",
        "resource_group": "rg",
        "location": "eastus",
        "workspace_name": "law",
        "workspace_resource_id": "/subscriptions/sub/resourceGroups/rg/providers/x/workspaces/law",
        "workspace_customer_id": "w",
        "query_endpoint": base,
        "ingestion_endpoint": base,
        "ca_cert": "/state/tls/ca.pem",
        "control_endpoint": base + "/_emulator",
        "control_token": "ctl",
        "miro_base_url": base + "/miro",
        "miro_token": "m",
        "state_dir": "/state",
        "time_scale": 60,
        "bound_host": "127.0.0.1",
        "bound_port": 4443,
    }


def sample_target() -> Target:
    """A deployment target with every field set (the names the tests' fixtures expect)."""
    return Target(
        environment="test",
        tenant_id="00000000-0000-0000-0000-000000000001",
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="rg-miro",
        location="westeurope",
        workspace_name="law-miro",
        workspace_resource_group="rg-sentinel",
        table_plan="Analytics",
        retention_in_days=90,
        total_retention_in_days=365,
        dce_name="dce-miro",
        dcr_name="dcr-miro",
        connector_definition_name="MiroAuditLogs",
        connector_name="MiroAuditLogsPoller",
        validation_principal_id="11111111-1111-1111-1111-111111111111",
        validation_principal_type="ServicePrincipal",
        miro_api_base_url="https://api.miro.com",
        token_version="1",
        tags={"env": "test"},
    )


def screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: carriage returns, line erasing and cursor-up applied."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif token == "\x1b[2K":
            lines[row] = ""
        elif token == "\x1b[1A":
            row = max(row - 1, 0)
        elif token.startswith("\x1b"):
            continue  # colours, cursor shown or hidden
        else:
            lines[row] = lines[row][:col].ljust(col) + token + lines[row][col + len(token) :]
            col += len(token)
    return [line.rstrip() for line in lines if line.strip()]


def workflow_schema_errors(paths: Iterable[Path]) -> str:
    """What check-jsonschema says against GitHub's workflow schema ("" when every file matches)."""
    done = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


def make_credential(
    info: dict[str, Any], client_id: str | None = None, secret: str | None = None
) -> ClientSecretCredential:
    """A credential for a local cloud's ready line (its own principal unless another is given)."""
    return ClientSecretCredential(
        info["tenant_id"],
        client_id or info["client_id"],
        secret or info["client_secret"],
        authority=info["authority"],
        disable_instance_discovery=True,
        connection_verify=info["ca_cert"],
    )
