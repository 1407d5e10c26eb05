"""Sentinel's ARM surface: check the api-version, parse the body, call the models, shape the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.arm import errors as arm_errors
from emulator.arm.models.resources import Resource
from emulator.arm.responses import _body, _caller  # ARM's own request parsing: Sentinel is an ARM provider
from emulator.core.http import Call, Reply
from emulator.sentinel.analytics import ALERT_RULE_TYPE, AnalyticsBackend
from emulator.sentinel.models import CONNECTOR_TYPE, DEFINITION_TYPE, ONBOARDING_TYPE, SentinelBackend

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["API_VERSIONS", "SentinelResponses"]

#: The api-versions served per resource type: the stable ones of the specs (2025-03-01 and 2025-09-01,
#: the one the official Miro solution uses).
API_VERSIONS: dict[str, tuple[str, ...]] = {
    DEFINITION_TYPE: ("2025-03-01", "2025-09-01"),
    CONNECTOR_TYPE: ("2025-03-01", "2025-09-01"),
    ONBOARDING_TYPE: ("2025-03-01", "2025-09-01"),
    ALERT_RULE_TYPE: ("2025-03-01", "2025-09-01"),
}


def _require_api_version(call: Call, kind: str) -> None:
    version = call.arg("api-version")
    if not version:
        raise arm_errors.missing_api_version()
    if version not in API_VERSIONS[kind]:
        raise arm_errors.invalid_api_version(version, sorted(API_VERSIONS[kind], reverse=True))


class SentinelResponses:
    def __init__(self, cloud: Cloud, backend: SentinelBackend, analytics: AnalyticsBackend) -> None:
        self.cloud = cloud
        self.backend = backend
        self.analytics = analytics

    def _workspace(self, call: Call) -> Resource:
        p = call.params
        return self.cloud.arm.workspaces.get(p["subscriptionId"], p["resourceGroupName"], p["workspaceName"])

    def _put(self, call: Call, kind: str, put: Any) -> Reply:
        _require_api_version(call, kind)
        workspace = self._workspace(call)
        resource, created = put(_caller(call), workspace, call.params["name"], _body(call))
        return Reply(201 if created else 200, self.backend.render(resource))

    def _get(self, call: Call, kind: str) -> Reply:
        _require_api_version(call, kind)
        found = self.backend.get_extension(_caller(call), self._workspace(call), kind, call.params["name"])
        return Reply(200, self.backend.render(found))

    def _list(self, call: Call, kind: str) -> Reply:
        _require_api_version(call, kind)
        found = self.backend.list_extensions(_caller(call), self._workspace(call), kind)
        return Reply(200, {"value": [self.backend.render(r) for r in found]})

    def _delete(self, call: Call, kind: str) -> Reply:
        _require_api_version(call, kind)
        deleted = self.backend.delete_extension(_caller(call), self._workspace(call), kind, call.params["name"])
        return Reply(200 if deleted else 204)

    # --- one method per operation (named after the operation ids) ----------------------------------

    def put_definition(self, call: Call) -> Reply:
        return self._put(call, DEFINITION_TYPE, self.backend.put_definition)

    def get_definition(self, call: Call) -> Reply:
        return self._get(call, DEFINITION_TYPE)

    def list_definitions(self, call: Call) -> Reply:
        return self._list(call, DEFINITION_TYPE)

    def delete_definition(self, call: Call) -> Reply:
        return self._delete(call, DEFINITION_TYPE)

    def put_connector(self, call: Call) -> Reply:
        return self._put(call, CONNECTOR_TYPE, self.backend.put_connector)

    def get_connector(self, call: Call) -> Reply:
        return self._get(call, CONNECTOR_TYPE)

    def list_connectors(self, call: Call) -> Reply:
        return self._list(call, CONNECTOR_TYPE)

    def delete_connector(self, call: Call) -> Reply:
        return self._delete(call, CONNECTOR_TYPE)

    def put_onboarding(self, call: Call) -> Reply:
        return self._put(call, ONBOARDING_TYPE, self.backend.put_onboarding)

    def get_onboarding(self, call: Call) -> Reply:
        return self._get(call, ONBOARDING_TYPE)

    def list_onboarding(self, call: Call) -> Reply:
        return self._list(call, ONBOARDING_TYPE)

    def delete_onboarding(self, call: Call) -> Reply:
        return self._delete(call, ONBOARDING_TYPE)

    # --- analytics rules --------------------------------------------------------------------------------

    def put_rule(self, call: Call) -> Reply:
        _require_api_version(call, ALERT_RULE_TYPE)
        workspace = self._workspace(call)
        rule, created = self.analytics.put(
            _caller(call), workspace, call.params["name"], _body(call), onboarded=self.backend.is_onboarded(workspace)
        )
        return Reply(201 if created else 200, rule.to_dict())

    def get_rule(self, call: Call) -> Reply:
        _require_api_version(call, ALERT_RULE_TYPE)
        return Reply(200, self.analytics.get(_caller(call), self._workspace(call), call.params["name"]).to_dict())

    def list_rules(self, call: Call) -> Reply:
        _require_api_version(call, ALERT_RULE_TYPE)
        found = self.analytics.list_rules(_caller(call), self._workspace(call))
        return Reply(200, {"value": [r.to_dict() for r in found]})

    def delete_rule(self, call: Call) -> Reply:
        _require_api_version(call, ALERT_RULE_TYPE)
        deleted = self.analytics.delete(_caller(call), self._workspace(call), call.params["name"])
        return Reply(200 if deleted else 204)
