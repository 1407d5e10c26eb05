"""The ``arm`` engine: read each resource, compare it with the body from ``deployer.dcr.bodies``, write what differs.

No state file: Azure is the state. A plan lists, per resource, whether it would be created or updated and
which fields differ (so drift made behind our back shows up as a named change); an apply writes exactly
those, in dependency order (table, DCE, DCR, role assignment, connector definition, connector), so a
second deploy with nothing changed writes nothing.

The Miro token cannot be read back (Sentinel masks it), so the engine cannot see a rotated token; the
token version (``miro.token_version``) is kept as a tag on the DCR, and a new version rewrites the
connector with the current token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deployer.azure.arm import ArmClient
from deployer.config import Secret
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec
from deployer.errors import AzureError, ConfigError, ConfigProblem, ResourceNotFound
from deployer.provision import ApplyResult, Change, DeploymentOutputs, ProgressCallback, ProvisionPlan, Target

__all__ = ["PENDING", "ArmEngine", "differences"]

#: Shown in a plan for values only known once an earlier resource exists.
PENDING = "(known after apply)"

_DEFINITIONS = "dataConnectorDefinitions"
_CONNECTORS = "dataConnectors"


def differences(desired: Any, current: Any, path: str = "") -> list[str]:
    """Paths where ``current`` does not match ``desired``; only keys present in ``desired`` count.

    ARM adds read-only fields and may change the case of keys and of a few values (``dateTime``,
    ``West Europe``), so keys match case-insensitively and those values are normalised.
    """
    if isinstance(desired, Mapping):
        if not isinstance(current, Mapping):
            return [path or "(resource)"]
        lowered = {str(k).lower(): v for k, v in current.items()}
        found: list[str] = []
        for key, value in desired.items():
            sub = f"{path}.{key}" if path else str(key)
            if str(key).lower() not in lowered:
                found.append(sub)
            else:
                found.extend(differences(value, lowered[str(key).lower()], sub))
        return found
    if isinstance(desired, list):
        if not isinstance(current, list) or len(current) != len(desired):
            return [path]
        return [
            d for i, (a, b) in enumerate(zip(desired, current, strict=True)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if _normalise(path, desired) != _normalise(path, current):
        return [path]
    return []


def _normalise(path: str, value: Any) -> Any:
    leaf = path.rsplit(".", 1)[-1].lower()
    if isinstance(value, str) and (
        leaf in ("type", "location", "roledefinitionid", "principaltype") or leaf.endswith("id")
    ):
        return value.replace(" ", "").lower()
    return value


@dataclass
class _Known:
    """Values learned while planning or applying, needed by later bodies."""

    dce_endpoint: str = ""
    dcr_immutable_id: str = ""
    principal_id: str = ""
    changes: list[Change] = field(default_factory=list)


class ArmEngine:
    """Provisioning over ARM with the Azure SDK. Implements :class:`deployer.provision.Engine`."""

    name = "arm"

    def __init__(
        self,
        target: Target,
        spec: DcrSpec,
        arm: ArmClient,
        *,
        token: Secret | None,
        principal_id: str,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.target = target
        self.spec = spec
        self.arm = arm
        self._token = token
        self._principal = principal_id
        self._progress = progress or (lambda _line: None)

    # --- desired bodies -----------------------------------------------------------------------------

    def _table_body(self) -> dict[str, Any]:
        t = self.target
        return bodies.table_body(
            self.spec,
            plan=t.table_plan,
            retention_in_days=t.retention_in_days,
            total_retention_in_days=t.total_retention_in_days,
        )

    def _dce_body(self) -> dict[str, Any]:
        return bodies.dce_body(location=self.target.location, tags=self.target.tags)

    def _dcr_body(self) -> dict[str, Any]:
        t = self.target
        return bodies.dcr_body(
            self.spec,
            location=t.location,
            dce_id=t.dce_resource_id,
            workspace_resource_id=t.workspace_resource_id,
            tags=t.tags,
            token_version=t.token_version,
        )

    def _role_body(self) -> dict[str, Any]:
        return bodies.role_assignment_body(
            subscription_id=self.target.subscription_id,
            principal_id=self._principal,
            principal_type=self.target.validation_principal_type,
        )

    @property
    def _role_name(self) -> str:
        return bodies.role_assignment_name(self.target.dcr_resource_id, self._principal)

    def _definition_body(self) -> dict[str, Any]:
        return bodies.connector_definition_body(self.spec, definition_name=self.target.connector_definition_name)

    def _connector_body(self, known: _Known) -> dict[str, Any]:
        t = self.target
        return bodies.connector_body(
            self.spec,
            definition_name=t.connector_definition_name,
            dce_logs_ingestion_endpoint=known.dce_endpoint or PENDING,
            dcr_immutable_id=known.dcr_immutable_id or PENDING,
            miro_api_base_url=t.miro_api_base_url,
        )

    # --- reading ------------------------------------------------------------------------------------

    def _read(self, read: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        try:
            return read()
        except ResourceNotFound:
            return None

    def _table_desired_vs(self, current: dict[str, Any] | None) -> list[str]:
        # A retention of -1 is not in the body (Azure answers with the number it resolved it to).
        return differences(self._table_body(), current)

    # --- Engine protocol ----------------------------------------------------------------------------

    def plan(self) -> ProvisionPlan:
        known = _Known()
        t = self.target
        ws_rg, ws = t.workspace_resource_group, t.workspace_name
        table_name = self.spec.table.name
        self._progress("reading the current resources")

        table = self._read(lambda: self.arm.get_table(ws_rg, ws, table_name))
        self._note(
            known,
            f"table {table_name}",
            "Microsoft.OperationalInsights/workspaces/tables",
            table,
            self._table_desired_vs(table),
        )

        dce = self._read(lambda: self.arm.get_dce(t.resource_group, t.dce_name))
        known.dce_endpoint = _path(dce, "properties", "logsIngestion", "endpoint")
        self._note(
            known,
            f"data collection endpoint {t.dce_name}",
            "Microsoft.Insights/dataCollectionEndpoints",
            dce,
            differences(self._dce_body(), dce),
        )

        dcr = self._read(lambda: self.arm.get_dcr(t.resource_group, t.dcr_name))
        known.dcr_immutable_id = _path(dcr, "properties", "immutableId")
        dcr_diff = differences(self._dcr_body(), dcr)
        self._note(known, f"data collection rule {t.dcr_name}", "Microsoft.Insights/dataCollectionRules", dcr, dcr_diff)

        role = self._read(lambda: self.arm.get_role_assignment(t.dcr_resource_id, self._role_name))
        self._note(
            known,
            f"role assignment Monitoring Metrics Publisher for {self._principal} on the DCR",
            "Microsoft.Authorization/roleAssignments",
            role,
            differences(self._role_body(), role),
        )

        definition = self._read(
            lambda: self.arm.get_sentinel(t.workspace_resource_id, _DEFINITIONS, t.connector_definition_name)
        )
        self._note(
            known,
            f"connector definition {t.connector_definition_name}",
            f"Microsoft.SecurityInsights/{_DEFINITIONS}",
            definition,
            differences(self._definition_body(), definition),
        )

        connector = self._read(lambda: self.arm.get_sentinel(t.workspace_resource_id, _CONNECTORS, t.connector_name))
        connector_diff = differences(self._connector_body(known), connector)
        token_rotated = dcr is not None and any(bodies.TOKEN_VERSION_TAG in d for d in dcr_diff)
        if connector is not None and token_rotated and not connector_diff:
            connector_diff = [f"token (miro.token_version is now {t.token_version})"]
        self._note(
            known,
            f"data connector {t.connector_name}",
            f"Microsoft.SecurityInsights/{_CONNECTORS}",
            connector,
            connector_diff,
        )
        return ProvisionPlan(engine=self.name, changes=tuple(known.changes))

    def _note(self, known: _Known, address: str, kind: str, current: dict[str, Any] | None, diff: list[str]) -> None:
        if current is None:
            known.changes.append(Change(address=address, action="create", resource_type=kind))
        elif diff:
            known.changes.append(
                Change(address=address, action="update", resource_type=kind, detail="differs at " + ", ".join(diff))
            )

    def apply(self, plan: ProvisionPlan) -> ApplyResult:
        t = self.target
        todo = {c.resource_type: c for c in plan.changes}
        known = _Known()

        def step(kind: str, write: Callable[[], dict[str, Any]], read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            change = todo.get(kind)
            if change is None:
                return read()
            self._progress(f"{change.action}: {change.address}")
            return write()

        table_kind = "Microsoft.OperationalInsights/workspaces/tables"
        table = self.spec.table.name
        step(
            table_kind,
            lambda: self.arm.put_table(t.workspace_resource_group, t.workspace_name, table, self._table_body()),
            dict,
        )

        dce = step(
            "Microsoft.Insights/dataCollectionEndpoints",
            lambda: self.arm.put_dce(t.resource_group, t.dce_name, self._dce_body()),
            lambda: self.arm.get_dce(t.resource_group, t.dce_name),
        )
        known.dce_endpoint = _path(dce, "properties", "logsIngestion", "endpoint")
        dcr = step(
            "Microsoft.Insights/dataCollectionRules",
            lambda: self.arm.put_dcr(t.resource_group, t.dcr_name, self._dcr_body()),
            lambda: self.arm.get_dcr(t.resource_group, t.dcr_name),
        )
        known.dcr_immutable_id = _path(dcr, "properties", "immutableId")
        step(
            "Microsoft.Authorization/roleAssignments",
            lambda: self.arm.put_role_assignment(t.dcr_resource_id, self._role_name, self._role_body()),
            dict,
        )
        step(
            f"Microsoft.SecurityInsights/{_DEFINITIONS}",
            lambda: self._put_sentinel(_DEFINITIONS, t.connector_definition_name, self._definition_body()),
            dict,
        )
        step(f"Microsoft.SecurityInsights/{_CONNECTORS}", lambda: self._write_connector(known), dict)
        return ApplyResult(changes=plan.changes, outputs=self.outputs())

    def _write_connector(self, known: _Known) -> dict[str, Any]:
        if self._token is None:
            raise ConfigError(
                [
                    ConfigProblem(
                        "deploy", "miro.token", "the data connector must be written, but no Miro token was given"
                    )
                ],
                remedy="export MIRO_ACCESS_TOKEN (or set miro.token_source) and run deploy again",
            )
        body = _merge(self._connector_body(known), bodies.connector_secret(self._token.reveal()))
        return self._put_sentinel(_CONNECTORS, self.target.connector_name, body)

    def _put_sentinel(self, kind: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create, or update with the current etag (Sentinel requires it on updates)."""
        workspace = self.target.workspace_resource_id
        current = self._read(lambda: self.arm.get_sentinel(workspace, kind, name))
        if current is not None and current.get("etag"):
            body = {**body, "etag": current["etag"]}
        return self.arm.put_sentinel(workspace, kind, name, body)

    def plan_destroy(self) -> ProvisionPlan:
        t = self.target
        candidates: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
            (
                f"data connector {t.connector_name}",
                f"Microsoft.SecurityInsights/{_CONNECTORS}",
                lambda: self.arm.get_sentinel(t.workspace_resource_id, _CONNECTORS, t.connector_name),
            ),
            (
                f"connector definition {t.connector_definition_name}",
                f"Microsoft.SecurityInsights/{_DEFINITIONS}",
                lambda: self.arm.get_sentinel(t.workspace_resource_id, _DEFINITIONS, t.connector_definition_name),
            ),
            (
                f"role assignment on the DCR for {self._principal}",
                "Microsoft.Authorization/roleAssignments",
                lambda: self.arm.get_role_assignment(t.dcr_resource_id, self._role_name),
            ),
            (
                f"data collection rule {t.dcr_name}",
                "Microsoft.Insights/dataCollectionRules",
                lambda: self.arm.get_dcr(t.resource_group, t.dcr_name),
            ),
            (
                f"data collection endpoint {t.dce_name}",
                "Microsoft.Insights/dataCollectionEndpoints",
                lambda: self.arm.get_dce(t.resource_group, t.dce_name),
            ),
            (
                f"table {self.spec.table.name} (and its data)",
                "Microsoft.OperationalInsights/workspaces/tables",
                lambda: self.arm.get_table(t.workspace_resource_group, t.workspace_name, self.spec.table.name),
            ),
        ]
        changes = [
            Change(address, "delete", kind) for address, kind, read in candidates if self._read(read) is not None
        ]
        return ProvisionPlan(engine=self.name, changes=tuple(changes))

    def destroy(self, plan: ProvisionPlan) -> ProvisionPlan:
        t = self.target
        deleters: dict[str, Callable[[], None]] = {
            f"Microsoft.SecurityInsights/{_CONNECTORS}": lambda: self.arm.delete_sentinel(
                t.workspace_resource_id, _CONNECTORS, t.connector_name
            ),
            f"Microsoft.SecurityInsights/{_DEFINITIONS}": lambda: self.arm.delete_sentinel(
                t.workspace_resource_id, _DEFINITIONS, t.connector_definition_name
            ),
            "Microsoft.Authorization/roleAssignments": lambda: self.arm.delete_role_assignment(
                t.dcr_resource_id, self._role_name
            ),
            "Microsoft.Insights/dataCollectionRules": lambda: self.arm.delete_dcr(t.resource_group, t.dcr_name),
            "Microsoft.Insights/dataCollectionEndpoints": lambda: self.arm.delete_dce(t.resource_group, t.dce_name),
            "Microsoft.OperationalInsights/workspaces/tables": lambda: self.arm.delete_table(
                t.workspace_resource_group, t.workspace_name, self.spec.table.name
            ),
        }
        done = []
        for change in plan.changes:
            self._progress(f"delete: {change.address}")
            deleters[change.resource_type]()
            done.append(change)
        return ProvisionPlan(engine=self.name, changes=tuple(done))

    def outputs(self) -> DeploymentOutputs:
        t = self.target
        workspace = self.arm.get_workspace(t.workspace_resource_group, t.workspace_name)
        table = self.arm.get_table(t.workspace_resource_group, t.workspace_name, self.spec.table.name)
        dce = self.arm.get_dce(t.resource_group, t.dce_name)
        dcr = self.arm.get_dcr(t.resource_group, t.dcr_name)
        definition = self.arm.get_sentinel(t.workspace_resource_id, _DEFINITIONS, t.connector_definition_name)
        connector = self.arm.get_sentinel(t.workspace_resource_id, _CONNECTORS, t.connector_name)
        customer_id = _path(workspace, "properties", "customerId")
        endpoint = _path(dce, "properties", "logsIngestion", "endpoint")
        immutable_id = _path(dcr, "properties", "immutableId")
        if not (customer_id and endpoint and immutable_id):
            raise AzureError("Azure did not return the workspace id, the DCE endpoint or the DCR immutable id")
        return DeploymentOutputs(
            table_name=self.spec.table.name,
            table_resource_id=str(table.get("id", t.table_resource_id(self.spec.table.name))),
            stream_name=self.spec.stream.name,
            dce_resource_id=str(dce.get("id", t.dce_resource_id)),
            logs_ingestion_endpoint=endpoint,
            dcr_resource_id=str(dcr.get("id", t.dcr_resource_id)),
            dcr_immutable_id=immutable_id,
            connector_definition_resource_id=str(definition.get("id", "")),
            connector_resource_id=str(connector.get("id", "")),
            workspace_resource_id=t.workspace_resource_id,
            workspace_customer_id=customer_id,
        )


def _path(resource: Mapping[str, Any] | None, *keys: str) -> str:
    value: Any = resource
    for key in keys:
        if not isinstance(value, Mapping):
            return ""
        value = {str(k).lower(): v for k, v in value.items()}.get(key.lower())
    return str(value) if value is not None else ""


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` merged into a copy of ``base`` (JSON merge-patch semantics, as azapi's sensitive_body)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out
