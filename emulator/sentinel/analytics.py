"""Sentinel's scheduled analytics rules: ``alertRules`` of kind ``Scheduled`` over ARM, and their scheduler.

A PUT is checked as Sentinel checks it (:mod:`emulator.sentinel.rule_validation`), then its query is compiled
against the workspace's tables: a query that does not parse, reads a table the workspace lacks or names a
column no table has is refused with Sentinel's error, and so are entity mappings, custom details and alert
overrides naming columns the query does not return. Kinds other than ``Scheduled`` are known but not
emulated (501).

The scheduler runs every enabled rule on the virtual clock: first when it is created or changed, then every
``queryFrequency``. A run scheduled at T computes ``now()`` as T, reads the rows whose ``TimeGenerated`` lies in
``[T - queryPeriod, T]`` among those visible when it runs, compares the number of results with the trigger,
and writes ``SecurityAlert`` rows (:mod:`emulator.sentinel.alerts`) unless a previous alert suppresses it.
Every run writes a ``SentinelHealth`` row (``Scheduled analytics rule run``, Success or Failure); a query
that can no longer run (a table or column removed since) disables the rule and prefixes its name with
``AUTO DISABLED``, as Sentinel does with permanent failures. Incidents are not modelled.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import uuid
from typing import TYPE_CHECKING, Any

import kqlengine as kql
from emulator.arm.models.resources import Resource, system_data
from emulator.core.auth import Principal
from emulator.core.ticker import Ticker
from emulator.core.timespan import parse_duration
from emulator.sentinel import errors
from emulator.sentinel.alerts import alert_rows
from emulator.sentinel.rule_validation import columns_named, rule_problems

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ALERT_RULE_TYPE", "RUN_OPERATION", "AnalyticsBackend"]


ALERT_RULE_TYPE = "Microsoft.SecurityInsights/alertRules"
RUN_OPERATION = "Scheduled analytics rule run"
AUTO_DISABLED = "AUTO DISABLED"
_STATE = "sentinel.analytics"
_OTHER_KINDS = ("MicrosoftSecurityIncidentCreation", "Fusion", "NRT", "MLBehaviorAnalytics", "ThreatIntelligence")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _compare(count: int, operator: str, threshold: int) -> bool:
    return {
        "GreaterThan": count > threshold,
        "LessThan": count < threshold,
        "Equal": count == threshold,
        "NotEqual": count != threshold,
    }.get(operator, False)


class AnalyticsBackend:
    """Every workspace's scheduled analytics rules, and the thread that runs them."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._registry = cloud.arm.registry
        self._run_lock = threading.RLock()
        self._ticker = Ticker(cloud, "sentinel-analytics", self.run_due)

    # --- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._ticker.start()

    def quiesce(self) -> None:
        self._ticker.stop()

    def close(self) -> None:
        self._ticker.stop()

    def reset(self) -> None:
        """After the ARM registry was cleared: forget every schedule, and run again."""
        self._cloud.store.clear_documents(_STATE)
        self.start()

    def settle(self) -> None:
        """Run every run that is due (the clock was stepped)."""
        self.run_due()

    # --- ARM ------------------------------------------------------------------------------------------

    @staticmethod
    def rule_id(workspace: Resource, name: str) -> str:
        return f"{workspace.id}/providers/{ALERT_RULE_TYPE}/{name}"

    def put(
        self, caller: Principal, workspace: Resource, name: str, body: Any, *, onboarded: bool
    ) -> tuple[Resource, bool]:
        resource_id = self.rule_id(workspace, name)
        self._cloud.arm.roles.authorize(caller, f"{ALERT_RULE_TYPE}/write", resource_id)
        if not onboarded:
            raise errors.not_onboarded(workspace.name)
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        kind = body.get("kind")
        if kind in _OTHER_KINDS:
            raise errors.not_implemented([("kind", f"alert rules of kind {kind} are not emulated (only Scheduled)")])
        if kind != "Scheduled":
            raise errors.invalid_properties([("kind", f"is required and must be an alert rule kind, not {kind!r}")])
        problems = rule_problems(body)
        if problems:
            raise errors.invalid_properties(problems)
        props = copy.deepcopy(body["properties"])
        self._compile(workspace, props)
        previous = self._registry.get(resource_id)
        etag = body.get("etag")
        if previous is not None and etag not in (None, "") and etag != previous.body.get("etag"):
            raise errors.etag_mismatch(name)
        now = self._cloud.clock.now()
        props["lastModifiedUtc"] = _iso(now)
        who = caller.app_id or caller.object_id
        resource = Resource(
            resource_id,
            ALERT_RULE_TYPE,
            {"kind": "Scheduled", "properties": props, "systemData": system_data(previous, who, now)},
        )
        resource.new_etag()
        with self._run_lock:
            self._registry.put(resource)
            # A changed rule starts its schedule again, now.
            self._cloud.store.put_document(_STATE, resource_id.lower(), {"next_run": _iso(now), "runs": 0})
        self._ticker.wake()
        return resource, previous is None

    def get(self, caller: Principal, workspace: Resource, name: str) -> Resource:
        resource_id = self.rule_id(workspace, name)
        self._cloud.arm.roles.authorize(caller, f"{ALERT_RULE_TYPE}/read", resource_id)
        found = self._registry.get(resource_id)
        if found is None or found.type != ALERT_RULE_TYPE:
            raise errors.not_found("alert rule", name, workspace.name)
        return found

    def list_rules(self, caller: Principal, workspace: Resource) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{ALERT_RULE_TYPE}/read", workspace.id)
        return self._registry.of_type(ALERT_RULE_TYPE, under=workspace.id)

    def delete(self, caller: Principal, workspace: Resource, name: str) -> bool:
        resource_id = self.rule_id(workspace, name)
        self._cloud.arm.roles.authorize(caller, f"{ALERT_RULE_TYPE}/delete", resource_id)
        with self._run_lock:
            self._cloud.store.delete_document(_STATE, resource_id.lower())
            return self._registry.delete(resource_id)

    def _compile(self, workspace: Resource, props: dict[str, Any]) -> None:
        """Refuse a query that does not compile against the workspace, or mappings of columns it lacks."""
        customer_id = str(workspace.properties["customerId"])
        try:
            with self._cloud.schema_lock:
                columns = self._cloud.logs.compile(customer_id, str(props["query"]), now=self._cloud.clock.now())
        except kql.EngineError as exc:
            raise _query_error(exc, str(props["query"])) from exc
        returned = {c.name for c in columns}
        missing = [name for name in columns_named(props) if name not in returned]
        if missing:
            raise errors.columns_missing(missing)

    # --- the scheduler ---------------------------------------------------------------------------------

    def run_due(self) -> int:
        """Run every enabled rule's runs that are due, in time order per rule; returns how many ran."""
        ran = 0
        with self._run_lock:
            now = self._cloud.clock.now()
            for rule in self._registry.of_type(ALERT_RULE_TYPE):
                state = self._cloud.store.document(_STATE, rule.id.lower())
                if state is None or not rule.properties.get("enabled"):
                    continue
                frequency = parse_duration(str(rule.properties["queryFrequency"]))
                due = _parse(state["next_run"])
                while due <= now and rule.properties.get("enabled"):
                    rule = self._run(rule, due, state)
                    due += frequency
                    state["next_run"] = _iso(due)
                    state["runs"] = int(state.get("runs", 0)) + 1
                    ran += 1
                self._cloud.store.put_document(_STATE, rule.id.lower(), state)
        return ran

    def _run(self, rule: Resource, at: dt.datetime, state: dict[str, Any]) -> Resource:
        """One run scheduled at ``at``; returns the rule as it is afterwards (auto-disabled or not)."""
        cloud = self._cloud
        props = rule.properties
        workspace_id = rule.id.split("/providers/Microsoft.SecurityInsights/")[0]
        workspace = cloud.arm.workspaces.by_id(workspace_id)
        if workspace is None:
            return rule
        customer_id = str(workspace.properties["customerId"])
        start = at - parse_duration(str(props["queryPeriod"]))
        cloud.pipeline.flush()
        try:
            with cloud.schema_lock:
                result = cloud.logs.query(
                    customer_id, str(props["query"]), now=at, start=start, end=at, visible_at=cloud.clock.now()
                )
        except kql.EngineError as exc:
            permanent = exc.kind in ("syntax", "schema") or "does not exist" in str(exc)
            self._health(customer_id, rule, at, start, "Failure", str(exc).splitlines()[0], alerts=0)
            state["last_status"] = "Failure"
            if permanent:
                return self._auto_disable(rule)
            return rule
        rows = result.as_dicts()
        alerts: list[dict[str, Any]] = []
        suppressed_until = state.get("suppressed_until")
        suppressed = bool(suppressed_until) and at < _parse(str(suppressed_until))
        if _compare(len(rows), str(props["triggerOperator"]), int(props["triggerThreshold"])) and not suppressed:
            alerts = alert_rows(
                rule_id=rule.id,
                rule_name=rule.name,
                props=props,
                results=rows,
                at=at,
                start=start,
                workspace_customer_id=customer_id,
                subscription_id=workspace.id.split("/")[2],
                resource_group=workspace.id.split("/")[4],
            )
            if alerts:
                cloud.logs.insert_records(customer_id, "SecurityAlert", alerts)
                state["alerts"] = int(state.get("alerts", 0)) + len(alerts)
                if props.get("suppressionEnabled"):
                    state["suppressed_until"] = _iso(at + parse_duration(str(props["suppressionDuration"])))
        detail = f"The rule ran; {len(rows)} results, {len(alerts)} alerts" + (" (suppressed)" if suppressed else "")
        self._health(customer_id, rule, at, start, "Success", detail, alerts=len(alerts))
        state["last_status"] = "Success"
        state["last_run"] = _iso(at)
        return rule

    def _auto_disable(self, rule: Resource) -> Resource:
        props = rule.properties
        props["enabled"] = False
        name = str(props.get("displayName", ""))
        if not name.startswith(AUTO_DISABLED):
            props["displayName"] = f"{AUTO_DISABLED} {name}"
        rule.new_etag()
        self._registry.put(rule)
        return rule

    def _health(
        self,
        customer_id: str,
        rule: Resource,
        at: dt.datetime,
        start: dt.datetime,
        status: str,
        description: str,
        *,
        alerts: int,
    ) -> None:
        row = {
            "TimeGenerated": _iso(self._cloud.clock.now()),
            "OperationName": RUN_OPERATION,
            "SentinelResourceId": rule.id,
            "SentinelResourceName": str(rule.properties.get("displayName", "")),
            "Status": status,
            "Description": description,
            "Reason": "" if status == "Success" else description,
            "WorkspaceId": customer_id,
            "SentinelResourceType": "Analytics Rule",
            "SentinelResourceKind": "Scheduled",
            "RecordId": str(uuid.uuid4()),
            "ExtendedProperties": {
                "RuleId": rule.name,
                "QueryStartTimeUTC": _iso(start),
                "QueryEndTimeUTC": _iso(at),
                "AlertsGeneratedAmount": alerts,
            },
        }
        self._cloud.logs.insert_records(customer_id, "SentinelHealth", [row])

    def status(self) -> list[dict[str, Any]]:
        """Every rule's schedule and last run (control API ``GET /_emulator/sentinel/analytics``)."""
        states = self._cloud.store.documents(_STATE)
        return [
            {
                "id": rule.id,
                "name": rule.name,
                "displayName": rule.properties.get("displayName"),
                "enabled": bool(rule.properties.get("enabled")),
                **(states.get(rule.id.lower()) or {}),
            }
            for rule in self._registry.of_type(ALERT_RULE_TYPE)
        ]


def _query_error(exc: kql.EngineError, query: str) -> Exception:
    message = str(exc)
    if exc.kind == "syntax":
        lines = query.splitlines() or [""]
        token = ""
        if exc.line is not None and exc.column is not None and 1 <= exc.line <= len(lines):
            rest = lines[exc.line - 1][max(exc.column - 1, 0) :].split()
            token = rest[0] if rest else "<EOF>"
        return errors.query_syntax(exc.line, exc.column, token)
    if "does not exist" in message and "Table" in message:
        return errors.query_missing_table()
    if exc.kind == "unsupported":
        return errors.not_implemented([("properties.query", message)])
    if message.startswith("unknown column '"):
        name = message.split("'")[1]
        return errors.query_semantic(f"Failed to resolve scalar expression named '{name}'")
    return errors.query_semantic(message.splitlines()[0])
