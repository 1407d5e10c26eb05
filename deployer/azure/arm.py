"""``ArmClient``: the ARM operations the pipeline needs, as wire-shaped dicts.

azure-mgmt-loganalytics serves the workspace and tables, azure-mgmt-monitor the DCE, DCR and metrics;
Sentinel connectors and role assignments have no usable SDK model (azure-mgmt-securityinsight stops at
2022 and has no RestApiPoller), so they go as raw ARM requests through the same authenticated pipeline.
Bodies are sent exactly as ``deployer.dcr.bodies`` builds them (as bytes, so no model can drop a field),
and resources come back as the JSON ARM returned.

Verbs follow the Azure SDK: ``get_*`` raises :class:`~deployer.errors.ResourceNotFound` when missing,
``list_*`` returns a list, ``put_*`` creates or replaces and returns the resource, ``delete_*`` succeeds
when the resource is already gone.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError as SdkError,
)
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.core.rest import HttpRequest
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient

from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import TRANSIENT_STATUSES, client_options, retrying, sign_in_fault, transport_reason
from deployer.errors import AzureAuthError, AzureError, AzureRequestRejected, AzureUnavailable, ResourceNotFound
from deployer.retry import RetryPolicy

__all__ = ["ROLE_ASSIGNMENTS_API", "SENTINEL_API", "ArmClient", "azure_error"]

_LOG = logging.getLogger(__name__)

SENTINEL_API = "2025-09-01"
ROLE_ASSIGNMENTS_API = "2022-04-01"
RESOURCES_API = "2025-04-01"
METRICS_API = "2024-02-01"

T = TypeVar("T")


def azure_error(exc: Exception, what: str) -> AzureError:
    """The typed error for an azure-core exception raised while doing ``what``."""
    reason = transport_reason(exc)
    if isinstance(exc, ClientAuthenticationError):
        fault = sign_in_fault(exc)
        if fault is not None:
            said = "could not be reached" if fault[1] is None else "failed"
            return AzureUnavailable(
                f"{fault[0]} while {what}",
                status_code=fault[1],
                remedy=f"Entra ID (the sign-in service) {said}, so signing in again would not help: check "
                "https://status.azure.com and this machine's connection to login.microsoftonline.com, then run again",
            )
        return AzureAuthError(
            f"Azure refused the credential while {what}: {_first_line(exc.message)}", status_code=exc.status_code
        )
    if reason is not None:
        return AzureUnavailable(f"cannot reach Azure while {what} ({reason})")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = exc.error.code if exc.error is not None else None
        message = exc.error.message if exc.error is not None and exc.error.message else _first_line(exc.message)
        request_id = _request_id(exc.response)
        details = [f"{d.code}: {d.message}" for d in (exc.error.details or [])] if exc.error is not None else []
        fields: dict[str, Any] = {"status_code": status, "error_code": code, "request_id": request_id}
        if isinstance(exc, ResourceNotFoundError) or status == 404:
            return ResourceNotFound(f"not found while {what}: {message}", **fields)
        if status in (401, 403):
            return AzureAuthError(
                f"Azure denied {what} ({status} {code or ''}): {message}",
                remedy=_DENIED_REMEDY if status == 403 else None,
                **fields,
            )
        if status == 400 or status == 409:
            return AzureRequestRejected(
                f"Azure rejected {what} ({status} {code or ''}): {message}", details=details, **fields
            )
        if status is not None and status in TRANSIENT_STATUSES:
            return AzureUnavailable(f"Azure failed while {what} ({status} {code or ''}): {message}", **fields)
        return AzureError(f"Azure failed while {what} ({status} {code or ''}): {message}", **fields)
    return AzureError(f"unexpected failure while {what}: {type(exc).__name__}")


#: A 403 is a missing role, not a missing sign-in.
_DENIED_REMEDY = (
    "the signed-in principal lacks a role for this: it needs Contributor (or Owner) on the resource group, "
    "Microsoft Sentinel Contributor on the workspace and User Access Administrator to assign roles"
)


def _request_id(response: Any) -> str | None:
    headers = getattr(response, "headers", None)
    return headers.get("x-ms-request-id") if headers is not None else None


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else "no details"


class ArmClient:
    """ARM for one subscription. ``poll_interval`` is the seconds between long-running-operation polls."""

    def __init__(
        self,
        credential: TokenCredential,
        cloud: AzureCloud,
        subscription_id: str,
        *,
        poll_interval: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "base_url": cloud.arm_endpoint,
            "credential_scopes": [f"{cloud.arm_audience}/.default"],
            **client_options(cloud),
        }
        self.subscription_id = subscription_id
        self._poll = poll_interval
        self._retry = retry or RetryPolicy()
        self._logs = LogAnalyticsManagementClient(credential, subscription_id, **kwargs)
        self._monitor = MonitorManagementClient(credential, subscription_id, **kwargs)

    def close(self) -> None:
        self._logs.close()
        self._monitor.close()

    def __enter__(self) -> ArmClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        # Every ARM operation here is a GET, PUT or DELETE: idempotent, so any transient fault is retried.
        try:
            return retrying(self._retry, what, operation)
        except SdkError as exc:
            raise azure_error(exc, what) from exc

    # --- raw ARM ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, api_version: str, *, body: Any = None, what: str = "") -> Any:
        """A raw ARM call on ``path`` (a resource id); returns the parsed JSON (None when empty)."""
        description = what or f"{method} {path}"
        request = HttpRequest(
            method,
            path,
            params={"api-version": api_version},
            json=body if body is not None else None,
            headers={"Accept": "application/json"},
        )

        def send() -> Any:
            response = self._logs.send_request(request)
            response.raise_for_status()
            return response.json() if response.content else None

        try:
            return retrying(self._retry, description, send, idempotent=method.upper() != "POST")
        except ClientAuthenticationError as exc:
            raise azure_error(exc, description) from exc
        except HttpResponseError as exc:
            # raise_for_status() does not parse ARM's error body; do it so details reach the operator.
            parsed = _parse_arm_error(exc)
            raise (parsed or azure_error(exc, description)) from exc
        except SdkError as exc:
            raise azure_error(exc, description) from exc
        except ValueError as exc:
            raise AzureUnavailable(f"Azure answered {description} with malformed JSON") from exc

    # --- any resource by id (raw ARM) ------------------------------------------------------------------

    def get_resource(self, resource_id: str, api_version: str) -> dict[str, Any]:
        return dict(self.request("GET", resource_id, api_version, what=f"reading {_short(resource_id)}"))

    def put_resource(self, resource_id: str, api_version: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", resource_id, api_version, body=body, what=f"writing {_short(resource_id)}"))

    def list_resources(self, collection_id: str, api_version: str) -> list[dict[str, Any]]:
        """The resources of a collection (a resource id without its last name), first page."""
        answer = self.request("GET", collection_id, api_version, what=f"listing {_short(collection_id + '/')}")
        return list(answer.get("value", [])) if isinstance(answer, dict) else []

    def delete_resource(self, resource_id: str, api_version: str) -> None:
        _ignore_missing(
            lambda: self.request("DELETE", resource_id, api_version, what=f"deleting {_short(resource_id)}")
        )

    # --- workspace and tables -----------------------------------------------------------------------

    def get_workspace(self, resource_group: str, name: str) -> dict[str, Any]:
        ws = self._call(f"reading workspace {name}", lambda: self._logs.workspaces.get(resource_group, name))
        return dict(ws.as_dict())

    def get_table(self, resource_group: str, workspace: str, name: str) -> dict[str, Any]:
        table = self._call(f"reading table {name}", lambda: self._logs.tables.get(resource_group, workspace, name))
        return dict(table.as_dict())

    def list_tables(self, resource_group: str, workspace: str) -> list[dict[str, Any]]:
        return self._call(
            f"listing the tables of {workspace}",
            lambda: [dict(t.as_dict()) for t in self._logs.tables.list_by_workspace(resource_group, workspace)],
        )

    def put_table(self, resource_group: str, workspace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create or update a table and wait for the operation to finish."""

        def run() -> dict[str, Any]:
            poller = self._logs.tables.begin_create_or_update(
                resource_group, workspace, name, body, polling_interval=self._poll
            )
            return dict(poller.result().as_dict())

        return self._call(f"writing table {name}", run)

    def delete_table(self, resource_group: str, workspace: str, name: str) -> None:
        def run() -> None:
            try:
                self._logs.tables.begin_delete(resource_group, workspace, name, polling_interval=self._poll).result()
            except ResourceNotFoundError:
                return

        self._call(f"deleting table {name}", run)

    # --- data collection endpoint and rule ----------------------------------------------------------

    def get_dce(self, resource_group: str, name: str) -> dict[str, Any]:
        dce = self._call(
            f"reading DCE {name}", lambda: self._monitor.data_collection_endpoints.get(resource_group, name)
        )
        return dict(dce.serialize(keep_readonly=True))

    def put_dce(self, resource_group: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        dce = self._call(
            f"writing DCE {name}",
            lambda: self._monitor.data_collection_endpoints.create(resource_group, name, _as_bytes(body)),
        )
        return dict(dce.serialize(keep_readonly=True))

    def delete_dce(self, resource_group: str, name: str) -> None:
        self._call(f"deleting DCE {name}", lambda: self._monitor.data_collection_endpoints.delete(resource_group, name))

    def get_dcr(self, resource_group: str, name: str) -> dict[str, Any]:
        dcr = self._call(f"reading DCR {name}", lambda: self._monitor.data_collection_rules.get(resource_group, name))
        return dict(dcr.serialize(keep_readonly=True))

    def list_dcrs(self) -> list[dict[str, Any]]:
        """Every DCR in the subscription (to find other Miro feeds)."""
        return self._call(
            "listing the subscription's DCRs",
            lambda: [
                dict(r.serialize(keep_readonly=True))
                for r in self._monitor.data_collection_rules.list_by_subscription()
            ],
        )

    def put_dcr(self, resource_group: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        dcr = self._call(
            f"writing DCR {name}",
            lambda: self._monitor.data_collection_rules.create(resource_group, name, _as_bytes(body)),
        )
        return dict(dcr.serialize(keep_readonly=True))

    def delete_dcr(self, resource_group: str, name: str) -> None:
        self._call(f"deleting DCR {name}", lambda: self._monitor.data_collection_rules.delete(resource_group, name))

    def get_metrics(
        self, resource_id: str, names: list[str], *, timespan: str, aggregation: str, interval: str = "PT1H"
    ) -> dict[str, Any]:
        """DCR metrics over ``timespan`` in one ``aggregation`` (each metric supports only some)."""
        result = self._call(
            "reading DCR metrics",
            lambda: self._monitor.metrics.list(
                resource_id,
                timespan=timespan,
                interval=interval,
                metricnames=",".join(names),
                aggregation=aggregation,
            ),
        )
        return dict(result.serialize(keep_readonly=True))

    # --- what a first deployment needs (raw ARM) ----------------------------------------------------

    def get_provider(self, namespace: str) -> dict[str, Any]:
        """A resource provider of the subscription: ``registrationState`` and its ``resourceTypes`` (locations)."""
        path = f"/subscriptions/{self.subscription_id}/providers/{namespace}"
        return dict(self.request("GET", path, RESOURCES_API, what=f"reading resource provider {namespace}"))

    def list_permissions(self, resource_group: str) -> list[dict[str, Any]]:
        """The caller's permissions on a resource group (``actions``/``notActions`` per role it holds)."""
        path = f"/subscriptions/{self.subscription_id}/resourcegroups/{resource_group}/providers/Microsoft.Authorization/permissions"
        answer = self.request("GET", path, ROLE_ASSIGNMENTS_API, what=f"reading your permissions on {resource_group}")
        return list(answer.get("value", [])) if isinstance(answer, dict) else []

    def get_onboarding_state(self, workspace_id: str) -> dict[str, Any]:
        """Sentinel's onboarding state of a workspace; :class:`ResourceNotFound` when Sentinel is not enabled."""
        path = f"{workspace_id}/providers/Microsoft.SecurityInsights/onboardingStates/default"
        return dict(self.request("GET", path, SENTINEL_API, what="reading the Sentinel onboarding state"))

    # --- role assignments (raw ARM) -----------------------------------------------------------------

    def list_role_assignments(self, scope: str, principal_id: str) -> list[dict[str, Any]]:
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments"
        request_path = f"{path}?$filter=principalId eq '{principal_id}'"
        answer = self.request("GET", request_path, ROLE_ASSIGNMENTS_API, what="listing role assignments")
        return list(answer.get("value", [])) if isinstance(answer, dict) else []


def _short(resource_id: str) -> str:
    """``dataConnectors/name`` from a resource id: enough to say what was being done."""
    return "/".join(resource_id.rstrip("/").split("/")[-2:])


def _as_bytes(body: dict[str, Any]) -> io.BytesIO:
    # Bytes, not a model: the SDK sends them unchanged, so no field is dropped by a model that lacks it.
    return io.BytesIO(json.dumps(body).encode("utf-8"))


def _ignore_missing(operation: Callable[[], Any]) -> None:
    try:
        operation()
    except ResourceNotFound:
        return


def _parse_arm_error(exc: HttpResponseError) -> AzureError | None:
    response = exc.response
    if response is None:
        return None
    try:
        body = json.loads(response.text())
    except (ValueError, TypeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    status = response.status_code
    code = str(error.get("code", ""))
    message = str(error.get("message", "")).strip()
    details = [
        f"{d.get('code', '')}: {d.get('message', '')}" for d in error.get("details") or [] if isinstance(d, dict)
    ]
    fields: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "request_id": _request_id(response),
    }
    if status == 404:
        return ResourceNotFound(f"{code}: {message}", **fields)
    if status in (401, 403):
        return AzureAuthError(
            f"Azure denied the request ({status} {code}): {message}",
            remedy=_DENIED_REMEDY if status == 403 else None,
            **fields,
        )
    if status in (400, 409):
        return AzureRequestRejected(
            f"Azure rejected the request ({status} {code}): {message}", details=details, **fields
        )
    if status in TRANSIENT_STATUSES:
        return AzureUnavailable(f"Azure failed ({status} {code}): {message}", **fields)
    return AzureError(f"Azure failed ({status} {code}): {message}", **fields)
