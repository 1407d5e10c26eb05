"""The content backend: saved searches, workbooks and metric alerts of the cloud, and the thread that
evaluates metric alerts on the virtual clock (or, while the clock is stepped, when a step settles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.content.metricalerts import MetricAlerts
from emulator.content.savedsearches import SavedSearches
from emulator.content.workbooks import Workbooks
from emulator.core.ticker import Ticker

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ContentBackend"]


class ContentBackend:
    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self.saved_searches = SavedSearches(cloud)
        self.workbooks = Workbooks(cloud)
        self.metric_alerts = MetricAlerts(cloud)
        self._ticker = Ticker(cloud, "metric-alerts", self.metric_alerts.evaluate_due)

    def start(self) -> None:
        self._ticker.start()

    def quiesce(self) -> None:
        self._ticker.stop()

    def close(self) -> None:
        self._ticker.stop()

    def reset(self) -> None:
        self.metric_alerts.reset()
        self.start()

    def settle(self) -> None:
        self.metric_alerts.evaluate_due()
