"""The HTTP surface of saved searches, workbooks and metric alerts: api-version, body, model, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors as arm_errors
from emulator.arm.models.resources import Resource
from emulator.arm.responses import _body, _caller, _group_id
from emulator.content.models import ContentBackend
from emulator.core.http import Call, Reply

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["API_VERSIONS", "ContentResponses"]

#: The api-versions served: the newest stable of each spec, and those of its stored examples.
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "savedSearches": ("2020-08-01", "2025-02-01", "2025-07-01"),
    "workbooks": ("2022-04-01", "2023-06-01"),
    "metricAlerts": ("2018-03-01",),
}


def _api_version(call: Call, kind: str) -> None:
    version = call.arg("api-version")
    if not version:
        raise arm_errors.missing_api_version()
    if version not in API_VERSIONS[kind]:
        raise arm_errors.invalid_api_version(version, sorted(API_VERSIONS[kind], reverse=True))


class ContentResponses:
    def __init__(self, cloud: Cloud, backend: ContentBackend) -> None:
        self.cloud = cloud
        self.backend = backend

    def _workspace(self, call: Call) -> Resource:
        p = call.params
        return self.cloud.arm.workspaces.get(p["subscriptionId"], p["resourceGroupName"], p["workspaceName"])

    def _group(self, call: Call) -> str:
        self.cloud.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
        return _group_id(call)

    # --- saved searches ---------------------------------------------------------------------------------

    def put_saved_search(self, call: Call) -> Reply:
        _api_version(call, "savedSearches")
        found, _ = self.backend.saved_searches.put(
            _caller(call), self._workspace(call), call.params["name"], _body(call)
        )
        return Reply(200, found.to_dict())

    def get_saved_search(self, call: Call) -> Reply:
        _api_version(call, "savedSearches")
        return Reply(
            200, self.backend.saved_searches.get(_caller(call), self._workspace(call), call.params["name"]).to_dict()
        )

    def list_saved_searches(self, call: Call) -> Reply:
        _api_version(call, "savedSearches")
        found = self.backend.saved_searches.list_searches(_caller(call), self._workspace(call))
        return Reply(200, {"value": [r.to_dict() for r in found]})

    def delete_saved_search(self, call: Call) -> Reply:
        _api_version(call, "savedSearches")
        self.backend.saved_searches.delete(_caller(call), self._workspace(call), call.params["name"])
        return Reply(200)

    # --- workbooks --------------------------------------------------------------------------------------

    def put_workbook(self, call: Call) -> Reply:
        _api_version(call, "workbooks")
        found, created = self.backend.workbooks.put(_caller(call), self._group(call), call.params["name"], _body(call))
        return Reply(201 if created else 200, found.to_dict())

    def get_workbook(self, call: Call) -> Reply:
        _api_version(call, "workbooks")
        return Reply(200, self.backend.workbooks.get(_caller(call), self._group(call), call.params["name"]).to_dict())

    def list_workbooks(self, call: Call) -> Reply:
        _api_version(call, "workbooks")
        found = self.backend.workbooks.list_in_group(_caller(call), self._group(call))
        return Reply(200, {"value": [r.to_dict() for r in found]})

    def delete_workbook(self, call: Call) -> Reply:
        _api_version(call, "workbooks")
        deleted = self.backend.workbooks.delete(_caller(call), self._group(call), call.params["name"])
        return Reply(200 if deleted else 204)

    # --- metric alerts ----------------------------------------------------------------------------------

    def put_metric_alert(self, call: Call) -> Reply:
        _api_version(call, "metricAlerts")
        found, _ = self.backend.metric_alerts.put(_caller(call), self._group(call), call.params["name"], _body(call))
        return Reply(200, found.to_dict())

    def get_metric_alert(self, call: Call) -> Reply:
        _api_version(call, "metricAlerts")
        return Reply(
            200, self.backend.metric_alerts.get(_caller(call), self._group(call), call.params["name"]).to_dict()
        )

    def list_metric_alerts(self, call: Call) -> Reply:
        _api_version(call, "metricAlerts")
        found = self.backend.metric_alerts.list_in_group(_caller(call), self._group(call))
        return Reply(200, {"value": [r.to_dict() for r in found]})

    def delete_metric_alert(self, call: Call) -> Reply:
        _api_version(call, "metricAlerts")
        deleted = self.backend.metric_alerts.delete(_caller(call), self._group(call), call.params["name"])
        return Reply(200 if deleted else 204)

    def list_metric_alert_status(self, call: Call) -> Reply:
        _api_version(call, "metricAlerts")
        value = self.backend.metric_alerts.status(_caller(call), self._group(call), call.params["name"])
        return Reply(200, {"value": value})

    # --- control ----------------------------------------------------------------------------------------

    def fired_alerts(self, call: Call) -> Reply:
        return Reply(200, {"value": self.backend.metric_alerts.fired()})
