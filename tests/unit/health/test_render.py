"""Health and run renderers: the JSON matches its published schema; Markdown and text show every check."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
from rich.console import Console

from deployer.cli.render import run_json, run_markdown
from deployer.health.model import CheckResult, HealthReport, Status
from deployer.health.render import health_json, health_markdown, print_health
from deployer.pipeline import RunReport, StepResult
from deployer.provision import Change, ProvisionPlan
from tests.support import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "docs/run.schema.json").read_text())
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def report(*statuses: Status) -> HealthReport:
    ids = ["table", "dce", "dcr", "freshness"]
    checks = [
        CheckResult(i, i.upper(), s, f"detail {i}", "do | this" if s is not Status.OK else "")
        for i, s in zip(ids, statuses, strict=False)
    ]
    return HealthReport("prod", NOW, checks)


def test_exit_code_follows_the_worst_status() -> None:
    assert report(Status.OK, Status.WARN).exit_code == 0
    assert report(Status.OK, Status.FAIL).exit_code == 1
    unknown = HealthReport("p", NOW, [CheckResult("dce", "DCE", Status.SKIPPED, "x", external_error=True)])
    assert (unknown.status, unknown.exit_code) == ("unknown", 3)
    mixed = HealthReport("p", NOW, [*unknown.checks, CheckResult("dcr", "DCR", Status.FAIL, "y")])
    assert (mixed.status, mixed.exit_code) == ("unhealthy", 1)


def test_run_json_matches_the_schema() -> None:
    run = RunReport("deploy", "prod", "arm", started_at=NOW, finished_at=NOW)
    run.steps = [StepResult("plan", "ok", "1 to create", 0.5)]
    run.plan = ProvisionPlan(
        "arm", (Change("table MiroAuditLogs_CL", "create", "Microsoft.OperationalInsights/workspaces/tables"),)
    )
    run.health = report(Status.OK, Status.WARN, Status.FAIL, Status.SKIPPED)
    document = run_json(run)
    jsonschema.validate(document, SCHEMA)
    assert document["exit_code"] == 1
    assert document["changes"] == {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}


def test_health_json_matches_the_schema_part() -> None:
    document = health_json(report(Status.OK))
    jsonschema.validate(document, {**SCHEMA["$defs"]["health"], "$defs": SCHEMA["$defs"]})
    assert document["generated_at"] == "2026-11-26T12:00:00Z"


def test_markdown_escapes_pipes_and_lists_remedies() -> None:
    text = health_markdown(report(Status.OK, Status.FAIL))
    assert "| DCE | ❌ FAIL | detail dce |" in text
    assert "- **DCE**: do \\| this" in text
    assert "unhealthy" in text


def test_text_shows_each_check_and_the_remedies() -> None:
    console = Console(record=True, width=120)
    print_health(report(Status.OK, Status.WARN), console)
    text = console.export_text()
    assert "TABLE" in text and "DCE" in text and "WARN" in text
    assert "do | this" in text


def test_run_markdown_shows_the_plan() -> None:
    run = RunReport("plan", "prod", "terraform")
    run.plan = ProvisionPlan(
        "terraform", (Change("dcr x", "update", "t", "differs at properties.dataFlows[0].transformKql"),)
    )
    assert "| update | dcr x | differs at properties.dataFlows[0].transformKql |" in run_markdown(run)
