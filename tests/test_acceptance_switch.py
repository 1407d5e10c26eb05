"""How ``make acceptance`` chooses its target, and says why it skips: run in a child pytest as the Makefile runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import REPO_ROOT


def skip_reasons(acceptance_env: str, *, token: str | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("MIRO_ACCESS_TOKEN", "ACCEPTANCE_ENV")}
    environ["ACCEPTANCE_ENV"] = acceptance_env
    if token is not None:
        environ["MIRO_ACCESS_TOKEN"] = token
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/acceptance/test_scenarios.py"],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "passed" not in done.stdout.splitlines()[-1], "no scenario may run without a target"
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("acceptance_env", "token", "reason"),
    [
        ("", None, "make acceptance needs ENV: ENV=local for the local cloud, or ENV=NAME for envs/NAME.toml"),
        ("nosuchenv", "x", "envs/nosuchenv.toml does not exist: write it (envs/example.toml shows every setting)"),
        ("example", None, "MIRO_ACCESS_TOKEN is not set: export a Miro token of the organisation envs/example.toml"),
    ],
    ids=["no ENV", "no settings file", "no Miro token"],
)
def test_without_a_complete_target_every_scenario_is_skipped_saying_why(
    acceptance_env: str, token: str | None, reason: str
) -> None:
    output = skip_reasons(acceptance_env, token=token)
    assert reason in output
    assert "skipped" in output.splitlines()[-1]
