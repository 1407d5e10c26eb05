"""Run the real console script in a child process, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO_ROOT


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., Run]


@pytest.fixture
def cli() -> CliRunner:
    """``cli("dcr", "test", env={...}, cwd=...)`` runs ``python -m deployer`` and returns code and output."""

    def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path = REPO_ROOT, stdin: str | None = None) -> Run:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRO_SENTINEL_", "MIRO_ACCESS_TOKEN"))}
        child_env.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "deployer", *args],
            cwd=cwd,
            env=child_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
