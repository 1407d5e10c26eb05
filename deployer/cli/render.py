"""Rendering a pipeline run: text for people, JSON for programs (stable schema), Markdown for GitHub."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.console import Console
from rich.text import Text

from deployer.backfill import BackfillResult
from deployer.cli.failures import Failure
from deployer.health.render import health_json, health_markdown, print_health
from deployer.pipeline import RunReport
from deployer.provision import Change, describe_counts
from deployer.redaction import redact, redact_data

__all__ = ["RUN_SCHEMA", "change_line", "emit", "failure_json", "run_json", "run_markdown"]

#: Bumped only for incompatible changes; fields may be added within a version (docs/output-schema.md).
RUN_SCHEMA = "miro-sentinel.run/1"


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def run_json(report: RunReport) -> dict[str, Any]:
    """One JSON document for the whole run."""
    v = report.validation
    return {
        "schema": RUN_SCHEMA,
        "command": report.command,
        "environment": report.environment,
        "engine": report.engine,
        "started_at": _iso(report.started_at),
        "finished_at": _iso(report.finished_at),
        "status": report.status,
        "exit_code": report.exit_code,
        "steps": [{"name": s.name, "status": s.status, "detail": s.detail, "seconds": s.seconds} for s in report.steps],
        "preflight": None
        if report.preflight is None
        else [
            {"id": c.id, "title": c.title, "status": c.status, "detail": c.detail, "remedy": c.remedy}
            for c in report.preflight
        ],
        "plan": None
        if report.plan is None
        else [
            {"address": c.address, "action": c.action, "resource_type": c.resource_type, "detail": c.detail}
            for c in report.plan.changes
        ],
        "changes": report.changes(),
        "token": None
        if report.token is None
        else {
            "organization_id": report.token.organization_id,
            "organization_name": report.token.organization_name,
            "scopes": list(report.token.scopes or []),
            "rate_limit_remaining": report.token.rate_limit.remaining,
        },
        "validation": None
        if v is None
        else {
            "record_id": v.record_id,
            "accepted": v.accepted,
            "visible": v.visible,
            "accepted_at": _iso(v.accepted_at),
            "visible_at": _iso(v.visible_at),
            "latency_seconds": v.latency_seconds,
            "forbidden_retries": v.forbidden_retries,
            "detail": v.detail,
        },
        "health": health_json(report.health) if report.health is not None else None,
        "backfill": backfill_json(report.backfill) if report.backfill is not None else None,
        "error": None
        if report.error is None
        else {"type": type(report.error).__name__, "message": report.error.message, "remedy": report.error.remedy},
    }


def failure_json(
    failure: Failure, *, command: str | None, environment: str | None, started_at: dt.datetime
) -> dict[str, Any]:
    """The run document of a command that failed before it could make its own (settings, usage, anything)."""
    document: dict[str, Any] = {
        "schema": RUN_SCHEMA,
        "command": command,
        "environment": environment,
        "engine": None,
        "started_at": _iso(started_at),
        "finished_at": _iso(dt.datetime.now(dt.UTC)),
        "status": "failed",
        "exit_code": failure.exit_code,
        "steps": [],
        "preflight": None,
        "plan": None,
        "changes": {"created": 0, "updated": 0, "deleted": 0, "adopted": 0},
        "token": None,
        "validation": None,
        "health": None,
        "backfill": None,
        "error": {"type": failure.kind, "message": failure.message, "remedy": failure.remedy},
    }
    return dict(redact_data(document))


def backfill_json(b: BackfillResult) -> dict[str, Any]:
    """The backfill's figures; ``days`` is the gap report (per UTC day of the event)."""
    credits = b.credits
    return {
        "status": b.status,
        "dry_run": b.dry_run,
        "from": _iso(b.span.start),
        "to": _iso(b.span.end),
        "windows": {"total": b.windows_total, "from_checkpoint": b.windows_from_checkpoint, "done": b.windows_done},
        "events": {
            "fetched": b.fetched,
            "already_present": b.present,
            "missing": b.missing,
            "sent": b.sent,
            "rejected": b.rejected,
        },
        "rejected_examples": [{"id": i, "reason": r} for i, r in b.rejected_examples],
        "miro": {
            "requests": b.pages,
            "credits": credits.credits if credits else 0,
            "credits_per_minute_limit": credits.limit if credits else None,
            "budget_share": credits.share if credits else None,
            "throttled": credits.throttled if credits else 0,
        },
        "ingestion": {"requests": b.requests, "bytes": b.bytes_sent, "retries": b.retries, "splits": b.splits},
        "seconds": b.seconds,
        "events_per_second": round(b.events_per_second, 1),
        "checkpoint": b.checkpoint_path,
        "days": [
            {
                "day": d.day.isoformat(),
                "miro": d.miro,
                "present": d.present,
                "missing": d.missing,
                "sent": d.sent,
                "rejected": d.rejected,
                "duplicates": d.duplicates,
            }
            for d in b.days
        ],
    }


