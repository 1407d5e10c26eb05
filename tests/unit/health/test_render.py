"""Health and run renderers: the JSON matches its published schema; Markdown and text show every check."""

from __future__ import annotations

import datetime as dt
import io
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


MIXED = HealthReport(
    "prod",
    NOW,
    [
        CheckResult(
            "fetch_failures", "Connector fetches (SentinelHealth)", Status.OK, "1 successful fetch", "not shown"
        ),
        CheckResult("freshness", "Data freshness", Status.WARN, "last event 3 h ago", "check the connector"),
        CheckResult(
            "dcr",
            "Data collection rule",
            Status.FAIL,
            "differs at: the transform (transformKql) and https://example.invalid/a-very-long-unbreakable-address",
            "run deploy | again",
        ),
        CheckResult("metrics", "DCR metrics", Status.SKIPPED, "no metrics yet", "not shown either"),
    ],
)


def test_text_is_a_table_of_every_check_then_the_remedies_of_warnings_and_failures() -> None:
    console = Console(record=True, width=70)

    print_health(MIXED, console)

    assert console.export_text().splitlines() == [
        "                     Health of 'prod': unhealthy                      ",
        " Check                              ┃ Status  ┃ Detail                ",
        "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━",
        " Connector fetches (SentinelHealth) │ OK      │ 1 successful fetch    ",
        " Data freshness                     │ WARN    │ last event 3 h ago    ",
        " Data collection rule               │ FAIL    │ differs at: the       ",
        "                                    │         │ transform             ",
        "                                    │         │ (transformKql) and    ",
        "                                    │         │ https://example.inval ",
        "                                    │         │ id/a-very-long-unbrea ",
        "                                    │         │ kable-address         ",
        " DCR metrics                        │ SKIPPED │ no metrics yet        ",
        "WARN Data freshness: check the connector",
        "FAIL Data collection rule: run deploy | again",
    ]


def test_text_colours_each_status_and_bolds_the_remedys_check() -> None:
    buffer = io.StringIO()

    print_health(MIXED, Console(file=buffer, force_terminal=True, color_system="standard", width=70))

    text = buffer.getvalue()
    for coded in ("\x1b[32mOK", "\x1b[33mWARN", "\x1b[1;31mFAIL", "\x1b[2mSKIPPED"):
        assert coded in text
    assert "\x1b[1;31mFAIL \x1b[0m\x1b[1mData collection rule: \x1b[0mrun deploy | again" in text


def test_markdown_is_a_table_then_what_to_do_then_when_and_the_exit_code() -> None:
    assert health_markdown(MIXED).splitlines() == [
        "### Miro → Sentinel health: `prod` is **unhealthy**",
        "",
        "| Check | Status | Detail |",
        "| --- | --- | --- |",
        "| Connector fetches (SentinelHealth) | ✅ OK | 1 successful fetch |",
        "| Data freshness | ⚠️ WARN | last event 3 h ago |",
        "| Data collection rule | ❌ FAIL | differs at: the transform (transformKql) and "
        "https://example.invalid/a-very-long-unbreakable-address |",
        "| DCR metrics | ⏭️ SKIPPED | no metrics yet |",
        "",
        "**What to do**",
        "",
        "- **Data freshness**: check the connector",
        "- **Data collection rule**: run deploy \\| again",
        "",
        "_Generated 2026-11-26T12:00:00Z, exit code 1._",
    ]


def test_markdown_of_a_healthy_report_has_nothing_to_do() -> None:
    healthy = HealthReport("dev", NOW, [CheckResult("table", "Table schema", Status.OK, "20 columns")])

    assert "What to do" not in health_markdown(healthy)


def test_json_data_keeps_values_json_cannot_hold_as_text() -> None:
    check = CheckResult("freshness", "Data freshness", Status.OK, "fresh", data={"last_event": NOW, "events": 3})

    [document] = health_json(HealthReport("prod", NOW, [check]))["checks"]

    assert document["data"] == {"last_event": "2026-11-26 12:00:00+00:00", "events": 3}


def test_markdown_keeps_a_multi_line_detail_in_its_table_row() -> None:
    check = CheckResult("dcr", "Data collection rule", Status.OK, "first line\nsecond line")

    text = health_markdown(HealthReport("prod", NOW, [check]))

    assert "| Data collection rule | ✅ OK | first line second line |" in text.splitlines()
