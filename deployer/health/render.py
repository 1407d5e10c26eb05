"""Health report renderers: a terminal table, JSON (stable schema), Markdown (GitHub step summaries)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from deployer.health.model import CheckResult, HealthReport, Status

__all__ = ["HEALTH_SCHEMA", "health_json", "health_markdown", "print_health"]

#: Bumped only for incompatible changes; fields may be added within a version.
HEALTH_SCHEMA = "miro-sentinel.health/1"

_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIPPED: "dim"}
_ICON = {Status.OK: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.SKIPPED: "⏭️"}


def health_json(report: HealthReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (documented in docs/output-schema.md)."""
    return {
        "schema": HEALTH_SCHEMA,
        "environment": report.environment,
        "generated_at": report.generated_at.isoformat().replace("+00:00", "Z"),
        "status": report.status,
        "exit_code": report.exit_code,
        "checks": [_check_json(c) for c in report.checks],
    }


def _check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title,
        "status": check.status.value,
        "detail": check.detail,
        "remedy": check.remedy,
        "data": json.loads(json.dumps(dict(check.data), default=str)),
    }


def print_health(report: HealthReport, console: Console) -> None:
    """A table of checks, then the remedy of every check that is not OK."""
    table = Table(title=f"Health of '{report.environment}': {report.status}", show_edge=False, expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail", overflow="fold")
    for check in report.checks:
        table.add_row(check.title, Text(check.status.value, style=_STYLE[check.status]), Text(check.detail))
    console.print(table)
    for check in report.checks:
        if check.status in (Status.WARN, Status.FAIL) and check.remedy:
            console.print(
                Text.assemble(
                    (f"{check.status.value} ", _STYLE[check.status]), (f"{check.title}: ", "bold"), check.remedy
                )
            )


def health_markdown(report: HealthReport) -> str:
    """GitHub-flavoured Markdown, for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment."""
    lines = [
        f"### Miro → Sentinel health: `{report.environment}` is **{report.status}**",
        "",
        "| Check | Status | Detail |",
        "| --- | --- | --- |",
    ]
    for check in report.checks:
        lines.append(f"| {check.title} | {_ICON[check.status]} {check.status.value} | {_md(check.detail)} |")
    remedies = [c for c in report.checks if c.status in (Status.WARN, Status.FAIL) and c.remedy]
    if remedies:
        lines += ["", "**What to do**", ""]
        lines += [f"- **{c.title}**: {_md(c.remedy)}" for c in remedies]
    lines += [
        "",
        f"_Generated {report.generated_at.isoformat(timespec='seconds').replace('+00:00', 'Z')}, exit code {report.exit_code}._",
        "",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
