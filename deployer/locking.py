"""One run per environment at a time: the lock that deploy, destroy and backfill hold.

:func:`environment_lock` is a context manager around ``fcntl.flock`` on ``.miro-sentinel/<env>/run.lock``.
The file holds who has it (pid, host, command, since), so a second run can say so. The kernel releases
the lock when its holder dies, however it dies, so a stale lock cannot block anyone: a crashed run's holder
line is simply overwritten (and logged as such).

Runs on two machines (a laptop and CI) do not share that file: where the environment has a storage account
(the Terraform state's, or ``lock.storage_account``), a :class:`RemoteLock` is taken too, after the local
one: a lease on a blob beside the state (:mod:`deployer.azure.blob_lease`), renewed in the background while
the run lasts, so a dead run's lease runs out within a minute (``docs/locking.md``).

A second run waits up to ``lock.wait_seconds`` (checking every second, saying once that it waits), then
raises :class:`~deployer.errors.EnvironmentLocked` (exit 3) naming the holder and since when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from deployer.errors import DeployerError, EnvironmentLocked, HostError

__all__ = ["LOCK_FILE", "Holder", "RemoteLock", "environment_lock", "read_holder"]

_LOG = logging.getLogger(__name__)

LOCK_FILE = "run.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds an environment's lock."""

    pid: int
    host: str
    command: str
    since: str

    @classmethod
    def me(cls, command: str) -> Holder:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return cls(pid=os.getpid(), host=socket.gethostname(), command=command, since=now)

    @property
    def named(self) -> bool:
        """Whether the holder has written who it is (a lease is taken a moment before it is named)."""
        return self.pid != 0

    def describe(self) -> str:
        if not self.named:
            return "a run that has just taken the lock (it has not named itself yet)"
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"`miro-sentinel {self.command}` (pid {self.pid}{where}) since {self.since}"

    def as_metadata(self) -> dict[str, str]:
        """The holder as blob metadata (ASCII values, as Azure requires)."""
        return {k: str(v).encode("ascii", "replace").decode("ascii") for k, v in asdict(self).items()}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> Holder:
        """The holder a lease's metadata names (an unnamed one when it was not written yet)."""
        found = {k.lower(): v for k, v in metadata.items()}
        pid = found.get("pid", "0")
        return cls(
            pid=int(pid) if pid.isdigit() else 0,
            host=found.get("host") or "another machine",
            command=found.get("command", ""),
            since=found.get("since") or "just now",
        )

    def alive(self) -> bool | None:
        """Whether the holder's process still runs; None when it runs on another host."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class RemoteLock(Protocol):
    """The environment's lock where every machine sees it (a blob lease in Azure)."""

    #: Where it is, for messages.
    where: str
    #: Seconds between renewals while it is held.
    renew_every: float

    def try_acquire(self, holder: Mapping[str, str]) -> dict[str, str] | None:
        """Take it for ``holder``: None when taken, else what the current holder wrote."""
        ...

    def renew(self) -> None:
        """Keep it (called every ``renew_every`` seconds while held)."""
        ...

    def release(self) -> None:
        """Give it back."""
        ...

    def close(self) -> None: ...


