"""Fixtures shared by the whole suite: the local cloud, and the shared reference material.

``emulator`` is the ready info (endpoints, ids, secret, CA path) of one in-process local cloud served
on 127.0.0.1 for the whole session, reset to a fresh state before each test that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import SHARED_DIR


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-full",
        action="store_true",
        default=False,
        help="run the whole reliability matrix (make reliability), not only its fast part (tests/reliability)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DIR.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs the shared reference material at {SHARED_DIR.resolve()}, which is absent")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The session's local cloud (an ``emulator.server.EmulatorServer``), started on a free port."""
    from emulator.server import EmulatorServer

    with EmulatorServer(tmp_path_factory.mktemp("local-cloud")) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: Any) -> dict[str, Any]:
    """The local cloud's ready info, after a reset: seeded resources only, no rows, faults or requests."""
    emulator_server.cloud.reset()
    return dict(emulator_server.info)


@pytest.fixture(scope="session")
def fast_emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second local cloud whose clock runs 1200 times faster: a 5-minute CCF window every 0.25 s (part 2)."""
    from emulator.server import EmulatorServer

    with EmulatorServer(tmp_path_factory.mktemp("fast-cloud"), time_scale=1200) as server:
        yield server


@pytest.fixture
def fast_emulator(fast_emulator_server: Any) -> dict[str, Any]:
    """The fast local cloud's ready info, after a reset."""
    fast_emulator_server.cloud.reset()
    return dict(fast_emulator_server.info)
