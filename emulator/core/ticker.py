"""A background thread that does its work whenever the virtual clock may have made some of it due.

It wakes when the clock jumps (``VirtualClock.on_advance``) and at least every half real second, and
does nothing while the cloud steps the clock (the step settles the work itself, in order).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["Ticker"]

_log = logging.getLogger(__name__)
_IDLE_REAL_SECONDS = 0.5


class Ticker:
    """Runs ``work()`` on a thread named ``name`` while started (see the module docstring)."""

    def __init__(self, cloud: Cloud, name: str, work: Callable[[], object]) -> None:
        self._cloud = cloud
        self._name = name
        self._work = work
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        cloud.clock.on_advance(self._wake.set)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            if not self._cloud.stepping.is_set():
                try:
                    self._work()
                except Exception:
                    _log.exception("%s failed; it will try again", self._name)
            self._wake.wait(_IDLE_REAL_SECONDS)
            self._wake.clear()