def read_holder(directory: Path) -> Holder | None:
    """Who the lock file under ``directory`` names, if anyone (it may be a finished run's line)."""
    try:
        data = json.loads((directory / LOCK_FILE).read_text(encoding="utf-8") or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def environment_lock(
    directory: Path,
    *,
    env_name: str,
    command: str,
    wait_seconds: float,
    progress: Callable[[str], None],
    remote: Callable[[], RemoteLock | None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Holder]:
    """Hold environment ``env_name``'s lock for the ``with`` block.

    :param directory: ``.miro-sentinel/<env>``; created (0700) if missing.
    :param command: what holds it, for the message a second run shows (``deploy``, ``destroy``, ...).
    :param wait_seconds: how long a second run waits before giving up (for both locks together).
    :param remote: makes the lock in Azure, asked once the local lock is held; None where there is none.
    :raises EnvironmentLocked: another run still holds it after ``wait_seconds``.
    :raises HostError: the lock file cannot be created.
    """
    me = Holder.me(command)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise HostError(
            f"cannot create the lock file of environment '{env_name}' in {directory}: {exc.strerror}"
        ) from exc
    held = False
    try:
        waiting = _Waiting(env_name, wait_seconds, progress, sleep, clock)
        while (holder := _try_local(fd, me)) is not None:
            waiting.on(
                holder,
                f"wait for that run to finish (it holds {directory / LOCK_FILE}), or set "
                "lock.wait_seconds (MIRO_SENTINEL_LOCK_WAIT_SECONDS) to wait for it",
            )
        held = True
        _LOG.debug("holding the lock of '%s' (%s)", env_name, directory / LOCK_FILE)
        with _remote_lock(remote(), me, waiting, progress):
            yield me
    finally:
        if held:  # only the holder clears the holder line; a run that gave up leaves it for the next to read
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _try_local(fd: int, me: Holder) -> Holder | None:
    """Take the file lock and write ``me`` into it; or return who holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder_in(fd)
        if holder is None or holder.alive() is False:
            # The line is a dead run's (or not yet written): the live holder is starting right now.
            return Holder(pid=0, host=socket.gethostname(), command="", since="just now")
        return holder
    previous = _holder_in(fd)
    if previous is not None and previous.pid != me.pid:
        # Only possible after a run died without cleaning up: the kernel freed its lock.
        _LOG.info("the lock's previous holder, %s, is gone; taking it over", previous.describe())
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(me)).encode("utf-8"), 0)
    return None


def _holder_in(fd: int) -> Holder | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def _remote_lock(
    lock: RemoteLock | None, me: Holder, waiting: _Waiting, progress: Callable[[str], None]
) -> Iterator[None]:
    """Hold ``lock`` (if any) for the block, renewing it in the background; wait for it like the local one."""
    if lock is None:
        yield
        return
    try:
        while (held_by := lock.try_acquire(me.as_metadata())) is not None:
            waiting.on(
                Holder.from_metadata(held_by),
                f"wait for that run to finish (it holds the lease on the {lock.where}; a run that died loses it "
                "within a minute), or set lock.wait_seconds (MIRO_SENTINEL_LOCK_WAIT_SECONDS) to wait",
            )
        _LOG.debug("holding the lease on the %s", lock.where)
        renewer = _Renewer(lock, lock.renew_every, progress)
        try:
            yield
        finally:
            renewer.stop()
            try:
                lock.release()
            except DeployerError as exc:  # the lease runs out by itself within a minute
                _LOG.warning(
                    "could not release the lease on the %s (it expires by itself): %s", lock.where, exc.message
                )
    finally:
        lock.close()


class _Waiting:
    """A second run's wait for both locks: one deadline, the line saying whom it waits for said once."""

    def __init__(
        self,
        env_name: str,
        wait_seconds: float,
        progress: Callable[[str], None],
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self._env_name = env_name
        self._wait_seconds = wait_seconds
        self._progress = progress
        self._sleep = sleep
        self._clock = clock
        self._deadline = clock() + wait_seconds
        self._tries = 0
        self._said = False

    def on(self, holder: Holder, remedy: str) -> None:
        """One more try found ``holder``: wait a moment, or give up past the deadline.

        :raises EnvironmentLocked: the wait is over.
        """
        self._tries += 1
        if self._clock() >= self._deadline:
            raise EnvironmentLocked(
                f"environment '{self._env_name}' is locked by {holder.describe()}; two runs must not change it at once",
                holder=holder.describe(),
                remedy=remedy,
            )
        if not self._said and (holder.named or self._tries > 1):  # caught naming itself, it has a name a try later
            self._progress(
                f"waiting for {holder.describe()} to finish with '{self._env_name}' "
                f"(up to {self._wait_seconds:g} s, lock.wait_seconds)"
            )
            self._said = True
        self._sleep(min(1.0, max(0.0, self._deadline - self._clock())))


class _Renewer:
    """Renews a remote lock every ``every`` seconds on a thread of its own until stopped."""

    def __init__(self, lock: RemoteLock, every: float, progress: Callable[[str], None]) -> None:
        self._lock = lock
        self._every = every
        self._progress = progress
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lock-renewal", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        said = False
        while not self._stopped.wait(self._every):
            try:
                self._lock.renew()
            except DeployerError as exc:
                if not said:  # the run goes on; say once that another may start once the lease runs out
                    self._progress(f"lock: could not renew the lease on the {self._lock.where}: {exc.message}")
                    said = True

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=30)
