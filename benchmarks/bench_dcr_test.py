"""``miro-sentinel dcr test`` on Miro events, and our KQL adapter against the bare engine.

* 100,000 Miro-shaped events (a 53 MiB JSON array) through the whole command in its own process,
  start-up and JSON output included: events per second and peak memory.
* 1,000,000 events (``--quick``: skipped): peak memory again; it must stay flat, within 1.2x of the
  100,000-event figure.
* The adapter (:mod:`kqlengine`) against bare ``duckdb_kql.query``, in this process, on the same
  transform (``dcr/transform.kql``) over the same 100,000 rows already in a DuckDB table: each
  translates and runs the transform into a table (no Python objects); median of several runs, taken
  in turns. Also the engine's SQL run directly, without the relation API ``query`` goes through, to
  show what the adapter itself adds.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb_kql

import kqlengine as kql
from benchmarks import Result
from deployer.dcr.spec import load_spec

ADAPTER_RUNS = 5

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


def _write_events(path: Path, count: int) -> float:
    """A JSON array of ``count`` events, written as it is made; returns its size in MiB."""
    rng = random.Random(42)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i in range(count):
            handle.write((", " if i else "") + json.dumps(_event(i, rng)))
        handle.write("]")
    return path.stat().st_size / 2**20


#: Runs the command given as its arguments and prints its wall seconds and peak RSS (KiB) as its last
#: line on stderr. Linux counts the memory a process had when it forked in the peak of the program it
#: then runs; this small process forks it, so the figure is the command's own, not this benchmark's.
_MEASURE = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_child(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit status of one command."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed, peak_kib = proc.stderr.decode().splitlines()[-1].split()
    return float(elapsed), int(peak_kib) / 1024, proc.returncode


def _dcr_test(path: Path) -> tuple[float, float]:
    cli = [sys.executable, "-m", "deployer", "dcr", "test", "--events", str(path), "--output", "json"]
    elapsed, peak, status = _run_child(cli)
    if status != 0:
        raise RuntimeError(f"dcr test exited {status} on the benchmark events")
    return elapsed, peak


def _median_seconds(*runs: Callable[[], object]) -> list[float]:
    """The median time of each of ``runs``, taken in turns so that load from elsewhere hits them alike."""
    for run in runs:
        run()  # warm up: the parser's caches, the file in the page cache
    timings: list[list[float]] = [[] for _ in runs]
    for _ in range(ADAPTER_RUNS):
        for run, taken in zip(runs, timings, strict=True):
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return [statistics.median(taken) for taken in timings]


def _adapter_against_bare(path: Path) -> tuple[float, float, float]:
    """Median seconds of the transform over the events of ``path``: through our adapter, through bare
    ``duckdb_kql.query``, and as the engine's SQL run directly (``duckdb_kql.to_sql`` + execute)."""
    spec = load_spec()
    con = kql.connect()
    con.execute("SET enable_progress_bar = false")
    kql.create_table(con, "source", spec.stream.columns)
    shaped = kql.shape_records_sql(spec.stream.columns, "read_json_objects(?, format = 'array')")
    con.execute(f"INSERT INTO source {shaped}", [str(path)])

    def adapter() -> None:
        sql, params = kql.translate(spec.transform, con)
        con.execute(f"CREATE OR REPLACE TABLE out_adapter AS {sql}", params or None)

    def bare() -> None:
        con.execute("DROP TABLE IF EXISTS out_bare")
        duckdb_kql.query(con, spec.transform).create("out_bare")

    def engine() -> None:
        sql = duckdb_kql.to_sql(spec.transform, schema=duckdb_kql.engine.schema(con))
        con.execute(f"CREATE OR REPLACE TABLE out_engine AS {sql}", dict(sql.parameters or {}) or None)

    adapter_s, bare_s, engine_s = _median_seconds(adapter, bare, engine)
    return adapter_s, bare_s, engine_s


def run(quick: bool) -> list[Result]:
    count = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.json"
        size_mib = _write_events(path, count)
        baseline, _, _ = _run_child([sys.executable, "-m", "deployer", "dcr", "test", "--help"])
        elapsed, peak = _dcr_test(path)
        adapter, bare, engine = _adapter_against_bare(path)
        results = [
            Result(f"dcr test, {count:,} events ({size_mib:.0f} MiB JSON)", elapsed, "s", "wall clock, whole command"),
            Result("throughput", count / elapsed, "events/s", "including start-up and JSON output", at_least=50_000),
            Result(
                "throughput excluding CLI start-up",
                count / max(elapsed - baseline, 1e-9),
                "events/s",
                f"start-up {baseline:.2f} s",
            ),
            Result("peak memory", peak, "MiB", "max RSS of the dcr test process", at_most=300),
            Result("transform through our adapter", adapter * 1000, "ms", f"median of {ADAPTER_RUNS}, {count:,} rows"),
            Result("transform through bare duckdb_kql.query", bare * 1000, "ms", "same rows, same process"),
            Result(
                "transform as duckdb_kql.to_sql + execute", engine * 1000, "ms", "the engine's SQL, no relation API"
            ),
            Result("adapter / bare", adapter / bare, "x", "translation and strict datetimes", at_most=1.2),
            Result("adapter / to_sql + execute", adapter / engine, "x", "what the adapter itself adds"),
        ]
        if not quick:
            big = Path(tmp) / "events-1m.json"
            _write_events(big, 1_000_000)
            path.unlink()
            big_elapsed, big_peak = _dcr_test(big)
            results += [
                Result("dcr test, 1,000,000 events", big_elapsed, "s", f"{1_000_000 / big_elapsed:,.0f} events/s"),
                Result("peak memory, 1,000,000 events", big_peak, "MiB", "max RSS of the dcr test process"),
                Result("peak memory, 1,000,000 / 100,000 events", big_peak / peak, "x", "flat memory", at_most=1.2),
            ]
    return results
