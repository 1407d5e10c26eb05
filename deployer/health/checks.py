"""The health checks. Each reads what it needs through the clients and returns a :class:`CheckResult`.

A check never raises: a missing resource is a FAIL with a remedy; a system that cannot be reached makes
the check SKIPPED with ``external_error`` set, so the report can tell "unhealthy" from "unknown".
Check ids are stable: JSON consumers and TROUBLESHOOTING.md sections use them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from deployer import resources
from deployer.azure.arm import ArmClient
from deployer.azure.query import QueryClient
from deployer.config import Settings
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec
from deployer.drift import differences
from deployer.errors import DeployerError, ExternalError, MiroError, ResourceNotFound
from deployer.health.content_checks import check_content, check_rule_runs, skipped_without_sentinel_health
from deployer.health.model import CheckResult, Status
from deployer.health.registry import Check, Needs, check
from deployer.miro.token_check import TokenCheck
from deployer.provision import DeploymentOutputs, Target
from deployer.validation import VALIDATION_CATEGORY, ValidationResult

__all__ = ["CHECK_IDS", "HealthContext", "run_checks"]

#: The official Content Hub solution's names, to spot a second feed into the same table.
CONTENT_HUB_DEFINITION = "MiroAuditLogsDataConnector"
LEGACY_TABLE = "Miro_Auditlogs_CL"


@dataclass
class HealthContext:
    """What the checks may use. Fields are None when unavailable (the check then says why it skipped)."""

    settings: Settings
    spec: DcrSpec
    target: Target
    arm: ArmClient | None
    query: QueryClient | None
    outputs: DeploymentOutputs | None
    principal_id: str
    token_check: TokenCheck | DeployerError | None
    validation: ValidationResult | None
    outputs_error: DeployerError | None = None

    def resource(self, kind: resources.Kind) -> resources.Resource:
        """The deployment's resource of ``kind``, from the one resource table."""
        return resources.by_key(resources.Deployment(self.target, self.spec), kind.key)


@check("settings", "Settings")
def check_settings(ctx: HealthContext, this: Check) -> CheckResult:
    s = ctx.settings
    where = "the local cloud" if s.is_local else f"subscription {s.azure.subscription_id}, {s.azure.location}"
    source = str(s.env_file) if s.env_file else "defaults"
    return this.result(Status.OK, f"{source} is valid; engine {s.engine}; {where}")


@check("miro_token", "Miro token")
def check_miro_token(ctx: HealthContext, this: Check) -> CheckResult:
    found = ctx.token_check
    if found is None:
        return this.result(
            Status.SKIPPED, "no token given, so it was not checked",
            f"export {ctx.settings.miro.token_env_var} to include this check",
        )  # fmt: skip
    if isinstance(found, MiroError):
        if found.status_code in (401, 403) or found.error_code == "missingScope":  # Miro's verdict on the token
            return this.result(
                Status.FAIL, found.message, found.remedy, status_code=found.status_code, error_code=found.error_code
            )
        return this.result(
            Status.SKIPPED, f"could not check: {found.message}", found.remedy,
            external_error=True, status_code=found.status_code, error_code=found.error_code,
        )  # fmt: skip
    if isinstance(found, DeployerError):
        return this.result(Status.SKIPPED, f"could not check: {found.message}", found.remedy, external_error=True)
    remaining = found.rate_limit.remaining
    credits = f"; {remaining} of {found.rate_limit.limit} rate-limit credits left" if remaining is not None else ""
    return this.result(
        Status.OK,
        f"valid for organisation '{found.organization_name}' ({found.organization_id}); audit log readable{credits}",
        organization_id=found.organization_id, scopes=list(found.scopes or []),
    )  # fmt: skip


