"""The steps of each command, in order. Calls clients only; builds no URL; decides nothing about output.

``deploy``: token check → preflight → plan → confirmation → apply → validation ingest → health. Each step is
recorded in a :class:`RunReport` (what the CLI renders as text, JSON or Markdown), and the run stops at
the first error, which is recorded too, so a partial run still says exactly how far it got.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from deployer import backfill as backfilling
from deployer.backfill import BackfillResult, Progress
from deployer.environment import Environment
from deployer.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNHEALTHY,
    ConfirmationRefused,
    DeployerError,
    ExternalError,
    MiroError,
    PreflightFailed,
    from_exception,
)
from deployer.health.checks import HealthContext, run_checks
from deployer.health.model import HealthReport
from deployer.miro.token_check import TokenCheck, check_token
from deployer.preflight import run_preflight
from deployer.provision import (
    ApplyResult,
    Change,
    DeploymentOutputs,
    Engine,
    PreflightCheck,
    ProvisionPlan,
    describe_counts,
)
from deployer.validation import ValidationResult, run_validation

__all__ = [
    "BackfillRequest",
    "RunReport",
    "StepResult",
    "Ui",
    "backfill",
    "check_token_only",
    "deploy",
    "destroy",
    "health",
    "plan",
    "preflight",
    "validate",
]

_LOG = logging.getLogger(__name__)


class Ui(Protocol):
    """What the pipeline needs from whoever runs it (a terminal, CI, a test)."""

    @property
    def interactive(self) -> bool:
        """True when a person can answer a question."""
        ...

    def step_started(self, name: str) -> None:
        """A step begins."""
        ...

    def step_finished(self, step: StepResult) -> None:
        """A step ended (ok, failed or skipped), with its detail and time."""
        ...

    def progress(self, line: str, *, replace: bool = False) -> None:
        """What the running step is doing now (or a note between steps); with ``replace``, a line that
        updates the previous such line in place (a wait that reports itself)."""
        ...

    def show_plan(self, changes: Sequence[Change]) -> None:
        """The changes about to be applied (shown once)."""
        ...

    def confirm(self, question: str, *, expected: str | None = None) -> bool:
        """Ask; with ``expected``, the answer must be that exact text."""
        ...


@dataclass
class StepResult:
    """One step of a run: ``status`` is ok, failed or skipped."""

    name: str
    status: str
    detail: str = ""
    seconds: float = 0.0


@dataclass
class RunReport:
    """Everything a run did, in order; rendered by the CLI."""

    command: str
    environment: str
    engine: str
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished_at: dt.datetime | None = None
    steps: list[StepResult] = field(default_factory=list)
    token: TokenCheck | None = None
    token_error: MiroError | None = None
    preflight: tuple[PreflightCheck, ...] | None = None
    plan: ProvisionPlan | None = None
    applied: ApplyResult | None = None
    validation: ValidationResult | None = None
    health: HealthReport | None = None
    backfill: BackfillResult | None = None
    error: DeployerError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        if self.health is not None:
            return self.health.exit_code
        if self.backfill is not None and self.backfill.interrupted:
            return EXIT_INTERRUPTED
        if self.backfill is not None and self.backfill.rejected:
            return EXIT_UNHEALTHY
        if self.validation is not None and not self.validation.ok:
            return EXIT_UNHEALTHY
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        if self.health is not None:
            return self.health.status
        if self.exit_code == EXIT_INTERRUPTED:
            return "interrupted"
        return "ok" if self.exit_code == EXIT_OK else "unhealthy"

    def changes(self) -> dict[str, int]:
        if self.applied is not None:
            return self.applied.counts()
        return {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}

    def verdict(self) -> tuple[str, str] | None:
        """For an unhealthy run (exit 1): what failed, in one line, and what to do; None otherwise."""
        if self.error is not None or self.exit_code != EXIT_UNHEALTHY:
            return None
        if self.validation is not None and not self.validation.ok:
            return f"validation record: {self.validation.detail}", self.validation.remedy
        failed = [c for c in (self.health.checks if self.health is not None else []) if c.status == "FAIL"]
        if failed:
            names = ", ".join(c.id for c in failed)
            return f"{len(failed)} health check(s) failed: {names}", failed[0].remedy
        if self.backfill is not None and self.backfill.rejected:
            first = self.backfill.rejected_examples[0] if self.backfill.rejected_examples else None
            return (
                f"{self.backfill.rejected:,} event(s) rejected by the Logs Ingestion API"
                + (f"; the first, {first[0]}: {first[1]}" if first else ""),
                "check them against the DCR stream (`miro-sentinel dcr test --events FILE`), fix dcr/ and deploy, then "
                "run the same backfill again: only the missing events are sent",
            )
        return None


class _Run:
    """Helper that times steps and records their outcome in the report."""

    def __init__(self, report: RunReport, ui: Ui) -> None:
        self.report = report
        self.ui = ui

    @contextmanager
    def step(self, name: str) -> Iterator[StepResult]:
        result = StepResult(name, "ok")
        start = time.monotonic()
        self.ui.step_started(name)
        _LOG.debug("step %s: started", name)
        try:
            yield result
        except Exception as exc:
            error = from_exception(exc)
            result.status = "failed"
            result.detail = result.detail or error.message
            if error is exc:
                raise
            raise error from exc
        except BaseException:  # Ctrl-C: the step did not finish
            result.status = "failed"
            raise
        finally:
            result.seconds = round(time.monotonic() - start, 3)
            self.report.steps.append(result)
            _LOG.debug("step %s: %s in %.3f s (%s)", name, result.status, result.seconds, result.detail)
            self.ui.step_finished(result)

    def record(self, result: StepResult) -> None:
        """A step that was decided without running anything (settings, read before the run)."""
        self.report.steps.append(result)
        self.ui.step_finished(result)


def _guard(report: RunReport, body: Callable[[], None]) -> RunReport:
    """Run ``body``; whatever it raises becomes the report's error, so a partial run still reports."""
    try:
        body()
    except Exception as exc:
        report.error = from_exception(exc)
        _LOG.debug("%s stopped: %s", report.command, report.error.message)
    finally:
        report.finished_at = dt.datetime.now(dt.UTC)
    return report


