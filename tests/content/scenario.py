"""A day and more of a Miro organisation's life in the local cloud, with or without planted attacks and failures.

One run: a local cloud whose clock is moved to a fixed Monday 00:00 UTC (the same for every run, so the
generated activity is the same), the pipeline (table, DCE, DCR, role, connector definition, connector) and
our content (every analytics rule, metric alert, hunting query and the workbook, bodies from
``deployer.content.bodies``) deployed over ARM, then the clock stepped 15 minutes at a time (the pollers
collect, then the rules and alerts run) for 30 hours, a validation record sent every hour as the smoke
workflow does. With ``planted``, the patterns and failures of :data:`PLANTS` happen on the second day.

The outcome: every ``SecurityAlert`` row, by rule, and every metric alert that fired.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from deployer.azure.arm import ROLE_ASSIGNMENTS_API, SENTINEL_API, ArmClient
from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import client_secret_credential
from deployer.azure.ingestion import IngestionClient
from deployer.azure.query import QueryClient
from deployer.config.schema import ContentSettings
from deployer.content.bodies import (
    ALERT_RULES_API,
    METRIC_ALERTS_API,
    SAVED_SEARCHES_API,
    WORKBOOKS_API,
    ContentBodies,
    content_bodies,
)
from deployer.content.spec import load_content
from deployer.content.values import content_values
from deployer.dcr import bodies
from deployer.dcr.spec import load_spec
from deployer.validation import VALIDATION_CATEGORY, validation_record

#: Where every run starts: a Monday 00:00 UTC far enough ahead of any real clock today.
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=9)).replace(hour=0, minute=0, second=0, microsecond=0)
START -= dt.timedelta(days=START.weekday())
HOURS = 30
STEP_SECONDS = 900
CONNECTOR = "MiroSentinelAuditLogsPoller"
DEFINITION = "MiroSentinelAuditLogs"
DCR = "dcr-miro-audit-logs"
#: What the tests tune: a day of history is all a run has, so dormancy is one day; pipeline alerts sooner.
CONTENT = ContentSettings(dormancy_days=1, silence_minutes=60, validation_max_age_minutes=90)
#: A transform that fails on every batch at run time (an invalid regular expression).
BROKEN_TRANSFORM_LINE = '| where isnull(extract("(", 1, event))'


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


def miro_event(when: dt.datetime, event: str, category: str, email: str, ip: str, **extra: Any) -> dict[str, Any]:
    """A Miro audit event by the user ``email`` (an added event: the local Miro gives it an id)."""
    return {
        "createdAt": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000",
        "event": event,
        "category": category,
        "context": {"ip": ip, "organization": {"id": "3458764500000000000", "name": "Example Organization"}},
        "createdBy": {
            "type": "user",
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, email).int % 10**19),
            "name": email,
            "email": email,
        },
        "object": {"id": "3458764500000012345", "name": "Roadmap"},
        "details": extra,
    }


def _sign_in_burst() -> list[dict[str, Any]]:
    ips = ["203.0.113.201", "203.0.113.202", "203.0.113.203"]
    return [
        miro_event(
            at(24.5) + dt.timedelta(seconds=40 * i),
            "sign_in_failed",
            "authentication",
            "victim@example.com",
            ips[i % 3],
        )
        for i in range(6)
    ]


def _spray() -> list[dict[str, Any]]:
    return [
        miro_event(
            at(24.75) + dt.timedelta(seconds=30 * i),
            "sign_in_failed",
            "authentication",
            f"spray{i}@example.com",
            "198.51.100.250",
        )
        for i in range(12)
    ]


def _many_ips() -> list[dict[str, Any]]:
    return [
        miro_event(
            at(25.25) + dt.timedelta(minutes=8 * i),
            "sign_in_succeeded",
            "authentication",
            "roamer@example.com",
            f"192.0.2.{220 + i}",
        )
        for i in range(5)
    ]


def _dormancy() -> list[dict[str, Any]]:
    return [
        miro_event(at(0.5), "board_opened", "boards", "dormant@example.com", "203.0.113.77"),
        miro_event(at(25.2), "board_opened", "boards", "dormant@example.com", "203.0.113.78"),
    ]


def _off_hours() -> list[dict[str, Any]]:
    # Tuesday 01:00 UTC: outside the default working hours.
    return [miro_event(at(25.0), "sso_settings_changed", "administration", "nightowl@example.com", "198.51.100.99")]


def _volume() -> list[dict[str, Any]]:
    # user17 is one of the generated people: its own history is the baseline.
    return [
        miro_event(
            at(26.1) + dt.timedelta(seconds=12 * i), "board_exported", "boards", "user17@example.com", "203.0.113.17"
        )
        for i in range(150)
    ]


@dataclass(frozen=True)
class Plant:
    """What happens at ``hours`` after the start in a planted run (``action`` gets the run's helpers)."""

    rule: str
    hours: float
    what: str
    action: Callable[[Run], None]


@dataclass
class Run:
    """One run's local cloud and the clients the plants use."""

    info: dict[str, Any]
    arm: ArmClient
    validation: bool = True
    log: list[str] = field(default_factory=list)

    def control(self, method: str, path: str, body: Any = None, *, timeout: float = 600) -> Any:
        response = requests.request(
            method,
            self.info["control_endpoint"] + path,
            json=body,
            headers={"Authorization": f"Bearer {self.info['control_token']}"},
            verify=self.info["ca_cert"],
            timeout=timeout,
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def add_events(self, events: list[dict[str, Any]]) -> None:
        self.control("POST", "/miro/events", {"events": events})

    def put_dcr(self, transform_suffix: str = "") -> None:
        spec = load_spec()
        spec = dataclasses.replace(
            spec, transform=spec.transform + ("\n" + transform_suffix if transform_suffix else "")
        )
        group = f"/subscriptions/{self.info['subscription_id']}/resourceGroups/{self.info['resource_group']}"
        body = bodies.dcr_body(
            spec,
            location=self.info["location"],
            dce_id=f"{group}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-miro-audit-logs",
            workspace_resource_id=self.info["workspace_resource_id"],
            tags={},
            token_version="1",
        )
        self.arm.put_dcr(self.info["resource_group"], DCR, body)


PLANTS: tuple[Plant, ...] = (
    Plant("sign-in-failures-per-user", 0, "6 failed sign-ins of one account from 3 addresses in 4 minutes", lambda r: r.add_events(_sign_in_burst())),
    Plant("sign-in-failures-per-ip", 0, "12 failed sign-ins of 12 accounts from one address in 6 minutes", lambda r: r.add_events(_spray())),
    Plant("sign-ins-from-many-ips", 0, "5 sign-ins of one account from 5 addresses in 32 minutes", lambda r: r.add_events(_many_ips())),
    Plant("activity-after-dormancy", 0, "an account active on Monday 00:30, silent, back on Tuesday 01:12", lambda r: r.add_events(_dormancy())),
    Plant("off-hours-administration", 0, "a person changes SSO settings on Tuesday 01:00", lambda r: r.add_events(_off_hours())),
    Plant("unusual-volume-per-user", 0, "150 exports by one account in 30 minutes", lambda r: r.add_events(_volume())),
    Plant("validation-record-missing", 26.0, "the smoke run stops sending validation records", lambda r: setattr(r, "validation", False)),
    Plant("miro-events-silent", 27.0, "Miro sends no events for 75 minutes while fetches succeed", lambda r: r.control("PATCH", "/miro/settings", {"events_per_minute": 0})),
    Plant("miro-events-silent", 28.25, "Miro's events come back", lambda r: r.control("PATCH", "/miro/settings", {"events_per_minute": 2})),
    Plant("connector-fetch-failures", 28.5, "the Miro token is revoked for 30 minutes", lambda r: r.control("PATCH", "/miro/tokens/default", {"revoked": True})),
    Plant("connector-fetch-failures", 29.0, "the Miro token is valid again", lambda r: r.control("PATCH", "/miro/tokens/default", {"revoked": False})),
    Plant("dcr-transformation-errors", 29.25, "the DCR's transform breaks for 15 minutes", lambda r: r.put_dcr(BROKEN_TRANSFORM_LINE)),
    Plant("dcr-transformation-errors", 29.5, "the DCR's transform is put back", lambda r: r.put_dcr()),
)  # fmt: skip


def deployment_bodies(info: dict[str, Any]) -> ContentBodies:
    group = f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"
    values = content_values(
        CONTENT,
        table_name=load_spec().table.name,
        connector_name=CONNECTOR,
        dcr_name=DCR,
        workspace_resource_id=info["workspace_resource_id"],
        validation_category=VALIDATION_CATEGORY,
    )
    return content_bodies(
        load_content(),
        values,
        enabled=CONTENT.enabled,
        disabled_rules=CONTENT.disabled_rules,
        dcr_resource_id=f"{group}/providers/Microsoft.Insights/dataCollectionRules/{DCR}",
        workspace_resource_id=info["workspace_resource_id"],
        location=info["location"],
        tags={"managed-by": "miro-sentinel"},
    )


def deploy_content(info: dict[str, Any], arm: ArmClient) -> ContentBodies:
    """Every content resource, PUT over ARM as the engines send them."""
    content = deployment_bodies(info)
    workspace = info["workspace_resource_id"]
    group = f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"
    puts = [
        *((f"{workspace}/providers/Microsoft.SecurityInsights/alertRules/{n}", b, ALERT_RULES_API) for n, b in content.alert_rules.values()),
        *((f"{workspace}/savedSearches/{n}", b, SAVED_SEARCHES_API) for n, b in content.hunting_queries.values()),
        (f"{group}/providers/Microsoft.Insights/workbooks/{content.workbook[0]}", content.workbook[1], WORKBOOKS_API),
        *((f"{group}/providers/Microsoft.Insights/metricAlerts/{n}", b, METRIC_ALERTS_API) for n, b in content.metric_alerts.values()),
    ]  # fmt: skip
    for path, body, version in puts:
        arm.request("PUT", path, version, body=body)
    return content


@dataclass
class Outcome:
    """What a run raised: ``SecurityAlert`` rows by rule file key, and metric alert firings by file key."""

    alerts: dict[str, list[dict[str, Any]]]
    fired: dict[str, list[dict[str, Any]]]

    def entities(self, rule: str) -> list[list[dict[str, Any]]]:
        return [json.loads(a["Entities"]) for a in self.alerts.get(rule, [])]


def _cloud(info: dict[str, Any]) -> AzureCloud:
    return AzureCloud(
        arm_endpoint=info["arm_endpoint"],
        query_endpoint=info["query_endpoint"],
        authority=info["authority"],
        ca_bundle=info["ca_cert"],
    )


def deploy_pipeline(info: dict[str, Any], arm: ArmClient) -> tuple[str, str]:
    """Table, DCE, DCR, the role for validation records, connector definition and connector; returns the
    DCE's logs ingestion endpoint and the DCR's immutable id."""
    spec = load_spec()
    group, location, workspace = info["resource_group"], info["location"], info["workspace_resource_id"]
    group_id = f"/subscriptions/{info['subscription_id']}/resourceGroups/{group}"
    arm.put_table(
        group,
        info["workspace_name"],
        spec.table.name,
        bodies.table_body(spec, plan="Analytics", retention_in_days=-1, total_retention_in_days=-1),
    )
    dce = arm.put_dce(group, "dce-miro-audit-logs", bodies.dce_body(location=location, tags={}))
    dce_id = f"{group_id}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-miro-audit-logs"
    dcr = arm.put_dcr(
        group,
        DCR,
        bodies.dcr_body(
            spec, location=location, dce_id=dce_id, workspace_resource_id=workspace, tags={}, token_version="1"
        ),
    )
    dcr_id = f"{group_id}/providers/Microsoft.Insights/dataCollectionRules/{DCR}"
    principal = info["principal_object_id"]
    arm.put_resource(
        f"{dcr_id}/providers/Microsoft.Authorization/roleAssignments/{bodies.role_assignment_name(dcr_id, principal)}",
        ROLE_ASSIGNMENTS_API,
        bodies.role_assignment_body(
            subscription_id=info["subscription_id"], principal_id=principal, principal_type="ServicePrincipal"
        ),
    )
    endpoint, immutable = dce["properties"]["logsIngestion"]["endpoint"], dcr["properties"]["immutableId"]
    sentinel = f"{workspace}/providers/Microsoft.SecurityInsights"
    arm.put_resource(
        f"{sentinel}/dataConnectorDefinitions/{DEFINITION}",
        SENTINEL_API,
        bodies.connector_definition_body(spec, definition_name=DEFINITION),
    )
    connector = bodies.connector_body(
        spec,
        definition_name=DEFINITION,
        dce_logs_ingestion_endpoint=endpoint,
        dcr_immutable_id=immutable,
        miro_api_base_url=info["miro_base_url"],
    )
    connector["properties"]["auth"]["APIKey"] = f"Bearer {info['miro_token']}"
    arm.put_resource(f"{sentinel}/dataConnectors/{CONNECTOR}", SENTINEL_API, connector)
    return endpoint, immutable


def run(state_dir: Path, *, planted: bool) -> Outcome:
    """One run of :data:`HOURS` hours from :data:`START`, with the plants or without them."""
    from emulator.server import EmulatorServer

    with EmulatorServer(state_dir, time_scale=1, seed=11) as server:
        info = dict(server.info)
        cloud = _cloud(info)
        credential = client_secret_credential(
            cloud, tenant_id=info["tenant_id"], client_id=info["client_id"], client_secret=info["client_secret"]
        )
        with ArmClient(credential, cloud, info["subscription_id"], poll_interval=0) as arm:
            r = Run(info, arm)
            r.control("POST", "/clock/advance", {"seconds": max((START - _now(r)).total_seconds(), 0)})
            # Miro's credit budget is per real minute, and 30 hours pass here in a few real minutes: the
            # connector would spend most of them waiting for it. Rules are what this tests, not pacing.
            r.control(
                "PATCH",
                "/miro/settings",
                {"events_per_minute": 2, "seed": 11, "office_hours": True, "credits_per_minute": 10_000_000},
            )
            endpoint, immutable = deploy_pipeline(info, arm)
            deploy_content(info, arm)
            moments: list[tuple[float, Callable[[Run], None]]] = [
                (h, _smoke(endpoint, immutable, credential, cloud)) for h in range(HOURS)
            ]
            if planted:
                moments += [(p.hours, p.action) for p in PLANTS if p.hours < HOURS]
            with IngestionClient(endpoint, credential, cloud):
                for hours, action in sorted(moments, key=lambda m: m[0]):
                    _advance_to(r, at(hours))
                    action(r)
                _advance_to(r, at(HOURS))
            return _outcome(r)


def _now(r: Run) -> dt.datetime:
    return dt.datetime.fromisoformat(r.control("GET", "/clock")["now"])


def _advance_to(r: Run, when: dt.datetime) -> None:
    seconds = (when - _now(r)).total_seconds()
    if seconds > 0:
        r.control("POST", "/clock/advance", {"seconds": seconds, "step_seconds": STEP_SECONDS})


def _smoke(endpoint: str, immutable: str, credential: Any, cloud: AzureCloud) -> Callable[[Run], None]:
    """The smoke workflow's hourly validation record, sent as ``miro-sentinel validate`` sends it."""

    def send(r: Run) -> None:
        if not r.validation:
            return
        record = validation_record(f"miro-sentinel-validation-{uuid.uuid4()}", "scenario", _now(r))
        with IngestionClient(endpoint, credential, cloud) as client:
            client.upload(immutable, load_spec().stream.name, [record])

    return send


def _outcome(r: Run) -> Outcome:
    """Every alert the run raised, by the rule file it came from."""
    content = deployment_bodies(r.info)
    by_name = {body["properties"]["displayName"]: key for key, (_, body) in content.alert_rules.items()}
    r.control("POST", "/flush")
    alerts: dict[str, list[dict[str, Any]]] = {}
    for alert in _security_alerts(r):
        alerts.setdefault(by_name.get(alert["AlertName"], alert["AlertName"]), []).append(alert)
    names = {name: key for key, (name, _) in content.metric_alerts.items()}
    fired: dict[str, list[dict[str, Any]]] = {}
    for event in r.control("GET", "/monitor/alerts")["value"]:
        fired.setdefault(names.get(event["name"], event["name"]), []).append(event)
    return Outcome(alerts, fired)


def _security_alerts(r: Run) -> list[dict[str, Any]]:
    """``SecurityAlert`` rows, through the Log Analytics query API as a SOC analyst's tools read them."""
    cloud = _cloud(r.info)
    credential = client_secret_credential(
        cloud, tenant_id=r.info["tenant_id"], client_id=r.info["client_id"], client_secret=r.info["client_secret"]
    )
    with QueryClient(credential, cloud, r.info["workspace_customer_id"]) as logs:
        return logs.query("SecurityAlert | sort by TimeGenerated asc", timespan=None)
