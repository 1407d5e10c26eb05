"""The api-versions the local cloud serves, per resource type.

Those the SDK packages send (azure-mgmt-monitor 7: 2023-03-11 for DCE/DCR, 2024-02-01 for metrics;
azure-mgmt-loganalytics 14: 2025-07-01), the newest stable ones in the specs (2024-03-11 DCE/DCR,
2022-10-01 tables as azurerm uses), and the versions of the stored spec examples (2025-02-01 tables).
Anything else is refused the way ARM refuses it.
"""

from __future__ import annotations

from emulator.arm import errors
from emulator.core.http import Call

__all__ = ["API_VERSIONS", "require_api_version"]

API_VERSIONS: dict[str, tuple[str, ...]] = {
    "subscriptions": ("2016-06-01", "2020-01-01", "2021-01-01", "2022-12-01"),
    "resourceGroups": ("2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01"),
    # Providers and resource lists: as resource groups, plus what azure-mgmt-core's auto-registration sends.
    "providers": (
        "2016-02-01",
        "2021-04-01",
        "2022-09-01",
        "2023-07-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-04-01",
    ),
    "workspaces": ("2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01"),
    "tables": ("2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01"),
    "dataCollectionEndpoints": ("2023-03-11", "2024-03-11"),
    "dataCollectionRules": ("2023-03-11", "2024-03-11"),
    "roleAssignments": ("2022-04-01",),
    # What the Azure CLI asks for (az role ...), besides the spec's stable versions.
    "roleDefinitions": ("2018-01-01-preview", "2022-04-01", "2022-05-01-preview"),
    "permissions": ("2022-04-01",),
    "metrics": ("2018-01-01", "2021-05-01", "2023-10-01", "2024-02-01"),
}


def require_api_version(call: Call, kind: str) -> str:
    """The request's api-version, if ``kind`` supports it; raises ARM's 400 otherwise."""
    version = call.arg("api-version")
    if not version:
        raise errors.missing_api_version()
    supported = API_VERSIONS[kind]
    if version not in supported:
        raise errors.invalid_api_version(version, sorted(supported, reverse=True))
    return version