def _token(run: _Run, env: Environment) -> TokenCheck:
    with run.step("token") as step:
        found = check_token(env.miro())
        step.detail = f"valid for organisation '{found.organization_name}'"
        run.report.token = found
        return found


def _preflight(run: _Run, env: Environment, engine: Engine, *, writes: bool) -> None:
    """The prerequisites, before anything is written; a failed one stops the run (exit 3)."""
    failure: PreflightFailed | None = None
    with run.step("preflight") as step:
        checks = run_preflight(env.arm, env.target, env.spec, writes=writes, engine_checks=engine.preflight)
        run.report.preflight = checks
        failed = [c for c in checks if c.status == "failed"]
        warned = [c for c in checks if c.status == "warn"]
        if failed:
            step.status = "failed"
            step.detail = f"{len(failed)} of {len(checks)} prerequisites missing"
            failure = PreflightFailed(
                [c.line() for c in failed],
                remedy=f"fix each line above, then run `miro-sentinel preflight --env {env.settings.env_name}`",
            )
        else:
            skipped = sum(c.status == "skipped" for c in checks)
            step.detail = (
                "prerequisites met"
                + (f" ({len(warned)} warnings)" if warned else "")
                + (f" ({skipped} not checked)" if skipped else "")
            )
    # Shown once the step has ended, so a live step line does not swallow them.
    for check in (*failed, *warned):
        run.ui.progress(f"  {check.status:>7}  {check.line()}")
    if failure is not None:
        raise failure


def _describe(plan: ProvisionPlan) -> str:
    if not plan.has_changes:
        return "no changes: Azure already matches dcr/ and the settings"
    return describe_counts(plan.counts(), done=False)


