"""What Azure holds now for each resource of the table, and what a deploy would do about it.

Both engines use it: the arm engine plans from it, the terraform engine learns from it which existing
resources to import and whether the role is already granted. Rules:

- A resource that does not exist is created.
- One that exists and carries our tag (or, for kinds without tags, exists beside a tagged resource of
  ours) is ours: updated where it differs, else left alone.
- One that exists but is not ours (the Content Hub solution's ``MiroAuditLogs_CL`` table, a rule made by
  hand) is **adopted**: taken over, and updated where it differs. A table whose adoption or update
  would change a column's type is blocked, since Azure refuses that; removed columns are named.
- The role is adopted without a write when the principal already holds it on the DCR under another
  assignment name (Azure refuses a second one with 409 ``RoleAssignmentExists``).
- The Miro token cannot be read back; its version is a tag on the DCR. The tag is compared and written
  as part of the connector, after the connector write succeeded, so a failed connector write leaves the
  rotation pending for the next deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deployer import resources
from deployer.azure.arm import ArmClient
from deployer.dcr import bodies
from deployer.drift import differences
from deployer.errors import ResourceNotFound, UsageError
from deployer.provision import Action, Change
from deployer.resources import Deployment, Resource

__all__ = ["Finding", "Survey", "find_role", "refuse_blocked", "survey"]


@dataclass(frozen=True)
class Finding:
    """One resource: as Azure holds it, and what a deploy would do."""

    resource: Resource
    current: Mapping[str, Any] | None
    #: None when nothing is to be done.
    action: Action | None
    #: Paths of the desired body that Azure does not match.
    differs: tuple[str, ...] = ()
    #: It exists but miro-sentinel did not create it.
    adopted: bool = False
    detail: str = ""
    #: Why Azure would refuse the write (a deploy stops before writing anything).
    blocker: str = ""

    @property
    def elsewhere(self) -> bool:
        """It exists under another id (the role, granted under another assignment name): taken as is."""
        return self.current is not None and _elsewhere(self.resource, self.current)

    @property
    def writes(self) -> bool:
        """A deploy writes it (an adopted role assignment, or an adopted match, is only taken over)."""
        return self.action in ("create", "update") or (self.action == "adopt" and bool(self.differs))

    def change(self) -> Change | None:
        if self.action is None:
            return None
        detail = "; ".join(x for x in (self.detail, self.blocker) if x)
        return Change(self.resource.address, self.action, self.resource.kind.arm_type, detail)


@dataclass(frozen=True)
class Survey:
    """Every finding, in the table's order, and the values later bodies learned."""

    findings: tuple[Finding, ...]
    learned: Mapping[str, str] = field(default_factory=dict)

    def changes(self) -> tuple[Change, ...]:
        return tuple(c for f in self.findings if (c := f.change()) is not None)

    @property
    def blockers(self) -> tuple[str, ...]:
        return tuple(f"{f.resource.address}: {f.blocker}" for f in self.findings if f.blocker)


def refuse_blocked(found: Survey) -> None:
    """Stop, before any write, a deployment that Azure would refuse part-way.

    :raises UsageError: naming each resource and what Azure would refuse.
    """
    if found.blockers:
        raise UsageError(
            "Azure would refuse this deployment: " + "; ".join(found.blockers),
            remedy="change the settings or dcr/ as the message says, then plan again",
        )


def find_role(arm: ArmClient, role: Resource, principal_id: str) -> Mapping[str, Any] | None:
    """Our assignment by its name or, failing that, the same role for the principal under another name."""
    current = role.read(arm)
    if current is not None:
        return current
    scope = role.resource_id.split("/providers/Microsoft.Authorization/", 1)[0]
    try:
        held = arm.list_role_assignments(scope, principal_id)
    except ResourceNotFound:  # the DCR does not exist yet
        return None
    wanted = bodies.MONITORING_METRICS_PUBLISHER_ROLE_ID
    return next(
        (
            a
            for a in held
            if str((a.get("properties") or {}).get("roleDefinitionId", "")).lower().endswith(wanted)
            and _same_scope(str((a.get("properties") or {}).get("scope", scope)), scope)
        ),
        None,
    )


