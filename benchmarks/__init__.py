"""Benchmarks (``make bench``): throughput, latency and memory figures, never pass/fail tests.

Each ``bench_*.py`` module exposes ``run(quick: bool) -> list[Result]``. ``python -m benchmarks`` runs
them all (or those named on the command line) and prints one line per figure, beside its goal where
it has one; ``--json`` also writes ``.benchmarks/results.json``. The machine's load average is printed
first and last: on a shared machine, figures taken under load say little.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

__all__ = ["Result", "peak_rss_mib"]


@dataclass(frozen=True)
class Result:
    """One measured figure, and the goal it is held to (at least ``at_least``, or at most ``at_most``)."""

    name: str
    value: float
    unit: str
    note: str = ""
    at_least: float | None = None
    at_most: float | None = None

    @property
    def goal(self) -> str:
        """``goal >= 50,000: met`` (or ``MISSED``); empty for a figure without a goal."""
        if self.at_least is not None:
            return f"goal >= {self.at_least:,g}: {'met' if self.value >= self.at_least else 'MISSED'}"
        if self.at_most is not None:
            return f"goal <= {self.at_most:,g}: {'met' if self.value <= self.at_most else 'MISSED'}"
        return ""


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
