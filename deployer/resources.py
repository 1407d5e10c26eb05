"""The resources a deployment owns, in one table.

Each :class:`Kind` says what a resource is in ARM (type, api-version), how the arm engine reads, writes
and deletes it, whether it carries our tag, what later bodies learn from it, and what the Terraform
configuration calls it. :func:`resources` lists one deployment's instances in dependency order (create
in this order, delete in the reverse), each with its name, id, plan address and body builder.

The arm engine loops over :func:`resources`, the health checks read and compare through it, and the
terraform engine names its plan's changes through :func:`for_terraform_address`, so both engines describe
a change the same way. A new kind of resource is one :class:`Kind` and one line in :func:`resources` (plus
its Terraform resource at ``terraform_address``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from deployer.azure.arm import ROLE_ASSIGNMENTS_API, SENTINEL_API, ArmClient
from deployer.content.bodies import (
    ALERT_RULES_API,
    METRIC_ALERTS_API,
    SAVED_SEARCHES_API,
    WORKBOOKS_API,
    content_resources,
)
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec
from deployer.errors import ResourceNotFound
from deployer.provision import Target

__all__ = [
    "CONNECTOR",
    "CONNECTOR_DEFINITION",
    "DCE",
    "DCR",
    "KINDS",
    "PENDING",
    "ROLE_ASSIGNMENT",
    "TABLE",
    "Deployment",
    "Kind",
    "Resource",
    "by_key",
    "for_terraform_address",
    "resources",
    "value_at",
]

#: Shown in a body for values only known once an earlier resource exists.
PENDING = "(known after apply)"

#: Values later bodies need from earlier resources (``dce_endpoint``, ``dcr_immutable_id``).
Learned = Mapping[str, str]


@dataclass(frozen=True)
class Deployment:
    """What the bodies are built from: the target and the ``dcr/`` definition."""

    target: Target
    spec: DcrSpec


class Access(Protocol):
    """How the arm engine reads, writes and deletes one kind of resource, by resource id."""

    def get(self, arm: ArmClient, resource_id: str) -> dict[str, Any]:
        """The resource; raises :class:`~deployer.errors.ResourceNotFound` when it is missing."""
        ...

    def put(self, arm: ArmClient, resource_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def delete(self, arm: ArmClient, resource_id: str) -> None:
        """Delete; succeeds when the resource is already gone."""
        ...


def _segments(resource_id: str) -> dict[str, str]:
    """``{"resourcegroups": "rg", "workspaces": "ws", ...}`` from an ARM id (keys lower-cased)."""
    parts = resource_id.strip("/").split("/")
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


class _TableAccess:
    """Tables through azure-mgmt-loganalytics (a PUT is a long-running operation the SDK waits for)."""

    def get(self, arm: ArmClient, resource_id: str) -> dict[str, Any]:
        s = _segments(resource_id)
        return arm.get_table(s["resourcegroups"], s["workspaces"], s["tables"])

    def put(self, arm: ArmClient, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        s = _segments(resource_id)
        return arm.put_table(s["resourcegroups"], s["workspaces"], s["tables"], body)

    def delete(self, arm: ArmClient, resource_id: str) -> None:
        s = _segments(resource_id)
        arm.delete_table(s["resourcegroups"], s["workspaces"], s["tables"])


@dataclass(frozen=True)
class _GroupAccess:
    """A resource named within a resource group, through the SDK client's call for each verb."""

    segment: str
    get_: Callable[[ArmClient, str, str], dict[str, Any]]
    put_: Callable[[ArmClient, str, str, dict[str, Any]], dict[str, Any]]
    delete_: Callable[[ArmClient, str, str], None]

    def _names(self, resource_id: str) -> tuple[str, str]:
        s = _segments(resource_id)
        return s["resourcegroups"], s[self.segment]

    def get(self, arm: ArmClient, resource_id: str) -> dict[str, Any]:
        return self.get_(arm, *self._names(resource_id))

    def put(self, arm: ArmClient, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.put_(arm, *self._names(resource_id), body)

    def delete(self, arm: ArmClient, resource_id: str) -> None:
        self.delete_(arm, *self._names(resource_id))


@dataclass(frozen=True)
class _RawAccess:
    """Plain ARM GET/PUT/DELETE on the id, for resources no SDK we use models."""

    api_version: str
    #: Send the current etag on updates (Sentinel resources ask for it).
    etag: bool = False

    def get(self, arm: ArmClient, resource_id: str) -> dict[str, Any]:
        return arm.get_resource(resource_id, self.api_version)

    def put(self, arm: ArmClient, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.etag:
            try:
                current = self.get(arm, resource_id)
            except ResourceNotFound:
                current = {}
            if current.get("etag"):
                body = {**body, "etag": current["etag"]}
        return arm.put_resource(resource_id, self.api_version, body)

    def delete(self, arm: ArmClient, resource_id: str) -> None:
        arm.delete_resource(resource_id, self.api_version)


def _nothing(_current: Mapping[str, Any]) -> dict[str, str]:
    return {}


def _as_is(desired: dict[str, Any]) -> dict[str, Any]:
    return desired


@dataclass(frozen=True)
class Kind:
    """One kind of resource a deployment owns."""

    key: str
    #: How a person calls it, as plans show it ("data collection rule").
    noun: str
    arm_type: str
    api_version: str
    #: The resource in ``terraform/`` that holds it.
    terraform_address: str
    access: Access = field(repr=False)
    #: It carries :data:`~deployer.dcr.bodies.MANAGED_BY_TAG`, so Azure itself tells ours from others.
    tagged: bool = False
    #: Values later bodies need, read from the resource as ARM returns it.
    learns: Callable[[Mapping[str, Any]], dict[str, str]] = field(default=_nothing, repr=False)
    #: The part of the desired body that a comparison with ARM's answer may look at.
    comparable: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_as_is, repr=False)


def value_at(resource: Mapping[str, Any] | None, *keys: str) -> str:
    """The string at ``keys`` in an ARM answer (keys in any case), or ``""``."""
    value: Any = resource
    for key in keys:
        if not isinstance(value, Mapping):
            return ""
        value = {str(k).lower(): v for k, v in value.items()}.get(key.lower())
    return str(value) if value is not None else ""


def _rule_comparable(desired: dict[str, Any]) -> dict[str, Any]:
    # The token-version tag belongs to the connector's write (see deployer.survey), not to the rule's.
    tags = {k: v for k, v in desired.get("tags", {}).items() if k != bodies.TOKEN_VERSION_TAG}
    return {**desired, "tags": tags}


_MODULE = "module.pipeline.azapi_resource"

TABLE = Kind(
    "table",
    "table",
    "Microsoft.OperationalInsights/workspaces/tables",
    "2025-07-01",
    f"{_MODULE}.table",
    _TableAccess(),
)
DCE = Kind(
    "dce",
    "data collection endpoint",
    "Microsoft.Insights/dataCollectionEndpoints",
    "2023-03-11",
    f"{_MODULE}.data_collection_endpoint",
    _GroupAccess(
        "datacollectionendpoints",
        lambda arm, group, name: arm.get_dce(group, name),
        lambda arm, group, name, body: arm.put_dce(group, name, body),
        lambda arm, group, name: arm.delete_dce(group, name),
    ),
    tagged=True,
    learns=lambda dce: {"dce_endpoint": value_at(dce, "properties", "logsIngestion", "endpoint")},
)
DCR = Kind(
    "dcr",
    "data collection rule",
    "Microsoft.Insights/dataCollectionRules",
    "2023-03-11",
    f"{_MODULE}.this",
    _GroupAccess(
        "datacollectionrules",
        lambda arm, group, name: arm.get_dcr(group, name),
        lambda arm, group, name, body: arm.put_dcr(group, name, body),
        lambda arm, group, name: arm.delete_dcr(group, name),
    ),
    tagged=True,
    learns=lambda dcr: {"dcr_immutable_id": value_at(dcr, "properties", "immutableId")},
    comparable=_rule_comparable,
)
ROLE_ASSIGNMENT = Kind(
    "role_assignment",
    "role assignment",
    "Microsoft.Authorization/roleAssignments",
    ROLE_ASSIGNMENTS_API,
    f"{_MODULE}.role_assignment[0]",
    _RawAccess(ROLE_ASSIGNMENTS_API),
)
CONNECTOR_DEFINITION = Kind(
    "connector_definition",
    "connector definition",
    "Microsoft.SecurityInsights/dataConnectorDefinitions",
    SENTINEL_API,
    f"{_MODULE}.connector_definition",
    _RawAccess(SENTINEL_API, etag=True),
)
CONNECTOR = Kind(
    "connector",
    "data connector",
    "Microsoft.SecurityInsights/dataConnectors",
    SENTINEL_API,
    f"{_MODULE}.connector",
    _RawAccess(SENTINEL_API, etag=True),
)

# Our Sentinel content (content/): one resource per file, after the pipeline (rules read its table).
ALERT_RULE = Kind(
    "alert_rule",
    "analytics rule",
    "Microsoft.SecurityInsights/alertRules",
    ALERT_RULES_API,
    f"{_MODULE}.alert_rule",
    _RawAccess(ALERT_RULES_API),
)
HUNTING_QUERY = Kind(
    "hunting_query",
    "hunting query",
    "Microsoft.OperationalInsights/workspaces/savedSearches",
    SAVED_SEARCHES_API,
    f"{_MODULE}.hunting_query",
    _RawAccess(SAVED_SEARCHES_API),
)
WORKBOOK = Kind(
    "workbook",
    "workbook",
    "Microsoft.Insights/workbooks",
    WORKBOOKS_API,
    f"{_MODULE}.workbook",
    _RawAccess(WORKBOOKS_API),
    tagged=True,
)
METRIC_ALERT = Kind(
    "metric_alert",
    "metric alert",
    "Microsoft.Insights/metricAlerts",
    METRIC_ALERTS_API,
    f"{_MODULE}.metric_alert",
    _RawAccess(METRIC_ALERTS_API),
    tagged=True,
)
_CONTENT_KINDS = {k.arm_type: k for k in (ALERT_RULE, HUNTING_QUERY, WORKBOOK, METRIC_ALERT)}

#: Every kind, in dependency order.
KINDS: tuple[Kind, ...] = (
    TABLE,
    DCE,
    DCR,
    ROLE_ASSIGNMENT,
    CONNECTOR_DEFINITION,
    CONNECTOR,
    ALERT_RULE,
    HUNTING_QUERY,
    WORKBOOK,
    METRIC_ALERT,
)


@dataclass(frozen=True)
class Resource:
    """One resource of a deployment: its kind, name, id, and how its body is built."""

    kind: Kind
    name: str
    resource_id: str
    #: How plans name it ("data collection rule dcr-miro"); the same in both engines.
    address: str
    build: Callable[[Learned], dict[str, Any]] = field(repr=False, compare=False)

    @property
    def collection_id(self) -> str:
        """The id of the list this resource belongs to (its id without its name)."""
        return self.resource_id.rsplit("/", 1)[0]

    def body(self, learned: Learned | None = None) -> dict[str, Any]:
        """The body to send; values not learned yet show as :data:`PENDING`."""
        return self.build(learned or {})

    def get(self, arm: ArmClient) -> dict[str, Any]:
        """As ARM returns it; raises :class:`~deployer.errors.ResourceNotFound` when missing."""
        return self.kind.access.get(arm, self.resource_id)

    def read(self, arm: ArmClient) -> dict[str, Any] | None:
        """As ARM returns it, or None when it does not exist."""
        try:
            return self.get(arm)
        except ResourceNotFound:
            return None

    def put(self, arm: ArmClient, body: dict[str, Any]) -> dict[str, Any]:
        return self.kind.access.put(arm, self.resource_id, body)

    def delete(self, arm: ArmClient) -> None:
        self.kind.access.delete(arm, self.resource_id)


def _child(parent_id: str, kind: Kind, name: str) -> str:
    """The id of ``name`` under ``parent_id``: nested (``.../workspaces/ws/tables/t``) or extension."""
    namespace, *types = kind.arm_type.split("/")
    parent_marker = f"/providers/{namespace}/{'/'.join(types[:-1])}/".lower()
    if len(types) > 1 and parent_marker in parent_id.lower() + "/":
        return f"{parent_id}/{types[-1]}/{name}"
    return f"{parent_id}/providers/{kind.arm_type}/{name}"


def _resource_group_id(target: Target) -> str:
    return f"/subscriptions/{target.subscription_id}/resourceGroups/{target.resource_group}"


def resources(d: Deployment) -> tuple[Resource, ...]:
    """The deployment's resources, in dependency order (create in this order, delete in reverse)."""
    t, spec = d.target, d.spec
    group, workspace = _resource_group_id(t), t.workspace_resource_id
    dce_id, dcr_id = _child(group, DCE, t.dce_name), _child(group, DCR, t.dcr_name)
    role_name = bodies.role_assignment_name(dcr_id, t.validation_principal_id)

    def make(
        kind: Kind, name: str, parent: str, build: Callable[[Learned], dict[str, Any]], label: str = ""
    ) -> Resource:
        return Resource(kind, name, _child(parent, kind, name), f"{kind.noun} {label or name}", build)

    return (
        make(
            TABLE,
            spec.table.name,
            workspace,
            lambda _: bodies.table_body(
                spec,
                plan=t.table_plan,
                retention_in_days=t.retention_in_days,
                total_retention_in_days=t.total_retention_in_days,
            ),
        ),
        make(DCE, t.dce_name, group, lambda _: bodies.dce_body(location=t.location, tags=t.tags)),
        make(
            DCR,
            t.dcr_name,
            group,
            lambda learned: bodies.dcr_body(
                spec,
                location=t.location,
                dce_id=dce_id,
                workspace_resource_id=workspace,
                tags=t.tags,
                token_version=learned.get("token_version", t.token_version),
            ),
        ),
        make(
            ROLE_ASSIGNMENT,
            role_name,
            dcr_id,
            lambda _: bodies.role_assignment_body(
                subscription_id=t.subscription_id,
                principal_id=t.validation_principal_id,
                principal_type=t.validation_principal_type,
            ),
            label=f"Monitoring Metrics Publisher for {t.validation_principal_id} on {t.dcr_name}",
        ),
        make(
            CONNECTOR_DEFINITION,
            t.connector_definition_name,
            workspace,
            lambda _: bodies.connector_definition_body(spec, definition_name=t.connector_definition_name),
        ),
        make(
            CONNECTOR,
            t.connector_name,
            workspace,
            lambda learned: bodies.connector_body(
                spec,
                definition_name=t.connector_definition_name,
                dce_logs_ingestion_endpoint=learned.get("dce_endpoint") or PENDING,
                dcr_immutable_id=learned.get("dcr_immutable_id") or PENDING,
                miro_api_base_url=t.miro_api_base_url,
            ),
        ),
        *(
            Resource(
                _CONTENT_KINDS[c.arm_type], c.resource_id.rsplit("/", 1)[-1], c.resource_id, c.address, _fixed(c.body)
            )
            for c in content_resources(t, spec.table.name)
        ),
    )


def _fixed(body: dict[str, Any]) -> Callable[[Learned], dict[str, Any]]:
    return lambda _: body


def by_key(d: Deployment, key: str) -> Resource:
    """The deployment's resource of the kind ``key`` (``"dcr"``...)."""
    return next(r for r in resources(d) if r.kind.key == key)


def for_terraform_address(d: Deployment, address: str) -> Resource | None:
    """The resource that Terraform's ``address`` holds, or None for resources outside the table."""
    return next((r for r in resources(d) if r.kind.terraform_address == address), None)
