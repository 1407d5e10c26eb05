"""`backfill`: upload throughput against the SDK's own uploader, pacing to Miro's budget, and peak memory.

* ``upload_*``: the same 200,000 Miro events (``--quick``: 50,000) from the local Miro's generator, sent
  to the same DCR stream by ``LogsIngestionClient.upload`` (the Azure SDK's own: 1 MiB chunks, gzip,
  one request after another) and by the backfill's sender (gzip batches under 1 MB, ``uploads_in_flight``
  requests at once), alternately, twice each; until the last 204 and until a query counts them all.
  The local cloud runs in its own process (``python -m emulator serve``), as in the demo.
* ``pacing_*``: ``miro-sentinel backfill --env local`` over 90 days of history with the local Miro's
  budget as the bottleneck (10,000 and 100,000 credits a minute, share 0.5), stopped after 11 minutes
  (``--quick``: 3); Miro's own request log gives the credits of each whole minute and the 429s.
* ``peak_rss_*``: the same command's peak resident memory over 100,000 and 1,000,000 events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, MutableMapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from azure.monitor.ingestion import LogsIngestionClient

from benchmarks import Result
from benchmarks.bench_emulator import _credential, _deploy, _served
from deployer.azure.cloud import AzureCloud
from deployer.azure.ingestion import IngestionClient
from deployer.azure.query import QueryClient
from deployer.backfill.batches import BatchBuilder
from deployer.backfill.sink import Sent, Sink
from deployer.dcr import spec as dcr_spec
from emulator.miro.generator import EventGenerator, Organization

_REPO = Path(__file__).resolve().parents[1]
_TOKEN = "bench-token-not-a-secret"
_HISTORY_MINUTES = 90 * 24 * 60


# --- upload throughput ----------------------------------------------------------------------------------


def _miro_events(count: int) -> list[MutableMapping[str, Any]]:
    """``count`` events as the local Miro generates them (the last ones before now)."""
    rate = 20.0
    generator = EventGenerator(seed=1, events_per_minute=rate, organization=Organization("1", "Bench Org"))
    minute = int(time.time() // 60) - int(count / rate) - 10
    events: list[MutableMapping[str, Any]] = []
    while len(events) < count:
        events += [e.body for e in generator.bucket(minute)]
        minute += 1
    return events[:count]


def _cloud(info: dict[str, Any]) -> AzureCloud:
    return AzureCloud(info["arm_endpoint"], info["query_endpoint"], info["authority"], ca_bundle=info["ca_cert"])


def _rows(query: QueryClient) -> int:
    return int(query.query("MiroAuditLogs_CL | count", timespan=None)[0]["Count"])


def _sdk_upload(client: LogsIngestionClient, rule: str, stream: str, events: list[MutableMapping[str, Any]]) -> None:
    client.upload(rule, stream, events)


def _backfill_upload(info: dict[str, Any], rule: str, stream: str, events: list[MutableMapping[str, Any]]) -> None:
    cloud = _cloud(info)
    credential = _credential(info)
    sink = Sink(
        lambda: IngestionClient(info["ingestion_endpoint"], credential, cloud),
        rule,
        stream,
        in_flight=4,
        retry_budget=60,
        forbidden_budget=0,
        progress=lambda line: print(f"    {line}", file=sys.stderr),
    )
    builder = BatchBuilder()
    today = dt.date.today()
    futures: list[Future[Sent]] = []
    for event in events:
        full = builder.add(event, today)
        if full is not None:
            futures.append(sink.submit(full))
    rest = builder.flush()
    if rest is not None:
        futures.append(sink.submit(rest))
    accepted = sum(f.result().accepted.total() for f in futures)
    sink.close()
    credential.close()
    if accepted != len(events):
        raise RuntimeError(f"the backfill sender had {len(events) - accepted} events refused")


def _upload(quick: bool) -> list[Result]:
    count = 50_000 if quick else 200_000
    events = _miro_events(count)
    stream = dcr_spec.load_spec().stream.name
    times: dict[str, list[tuple[float, float]]] = {"sdk": [], "backfill": []}
    with tempfile.TemporaryDirectory() as tmp, _served(Path(tmp)) as info:
        credential = _credential(info)
        rule = _deploy(info, credential)
        cloud = _cloud(info)
        with (
            LogsIngestionClient(info["ingestion_endpoint"], credential, connection_verify=info["ca_cert"]) as sdk,
            QueryClient(credential, cloud, info["workspace_customer_id"]) as query,
        ):
            sdk.upload(rule, stream, events[:200])  # warm up: connections, token, the transform's plan
            _backfill_upload(info, rule, stream, events[:200])
            for _ in range(2):
                for name in ("sdk", "backfill"):
                    before = _rows(query)
                    started = time.perf_counter()
                    if name == "sdk":
                        _sdk_upload(sdk, rule, stream, events)
                    else:
                        _backfill_upload(info, rule, stream, events)
                    accepted = time.perf_counter() - started
                    stored = _rows(query) - before
                    visible = time.perf_counter() - started
                    if stored != count:
                        raise RuntimeError(f"{name}: sent {count} events, the table has {stored} more")
                    times[name].append((accepted, visible))
                    print(f"    {name}: accepted in {accepted:.2f} s, visible in {visible:.2f} s", file=sys.stderr)
        credential.close()
    sdk_accept = min(a for a, _ in times["sdk"])
    ours_accept = min(a for a, _ in times["backfill"])
    sdk_visible = min(v for _, v in times["sdk"])
    ours_visible = min(v for _, v in times["backfill"])
    note = f"{count:,} events, best of 2 alternating runs"
    return [
        Result("upload_sdk_events_per_s", count / sdk_accept, "events/s", f"LogsIngestionClient.upload, {note}"),
        Result("upload_backfill_events_per_s", count / ours_accept, "events/s", f"backfill sender, {note}"),
        Result("upload_speedup", sdk_accept / ours_accept, "x", "until the last 204; target >= 3"),
        Result("upload_speedup_until_visible", sdk_visible / ours_visible, "x", "until a query counts every row"),
    ]


# --- the CLI against a served local cloud ---------------------------------------------------------------


def _env_file(root: Path, state: Path) -> None:
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "local.toml").write_text(
        'cloud = "local"\nengine = "arm"\n\n[local]\n'
        f'state_dir = "{state}"\ntime_scale = 1\nseed = 7\n\n'
        "[validation]\nrole_propagation_timeout_seconds = 30\nvisibility_timeout_seconds = 30\npoll_interval_seconds = 0.2\n"
    )


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRO_")}
    env.update({"MIRO_ACCESS_TOKEN": _TOKEN, "PYTHONPATH": str(_REPO)})
    return env


@contextmanager
def _local_cloud(root: Path) -> Iterator[dict[str, Any]]:
    """``miro-sentinel emulator serve`` at time scale 1 (Miro's minutes are real ones), deployed to."""
    state = root / "state"
    _env_file(root, state)
    server = subprocess.Popen(
        [sys.executable, "-m", "deployer", "emulator", "serve", "--state-dir", str(state), "--time-scale", "1"],
        cwd=root, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        done = subprocess.run(
            [sys.executable, "-m", "deployer", "deploy", "--env", "local"],
            cwd=root, env=_child_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"deploy failed: {done.stderr[-800:]}")
        _control(info, "POST", "/ccf/pause")  # the connector would share the token's budget; measure ours alone
        yield info
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)


def _control(info: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {info['control_token']}"}
    response = requests.request(
        method, info["control_endpoint"] + path, json=body, headers=headers, verify=info["ca_cert"], timeout=60
    )
    response.raise_for_status()
    return response.json() if response.content else None


def _backfill(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deployer", "backfill", "--env", "local", "--output", "json", *args],
        cwd=root, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _document(process: subprocess.Popen[str], stdout: str, stderr: str) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(stdout)
    except ValueError:
        raise RuntimeError(f"backfill exited {process.returncode}: {stderr[-1500:]}") from None
    return document


def _finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The run's JSON document."""
    stdout, stderr = process.communicate(timeout=600)
    return _document(process, stdout, stderr)


def _peak_rss_mib(pid: int) -> float:
    """The process's resident high-water mark so far (VmHWM), in MiB; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)


def _finish_measured(process: subprocess.Popen[str]) -> tuple[dict[str, Any], float]:
    """The run's JSON document and its peak resident memory in MiB.

    Read from the kernel's high-water mark while the process runs, not from ``wait4``'s ``ru_maxrss``: that
    one keeps the memory of the process it was forked from (this benchmark, holding its events), so it
    would measure us. The last reading comes at most 0.1 s before the exit, when only the summary is left.
    """
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read() if process.stdout else "")),
        threading.Thread(target=lambda: err.append(process.stderr.read() if process.stderr else "")),
    ]
    peak = 0.0
    for reader in readers:
        reader.start()
    while process.poll() is None:
        peak = max(peak, _peak_rss_mib(process.pid))
        time.sleep(0.1)
    for reader in readers:
        reader.join()
    return _document(process, "".join(out), "".join(err)), peak


# --- pacing ---------------------------------------------------------------------------------------------


def _pacing(quick: bool) -> list[Result]:
    minutes = 3 if quick else 11
    results = []
    budgets = os.environ.get("BACKFILL_BENCH_BUDGETS", "10000,100000").split(",")
    for budget in (int(b) for b in budgets):
        with tempfile.TemporaryDirectory() as tmp, _local_cloud(Path(tmp)) as info:
            _control(info, "PATCH", "/miro/settings", {"credits_per_minute": budget, "events_per_minute": 8})
            _control(info, "DELETE", "/requests")
            process = _backfill(Path(tmp), "--since", "90d")
            time.sleep(minutes * 60 + 5)
            process.send_signal(signal.SIGINT)
            document = _finish(process)
            calls = [r for r in _control(info, "GET", "/requests?service=miro")["value"] if "audit" in r["operation"]]
        share = document["backfill"]["miro"]["budget_share"]
        per_minute = Counter(r["real_time"][:16] for r in calls if r["status"] == 200)
        whole = sorted(per_minute)[1:-1]  # the first and last minutes are partial
        used = [per_minute[m] * 100 / (share * budget) for m in whole]
        throttled = sum(1 for r in calls if r["status"] == 429)
        label = f"{budget // 1000}k"
        print(
            f"    budget {budget:,}: share used per whole minute {[round(u, 3) for u in used]}, {throttled} 429s",
            file=sys.stderr,
        )
        results += [
            Result(
                f"pacing_{label}_share_used_min",
                100 * min(used),
                "%",
                f"lowest of {len(whole)} whole minutes; budget {budget:,}/min, share {share:.0%}; target >= 95",
            ),
            Result(f"pacing_{label}_share_used_mean", 100 * statistics.mean(used), "%", "mean of the same minutes"),
            Result(f"pacing_{label}_429s", throttled, "429s", "answers 429 from the local Miro; target 0"),
        ]
    return results


# --- memory ---------------------------------------------------------------------------------------------


def _memory(quick: bool) -> list[Result]:
    sizes = (20_000, 200_000) if quick else (100_000, 1_000_000)
    results, peaks = [], []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp, _local_cloud(Path(tmp)) as info:
            rate = size / _HISTORY_MINUTES
            _control(info, "PATCH", "/miro/settings", {"credits_per_minute": 10_000_000, "events_per_minute": rate})
            started = time.perf_counter()
            document, peak = _finish_measured(_backfill(Path(tmp), "--since", "90d"))
            elapsed = time.perf_counter() - started
        events = document["backfill"]["events"]
        if document["exit_code"] != 0 or events["sent"] + events["already_present"] != events["fetched"]:
            raise RuntimeError(f"the backfill of {size:,} events did not complete: {document['error']}")
        peaks.append(peak)
        note = f"{events['fetched']:,} events over 90 days, the whole CLI process, {elapsed:.0f} s"
        results.append(Result(f"peak_rss_{size // 1000}k_events", peak, "MiB", note))
        results.append(
            Result(
                f"end_to_end_{size // 1000}k_events_per_s",
                events["fetched"] / elapsed,
                "events/s",
                "Miro to table, with start-up",
            )
        )
    results.append(
        Result("peak_rss_ratio", peaks[1] / peaks[0], "x", f"{sizes[1]:,} vs {sizes[0]:,} events; target <= 1.2")
    )
    return results


def run(quick: bool) -> list[Result]:
    """All three parts; ``BACKFILL_BENCH=upload,pacing,memory`` picks some, ``BACKFILL_BENCH_BUDGETS`` the budgets."""
    chosen = os.environ.get("BACKFILL_BENCH", "upload,pacing,memory").split(",")
    parts = {"upload": _upload, "pacing": _pacing, "memory": _memory}
    return [r for name in chosen for r in parts[name.strip()](quick)]
