"""Health checks of our Sentinel content: every resource of ``content/`` is there as written, and the
analytics rules run without error.

``content``: each analytics rule, metric alert, hunting query and the workbook exists and matches the body
deploy would write; a rule that Sentinel disabled after permanent failures (``AUTO DISABLED``) or that
someone disabled by hand is named. ``rule_runs``: the latest run of every enabled rule in ``SentinelHealth``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from deployer.azure.arm import ArmClient
from deployer.content.bodies import content_resources, deployment_content
from deployer.drift import differences
from deployer.errors import ExternalError, ResourceNotFound
from deployer.health.model import CheckResult, Status
from deployer.health.registry import Check, Needs, check

if TYPE_CHECKING:
    from deployer.health.checks import HealthContext

__all__ = ["check_content", "check_rule_runs", "skipped_without_sentinel_health"]

AUTO_DISABLED = "AUTO DISABLED"
RUN_OPERATION = "Scheduled analytics rule run"


def skipped_without_sentinel_health(this: Check, exc: ExternalError, to_see: str) -> CheckResult:
    """SKIPPED when a query failed because the workspace has no ``SentinelHealth`` table (health monitoring
    off); any other failure is raised again.

    Azure names the missing table only in the inner error, which the SDK's exception text carries.
    """
    said = f"{exc.message} {exc.__cause__ or ''}".lower()
    if "sentinelhealth" in said and any(w in said for w in ("not found", "semantic", "failed to resolve")):
        return this.result(
            Status.SKIPPED, "the workspace has no SentinelHealth table",
            f"turn on Sentinel health monitoring (Settings > Auditing and health monitoring) to see {to_see}",
        )  # fmt: skip
    raise exc


def _read(arm: ArmClient, resource_id: str, api_version: str) -> dict[str, Any] | None:
    try:
        return dict(arm.request("GET", resource_id, api_version, what=f"reading {resource_id.rsplit('/', 1)[-1]}"))
    except ResourceNotFound:
        return None


@check("content", "Sentinel content", needs=Needs.ARM)
def check_content(ctx: HealthContext, this: Check) -> CheckResult:
    assert ctx.arm is not None  # guarded by Check.run (needs ARM)
    missing: list[str] = []
    problems: list[str] = []
    counts = {"rules": 0, "enabled": 0}
    for item in content_resources(ctx.target, ctx.spec.table.name):
        what, desired = item.address, item.body
        current = _read(ctx.arm, item.resource_id, item.api_version)
        if current is None:
            missing.append(what)
            continue
        props: Mapping[str, Any] = current.get("properties") or {}
        wanted: dict[str, Any] = dict(desired.get("properties") or {})
        if what.startswith("analytics rule"):
            counts["rules"] += 1
            counts["enabled"] += bool(props.get("enabled"))
            if str(props.get("displayName", "")).startswith(AUTO_DISABLED):
                problems.append(f"{what} is AUTO DISABLED (Sentinel stopped it after its query failed)")
                continue
            if wanted.get("enabled") and not props.get("enabled"):
                problems.append(f"{what} is disabled, but the settings enable it")
                continue
        drift = differences({**desired, "properties": wanted}, current)
        if drift:
            problems.append(f"{what} differs from content/ at {', '.join(drift)}")
    if missing or problems:
        detail = "; ".join([*(f"missing: {m}" for m in missing), *problems])
        return this.result(
            Status.FAIL, detail,
            "run `miro-sentinel deploy` to write content/ back (see TROUBLESHOOTING.md#content)",
            missing=missing, problems=problems,
        )  # fmt: skip
    return this.result(
        Status.OK,
        f"{counts['rules']} analytics rules ({counts['enabled']} enabled), metric alerts, hunting queries and the workbook, as in content/",
        rules=counts["rules"], enabled=counts["enabled"],
    )  # fmt: skip


@check("rule_runs", "Analytics rule runs", needs=Needs.QUERY)
def check_rule_runs(ctx: HealthContext, this: Check) -> CheckResult:
    hours = ctx.settings.health.lookback_hours
    assert ctx.query is not None  # guarded by Check.run (needs QUERY)
    content = deployment_content(ctx.target, ctx.spec.table.name)
    enabled = {name: key for key, (name, body) in content.alert_rules.items() if body["properties"]["enabled"]}
    if not enabled:
        return this.result(Status.SKIPPED, "every analytics rule is disabled by the settings")
    try:
        rows = ctx.query.query(
            f"SentinelHealth | where TimeGenerated > ago({hours}h) | where OperationName == '{RUN_OPERATION}' "
            "| summarize arg_max(TimeGenerated, Status, Description) by SentinelResourceId",
            timespan=dt.timedelta(hours=hours),
        )
    except ExternalError as exc:
        return skipped_without_sentinel_health(this, exc, "rule runs")
    latest = {str(r.get("SentinelResourceId", "")).rsplit("/", 1)[-1].lower(): r for r in rows}
    failed = [
        f"{key}: {latest[name.lower()].get('Description')}"
        for name, key in enabled.items()
        if str(latest.get(name.lower(), {}).get("Status")) == "Failure"
    ]
    never = [key for name, key in enabled.items() if name.lower() not in latest]
    if failed:
        return this.result(
            Status.FAIL, "last run failed: " + "; ".join(failed), failed=failed, not_run=never
        )  # fmt: skip
    if never:
        return this.result(
            Status.WARN, f"no run recorded in the last {hours} h for: {', '.join(never)}", not_run=never
        )  # fmt: skip
    return this.result(
        Status.OK, f"the last run of each of the {len(enabled)} enabled rules succeeded", rules=len(enabled)
    )  # fmt: skip
