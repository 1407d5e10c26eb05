"""The health report: checks that each give OK, WARN, FAIL or SKIPPED with a detail and a remedy."""

from deployer.health.model import CheckResult, HealthReport, Status

__all__ = ["CheckResult", "HealthReport", "Status"]