@check("table", "Table schema", needs=Needs.ARM)
def check_table(ctx: HealthContext, this: Check) -> CheckResult:
    name = ctx.spec.table.name
    table = ctx.resource(resources.TABLE).get(_arm(ctx))
    schema = table.get("properties", {}).get("schema", {})
    actual = {str(c["name"]): str(c["type"]).lower() for c in schema.get("columns", [])}
    wanted = {c.name: c.type for c in ctx.spec.table.columns}
    missing = [f"{n} ({k})" for n, k in wanted.items() if n not in actual]
    retyped = [
        f"{n} is {actual[n]}, dcr/table.json says {k}" for n, k in wanted.items() if n in actual and actual[n] != k
    ]
    extra = [f"{n} ({k})" for n, k in actual.items() if n not in wanted]
    if missing or retyped:
        drift = "; ".join([*(f"missing {m}" for m in missing), *retyped])
        return this.result(
            Status.FAIL, f"{name} differs from dcr/table.json: {drift}",
            "run `miro-sentinel deploy` to restore the columns; a changed type needs a new column (types cannot change in place)",
            missing=missing, retyped=retyped, extra=extra,
        )  # fmt: skip
    if extra:
        return this.result(
            Status.WARN, f"{name} has columns dcr/table.json does not know: {', '.join(extra)}",
            "add them to dcr/table.json (and the transform), or remove them", extra=extra,
        )  # fmt: skip
    return this.result(Status.OK, f"{name}: {len(wanted)} columns, as in dcr/table.json")


@check("dce", "Data collection endpoint", needs=Needs.ARM)
def check_dce(ctx: HealthContext, this: Check) -> CheckResult:
    t = ctx.target
    dce = ctx.resource(resources.DCE).get(_arm(ctx))
    props = dce.get("properties", {})
    endpoint = (props.get("logsIngestion") or {}).get("endpoint", "")
    state = props.get("provisioningState", "Succeeded")
    if not endpoint or state != "Succeeded":
        return this.result(
            Status.FAIL,
            f"{t.dce_name}: state {state}, logs ingestion endpoint '{endpoint}'",
        )
    return this.result(Status.OK, f"{t.dce_name}: {endpoint}", endpoint=endpoint)


@check("dcr", "Data collection rule", needs=Needs.ARM)
def check_dcr(ctx: HealthContext, this: Check) -> CheckResult:
    t, spec, rule = ctx.target, ctx.spec, ctx.resource(resources.DCR)
    dcr = rule.get(_arm(ctx))
    wanted = rule.kind.comparable(rule.body())["properties"]
    drift = differences(wanted, dcr.get("properties", {}))
    if drift:
        named = ", ".join(_friendly(d) for d in drift)
        return this.result(
            Status.FAIL, f"{t.dcr_name} differs from dcr/ at: {named}",
            "run `miro-sentinel deploy` to put back the stream, transform and destination from dcr/", drift=drift,
        )  # fmt: skip
    immutable = dcr.get("properties", {}).get("immutableId", "")
    return this.result(
        Status.OK,
        f"{t.dcr_name} ({immutable}): stream {spec.stream.name}, transform and destination as in dcr/",
    )  # fmt: skip


def _friendly(path: str) -> str:
    if "transformKql" in path:
        return "the transform (transformKql)"
    if "streamDeclarations" in path:
        return f"the stream declaration ({path.split('streamDeclarations.', 1)[-1]})"
    return path


@check("role", "Role for validation", needs=Needs.ARM)
def check_role(ctx: HealthContext, this: Check) -> CheckResult:
    t = ctx.target
    assignments = _arm(ctx).list_role_assignments(t.dcr_resource_id, ctx.principal_id)
    role = bodies.MONITORING_METRICS_PUBLISHER_ROLE_ID
    held = [a for a in assignments if str(a.get("properties", {}).get("roleDefinitionId", "")).lower().endswith(role)]
    if not held:
        return this.result(
            Status.FAIL,
            f"principal {ctx.principal_id} has no Monitoring Metrics Publisher assignment on {t.dcr_name}",
            "run `miro-sentinel deploy` (it assigns the role), or set validation.principal_object_id to the principal that sends",
        )  # fmt: skip
    return this.result(
        Status.OK,
        f"principal {ctx.principal_id} may send to {t.dcr_name} (Monitoring Metrics Publisher)",
    )


