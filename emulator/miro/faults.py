"""Faults injected into the local Miro (control API), each counting its hits.

Kinds:

* ``status``: answer with ``status`` (5xx, or 429) and Miro's error body; ``retry_after`` adds a header.
* ``slow``: wait ``delay`` real seconds, then answer normally (to trip a client's timeout).
* ``malformed``: answer 200 with a body cut in the middle of the JSON.
* ``repeat_cursor``: answer the right page but with the cursor the request carried, as a server bug
  that would make a naive client fetch the same page for ever. It applies only to a next page that holds
  events (an empty page ends the listing, so it has no cursor to repeat) and that no other fault took.

``on`` narrows a fault to first pages (no cursor), next pages (with a cursor) or both; ``skip`` lets
that many matching requests through first; ``count`` is how many requests it applies to (``None``:
all). These faults act after authentication and rate limiting, so their answers carry
``X-RateLimit-*`` and spend credits like any call that reached Miro.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["KINDS", "MiroFault", "MiroFaults"]

KINDS = ("status", "slow", "malformed", "repeat_cursor")
_ON = ("any", "first_page", "next_page")
_OPERATIONS = ("audit_logs", "token_info")


@dataclass
class MiroFault:
    id: str
    kind: str
    operation: str = "audit_logs"
    on: str = "any"
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    skip: int = 0
    count: int | None = None
    seen: int = 0
    hits: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build(spec: dict[str, Any]) -> MiroFault:
    known = {"kind", "operation", "on", "status", "retry_after", "delay", "skip", "count"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if spec.get("operation", "audit_logs") not in _OPERATIONS:
        raise ValueError(f"operation must be one of {', '.join(_OPERATIONS)}")
    if spec.get("on", "any") not in _ON:
        raise ValueError(f"on must be one of {', '.join(_ON)}")
    for name in ("skip", "count", "status"):
        value = spec.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} must be a whole number >= 0")
    for name in ("delay", "retry_after"):
        value = spec.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise ValueError(f"{name} must be a number of seconds >= 0")
    if kind == "status" and not 400 <= int(spec.get("status") or 0) <= 599:
        raise ValueError("a status fault needs a status between 400 and 599")
    if kind == "slow" and not spec.get("delay"):
        raise ValueError("a slow fault needs a delay in seconds")
    return MiroFault(id=uuid.uuid4().hex[:12], **spec)


class MiroFaults:
    """The faults in force, in registration order; the first that applies wins."""

    def __init__(self) -> None:
        self._faults: list[MiroFault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> MiroFault:
        """Register a fault from its JSON description; raises ``ValueError`` for a bad one."""
        fault = _build(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, operation: str, *, has_cursor: bool, repeat: bool = False) -> MiroFault | None:
        """The fault for this request, its hit counted; ``None`` when none applies.

        ``repeat`` asks for a ``repeat_cursor`` fault only (once the answer is known to hold events); without
        it those faults are passed over.
        """
        page = "next_page" if has_cursor else "first_page"
        with self._lock:
            for fault in self._faults:
                if fault.operation != operation or fault.on not in ("any", page):
                    continue
                if (fault.kind == "repeat_cursor") != repeat or (repeat and not has_cursor):
                    continue
                if fault.count is not None and fault.hits >= fault.count:
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.hits += 1
                return fault
        return None

    def all(self) -> list[MiroFault]:
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
