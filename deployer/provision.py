"""What both provisioning engines (``terraform`` and ``arm``) take and give back.

The pipeline only sees these types: a :class:`Target` (what to deploy and where, no secrets), a
:class:`ProvisionPlan` (what would change), an :class:`ApplyResult` (what changed, and the ids the
next steps need) and the :class:`Engine` protocol that both engines implement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from deployer.config.schema import ContentSettings

__all__ = [
    "Action",
    "ApplyResult",
    "Change",
    "DeploymentOutputs",
    "Engine",
    "PreflightCheck",
    "ProgressCallback",
    "ProvisionPlan",
    "Target",
    "describe_counts",
]

#: ``adopt``: the resource exists but miro-sentinel did not create it; it is taken over (and updated where
#: it differs, as the change's detail says).
#: ``failed`` stops a deploy before any write; ``warn`` is reported only (a plan's identity may be read-only).
PreflightStatus = Literal["ok", "failed", "warn", "skipped"]

Action = Literal["create", "update", "delete", "replace", "adopt"]

#: Receives one human-readable progress line at a time (the CLI shows them as they come).
ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Where and what to deploy. Built once from the settings; holds no secret."""

    environment: str
    tenant_id: str
    subscription_id: str
    resource_group: str
    location: str
    workspace_name: str
    workspace_resource_group: str
    table_plan: str
    retention_in_days: int
    total_retention_in_days: int
    dce_name: str
    dcr_name: str
    connector_definition_name: str
    connector_name: str
    validation_principal_id: str
    validation_principal_type: str
    miro_api_base_url: str
    token_version: str
    tags: Mapping[str, str] = field(default_factory=dict)
    create_workspace: bool = False
    onboard_sentinel: bool = False
    #: False when the validation principal already holds its role on the DCR under another assignment,
    #: which is then taken as is (the terraform engine sets it from the survey; Azure refuses a second one).
    create_role_assignment: bool = True
    #: Our Sentinel content: which rules run, and the values their queries use.
    content: ContentSettings = field(default_factory=ContentSettings)

    @property
    def workspace_resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.workspace_resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
        )

    @property
    def dce_resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Insights/dataCollectionEndpoints/{self.dce_name}"
        )

    @property
    def dcr_resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Insights/dataCollectionRules/{self.dcr_name}"
        )

    def table_resource_id(self, table_name: str) -> str:
        return f"{self.workspace_resource_id}/tables/{table_name}"


@dataclass(frozen=True)
class PreflightCheck:
    """One prerequisite of a deployment, checked before anything is written."""

    id: str
    title: str
    status: PreflightStatus
    detail: str
    remedy: str = ""

    def line(self) -> str:
        """``title: detail; remedy`` — how a failure is reported, on one line."""
        return f"{self.title}: {self.detail}" + (f"; {self.remedy}" if self.remedy else "")


@dataclass(frozen=True)
class Change:
    """One resource that a plan would create, update, delete, replace or adopt."""

    address: str
    action: Action
    resource_type: str
    detail: str = ""


@dataclass(frozen=True)
class ProvisionPlan:
    """The changes an apply would make; empty when everything already matches."""

    engine: str
    changes: tuple[Change, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def replaces(self) -> bool:
        return any(c.action == "replace" for c in self.changes)

    def counts(self) -> dict[str, int]:
        """``{"created", "updated", "deleted", "adopted"}``; a replacement counts as one delete and one create."""
        created = sum(c.action in ("create", "replace") for c in self.changes)
        updated = sum(c.action == "update" for c in self.changes)
        deleted = sum(c.action in ("delete", "replace") for c in self.changes)
        adopted = sum(c.action == "adopt" for c in self.changes)
        return {"created": created, "updated": updated, "deleted": deleted, "adopted": adopted}


def describe_counts(counts: dict[str, int], *, done: bool) -> str:
    """``"1 to create, 0 to update, 0 to delete"`` (a plan) or ``"1 created, ..."`` (done); adoptions when any."""
    words = ("created", "updated", "deleted", "adopted")
    verbs = {"created": "create", "updated": "update", "deleted": "delete", "adopted": "adopt"}
    shown = [w for w in words if w != "adopted" or counts.get(w)]
    return ", ".join(f"{counts.get(w, 0)} {w}" if done else f"{counts.get(w, 0)} to {verbs[w]}" for w in shown)


@dataclass(frozen=True)
class DeploymentOutputs:
    """The ids and endpoints later steps need (validation ingest, health)."""

    table_name: str
    table_resource_id: str
    stream_name: str
    dce_resource_id: str
    logs_ingestion_endpoint: str
    dcr_resource_id: str
    dcr_immutable_id: str
    connector_definition_resource_id: str
    connector_resource_id: str
    workspace_resource_id: str
    workspace_customer_id: str


@dataclass(frozen=True)
class ApplyResult:
    """What an apply changed (``counts`` as in :meth:`ProvisionPlan.counts`) and the resulting outputs.

    ``outputs`` is None after a destroy: nothing is left to point at.
    """

    changes: tuple[Change, ...]
    outputs: DeploymentOutputs | None

    def counts(self) -> dict[str, int]:
        return ProvisionPlan(engine="", changes=self.changes).counts()


class Engine(Protocol):
    """A way to make Azure match the target. Both engines send the bodies from ``deployer.dcr.bodies``."""

    name: str

    def plan(self) -> ProvisionPlan:
        """What :meth:`apply` would change. Reads only.

        :raises ExternalError: the engine could not reach Azure or run its tool.
        """
        ...

    def apply(self, plan: ProvisionPlan) -> ApplyResult:
        """Make the changes in ``plan`` (and nothing else); a plan without changes writes nothing."""
        ...

    def plan_destroy(self) -> ProvisionPlan:
        """What :meth:`destroy` would delete. Reads only."""
        ...

    def destroy(self, plan: ProvisionPlan) -> ProvisionPlan:
        """Delete what ``plan`` lists; returns what was deleted."""
        ...

    def preflight(self) -> Sequence[PreflightCheck]:
        """What this engine itself needs before a plan (Terraform: its state); reads only, never raises."""
        ...

    def outputs(self) -> DeploymentOutputs:
        """The current ids and endpoints, read from Azure (or state).

        :raises ExternalError: not deployed, or unreachable.
        """
        ...