@check("connector", "Sentinel connector", needs=Needs.ARM)
def check_connector(ctx: HealthContext, this: Check) -> CheckResult:
    t, arm = ctx.target, _arm(ctx)
    try:
        ctx.resource(resources.CONNECTOR_DEFINITION).get(arm)
    except ResourceNotFound:
        return this.result(
            Status.FAIL,
            f"connector definition {t.connector_definition_name} is missing",
            "run `miro-sentinel deploy`",
        )
    connector = ctx.resource(resources.CONNECTOR).get(arm)
    props = {str(k).lower(): v for k, v in connector.get("properties", {}).items()}
    problems = []
    if str(connector.get("kind", "")) != "RestApiPoller":
        problems.append(f"kind is {connector.get('kind')}, not RestApiPoller")
    if props.get("isactive") is False:
        problems.append("it is not active (isActive is false)")
    dcr_config = {str(k).lower(): v for k, v in (props.get("dcrconfig") or {}).items()}
    if ctx.outputs is not None:
        if dcr_config.get("datacollectionruleimmutableid") != ctx.outputs.dcr_immutable_id:
            problems.append(
                f"it sends to DCR {dcr_config.get('datacollectionruleimmutableid')}, not ours ({ctx.outputs.dcr_immutable_id})"
            )
        if dcr_config.get("datacollectionendpoint") != ctx.outputs.logs_ingestion_endpoint:
            problems.append(f"it sends to endpoint {dcr_config.get('datacollectionendpoint')}, not ours")
    if dcr_config.get("streamname") != ctx.spec.stream.name:
        problems.append(f"its stream is {dcr_config.get('streamname')}, not {ctx.spec.stream.name}")
    request = {str(k).lower(): v for k, v in (props.get("request") or {}).items()}
    expected_api = f"{t.miro_api_base_url.rstrip('/')}/v2/audit/logs"
    if request.get("apiendpoint") != expected_api:
        problems.append(f"it polls {request.get('apiendpoint')}, not {expected_api}")
    if problems:
        return this.result(
            Status.FAIL,
            f"{t.connector_name}: " + "; ".join(problems),
            "run `miro-sentinel deploy` to restore it",
        )
    return this.result(
        Status.OK,
        f"{t.connector_name}: active RestApiPoller on {expected_api}, into our DCR and stream",
    )


@check("freshness", "Data freshness", needs=Needs.QUERY)
def check_freshness(ctx: HealthContext, this: Check) -> CheckResult:
    h = ctx.settings.health
    table = ctx.spec.table.name
    real = f"{table} | where category != '{VALIDATION_CATEGORY}'"
    # Age is computed by the service (its now()), so no clock on this machine is trusted.
    [latest] = _query(ctx).query(
        f"{real} | summarize LastEvent = max(TimeGenerated), Events = count() "
        f"| extend AgeMinutes = datetime_diff('minute', now(), LastEvent)",
        timespan=None,
    ) or [{}]
    per_hour = _query(ctx).query(
        f"{real} | where TimeGenerated > ago({h.lookback_hours}h) | summarize Events = count() by Hour = bin(TimeGenerated, 1h) | sort by Hour asc",
        timespan=dt.timedelta(hours=h.lookback_hours),
    )
    series: list[dict[str, Any]] = [
        {"hour": _iso(r.get("Hour")), "events": int(r.get("Events") or 0)} for r in per_hour
    ]
    total = sum(p["events"] for p in series)
    if not latest.get("Events"):
        return this.result(
            Status.WARN if _connector_is_young(ctx) else Status.FAIL,
            f"no Miro events in {table} yet",
            "the first events usually arrive 5-30 minutes after the connector is created; if it is older, check the "
            "Sentinel connector and SentinelHealth (see TROUBLESHOOTING.md#freshness)",
            events_per_hour=series,
        )  # fmt: skip
    age = int(latest.get("AgeMinutes") or 0)
    detail = f"last Miro event {age} min ago ({_iso(latest.get('LastEvent'))}); {total} events in the last {h.lookback_hours} h"
    status = (
        Status.OK if age < h.freshness_warn_minutes else Status.WARN if age < h.freshness_fail_minutes else Status.FAIL
    )
    return this.result(status, detail, age_minutes=age, events_per_hour=series, events_in_lookback=total)


