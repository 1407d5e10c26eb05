"""Running the installed CLI as an operator would, and judging what it did.

Every command runs as a real subprocess of the installed ``miro-sentinel`` with resource limits (address
space, CPU seconds) and a wall-clock timeout, so "bounded time and memory" is a property of the run, not
an assertion on timing. :func:`judge` says whether an outcome was handled cleanly: an exit code the case
allows, 3 only with a named external cause, one ``error:`` line and one ``hint:`` line for a failure (a health
report that could not reach a verdict says instead, for each check it could not run, why and what to do), never
a traceback or the word "bug", never the canary token. :data:`TALLY` counts what the suite tried and found;
``conftest.py`` prints it at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO_ROOT

#: The Miro token every run carries; found anywhere it must not be, it is a leak.
CANARY = f"miro-canary-rel-{uuid.uuid4().hex}"

#: The installed console script (``make setup`` puts it beside the interpreter).
CLI = Path(sys.executable).with_name("miro-sentinel")

#: What one run may use: 3 GiB of address space, 240 CPU seconds, 300 wall seconds.
MEMORY_BYTES = 3 * 1024**3
CPU_SECONDS = 240
WALL_SECONDS = 300.0

#: Error types that name an external cause (exit 3) rather than an unexpected one.
UNEXPECTED_TYPES = {"InternalError"}

_BUG = re.compile(r"\bbugs?\b", re.IGNORECASE)


class Tally:
    """The counts the suite prints: tried, handled cleanly, converged after re-run, lost, doubled, leaks, orphans."""

    NAMES = (
        "tried",
        "handled cleanly",
        "converged after re-run",
        "events compared",
        "events lost",
        "events doubled",
        "leaks",
        "orphans",
    )

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter({name: 0 for name in self.NAMES})
        self.problems: list[str] = []
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def table(self) -> list[str]:
        width = max(len(n) for n in self.NAMES)
        return [f"  {name:<{width}}  {self.counts[name]}" for name in self.NAMES]

    def save(self, path: Path) -> None:
        """Write the counts for the process that prints them (a test worker's, under pytest-xdist)."""
        path.write_text(json.dumps({"counts": dict(self.counts), "problems": self.problems}))

    def merge(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.counts.update(data["counts"])
        self.problems += data["problems"]


TALLY = Tally()


@dataclass
class Outcome:
    """What one run did."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    @property
    def hint_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("hint: ")]

    def document(self) -> dict[str, object] | None:
        try:
            data = json.loads(self.stdout)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def judge(outcome: Outcome, allowed: Iterable[int]) -> list[str]:
    """Why ``outcome`` was not handled cleanly (empty when it was)."""
    problems: list[str] = []
    said = outcome.stdout + outcome.stderr
    if outcome.timed_out:
        problems.append(f"did not finish within {WALL_SECONDS:g} s")
    if outcome.code < 0 and outcome.code not in set(allowed):
        problems.append(f"died of signal {-outcome.code} (a resource limit?)")
    elif outcome.code not in set(allowed):
        problems.append(f"exit {outcome.code}, expected one of {sorted(set(allowed))}")
    if "Traceback (most recent call last)" in said:
        problems.append("printed a traceback")
    if _BUG.search(said.replace("--debug", "")):
        problems.append("says 'bug'")
    if CANARY in said:
        problems.append("printed the canary token")
    explained = (len(outcome.error_lines) >= 1 and len(outcome.hint_lines) == 1) or could_not_check(outcome)
    if outcome.code in (2, 3, 130) and not explained:
        problems.append(f"no error line with one hint line: {outcome.stderr[-400:]!r}")
    if outcome.code == 3:
        error = (outcome.document() or {}).get("error")
        kind = error.get("type") if isinstance(error, dict) else None
        first = outcome.error_lines[0] if outcome.error_lines else ""
        if kind in UNEXPECTED_TYPES or first.startswith("error: unexpected"):
            problems.append(f"exit 3 without a named external cause: {first or kind}")
    return problems


def could_not_check(outcome: Outcome) -> bool:
    """A health report whose verdict is unknown (exit 3): each check it could not run says why and what to do."""
    health = (outcome.document() or {}).get("health")
    if outcome.code != 3 or not isinstance(health, dict) or health.get("status") != "unknown":
        return False
    checks = [c for c in health.get("checks", []) if isinstance(c, dict)]
    unchecked = [c for c in checks if str(c.get("detail", "")).startswith("could not check: ")]
    return bool(unchecked) and all(c.get("status") == "SKIPPED" and c.get("remedy") for c in unchecked)


#: The limits are set by the shell that then becomes the CLI (``exec``): the pid stays the command's own.
_LIMITED = f'ulimit -v {MEMORY_BYTES // 1024} && ulimit -t {CPU_SECONDS} && exec "$0" "$@"'


def child_environment(token: str | None = CANARY, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the operator's settings and credentials, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRO_", "AZURE_", "ARM_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if token is not None:
        env["MIRO_ACCESS_TOKEN"] = token
    env.update(extra or {})
    return env


def start(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.Popen[bytes]:
    """The installed CLI started with ``args`` under the resource limits (its output piped)."""
    return subprocess.Popen(
        ["/bin/sh", "-c", _LIMITED, str(CLI), *args],
        cwd=cwd,
        env=dict(env if env is not None else child_environment()),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = WALL_SECONDS,
) -> Outcome:
    """Run the installed CLI to the end (killed at ``timeout``), watching /proc for the canary meanwhile."""
    started = time.monotonic()
    process = start(args, cwd=cwd, env=env, stdin=stdin)
    watcher = CmdlineWatcher()
    watcher.start()
    timed_out = False
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        out, err = process.communicate()
    finally:
        watcher.stop()
    return Outcome(
        tuple(args),
        process.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - started,
        timed_out,
    )


def record(outcome: Outcome, allowed: Iterable[int], what: str) -> list[str]:
    """Count ``outcome`` in the tally and return its problems (the caller asserts there are none)."""
    problems = judge(outcome, allowed)
    TALLY.add("tried")
    if problems:
        TALLY.problem(f"{what}: {'; '.join(problems)}")
    else:
        TALLY.add("handled cleanly")
    if CANARY in outcome.stdout + outcome.stderr:
        TALLY.add("leaks")
    return problems


# --- where the canary must never be ---------------------------------------------------------------------


class CmdlineWatcher:
    """Scans every process's command line for the canary while a run goes on (each finding is a leak)."""

    def __init__(self, every: float = 0.25) -> None:
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cmdline-watcher", daemon=True)
        self.found: set[int] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        if self.found:
            TALLY.add("leaks", len(self.found))
            TALLY.problem(f"the canary token was on the command line of process(es) {sorted(self.found)}")

    def _run(self) -> None:
        needle = CANARY.encode()
        while not self._stopped.is_set():
            for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
                if not entry.name.isdigit():
                    continue
                try:
                    if needle in (entry / "cmdline").read_bytes():
                        self.found.add(int(entry.name))
                except OSError:
                    continue
            self._stopped.wait(self._every)


def files_with_canary(*roots: Path) -> list[str]:
    """Files under ``roots`` holding the canary token (each one is a leak)."""
    needle = CANARY.encode()
    found = []
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder, name)
                try:
                    if path.is_file() and needle in path.read_bytes():
                        found.append(str(path))
                except OSError:
                    continue
    return found


# --- emulators left running -------------------------------------------------------------------------------


def emulators_under(root: Path) -> list[int]:
    """Local clouds whose command line names a state directory under ``root`` (still running)."""
    found = []
    marker = str(root).encode()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state = stat.rsplit(")", 1)[1].split()[0] if ")" in stat else "?"
        if b"emulator" in cmdline and marker in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def count_orphans(root: Path, *, grace: float = 30.0) -> int:
    """Emulators under ``root`` still running after ``grace`` seconds; each is counted and then stopped."""
    deadline = time.monotonic() + grace
    left = emulators_under(root)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = emulators_under(root)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    if left:
        TALLY.add("orphans", len(left))
        TALLY.problem(f"local clouds outlived their commands: {left}")
    return len(left)
