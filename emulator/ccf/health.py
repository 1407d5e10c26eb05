"""``SentinelHealth`` rows for the poller's fetches, as Sentinel writes them for data connectors.

One row per fetch of a window: ``OperationName`` "Data fetch status change", ``Status`` Success or
Failure, ``SentinelResourceType`` "Data connector", ``SentinelResourceName``/``SentinelResourceKind``
either ``ApiPolling-<name>``/``ApiPolling`` (as public queries on real workspaces show codeless pollers)
or the connector's name and kind (quirk ``sentinel_health_resource_name``: ``prefixed`` or ``bare``), and
``ExtendedProperties`` with the details (``DestinationTable`` on success, the HTTP status and the
remote API's error message on failure). ``TenantId`` and ``Type`` are added by the log store.

Rows never carry the connector's secret: the poller scrubs its descriptions, and only Miro's error
``code`` and ``message`` are copied from an answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from emulator.ccf.poller import ConnectorIdentity, FetchReport

__all__ = ["OPERATION", "POLLER_KIND", "POLLER_PREFIX", "RESOURCE_TYPE", "LogStoreHealthSink", "health_row"]

OPERATION = "Data fetch status change"
#: How real workspaces name a codeless poller in SentinelHealth (third-party queries; quirk "prefixed").
POLLER_PREFIX = "ApiPolling-"
POLLER_KIND = "ApiPolling"
RESOURCE_TYPE = "Data connector"


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def health_row(
    connector: ConnectorIdentity,
    report: FetchReport,
    *,
    workspace_id: str,
    destination_table: str | None,
    now: dt.datetime,
    extra: dict[str, Any] | None = None,
    prefixed: bool = True,
) -> dict[str, Any]:
    """The ``SentinelHealth`` row for one fetch; ``prefixed`` names the connector ``ApiPolling-<name>``."""
    extended: dict[str, Any] = {
        "QueryWindowStartTime": _iso(report.window_start),
        "QueryWindowEndTime": _iso(report.window_end),
        "EventsCount": report.events,
        "PagesCount": report.pages,
        "Attempts": report.attempts,
        **(extra or {}),
    }
    if destination_table:
        extended["DestinationTable"] = destination_table
    if report.http_status is not None:
        extended["HttpStatusCode"] = report.http_status
    if report.status != "Success":
        extended["FailureReason"] = report.reason
        if report.error_code:
            extended["ErrorCode"] = report.error_code
        if report.error_message:
            extended["ErrorMessage"] = report.error_message
    return {
        "TimeGenerated": _iso(now),
        "OperationName": OPERATION,
        "SentinelResourceId": connector.resource_id,
        "SentinelResourceName": f"{POLLER_PREFIX}{connector.name}" if prefixed else connector.name,
        "Status": report.status,
        "Description": report.description,
        "Reason": report.reason,
        "WorkspaceId": workspace_id,
        "SentinelResourceType": RESOURCE_TYPE,
        "SentinelResourceKind": POLLER_KIND if prefixed else connector.kind,
        "RecordId": str(uuid.uuid4()),
        "ExtendedProperties": extended,
    }


class LogStoreHealthSink:
    """Writes rows into a workspace's ``SentinelHealth`` table through ``insert``."""

    def __init__(
        self,
        insert: Callable[[str, str, list[dict[str, Any]]], int],
        *,
        workspace_id: str,
        now: Callable[[], dt.datetime],
        extra: dict[str, Any] | None = None,
        prefixed: Callable[[], bool] = lambda: True,
    ) -> None:
        self._insert = insert
        self._prefixed = prefixed
        self._workspace_id = workspace_id
        self._now = now
        self._extra = extra

    def record(self, connector: ConnectorIdentity, report: FetchReport, *, destination_table: str | None) -> None:
        row = health_row(
            connector,
            report,
            workspace_id=self._workspace_id,
            destination_table=destination_table,
            now=self._now(),
            extra=self._extra,
            prefixed=self._prefixed(),
        )
        self._insert(self._workspace_id, "SentinelHealth", [row])
