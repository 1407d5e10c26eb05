"""SIGKILL, SIGTERM, SIGHUP and SIGINT at every step of deploy: the run ends cleanly, the next one converges.

A deploy is started against a served local cloud and sent the signal as soon as it announces the step
(``plan…``, ``apply…``...), a moment into it. Whatever it was doing, it must end without a traceback (Ctrl-C:
exit 130 with a hint; the others: killed by the signal), and after the whole chain of interrupted runs a
plain deploy must succeed with nothing left to change, no Miro event lost or doubled. With a local cloud
that the command started itself, that cloud must end with it (no orphans).
"""

from __future__ import annotations

import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.cloud import Cloud, watched_cloud
from tests.reliability.conftest import full
from tests.reliability.harness import (
    TALLY,
    Outcome,
    child_environment,
    count_orphans,
    record,
    start,
)

#: The steps of deploy, as its progress lines name them (backfill is a command of its own, in the fault matrix).
STEPS = ("token", "preflight", "plan", "apply", "validation", "first poll", "health")
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
#: A clean end for each signal: killed by it, or (Ctrl-C) exit 130; 0 when the run finished first. A Ctrl-C that
#: lands while the interpreter shuts down (its handler already gone) kills the process by SIGINT, which a shell
#: reports as 130 too; a traceback or a "bug" would still be caught by the judge.
ENDS = {
    signal.SIGKILL: {-9, 0},
    signal.SIGTERM: {-15, 0},
    signal.SIGHUP: {-1, 0},
    signal.SIGINT: {130, -2, 0},
}
#: The fast part (make test): Ctrl-C in the middle of apply.
FAST = {signal.SIGINT: ("apply",)}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    yield from watched_cloud(tmp_path_factory.mktemp("signals"))


def interrupt_at(root: Path, step: str, signum: signal.Signals, *, delay: float = 0.3) -> Outcome:
    """Start ``deploy --env local`` in ``root`` and send it ``signum`` once it announces ``step``."""
    args = ("deploy", "--env", "local")
    process = start(args, cwd=root, env=child_environment())
    assert process.stderr is not None
    said: list[bytes] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if not ready:
            continue
        line = process.stderr.readline()
        said.append(line)
        if line.decode("utf-8", "replace").strip() == f"{step}…":
            time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signum)
            break
    out, err = process.communicate(timeout=120)
    return Outcome(args, process.returncode, out.decode(), (b"".join(said) + err).decode("utf-8", "replace"), 0.0)


@pytest.mark.parametrize(
    "signum", [pytest.param(s, id=s.name, marks=[] if s in FAST else [pytest.mark.full_only]) for s in SIGNALS]
)
def test_a_deploy_interrupted_at_every_step_converges_on_the_next_run(
    request: pytest.FixtureRequest, cloud: Cloud, signum: signal.Signals
) -> None:
    steps = STEPS if full(request.config) else FAST[signum]
    problems = []
    for step in steps:
        outcome = interrupt_at(cloud.root, step, signum)
        problems += [
            f"{step}: {p}: {outcome.stderr[-300:]!r}"
            for p in record(outcome, ENDS[signum], f"deploy interrupted by {signum.name} at {step}")
        ]

    converged = cloud.cli("deploy", "--env", "local", "--output", "json")
    again = cloud.cli("plan", "--env", "local", "--output", "json")
    converged_problems = record(converged, {0}, f"deploy after {signum.name}")
    plan_problems = record(again, {0}, f"plan after {signum.name}")
    if not converged_problems and not plan_problems and (again.document() or {}).get("plan") == []:
        TALLY.add("converged after re-run")
    lost, doubled = cloud.count_events()

    assert problems == []
    assert converged_problems == [], converged.stderr[-1500:]
    assert (again.document() or {}).get("plan") == [], again.stdout[-1500:]
    assert (lost, doubled) == (0, 0)


@pytest.mark.full_only
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_the_local_cloud_a_deploy_started_ends_with_it(tmp_path: Path, signum: signal.Signals) -> None:
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "local.toml").write_text(
        f'cloud = "local"\nengine = "arm"\n\n[local]\nstate_dir = "{tmp_path / "state"}"\ntime_scale = 120\n'
    )
    outcome = interrupt_at(tmp_path, "plan", signum)
    problems = record(outcome, ENDS[signum], f"deploy with its own cloud interrupted by {signum.name}")

    orphans = count_orphans(tmp_path)
    assert problems == []
    assert orphans == 0
