"""What clients asked of the local cloud, so tests can assert it ("no Azure call was made").

Each entry has the method, the path without its query string (queries can carry KQL and other data
that has no place in a log), the service, the operation, the status, the caller's object id, and
when it happened (virtual and real time). Bodies and headers are never kept: they carry secrets.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    time: str
    real_time: str
    method: str
    path: str
    service: str
    operation: str
    status: int
    request_id: str
    principal: str | None
    fault: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """The last ``capacity`` requests, oldest first."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, *, virtual_time: dt.datetime, **fields: Any) -> RequestRecord:
        with self._lock:
            self._seq += 1
            record = RequestRecord(
                seq=self._seq,
                time=virtual_time.isoformat(),
                real_time=dt.datetime.now(dt.UTC).isoformat(),
                **fields,
            )
            self._records.append(record)
            return record

    def records(self, *, service: str | None = None, after: int = 0) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self._records if r.seq > after and (service is None or r.service == service)]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
