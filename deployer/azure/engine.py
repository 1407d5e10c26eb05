"""The ``arm`` engine: read each resource of the table, compare it with its body, write what differs.

No state file: Azure is the state. A plan (:func:`deployer.survey.survey`) lists, per resource of
:func:`deployer.resources.resources`, whether it would be created, updated or adopted and which fields
differ (so drift made behind our back shows up as a named change); an apply writes exactly those, in the
table's order, so a second deploy with nothing changed writes nothing.

The Miro token cannot be read back (Sentinel masks it), so the engine cannot see a rotated token; the
token version (``miro.token_version``) is kept as a tag on the DCR, written only once the connector has
been written with the current token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployer import resources
from deployer.azure.arm import ArmClient
from deployer.config import Secret
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec
from deployer.errors import AzureError, ConfigError, ConfigProblem
from deployer.provision import (
    ApplyResult,
    Change,
    DeploymentOutputs,
    PreflightCheck,
    ProgressCallback,
    ProvisionPlan,
    Target,
)
from deployer.resources import Deployment, Resource, value_at
from deployer.survey import Survey, refuse_blocked, survey

__all__ = ["ArmEngine"]


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
        progress: ProgressCallback | None = None,
    ) -> None:
        self.target = target
        self.spec = spec
        self.arm = arm
        self._token = token
        self._progress = progress or (lambda _line: None)
        self._deployment = Deployment(target, spec)
        self._planned: tuple[ProvisionPlan, Survey] | None = None

    # --- Engine protocol ----------------------------------------------------------------------------

    def survey(self) -> Survey:
        """What Azure holds for each resource, and what a deploy would do about it."""
        self._progress("reading the current resources")
        return survey(self.arm, self._deployment)

    def plan(self) -> ProvisionPlan:
        found = self.survey()
        plan = ProvisionPlan(engine=self.name, changes=found.changes())
        self._planned = (plan, found)
        return plan

    def apply(self, plan: ProvisionPlan) -> ApplyResult:
        """Write what ``plan`` lists, in the table's order; refuse, before any write, what Azure would refuse."""
        found = self._planned[1] if self._planned is not None and self._planned[0] == plan else self.survey()
        self._planned = None
        refuse_blocked(found)
        planned = {c.address for c in plan.changes}
        learned = dict(found.learned)
        connector_written = False
        for finding in found.findings:
            r = finding.resource
            if r.address not in planned or not finding.writes:
                continue
            self._progress(f"{finding.action}: {r.address}")
            if r.kind is resources.CONNECTOR:
                written = self._write_connector(r, learned)
                connector_written = True
            else:
                written = r.put(self.arm, r.body(learned))
            learned.update({k: v for k, v in r.kind.learns(written).items() if v})
        if connector_written and "token_version" in learned:
            # Only now is the new token in Sentinel, so only now may the DCR say so.
            del learned["token_version"]
            dcr = resources.by_key(self._deployment, resources.DCR.key)
            self._progress(f"update: {dcr.address} (token version {self.target.token_version})")
            dcr.put(self.arm, dcr.body(learned))
        return ApplyResult(changes=plan.changes, outputs=self.outputs())

    def _write_connector(self, connector: Resource, learned: Mapping[str, str]) -> dict[str, Any]:
        if self._token is None:
            raise ConfigError(
                [
                    ConfigProblem(
                        "deploy", "miro.token", "the data connector must be written, but no Miro token was given"
                    )
                ],
                remedy="export MIRO_ACCESS_TOKEN (or set miro.token_source) and run deploy again",
            )
        body = _merge(connector.body(learned), bodies.connector_secret(self._token.reveal()))
        return connector.put(self.arm, body)

    def preflight(self) -> tuple[PreflightCheck, ...]:
        """Nothing of its own: Azure is the state."""
        return ()

    def plan_destroy(self) -> ProvisionPlan:
        changes = [
            Change(r.address, "delete", r.kind.arm_type)
            for r in reversed(resources.resources(self._deployment))
            if r.read(self.arm) is not None
        ]
        return ProvisionPlan(engine=self.name, changes=tuple(changes))

    def destroy(self, plan: ProvisionPlan) -> ProvisionPlan:
        planned = {c.address: c for c in plan.changes}
        done = []
        for r in reversed(resources.resources(self._deployment)):
            if r.address in planned:
                self._progress(f"delete: {r.address}")
                r.delete(self.arm)
                done.append(planned[r.address])
        return ProvisionPlan(engine=self.name, changes=tuple(done))

    def outputs(self) -> DeploymentOutputs:
        t, d = self.target, self._deployment
        workspace = self.arm.get_workspace(t.workspace_resource_group, t.workspace_name)
        table, dce, dcr, definition, connector = (
            resources.by_key(d, kind.key).get(self.arm)
            for kind in (
                resources.TABLE,
                resources.DCE,
                resources.DCR,
                resources.CONNECTOR_DEFINITION,
                resources.CONNECTOR,
            )
        )
        customer_id = value_at(workspace, "properties", "customerId")
        endpoint = value_at(dce, "properties", "logsIngestion", "endpoint")
        immutable_id = value_at(dcr, "properties", "immutableId")
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


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` merged into a copy of ``base`` (JSON merge-patch semantics, as azapi's sensitive_body)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out
