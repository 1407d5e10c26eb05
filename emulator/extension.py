"""What part 2's backends (Miro, Sentinel connectors, the CCF poller) need from the cloud they run in.

A clock (:class:`emulator.clock.VirtualClock` provides it) and JSON documents by collection and key
(:class:`emulator.store.Store` provides them). :class:`ManualClock` and :class:`MemoryDocuments` are
stand-ins for backends used without a server (unit tests, the poller's own tests).
:func:`control_service` builds a backend's control routes the way the core control API's are built.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from emulator.core.errors import azure_error
from emulator.core.http import Handler, Route, Service

__all__ = ["Clock", "Documents", "ManualClock", "MemoryDocuments", "control_service"]


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def real_seconds(self, virtual_seconds: float) -> float: ...


class Documents(Protocol):
    def documents(self, collection: str) -> dict[str, Any]: ...

    def put_document(self, collection: str, key: str, body: Any) -> None: ...

    def delete_document(self, collection: str, key: str) -> None: ...

    def clear_documents(self, collection: str) -> None: ...


class ManualClock:
    """A clock that moves only when told to (:meth:`advance`), ``time_scale`` times faster than real waits."""

    def __init__(self, start: dt.datetime, *, time_scale: float = 1.0) -> None:
        self._now = start
        self.time_scale = time_scale
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def real_seconds(self, virtual_seconds: float) -> float:
        return max(virtual_seconds, 0.0) / self.time_scale


class MemoryDocuments:
    """Documents kept in a dict (nothing survives the process)."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def documents(self, collection: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(dict(sorted(self._data.get(collection, {}).items())))

    def put_document(self, collection: str, key: str, body: Any) -> None:
        with self._lock:
            self._data.setdefault(collection, {})[key] = copy.deepcopy(body)

    def delete_document(self, collection: str, key: str) -> None:
        with self._lock:
            self._data.get(collection, {}).pop(key, None)

    def clear_documents(self, collection: str) -> None:
        with self._lock:
            self._data.pop(collection, None)


def control_service(prefix: str, routes: Sequence[tuple[str, str, Handler]], *, label: str) -> Service:
    """Control routes under ``prefix`` (the control token required, as for all), operations named ``<label>.<handler>``."""
    return Service(
        "control",
        tuple(
            Route(method, prefix + path, handler, operation=f"{label}.{getattr(handler, '__name__', 'handler')}")
            for method, path, handler in routes
        ),
        lambda status, message: azure_error(status, "InjectedFault", message),
    )
