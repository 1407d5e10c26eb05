"""The content backend: saved searches, workbooks and metric alerts of the cloud, and the thread that
evaluates metric alerts on the virtual clock (or, while the clock is stepped, when a step settles)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from emulator.content.metricalerts import MetricAlerts
from emulator.content.savedsearches import SavedSearches
from emulator.content.workbooks import Workbooks

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ContentBackend"]

_log = logging.getLogger(__name__)
_IDLE_REAL_SECONDS = 0.5


class ContentBackend:
    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self.saved_searches = SavedSearches(cloud)
        self.workbooks = Workbooks(cloud)
        self.metric_alerts = MetricAlerts(cloud)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        cloud.clock.on_advance(self._wake.set)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="metric-alerts", daemon=True)
            self._thread.start()

    def quiesce(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout=30)

    def close(self) -> None:
        self.quiesce()

    def reset(self) -> None:
        self.metric_alerts.reset()
        self.start()

    def settle(self) -> None:
        self.metric_alerts.evaluate_due()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            if not self._cloud.stepping.is_set():
                try:
                    self.metric_alerts.evaluate_due()
                except Exception:
                    _log.exception("the metric alert evaluator failed; it will try again")
            self._wake.wait(_IDLE_REAL_SECONDS)
            self._wake.clear()
