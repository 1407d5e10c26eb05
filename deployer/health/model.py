"""Health report data: one :class:`CheckResult` per check, rolled up into a :class:`HealthReport`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from deployer.errors import EXIT_EXTERNAL, EXIT_OK, EXIT_UNHEALTHY

__all__ = ["CheckResult", "HealthReport", "Status"]


class Status(StrEnum):
    """How a check came out. SKIPPED means it could not or need not run (``detail`` says which)."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class CheckResult:
    """One check: ``id`` is stable (used in JSON and TROUBLESHOOTING.md anchors), ``title`` is for people.

    ``external_error`` is True when the check could not reach a verdict because a system failed.
    """

    id: str
    title: str
    status: Status
    detail: str
    remedy: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    external_error: bool = False


@dataclass(frozen=True)
class HealthReport:
    """All checks of one run, and the exit code they add up to."""

    environment: str
    generated_at: dt.datetime
    checks: Sequence[CheckResult]

    @property
    def status(self) -> str:
        """``unhealthy`` if any check failed, ``unknown`` if a system failed first, else ``healthy``."""
        if any(c.status is Status.FAIL for c in self.checks):
            return "unhealthy"
        if any(c.external_error for c in self.checks):
            return "unknown"
        return "healthy"

    @property
    def exit_code(self) -> int:
        """1 when a check failed; 3 when a system failed before a verdict; 0 otherwise (WARN included)."""
        return {"unhealthy": EXIT_UNHEALTHY, "unknown": EXIT_EXTERNAL}.get(self.status, EXIT_OK)

    def by_id(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)
