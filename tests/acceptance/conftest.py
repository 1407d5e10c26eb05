"""Where the acceptance scenarios run: the local cloud by default, a real tenant on request.

* Plain ``pytest`` (and ``make test``): a local cloud in this process, with an ``envs/local.toml``
  pointing at it, as the integration tests use.
* ``make acceptance ENV=local``: the same.
* ``make acceptance ENV=NAME``: ``envs/NAME.toml`` of this repository against the tenant it names, signed
  in as the environment says (``az login``, OIDC...), with ``MIRO_ACCESS_TOKEN`` for a real Miro
  organisation. Without that file or that token, every scenario is skipped, saying which is missing.
* ``make acceptance`` without ``ENV``: skipped, saying how to choose one.

Scenarios that need the local cloud's fault injection or token classes are marked ``local_only``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LOCAL_TOML, Run
from tests.support import REPO_ROOT, control_call

#: Set by `make acceptance` (to its ENV, possibly empty); absent under plain pytest.
ACCEPTANCE_ENV = os.environ.get("ACCEPTANCE_ENV")


@dataclass
class Target:
    """One environment and the CLI pointed at it."""

    env_name: str
    cwd: Path
    environ: dict[str, str]
    local: Any = None  # the in-process local cloud, for local-only scenarios

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def cli(self, *args: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "deployer", *args],
            cwd=self.cwd,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        assert self.local is not None, "a local-only scenario"
        answer = control_call(dict(self.local.info), method, path, body)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None


def _skip_reason() -> str | None:
    if ACCEPTANCE_ENV is None or ACCEPTANCE_ENV == "local":
        return None
    if not ACCEPTANCE_ENV:
        return (
            "make acceptance needs ENV: ENV=local for the local cloud, or ENV=NAME for envs/NAME.toml "
            "against its tenant with MIRO_ACCESS_TOKEN set"
        )
    if not (REPO_ROOT / "envs" / f"{ACCEPTANCE_ENV}.toml").is_file():
        return f"envs/{ACCEPTANCE_ENV}.toml does not exist: write it (envs/example.toml shows every setting)"
    if not os.environ.get("MIRO_ACCESS_TOKEN"):
        return f"MIRO_ACCESS_TOKEN is not set: export a Miro token of the organisation envs/{ACCEPTANCE_ENV}.toml reports on"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = _skip_reason()
    live = ACCEPTANCE_ENV not in (None, "", "local")
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif live and "local_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs the local cloud's fault injection or token classes"))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The environment the module's scenarios run against, in order (deploy first, destroy last)."""
    if ACCEPTANCE_ENV not in (None, "", "local"):
        yield Target(ACCEPTANCE_ENV, REPO_ROOT, {**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        return
    from emulator.ready import OWNER_SERVE, ServerRecord
    from emulator.server import EmulatorServer

    root = tmp_path_factory.mktemp("acceptance")
    state_dir = root / "state"
    (root / "envs").mkdir()
    (root / "envs" / "local.toml").write_text(LOCAL_TOML.format(state_dir=state_dir))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MIRO_SENTINEL_", "MIRO_ACCESS_TOKEN"))}
    with EmulatorServer(state_dir, time_scale=120, seed=11) as server:
        ServerRecord(server.ready, os.getpid(), OWNER_SERVE).write(state_dir)
        yield Target("local", root, {**environ, "PYTHONPATH": str(REPO_ROOT)}, local=server)
