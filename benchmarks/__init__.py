"""Benchmarks (``make bench``): throughput, latency and memory figures, never pass/fail tests.

Each ``bench_*.py`` module exposes ``run(quick: bool) -> list[Result]``. ``python -m benchmarks`` runs
them all (or those named on the command line) and prints one line per figure; ``--json`` also
writes ``.benchmarks/results.json``.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

__all__ = ["Result", "peak_rss_mib"]


@dataclass(frozen=True)
class Result:
    """One measured figure."""

    name: str
    value: float
    unit: str
    note: str = ""


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