def _connector_is_young(ctx: HealthContext) -> bool:
    if ctx.arm is None:
        return False
    try:
        connector = ctx.resource(resources.CONNECTOR).get(ctx.arm)
    except DeployerError:
        return False
    created = (connector.get("systemData") or {}).get("createdAt")
    if not created:
        return True
    try:
        when = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return True
    return (dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=ctx.settings.health.freshness_fail_minutes)


@check("fetch_failures", "Connector fetches (SentinelHealth)", needs=Needs.QUERY)
def check_fetch_failures(ctx: HealthContext, this: Check) -> CheckResult:
    h, name = ctx.settings.health, ctx.target.connector_name
    # Real workspaces are reported to name a codeless poller "ApiPolling-<name>"; match both forms.
    base = (
        f"SentinelHealth | where TimeGenerated > ago({h.lookback_hours}h) "
        f"| where SentinelResourceName in ('{name}', 'ApiPolling-{name}') "
        "| where OperationName == 'Data fetch status change'"
    )
    try:
        counts = _query(ctx).query(
            f"{base} | summarize Failures = countif(Status == 'Failure'), Successes = countif(Status == 'Success')",
            timespan=dt.timedelta(hours=h.lookback_hours),
        )
        last = _query(ctx).query(
            f"{base} | sort by TimeGenerated desc | take 1 | project TimeGenerated, Status, Description, Reason",
            timespan=dt.timedelta(hours=h.lookback_hours),
        )
    except ExternalError as exc:
        return skipped_without_sentinel_health(this, exc, "connector fetch failures")
    failures = int((counts[0] if counts else {}).get("Failures") or 0)
    successes = int((counts[0] if counts else {}).get("Successes") or 0)
    if not last:
        return this.result(
            Status.WARN,
            f"no fetch recorded for {name} in the last {h.lookback_hours} h",
            "the connector may not have polled yet; check again in a few minutes",
        )
    latest = last[0]
    detail = f"{successes} successful and {failures} failed fetches in {h.lookback_hours} h; last: {latest.get('Status')} at {_iso(latest.get('TimeGenerated'))}"
    if str(latest.get("Status")) == "Failure":
        description = str(latest.get("Description") or "")
        return this.result(
            Status.FAIL, f"{detail}: {description}",
            fetch_failure_remedy(description, str(latest.get("Reason") or "")),
            failures=failures, successes=successes,
        )  # fmt: skip
    if failures > h.max_fetch_failures:
        return this.result(
            Status.WARN,
            detail,
            "fetches failed earlier but the last one succeeded; watch for a pattern",
            failures=failures,
            successes=successes,
        )
    return this.result(Status.OK, detail, failures=failures, successes=successes)


#: SentinelHealth's account of a failed fetch (its Reason, or the status in its Description) → what to do.
_FETCH_REMEDIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(?:HTTP|status) 401\b|\(401\b|unauthori[sz]ed", re.IGNORECASE),
        "Miro refused the connector's token (401): it was revoked or expired; put a new one in MIRO_ACCESS_TOKEN, "
        "bump miro.token_version and deploy",
    ),
    (
        re.compile(r"\b(?:HTTP|status) 403\b|\(403\b|forbidden", re.IGNORECASE),
        "Miro denied the audit log (403): the token lacks auditlogs:read, or the organisation is no longer on the "
        "Enterprise plan; run `miro-sentinel check-token` to see which",
    ),
    (
        re.compile(r"\b(?:HTTP|status) 429\b|\(429\b|throttl|rate.?limit|too many requests", re.IGNORECASE),
        "Miro rate-limited the connector (429): another integration may be spending the same token's budget; the "
        "connector retries at its next poll, so watch whether the next fetch succeeds",
    ),
    (
        re.compile(r"timeout|timed out|connectionfailed|could not connect|unreachable", re.IGNORECASE),
        "the connector could not reach Miro in time; it retries at its next poll; if it persists, check "
        "https://status.miro.com and miro.api_base_url",
    ),
    (
        re.compile(r"paging ?loop|same next-page token", re.IGNORECASE),
        "Miro sent back the page token it was given (a paging loop), so the connector stopped that window; it "
        "retries at its next poll; if it persists, report it to Miro support with the window in the detail",
    ),
    (
        re.compile(r"invalid ?response|not valid json", re.IGNORECASE),
        "Miro's answer was not what the connector expects (invalid response): check miro.api_base_url and run "
        "`miro-sentinel deploy` to restore the connector definition",
    ),
    (
        re.compile(r"\bHTTP 5\d\d\b|servererror|server error|service unavailable", re.IGNORECASE),
        "Miro failed on its side (5xx); the connector retries at its next poll; check https://status.miro.com",
    ),
    (
        re.compile(r"ingestion ?failed", re.IGNORECASE),
        "the connector fetched from Miro but could not write to the DCR: see the dcr and dcr_metrics checks",
    ),
)


