"""Preflight: what Azure must offer before a deployment writes anything, each with its remedy.

The classic failures of a first deployment, checked with reads only: resource providers not registered
(``MissingSubscriptionRegistration``), Sentinel not enabled on the workspace, an identity that may not
create the role assignment, a region without data collection endpoints, and (terraform engine) a state
container the identity cannot read. ``plan`` and ``deploy`` run it before planning; ``preflight`` runs
it alone. A check that cannot be made (an identity without subscription-level read) is skipped, saying
why: the deployment itself will then tell.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployer import resources
from deployer.azure.arm import ArmClient
from deployer.dcr.spec import DcrSpec
from deployer.errors import ExternalError, ResourceNotFound
from deployer.provision import PreflightCheck, PreflightStatus, Target
from deployer.resources import Deployment
from deployer.survey import find_role

__all__ = ["REQUIRED_PROVIDERS", "ROLE_ASSIGNMENT_WRITE", "allows", "run_preflight"]

#: The resource providers the pipeline's resources belong to.
REQUIRED_PROVIDERS = ("Microsoft.Insights", "Microsoft.OperationalInsights", "Microsoft.SecurityInsights")

#: What creating the role assignment takes.
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"


def allows(permissions: Sequence[Mapping[str, Any]], action: str) -> bool:
    """Whether one of the caller's permission sets allows ``action`` (``*`` matches anything, any case).

    Each set is a role's ``actions`` minus its ``notActions``, as the Permissions API lists them.
    """

    def matches(patterns: Any) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns or [])

    return any(matches(p.get("actions")) and not matches(p.get("notActions")) for p in permissions)


@dataclass
class _Context:
    arm: ArmClient
    target: Target
    spec: DcrSpec
    writes: bool
    providers: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def provider(self, namespace: str) -> Mapping[str, Any]:
        if namespace not in self.providers:
            self.providers[namespace] = self.arm.get_provider(namespace)
        return self.providers[namespace]


def _check(check_id: str, title: str, status: PreflightStatus, detail: str, remedy: str = "") -> PreflightCheck:
    return PreflightCheck(check_id, title, status, detail, remedy)


def _providers(ctx: _Context) -> PreflightCheck:
    title = "Resource providers"
    states = {ns: str(ctx.provider(ns).get("registrationState", "")) for ns in REQUIRED_PROVIDERS}
    missing = [f"{ns} ({state or 'unknown'})" for ns, state in states.items() if state.lower() != "registered"]
    if missing:
        commands = " and ".join(f"`az provider register --namespace {ns.split(' ')[0]}`" for ns in missing)
        return _check(
            "providers", title, "failed",
            f"not registered in subscription {ctx.target.subscription_id}: {', '.join(missing)}",
            f"run {commands} (Contributor on the subscription), then wait until it shows Registered",
        )  # fmt: skip
    return _check("providers", title, "ok", f"{', '.join(REQUIRED_PROVIDERS)} registered")


def _normalised(location: str) -> str:
    return location.replace(" ", "").lower()


def _region(ctx: _Context) -> PreflightCheck:
    title, wanted = "Region", ctx.target.location
    kind = resources.DCE.arm_type.split("/", 1)
    types = ctx.provider(kind[0]).get("resourceTypes") or []
    entry = next((t for t in types if str(t.get("resourceType", "")).lower() == kind[1].lower()), None)
    if entry is None:
        return _check("region", title, "skipped", f"{kind[0]} did not list {kind[1]}")
    offered = [str(x) for x in entry.get("locations") or []]
    if _normalised(wanted) not in {_normalised(x) for x in offered}:
        return _check(
            "region", title, "failed", f"{wanted} offers no data collection endpoints",
            f"set azure.location to a region that does, e.g. {', '.join(sorted(offered)[:3]) or 'westeurope'}",
        )  # fmt: skip
    return _check("region", title, "ok", f"{wanted} offers data collection endpoints")


def _sentinel(ctx: _Context) -> PreflightCheck:
    title, t = "Microsoft Sentinel", ctx.target
    if t.create_workspace:
        return _check("sentinel", title, "skipped", f"workspace {t.workspace_name} is created by this deployment")
    try:
        ctx.arm.get_workspace(t.workspace_resource_group, t.workspace_name)
    except ResourceNotFound:
        return _check(
            "sentinel", title, "failed",
            f"workspace {t.workspace_name} does not exist in resource group {t.workspace_resource_group}",
            "set workspace.name and workspace.resource_group to your Sentinel workspace",
        )  # fmt: skip
    try:
        ctx.arm.get_onboarding_state(t.workspace_resource_id)
    except ResourceNotFound:
        if t.onboard_sentinel:
            return _check("sentinel", title, "ok", f"enabled on {t.workspace_name} by this deployment")
        return _check(
            "sentinel", title, "failed", f"not enabled on workspace {t.workspace_name}",
            "add Microsoft Sentinel to the workspace (portal: Microsoft Sentinel > Create), "
            "or set workspace.onboard_sentinel = true with the terraform engine",
        )  # fmt: skip
    return _check("sentinel", title, "ok", f"enabled on workspace {t.workspace_name}")


def _role_rights(ctx: _Context) -> PreflightCheck:
    title, t = "Rights to grant the role", ctx.target
    d = Deployment(t, ctx.spec)
    role, dcr = resources.by_key(d, resources.ROLE_ASSIGNMENT.key), resources.by_key(d, resources.DCR.key)
    if dcr.read(ctx.arm) is not None and find_role(ctx.arm, role, t.validation_principal_id) is not None:
        return _check("role_rights", title, "ok", "the validation principal already holds its role on the DCR")
    try:
        permissions = ctx.arm.list_permissions(t.resource_group)
    except ResourceNotFound:
        if t.create_workspace:
            return _check(
                "role_rights", title, "skipped", f"resource group {t.resource_group} is created by this deployment"
            )
        return _check(
            "role_rights", title, "failed", f"resource group {t.resource_group} does not exist",
            "create it, or set azure.resource_group to an existing one",
        )  # fmt: skip
    if allows(permissions, ROLE_ASSIGNMENT_WRITE):
        return _check("role_rights", title, "ok", f"you may create role assignments in {t.resource_group}")
    return _check(
        "role_rights", title, "failed" if ctx.writes else "warn",
        f"the signed-in identity may not create role assignments in {t.resource_group} ({ROLE_ASSIGNMENT_WRITE})",
        "deploy with an identity that has Owner, User Access Administrator or Role Based Access Control "
        "Administrator on the resource group, or grant Monitoring Metrics Publisher on the DCR by hand",
    )  # fmt: skip


_CHECKS: tuple[tuple[str, str, Callable[[_Context], PreflightCheck]], ...] = (
    ("providers", "Resource providers", _providers),
    ("region", "Region", _region),
    ("sentinel", "Microsoft Sentinel", _sentinel),
    ("role_rights", "Rights to grant the role", _role_rights),
)


def run_preflight(
    arm: ArmClient,
    target: Target,
    spec: DcrSpec,
    *,
    writes: bool,
    engine_checks: Callable[[], Sequence[PreflightCheck]] = tuple,
) -> tuple[PreflightCheck, ...]:
    """Every check, in a fixed order; none raises. ``writes``: a deploy (a plan only warns about rights)."""
    ctx = _Context(arm, target, spec, writes)
    results = []
    for check_id, title, check in _CHECKS:
        try:
            results.append(check(ctx))
        except ExternalError as exc:
            results.append(_check(check_id, title, "skipped", f"could not check: {exc.message}"))
    return (*results, *engine_checks())