def _confirm(run: _Run, env: Environment, plan: ProvisionPlan, *, yes: bool, destroy: bool) -> None:
    settings = env.settings
    needs = destroy or (env.profile.confirm_changes and plan.has_changes)
    if not needs or yes:
        _LOG.debug("confirmation: %s", "not needed" if not needs else "given by --yes")
        return
    if not run.ui.interactive:
        verb = "destroy" if destroy else "change"
        raise ConfirmationRefused(
            f"refusing to {verb} '{settings.env_name}' without confirmation: there is no terminal to ask, and --yes was not given",
            remedy="review `miro-sentinel plan` and pass --yes when the change is intended",
        )
    if destroy:
        ok = run.ui.confirm(
            f"This deletes {len(plan.changes)} resources of '{settings.env_name}', including table data. "
            f"Type the environment name to confirm",
            expected=settings.env_name,
        )
    else:
        ok = run.ui.confirm(f"Apply these changes to '{settings.env_name}'?")
    if not ok:
        raise ConfirmationRefused("not confirmed; nothing was changed", remedy="run again and confirm, or pass --yes")


def _health(
    run: _Run, env: Environment, outputs: DeploymentOutputs | None, outputs_error: DeployerError | None
) -> None:
    with run.step("health") as step:
        ctx = HealthContext(
            settings=env.settings,
            spec=env.spec,
            target=env.target,
            arm=env.arm,
            query=env.query(outputs) if outputs is not None else None,
            outputs=outputs,
            principal_id=env.principal_id,
            token_check=run.report.token_error or run.report.token,
            validation=run.report.validation,
            outputs_error=outputs_error,
        )
        report = HealthReport(env.settings.env_name, dt.datetime.now(dt.UTC), run_checks(ctx))
        run.report.health = report
        step.detail = report.status
        if report.status == "unhealthy":
            step.status = "failed"


def _validate(run: _Run, env: Environment, outputs: DeploymentOutputs) -> None:
    with run.step("validation") as step:
        result = run_validation(
            env.ingestion(outputs),
            env.query(outputs),
            outputs,
            env.settings.validation,
            environment=env.settings.env_name,
            progress=run.ui.progress,
            status=lambda line: run.ui.progress(line, replace=True),
        )
        run.report.validation = result
        step.detail = result.detail
        if not result.ok:
            step.status = "failed"