def fetch_failure_remedy(description: str, reason: str = "") -> str:
    """What to do about a failed connector fetch, by what failed (token, rights, rate, Miro, the answer)."""
    text = f"{reason} {description}"
    for pattern, remedy in _FETCH_REMEDIES:
        if pattern.search(text):
            return remedy
    return "read the failure above; TROUBLESHOOTING.md#fetch-failures lists the usual causes"


@check("dcr_metrics", "DCR metrics", needs=Needs.ARM)
def check_dcr_metrics(ctx: HealthContext, this: Check) -> CheckResult:
    h = ctx.settings.health
    totals: dict[str, float | None] = {}
    # Each metric is read in an aggregation it supports (Learn: the row counts Total, transform errors Count only).
    for names, aggregation in _DCR_METRICS:
        answer = _arm(ctx).get_metrics(
            ctx.target.dcr_resource_id, list(names), timespan=f"PT{h.lookback_hours}H", aggregation=aggregation
        )
        totals.update(_metric_sums(answer, names, aggregation.lower()))
    unknown = [n for n, v in totals.items() if v is None]
    if unknown:
        return this.result(
            Status.WARN, f"Azure answered no values for {', '.join(unknown)}",
            "read the DCR's metrics in the portal (Monitoring > Metrics); a new DCR can take a few minutes to report",
        )  # fmt: skip
    received, dropped, errors = (
        int(totals[n] or 0) for n in ("RowsReceived_Count", "RowsDropped_Count", "TransformationErrors_Count")
    )
    detail = f"last {h.lookback_hours} h: {received} rows received, {dropped} dropped, {errors} transformation errors"
    if dropped or errors:
        return this.result(
            Status.FAIL, detail,
            "rows are being lost: run `miro-sentinel dcr test` on recent events, and read the DCR's error logs (DCRLogErrors)",
            received=received, dropped=dropped, transformation_errors=errors,
        )  # fmt: skip
    return this.result(Status.OK, detail, received=received, dropped=dropped, transformation_errors=errors)


_DCR_METRICS = ((("RowsReceived_Count", "RowsDropped_Count"), "Total"), (("TransformationErrors_Count",), "Count"))


def _metric_sums(answer: dict[str, Any], names: tuple[str, ...], field: str) -> dict[str, float | None]:
    """Each metric's sum of ``field`` over its points; ``None`` when Azure answered no value for it."""
    sums: dict[str, float | None] = dict.fromkeys(names)
    for metric in answer.get("value", []):
        name = (metric.get("name") or {}).get("value", "")
        values = [
            float(point[field])
            for series in metric.get("timeseries") or []
            for point in series.get("data") or []
            if point.get(field) is not None
        ]
        if name in sums and values:
            sums[name] = sum(values)
    return sums


