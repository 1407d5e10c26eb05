"""Run one terraform process: no stdin, its own process group, lines streamed as they come, a deadline.

This is the only module of the runner that imports :mod:`subprocess`.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

__all__ = ["CommandResult", "CommandTimedOut", "run_command"]

Stream = Literal["stdout", "stderr"]

_LOG = logging.getLogger(__name__)

#: Receives each line (without its newline) and the stream it came from.
LineCallback = Callable[[str, Stream], None]


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed and how it ended; ``command`` holds no secret."""

    command: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str


class CommandTimedOut(Exception):
    """The command ran past its deadline and was interrupted (then killed if it did not stop)."""

    def __init__(self, command: Sequence[str], timeout: float, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} timed out after {timeout:g} s")
        self.command = tuple(command)
        self.timeout = timeout
        self.stderr = stderr


def _pump(pipe: IO[str], name: Stream, lines: queue.Queue[tuple[Stream, str | None]]) -> None:
    with pipe:
        for line in pipe:
            lines.put((name, line.rstrip("\r\n")))
    lines.put((name, None))


def _stop(process: subprocess.Popen[str], grace: float) -> None:
    """SIGINT first (Terraform then releases the state lock and saves state), SIGKILL after ``grace``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    on_line: LineCallback | None = None,
    interrupt_grace: float = 15.0,
) -> CommandResult:
    """Run ``argv`` to completion and return what it printed.

    :raises FileNotFoundError: the executable does not exist.
    :raises CommandTimedOut: the command did not finish within ``timeout`` seconds.
    """
    started = time.monotonic()
    _LOG.debug("running %s in %s (deadline %.0f s)", " ".join(argv), cwd, timeout)
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        # Own process group, so a timeout stops terraform and its provider plugins together.
        start_new_session=True,
    )
    lines: queue.Queue[tuple[Stream, str | None]] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, "stderr", lines), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    collected: dict[Stream, list[str]] = {"stdout": [], "stderr": []}
    deadline = time.monotonic() + timeout
    open_streams = 2
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _stop(process, interrupt_grace)
                raise CommandTimedOut(argv, timeout, "\n".join(collected["stderr"]))
            try:
                name, line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            collected[name].append(line)
            if on_line is not None:
                on_line(line, name)
        exit_status = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        _stop(process, interrupt_grace)
        raise CommandTimedOut(argv, timeout, "\n".join(collected["stderr"])) from None
    except BaseException:
        _stop(process, interrupt_grace)
        raise
    finally:
        for pump in pumps:
            pump.join(timeout=1)
    _LOG.debug("%s -> exit %d in %.1f s", " ".join(argv[:2]), exit_status, time.monotonic() - started)
    return CommandResult(
        command=tuple(argv),
        exit_status=exit_status,
        stdout="\n".join(collected["stdout"]),
        stderr="\n".join(collected["stderr"]),
    )
