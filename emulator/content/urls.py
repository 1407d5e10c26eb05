"""Routes of saved searches (under a workspace), workbooks and metric alerts (under a resource group),
with an ARM token; and the control route ``GET /_emulator/monitor/alerts`` (every metric alert that fired)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors as arm_errors
from emulator.arm.urls import ARM_AUDIENCES
from emulator.content.models import ContentBackend
from emulator.content.responses import ContentResponses
from emulator.core.auth import Authenticator
from emulator.core.http import Route, Service
from emulator.extension import control_service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["backend", "control", "service"]

_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
_WS = _RG + "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}"


def backend(cloud: Cloud) -> ContentBackend:
    """The cloud's saved searches, workbooks and metric alerts (created on first use)."""
    return cloud.backend("content", ContentBackend)


def service(cloud: Cloud) -> Service:
    r = ContentResponses(cloud, backend(cloud))
    auth = Authenticator(ARM_AUDIENCES, arm_errors.ArmAuthErrors(cloud.identity.tenant_id), cloud.tokens)
    table = (
        (_WS + "/savedSearches", "SavedSearches", r.list_saved_searches, r.put_saved_search, r.get_saved_search, r.delete_saved_search),
        (_RG + "/providers/Microsoft.Insights/workbooks", "Workbooks", r.list_workbooks, r.put_workbook, r.get_workbook, r.delete_workbook),
        (_RG + "/providers/Microsoft.Insights/metricAlerts", "MetricAlerts", r.list_metric_alerts, r.put_metric_alert, r.get_metric_alert, r.delete_metric_alert),
    )  # fmt: skip
    routes: list[Route] = []
    for base, operation, list_, put, get, delete in table:
        routes += [
            Route("GET", base, list_, auth, f"{operation}_List"),
            Route("PUT", base + "/{name}", put, auth, f"{operation}_CreateOrUpdate"),
            Route("GET", base + "/{name}", get, auth, f"{operation}_Get"),
            Route("DELETE", base + "/{name}", delete, auth, f"{operation}_Delete"),
        ]
    routes.append(
        Route(
            "GET", _RG + "/providers/Microsoft.Insights/metricAlerts/{name}/status", r.list_metric_alert_status, auth,
            "MetricAlertsStatus_List",
        )
    )  # fmt: skip
    return Service("arm", tuple(routes), arm_errors.service_error)


def control(cloud: Cloud) -> Service:
    r = ContentResponses(cloud, backend(cloud))
    return control_service("/_emulator/monitor", (("GET", "/alerts", r.fired_alerts),), label="monitor")
