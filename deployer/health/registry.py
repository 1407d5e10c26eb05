"""How a health check is declared: once, with its id, title and what it needs (:func:`check`).

A check's body receives its own :class:`Check`, so its results carry the id and title it was declared
with (``this.result(...)``) instead of repeating them. :meth:`Check.run` is what the report calls: it
skips a check whose system is unavailable and turns whatever a check raises into a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from deployer.errors import ResourceNotFound, from_exception
from deployer.health.model import CheckResult, Status

if TYPE_CHECKING:
    from deployer.health.checks import HealthContext

__all__ = ["Check", "Needs", "check"]

_TROUBLESHOOTING = "see TROUBLESHOOTING.md#{}"


class Needs(Enum):
    """What a check must be able to reach; without it the check is SKIPPED before it runs."""

    NOTHING = "nothing"
    #: Azure Resource Manager (any resource read).
    ARM = "arm"
    #: The workspace's query endpoint, known only once the pipeline is deployed.
    QUERY = "query"


@dataclass(frozen=True)
class Check:
    """One health check: ``id`` is stable (JSON, TROUBLESHOOTING.md anchors), ``title`` is for people."""

    id: str
    title: str
    needs: Needs
    body: Callable[[HealthContext, Check], CheckResult]

    def __call__(self, ctx: HealthContext) -> CheckResult:
        """The check's verdict, unguarded (it may raise)."""
        return self.body(ctx, self)

    def result(
        self, status: Status, detail: str, remedy: str = "", /, *, external_error: bool = False, **data: Any
    ) -> CheckResult:
        """A result of this check; a WARN or FAIL without a remedy points to its TROUBLESHOOTING.md section."""
        if status in (Status.WARN, Status.FAIL) and not remedy:
            remedy = _TROUBLESHOOTING.format(self.id.replace("_", "-"))
        return CheckResult(self.id, self.title, status, detail, remedy, data, external_error)

    def run(self, ctx: HealthContext) -> CheckResult:
        """The check's verdict; SKIPPED when what it needs is unavailable or something stopped it. Never raises."""
        if self.needs is Needs.ARM and ctx.arm is None:
            return self.result(Status.SKIPPED, "Azure could not be reached", external_error=True)
        if self.needs is Needs.QUERY and ctx.query is None:
            reason = ctx.outputs_error.message if ctx.outputs_error else "the pipeline is not deployed"
            return self.result(Status.SKIPPED, f"cannot query the workspace: {reason}", "run `miro-sentinel deploy`")
        try:
            return self(ctx)
        except ResourceNotFound as exc:
            return self.result(Status.FAIL, f"missing: {exc.message}", "run `miro-sentinel deploy` to create it")
        except Exception as exc:  # a check never raises: whatever stopped it, the report says it could not check
            error = from_exception(exc)
            return self.result(Status.SKIPPED, f"could not check: {error.message}", error.remedy, external_error=True)


def check(
    check_id: str, title: str, *, needs: Needs = Needs.NOTHING
) -> Callable[[Callable[[HealthContext, Check], CheckResult]], Check]:
    """Declare the decorated function as the health check ``check_id``."""

    def declare(body: Callable[[HealthContext, Check], CheckResult]) -> Check:
        return Check(check_id, title, needs, body)

    return declare
