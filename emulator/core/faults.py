"""Faults injected into routes by tests (through the control API) to see what a client does.

A fault matches requests by method, a regular expression searched in the path, and/or a service name;
the first registered fault that matches and has hits left applies. It can delay the request, answer
with a status (in the service's error shape, with ``Retry-After``), corrupt the body, or drop the
connection. Each fault counts its hits.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Fault", "FaultRegistry"]


@dataclass
class Fault:
    """One injected fault. ``count`` is how many requests it applies to (``None``: all)."""

    id: str
    method: str | None = None
    path: str | None = None
    service: str | None = None
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    malformed: bool = False
    drop: bool = False
    count: int | None = None
    message: str | None = None
    hits: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def matches(self, method: str, path: str, service: str) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.service is not None and self.service != service:
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern")
        return data


class FaultRegistry:
    """The faults in force, in registration order."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        """Register a fault from its JSON description; raises ``ValueError`` for a bad one."""
        known = {"method", "path", "service", "status", "retry_after", "delay", "malformed", "drop", "count", "message"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        fault = Fault(id=uuid.uuid4().hex[:12], **spec)
        if fault.status is not None and not 100 <= int(fault.status) <= 599:
            raise ValueError(f"status must be an HTTP status code, not {fault.status!r}")
        if fault.count is not None and int(fault.count) < 0:
            raise ValueError("count must be 0 or more")
        if not (fault.status or fault.delay or fault.malformed or fault.drop):
            raise ValueError("a fault needs at least one of status, delay, malformed or drop")
        if fault.path is not None:
            try:
                fault._pattern = re.compile(fault.path)
            except re.error as exc:
                raise ValueError(f"path is not a regular expression: {exc}") from exc
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, service: str) -> Fault | None:
        """The fault applying to this request, its hit counted; ``None`` when none applies."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, service):
                    fault.hits += 1
                    return fault
        return None

    def get(self, fault_id: str) -> Fault | None:
        with self._lock:
            return next((f for f in self._faults if f.id == fault_id), None)

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
