"""Sentinel's ARM routes under a workspace: ``.../providers/Microsoft.SecurityInsights/...``.

``dataConnectorDefinitions``, ``dataConnectors``, ``onboardingStates`` and ``alertRules``: list, PUT, GET,
DELETE, with an ARM token (the same audiences and 401 answers as the rest of ARM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors as arm_errors
from emulator.arm.urls import ARM_AUDIENCES, registered_only
from emulator.core.auth import Authenticator
from emulator.core.http import Route, Service
from emulator.sentinel.analytics import AnalyticsBackend
from emulator.sentinel.models import SentinelBackend
from emulator.sentinel.responses import SentinelResponses

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["analytics", "backend", "service"]

_WS = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights"
)


def backend(cloud: Cloud) -> SentinelBackend:
    """The cloud's Sentinel connector resources (created on first use)."""
    return cloud.backend("sentinel", SentinelBackend)


def analytics(cloud: Cloud) -> AnalyticsBackend:
    """The cloud's scheduled analytics rules and their scheduler (created on first use)."""
    return cloud.backend("analytics", AnalyticsBackend)


def service(cloud: Cloud) -> Service:
    r = SentinelResponses(cloud, backend(cloud), analytics(cloud))
    auth = Authenticator(ARM_AUDIENCES, arm_errors.ArmAuthErrors(cloud.identity.tenant_id), cloud.tokens)
    table = (
        (
            "dataConnectorDefinitions",
            "DataConnectorDefinitions",
            r.list_definitions,
            r.put_definition,
            r.get_definition,
            r.delete_definition,
        ),
        ("dataConnectors", "DataConnectors", r.list_connectors, r.put_connector, r.get_connector, r.delete_connector),
        (
            "onboardingStates",
            "SentinelOnboardingStates",
            r.list_onboarding,
            r.put_onboarding,
            r.get_onboarding,
            r.delete_onboarding,
        ),
        ("alertRules", "AlertRules", r.list_rules, r.put_rule, r.get_rule, r.delete_rule),
    )
    routes: list[Route] = []
    for segment, operation, list_, put, get, delete in table:
        base = f"{_WS}/{segment}"
        routes += [
            Route("GET", base, list_, auth, f"{operation}_List"),
            Route("PUT", base + "/{name}", registered_only(cloud, put), auth, f"{operation}_CreateOrUpdate"),
            Route("GET", base + "/{name}", get, auth, f"{operation}_Get"),
            Route("DELETE", base + "/{name}", registered_only(cloud, delete), auth, f"{operation}_Delete"),
        ]
    return Service("arm", tuple(routes), arm_errors.service_error)
