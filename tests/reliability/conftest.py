"""The reliability suite: its two sizes, and the counts it prints at the end.

``make test`` runs its fast part: a sample of the bad-input corpus, one fault and one signal per kind,
a few fuzzed inputs. ``make reliability`` (``pytest tests/reliability --reliability-full``) runs all of it:
the whole corpus, every fault class against every command, every signal at every step of deploy, two
concurrent runs, and more fuzzing. Either way the counts are printed last.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest

from tests.reliability.harness import TALLY

#: Where each pytest-xdist worker leaves its counts for the process that prints them.
TALLY_DIR = "RELIABILITY_TALLY_DIR"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "full_only: part of the whole reliability matrix, not of its fast part")
    if not hasattr(config, "workerinput"):  # the controller (or the only process): workers inherit the variable
        os.environ[TALLY_DIR] = tempfile.mkdtemp(prefix="reliability-tally-")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput") and os.environ.get(TALLY_DIR):
        TALLY.save(Path(os.environ[TALLY_DIR]) / f"tally-{os.getpid()}.json")


def full(config: pytest.Config) -> bool:
    return bool(config.getoption("--reliability-full", default=False)) or os.environ.get("RELIABILITY_FULL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if full(config):
        return
    kept = [item for item in items if "full_only" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "full_only" in item.keywords])
        items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput"):  # a worker's summary is not shown; the controller merges
        return
    folder = os.environ.get(TALLY_DIR)
    if folder and Path(folder).is_dir():
        for path in sorted(Path(folder).glob("tally-*.json")):
            TALLY.merge(path)
            path.unlink()
        with contextlib.suppress(OSError):
            Path(folder).rmdir()
    if not TALLY.counts["tried"]:
        return
    size = "whole matrix" if full(terminalreporter.config) else "fast part"
    terminalreporter.section(f"reliability ({size})")
    for line in TALLY.table():
        terminalreporter.write_line(line)
    for problem in TALLY.problems[:50]:
        terminalreporter.write_line(f"  ! {problem}")
