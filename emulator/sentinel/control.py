"""The control API of Sentinel's analytics rules, under ``/_emulator/sentinel``.

``GET /_emulator/sentinel/analytics``: every rule's schedule and last run (next run, runs, alerts written,
last status, suppressed until). ``POST /_emulator/sentinel/analytics/run``: run what is due now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.http import Call, Reply, Service
from emulator.extension import control_service
from emulator.sentinel.urls import analytics

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["service"]


def service(cloud: Cloud) -> Service:
    backend = analytics(cloud)

    def overview(call: Call) -> Reply:
        return Reply(200, {"rules": backend.status()})

    def run(call: Call) -> Reply:
        cloud.pipeline.flush()
        return Reply(200, {"ran": backend.run_due()})

    return control_service(
        "/_emulator/sentinel", (("GET", "/analytics", overview), ("POST", "/analytics/run", run)), label="sentinel"
    )
