"""`deploy --env local` cold and no-op, and `health`: medians of whole CLI runs (start-up included)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Result

_REPO = Path(__file__).resolve().parents[1]
_TOKEN = "bench-token-not-a-secret"


def _env_file(root: Path, state: Path) -> None:
    text = (
        (_REPO / "envs" / "local.toml")
        .read_text()
        .replace('state_dir = ".miro-sentinel/local"', f'state_dir = "{state}"')
    )
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "local.toml").write_text(text)


def _cli(root: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRO_")}
    env.update({"MIRO_ACCESS_TOKEN": _TOKEN, "PYTHONPATH": str(_REPO)})
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deployer", *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed


def _median(values: list[float]) -> float:
    return statistics.median(values)


def run(quick: bool) -> list[Result]:
    runs = 2 if quick else 5
    cold, noop, health, noop_attached, health_attached = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / "state"
        _env_file(root, state)
        for _ in range(runs):
            shutil.rmtree(state, ignore_errors=True)
            cold.append(_cli(root, "deploy", "--env", "local"))
            noop.append(_cli(root, "deploy", "--env", "local"))
            health.append(_cli(root, "health", "--env", "local"))
        # The same with a local cloud already serving (`miro-sentinel emulator serve`): no start-up per command.
        server = subprocess.Popen(
            [sys.executable, "-m", "deployer", "emulator", "serve", "--state-dir", str(state), "--time-scale", "120"],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            json.loads(server.stdout.readline())
            for _ in range(runs):
                noop_attached.append(_cli(root, "deploy", "--env", "local"))
                health_attached.append(_cli(root, "health", "--env", "local"))
        finally:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)
    note = f"median of {runs} runs of the whole CLI"
    return [
        Result("cold deploy --env local (starts the local cloud)", _median(cold), "s", note),
        Result("no-op re-deploy (starts the local cloud)", _median(noop), "s", note),
        Result("health (starts the local cloud)", _median(health), "s", note),
        Result("no-op re-deploy, local cloud already serving", _median(noop_attached), "s", note),
        Result("health, local cloud already serving", _median(health_attached), "s", note),
    ]
