"""One client per thread: the HTTP sessions under the clients are not shared between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["PerThread"]


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class PerThread(Generic[C]):
    """Makes one ``C`` per thread on first use (:meth:`get`) and closes them all (:meth:`close`)."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._local = threading.local()
        self._made: list[C] = []
        self._lock = threading.Lock()

    def get(self) -> C:
        made: C | None = getattr(self._local, "made", None)
        if made is None:
            made = self._local.made = self._make()
            with self._lock:
                self._made.append(made)
        return made

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for item in made:
            item.close()