@check("validation", "Validation record")
def check_validation(ctx: HealthContext, this: Check) -> CheckResult:
    v = ctx.validation
    if v is None:
        return this.result(Status.SKIPPED, "not run by this command", "run `miro-sentinel validate` to send one")
    data: dict[str, Any] = {
        "record_id": v.record_id,
        "accepted_at": _iso(v.accepted_at),
        "visible_at": _iso(v.visible_at),
        "latency_seconds": v.latency_seconds,
        "forbidden_retries": v.forbidden_retries,
    }
    if v.ok:
        return this.result(Status.OK, v.detail, **data)
    return this.result(Status.FAIL, v.detail, v.remedy, **data)


@check("other_feeds", "Other Miro feeds", needs=Needs.ARM)
def check_other_feeds(ctx: HealthContext, this: Check) -> CheckResult:
    arm, t = _arm(ctx), ctx.target
    table = ctx.spec.table.name
    connectors = ctx.resource(resources.CONNECTOR)
    others = [
        c
        for c in arm.list_resources(connectors.collection_id, connectors.kind.api_version)
        if c.get("name") != t.connector_name
    ]
    fed = {
        str(((c.get("properties") or {}).get("dcrConfig") or {}).get("dataCollectionRuleImmutableId", "")).lower()
        for c in others
    }
    found: list[str] = []
    idle: list[str] = []
    for dcr in arm.list_dcrs():
        tags = dcr.get("tags") or {}
        if tags.get("managed-by") == "miro-sentinel" and dcr.get("name") == t.dcr_name:
            continue
        props = dcr.get("properties") or {}
        if any(f.get("outputStream") == f"Custom-{table}" for f in props.get("dataFlows") or []):
            # A rule alone stores nothing; it duplicates events only while something sends to it.
            sent_to = str(props.get("immutableId", "")).lower() in fed
            (found if sent_to else idle).append(f"DCR {dcr.get('name')} also writes to {table}")
    for connector in others:
        if (connector.get("properties") or {}).get("connectorDefinitionName") == CONTENT_HUB_DEFINITION:
            found.append(f"connector {connector.get('name')} (the Content Hub Miro solution) also polls Miro")
    if found:
        return this.result(
            Status.FAIL, "; ".join(found) + ": every event would be stored twice",
            "keep one feed: remove the Content Hub connector (Sentinel > Data connectors) or run `miro-sentinel destroy`",
            feeds=found,
        )  # fmt: skip
    if idle:
        return this.result(
            Status.WARN,
            "; ".join(idle) + " (no Sentinel connector sends to it now, but anything that does stores events twice)",
            "delete the rule if nothing uses it (left by the Content Hub Miro solution, for instance)",
            feeds=idle,
        )  # fmt: skip
    legacy = [
        x["name"]
        for x in arm.list_tables(t.workspace_resource_group, t.workspace_name)
        if x.get("name") == LEGACY_TABLE
    ]
    if legacy:
        return this.result(
            Status.WARN, f"the legacy table {LEGACY_TABLE} exists (the Azure Functions connector)",
            f"if its function app still runs, stop it: it double-ingests into {LEGACY_TABLE}, and its HTTP Data Collector API retires",
        )  # fmt: skip
    return this.result(Status.OK, f"no other feed writes Miro audit events into {table}")


#: Every check, in the report's order.
CHECKS: tuple[Check, ...] = (
    check_settings,
    check_miro_token,
    check_table,
    check_dce,
    check_dcr,
    check_role,
    check_connector,
    check_freshness,
    check_fetch_failures,
    check_dcr_metrics,
    check_validation,
    check_other_feeds,
    check_content,
    check_rule_runs,
)
CHECK_IDS = tuple(c.id for c in CHECKS)


def run_checks(ctx: HealthContext) -> list[CheckResult]:
    """Every check, in a fixed order; none raises."""
    return [c.run(ctx) for c in CHECKS]


def _arm(ctx: HealthContext) -> ArmClient:
    assert ctx.arm is not None  # guarded by Check.run (needs ARM)
    return ctx.arm


def _query(ctx: HealthContext) -> QueryClient:
    assert ctx.query is not None  # guarded by Check.run (needs QUERY)
    return ctx.query


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return None if value is None else str(value)