def run_markdown(report: RunReport) -> str:
    lines = [f"## miro-sentinel {report.command}: `{report.environment}` ({report.engine} engine)", ""]
    if report.preflight is not None:
        lines += ["| Prerequisite | Status | Detail | Remedy |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {c.title} | {c.status} | {c.detail.replace('|', '/')} | {c.remedy.replace('|', '/')} |"
            for c in report.preflight
        ]
        lines.append("")
    if report.plan is not None:
        if report.plan.changes:
            lines += ["| Action | Resource | Detail |", "| --- | --- | --- |"]
            lines += [f"| {c.action} | {c.address} | {c.detail.replace('|', '/')} |" for c in report.plan.changes]
        else:
            lines.append("No changes: Azure already matches `dcr/` and the settings.")
        lines.append("")
    if report.applied is not None:
        c = report.changes()
        lines += [f"Applied: **{describe_counts(c, done=True)}**.", ""]
    if report.validation is not None:
        lines += [f"Validation record: {report.validation.detail}.", ""]
    if report.health is not None:
        lines.append(health_markdown(report.health))
    if report.error is not None:
        lines += [f"**Error:** {report.error.message}", "", f"**Hint:** {report.error.remedy}", ""]
    return "\n".join(lines)


def change_line(change: Change) -> str:
    """One planned change: ``   create  table MiroAuditLogs_CL  (detail)``."""
    return f"  {change.action:>7}  {change.address}" + (f"  ({change.detail})" if change.detail else "")


def _print_text(report: RunReport, console: Console, *, steps_shown: bool) -> None:
    if not steps_shown:
        for step in report.steps:
            style = {"ok": "green", "failed": "bold red", "skipped": "dim"}.get(step.status, "")
            console.print(
                Text.assemble(
                    (f"{step.status:>7} ", style),
                    (f"{step.name:<11}", "bold"),
                    f" {step.detail}",
                    (f" ({step.seconds:.1f} s)" if step.seconds else "", "dim"),
                )
            )
    if report.preflight is not None and report.command == "preflight":
        for check in report.preflight:
            console.print(f"  {check.status:>7}  {check.line()}", markup=False, highlight=False)
    if report.plan is not None and report.command == "plan":
        for change in report.plan.changes:
            console.print(change_line(change), markup=False, highlight=False)
    if report.applied is not None and not steps_shown:
        c = report.changes()
        console.print(f"changes: {describe_counts(c, done=True)}")
    if report.validation is not None and not steps_shown:
        v = report.validation
        latency = f"; latency {v.latency_seconds:.1f} s" if v.latency_seconds is not None else ""
        console.print(f"validation: {v.detail}{latency}")
    if report.health is not None:
        console.print()
        print_health(report.health, console)
    if report.backfill is not None:
        _print_backfill(report.backfill, console)


def _print_backfill(b: BackfillResult, console: Console) -> None:
    console.print(
        f"backfill [{_iso(b.span.start)}, {_iso(b.span.end)}): {b.windows_total} windows"
        + (f" ({b.windows_from_checkpoint} already covered by the checkpoint)" if b.windows_from_checkpoint else "")
        + (", dry run: nothing sent" if b.dry_run else ""),
        markup=False,
    )
    verb = "would be sent" if b.dry_run else "sent"
    console.print(
        f"  events: {b.fetched:,} in Miro, {b.present:,} already in the table, "
        f"{(b.missing if b.dry_run else b.sent):,} {verb}, {b.rejected:,} rejected",
        markup=False,
    )
    for event_id, reason in b.rejected_examples:
        console.print(f"  rejected {event_id}: {reason}", markup=False)
    if b.credits is not None:
        c = b.credits
        console.print(
            f"  Miro: {b.pages:,} requests, {c.credits:,} credits (at most {c.allowance:,} a minute: "
            f"{c.share:.0%} of {c.limit:,}), {c.throttled} throttled",
            markup=False,
        )
    if not b.dry_run:
        console.print(
            f"  Azure: {b.requests:,} requests, {b.bytes_sent / 1e6:,.1f} MB gzip, {b.retries} retries, {b.splits} splits",
            markup=False,
        )
    console.print(f"  time: {b.seconds:,.1f} s, {b.events_per_second:,.0f} events/s", markup=False)
    if b.dry_run:
        console.print("  day          in Miro   in table    missing  duplicates", markup=False)
        for d in b.days:
            console.print(
                f"  {d.day.isoformat()}  {d.miro:>9,}  {d.present:>9,}  {d.missing:>9,}  {d.duplicates:>10,}",
                markup=False,
            )
    else:
        console.print(f"  checkpoint: {b.checkpoint_path}", markup=False)


def emit(report: RunReport, output: str, out: Console, *, steps_shown: bool = False) -> None:
    """Print the run in the chosen format, every text redacted. Errors go to the CLI's single handler too.

    :param steps_shown: the steps' outcomes are on the same screen already (the live progress), so the
        text leaves them out.
    """
    if output == "json":
        text = json.dumps(redact_data(run_json(report)), default=str)
        out.print_json(text, highlight=False) if out.is_terminal else print(json.dumps(json.loads(text), indent=2))
    elif output == "markdown":
        print(redact(run_markdown(report)))
    else:
        with out.capture() as captured:
            _print_text(report, out, steps_shown=steps_shown)
        out.file.write(redact(captured.get()))
        out.file.flush()
