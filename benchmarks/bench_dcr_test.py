"""``miro-sentinel dcr test`` on 100,000 Miro events: events per second and peak memory of the command."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result

_EVENTS = (
    "sign_in_succeeded",
    "sign_in_failed",
    "board_opened",
    "board_created",
    "team_member_added",
    "user_deactivated",
)


def _event(i: int, rng: random.Random) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}Z#{3458764500000000000 + i}-DDB",
        "event": rng.choice(_EVENTS),
        "category": rng.choice(("authentication", "boards", "teams", "users")),
        "createdAt": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}+0000",
        "createdBy": {
            "type": "user",
            "id": str(3458764500000 + i % 977),
            "name": f"User {i % 977} Ångström",
            "email": f"u{i % 977}@example.com",
        },
        "context": {
            "ip": f"198.51.100.{i % 250}",
            "organization": {"id": "3458764500000000000", "name": "Example Org"},
        },
        "details": {"authType": "SSO", "attempt": i % 5, "nested": {"roles": ["EDITOR", "VIEWER"][: 1 + i % 2]}},
    }
    if i % 3:
        event["context"]["team"] = {"id": str(3458764500000000100 + i % 40), "name": f"Team {i % 40}"}
    if i % 5:
        event["object"] = {"id": str(3458764500000000200 + i % 5000), "name": f"Board {i % 5000}"}
    return event


def _run_child(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit status of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr:
        proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def run(quick: bool) -> list[Result]:
    count = 10_000 if quick else 100_000
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.json"
        path.write_text(json.dumps([_event(i, rng) for i in range(count)]), encoding="utf-8")
        size_mib = path.stat().st_size / 2**20
        cli = [sys.executable, "-m", "deployer", "dcr", "test", "--events", str(path), "--output", "json"]
        baseline, _, _ = _run_child([sys.executable, "-m", "deployer", "--help"])
        elapsed, peak, status = _run_child(cli)
    if status != 0:
        raise RuntimeError(f"dcr test exited {status} on the benchmark events")
    return [
        Result(f"dcr test, {count:,} events ({size_mib:.0f} MiB JSON)", elapsed, "s", "wall clock, whole command"),
        Result("throughput", count / elapsed, "events/s", "including start-up and JSON output"),
        Result(
            "throughput excluding CLI start-up",
            count / max(elapsed - baseline, 1e-9),
            "events/s",
            f"start-up {baseline:.2f} s",
        ),
        Result("peak memory", peak, "MiB", "max RSS of the dcr test process"),
    ]