def _same_scope(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _elsewhere(r: Resource, current: Mapping[str, Any]) -> bool:
    """``current`` is not at ``r``'s id (ARM ids compare without regard to case)."""
    found = str(current.get("id") or "")
    return bool(found) and found.lower() != r.resource_id.lower()


def _is_tagged(current: Mapping[str, Any]) -> bool:
    tags = current.get("tags") or {}
    return all(tags.get(k) == v for k, v in bodies.MANAGED_BY_TAG.items())


def _columns(table: Mapping[str, Any] | None) -> dict[str, str]:
    schema = ((table or {}).get("properties") or {}).get("schema") or {}
    return {str(c.get("name")): str(c.get("type", "")).lower() for c in schema.get("columns") or []}


def _table_hazards(desired: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[str, str]:
    """(what the write would remove, what Azure would refuse) for a table."""
    wanted, present = _columns(desired), _columns(current)
    removed = sorted(n for n in present if n not in wanted)
    retyped = sorted(f"{n} {present[n]} → {k}" for n, k in wanted.items() if n in present and present[n] != k)
    warning = f"removes columns {', '.join(removed)} (their data is no longer queryable)" if removed else ""
    blocker = (
        f"would change column types ({'; '.join(retyped)}), which Azure refuses; rename the table (table.name) "
        "or bring dcr/table.json in line with it"
        if retyped
        else ""
    )
    return warning, blocker


def survey(arm: ArmClient, d: Deployment) -> Survey:
    """Read every resource of the deployment and decide what a deploy would do. Reads only."""
    items = resources.resources(d)
    # By address: a kind may have several resources (one analytics rule per file of content/).
    currents: dict[str, Mapping[str, Any] | None] = {}

    def current_of(kind: resources.Kind) -> Mapping[str, Any] | None:
        return currents[next(r.address for r in items if r.kind is kind)]

    for r in items:
        if r.kind is resources.ROLE_ASSIGNMENT:
            # Without the DCR there is no role on it to look for (nor a scope to ask about).
            held = current_of(resources.DCR) is not None
            currents[r.address] = find_role(arm, r, d.target.validation_principal_id) if held else None
        else:
            currents[r.address] = r.read(arm)
    ours = any(c is not None and _is_tagged(c) for r in items if r.kind.tagged and (c := currents[r.address]))

    learned: dict[str, str] = {}
    findings: list[Finding] = []
    for r in items:
        current = currents[r.address]
        if current is not None:
            learned.update({k: v for k, v in r.kind.learns(current).items() if v})
        findings.append(_assess(r, current, learned, ours=ours))

    # The token version travels with the connector: see the module's docstring.
    dcr, connector = current_of(resources.DCR), current_of(resources.CONNECTOR)
    current_version = ((dcr or {}).get("tags") or {}).get(bodies.TOKEN_VERSION_TAG)
    if dcr is not None and current_version != d.target.token_version:
        learned["token_version"] = str(current_version or "")
        index = next(i for i, f in enumerate(findings) if f.resource.kind is resources.CONNECTOR)
        found = findings[index]
        token = f"token (miro.token_version is now {d.target.token_version})"
        if connector is not None and found.action is None:
            findings[index] = Finding(found.resource, connector, "update", (token,), detail=f"differs at {token}")
    return Survey(tuple(findings), learned)


def _assess(r: Resource, current: Mapping[str, Any] | None, learned: Mapping[str, str], *, ours: bool) -> Finding:
    if current is None:
        return Finding(r, None, "create")
    desired = r.body(learned)
    differs = tuple(differences(r.kind.comparable(desired), current))
    if r.kind is resources.ROLE_ASSIGNMENT and _elsewhere(r, current):
        detail = f"already granted by assignment {current.get('name')}; taken as is"
        return Finding(r, current, "adopt", (), adopted=True, detail=detail)
    warning, blocker = _table_hazards(desired, current) if r.kind is resources.TABLE else ("", "")
    adopted = not (_is_tagged(current) if r.kind.tagged else ours)
    parts = []
    if adopted:
        parts.append("exists, not created by miro-sentinel: adopt existing")
    if differs:
        parts.append("differs at " + ", ".join(differs))
    if warning:
        parts.append(warning)
    detail = "; ".join(parts)
    if adopted:
        return Finding(r, current, "adopt", differs, adopted=True, detail=detail, blocker=blocker)
    if differs:
        return Finding(r, current, "update", differs, detail=detail, blocker=blocker)
    return Finding(r, current, None)