def deploy(env: Environment, ui: Ui, *, yes: bool) -> RunReport:
    """Token check, preflight, plan, confirmation, apply, validation ingest and health report."""
    report = RunReport("deploy", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        run.record(StepResult("settings", "ok", "valid"))
        with env.lock("deploy"):
            _deploy(run, env, yes=yes)

    return _guard(report, body)


def _deploy(run: _Run, env: Environment, *, yes: bool) -> None:
    report, ui = run.report, run.ui
    _token(run, env)
    # Prepared before anything is written, so a step that waits for news (the local cloud's first poll)
    # counts only what happens from here on.
    extras = env.profile.post_deploy_steps(env.settings)
    engine = env.engine()
    _preflight(run, env, engine, writes=True)
    with run.step("plan") as step:
        planned = engine.plan()
        report.plan = planned
        step.detail = _describe(planned)
    ui.show_plan(planned.changes)
    _confirm(run, env, planned, yes=yes, destroy=False)
    with run.step("apply") as step:
        applied = engine.apply(planned)
        report.applied = applied
        step.detail = describe_counts(applied.counts(), done=True)
    outputs = applied.outputs or engine.outputs()
    _validate(run, env, outputs)
    for extra in extras:
        with run.step(extra.name) as step:
            step.detail = extra.run(env.target)
    _health(run, env, outputs, None)


def plan(env: Environment, ui: Ui) -> RunReport:
    """Preflight, and what deploy would change (reads only)."""
    report = RunReport("plan", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        engine = env.engine(plan_only=True)
        _preflight(run, env, engine, writes=False)
        with run.step("plan") as step:
            report.plan = engine.plan()
            step.detail = _describe(report.plan)

    return _guard(report, body)


def preflight(env: Environment, ui: Ui) -> RunReport:
    """Only the prerequisites of a deploy (reads only)."""
    report = RunReport("preflight", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        _preflight(run, env, env.engine(plan_only=True), writes=True)

    return _guard(report, body)


def destroy(env: Environment, ui: Ui, *, yes: bool) -> RunReport:
    """Delete everything deploy created (after typed confirmation in a terminal, or --yes)."""
    report = RunReport("destroy", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        with env.lock("destroy"):
            _destroy(run, env, yes=yes)

    return _guard(report, body)


def _destroy(run: _Run, env: Environment, *, yes: bool) -> None:
    report, ui = run.report, run.ui
    engine = env.engine()
    with run.step("plan") as step:
        planned = engine.plan_destroy()
        report.plan = planned
        step.detail = f"{len(planned.changes)} resources to delete" if planned.changes else "nothing to delete"
    ui.show_plan(planned.changes)
    if not planned.has_changes:
        return
    _confirm(run, env, planned, yes=yes, destroy=True)
    with run.step("destroy") as step:
        done = engine.destroy(planned)
        report.applied = ApplyResult(changes=done.changes, outputs=None)
        step.detail = f"{len(done.changes)} deleted"


def validate(env: Environment, ui: Ui) -> RunReport:
    """Send a validation record and wait until it is visible."""
    report = RunReport("validate", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        with run.step("outputs"):
            outputs = env.engine().outputs()
        _validate(run, env, outputs)

    return _guard(report, body)


def health(env: Environment, ui: Ui, *, with_token: bool) -> RunReport:
    """The health report; the token is checked too when one is available."""
    report = RunReport("health", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        if with_token:
            try:
                _token(run, env)
            except MiroError as exc:
                # A bad token is one finding of the report, not a reason to stop it.
                report.token_error = exc
        outputs: DeploymentOutputs | None = None
        outputs_error: DeployerError | None = None
        with run.step("outputs") as step:
            try:
                outputs = env.engine().outputs()
            except ExternalError as exc:
                outputs_error = exc
                step.status = "failed"
                step.detail = exc.message
        _health(run, env, outputs, outputs_error)

    return _guard(report, body)


def check_token_only(env: Environment, ui: Ui) -> RunReport:
    """Only the Miro token check (nothing in Azure is touched)."""
    report = RunReport("check-token", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        _token(run, env)

    return _guard(report, body)


def _backfill(
    run: _Run, env: Environment, request: BackfillRequest, *, stop: threading.Event, display: Callable[[Progress], None]
) -> None:
    report, ui = run.report, run.ui
    s = env.settings.backfill
    span, notes = backfilling.resolve_range(
        env.now(),
        since=request.since,
        start=request.start,
        end=request.end,
        settle=dt.timedelta(minutes=s.settle_minutes),
    )
    for note in notes:
        ui.progress(note)
    _token(run, env)
    with run.step("outputs") as step:
        outputs = env.engine().outputs()
        step.detail = f"table {outputs.table_name}, DCR {outputs.dcr_immutable_id}"
    with run.step("backfill") as step:
        ui.progress(
            f"backfill{' (dry run: nothing is sent)' if request.dry_run else ''}: {span}, windows of "
            f"{s.window_minutes} minutes, {s.parallel_windows} at a time, at most "
            f"{s.miro_budget_share:.0%} of Miro's credits a minute"
        )
        job = backfilling.start(
            env, outputs, span, dry_run=request.dry_run, stop=stop, display=display, say=ui.progress
        )
        result = report.backfill = job.run()
        step.detail = backfilling.describe(result)
        if result.error is not None:
            raise result.error
        if result.status != "complete":
            step.status = "failed"


@dataclass(frozen=True)
class BackfillRequest:
    """What the operator asked ``backfill`` for: ``--since`` or ``--from``/``--to``, and ``--dry-run``."""

    since: str | None = None
    start: str | None = None
    end: str | None = None
    dry_run: bool = False


def backfill(
    env: Environment,
    ui: Ui,
    request: BackfillRequest,
    *,
    stop: threading.Event,
    display: Callable[[Progress], None],
) -> RunReport:
    """Token check, outputs, then Miro's events of the range into the table, each once (or, dry, the gap report)."""
    report = RunReport("backfill", env.given.env_name, env.given.engine)
    run = _Run(report, ui)

    def body() -> None:
        # A dry run writes nothing, so it takes no lock (as plan).
        with contextlib.nullcontext() if request.dry_run else env.lock("backfill"):
            _backfill(run, env, request, stop=stop, display=display)

    return _guard(report, body)
