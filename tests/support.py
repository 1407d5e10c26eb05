"""Paths and markers shared by the test suites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
OFFICIAL_MIRO_DIR = SHARED_DIR / "api-specs" / "sentinel-miro-solution" / "Data Connectors" / "MiroAuditLogs_CCF"

#: Tests that read ../shared carry this marker; tests/conftest.py skips them, saying why, where it is absent.
requires_shared = pytest.mark.shared


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
