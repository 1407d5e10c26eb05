"""The backfill's checkpoint: which time the table already holds every Miro event of, per environment.

One JSON file in the environment's working directory (``.miro-sentinel/<env>/backfill-checkpoint.json``),
rewritten atomically (a temporary file in the same directory, flushed to disk, then renamed over the
old one), so a kill at any moment leaves either the previous state or the new one, never half of one.

* ``covered``: intervals for which every event Miro returned is in the table: it was there already, or
  the Logs Ingestion API accepted it (204). A re-run skips them.
* ``sending``: windows whose records were being sent when the file was written. Azure shows accepted
  records only minutes later, so a re-run that finds one of these waits for that latency before reading
  the window's ids from the table again; otherwise it would miss records still on their way and send
  them twice.

The checkpoint names the workspace, table and DCR it is about; one about other resources (after a
destroy and a new deploy, say) is ignored, since its table may no longer hold what it says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.backfill.timerange import Interval, union

__all__ = ["SCHEMA", "Checkpoint", "CheckpointTarget"]

SCHEMA = "miro-sentinel.backfill-checkpoint/1"


@dataclass(frozen=True)
class CheckpointTarget:
    """What the checkpoint is about: a table in a workspace, fed through one DCR."""

    workspace_id: str
    table: str
    dcr_immutable_id: str


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


class Checkpoint:
    """The checkpoint file of one environment; thread-safe, every change written at once."""

    def __init__(self, path: Path, target: CheckpointTarget) -> None:
        self.path = path
        self.target = target
        self._lock = threading.Lock()
        self._covered: list[Interval] = []
        self._sending: dict[Interval, dt.datetime] = {}
        #: Why an existing file was not used (unreadable, or about other resources), for the operator.
        self.ignored: str | None = None

    @classmethod
    def load(cls, path: Path, target: CheckpointTarget) -> Checkpoint:
        """The checkpoint at ``path`` if it is about ``target``; an empty one otherwise (``ignored`` says why)."""
        checkpoint = cls(path, target)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return checkpoint
        except (OSError, ValueError) as exc:
            checkpoint.ignored = f"{path} is unreadable ({type(exc).__name__}); starting from an empty checkpoint"
            return checkpoint
        try:
            about = CheckpointTarget(**data["target"])
            covered = [Interval(_time(a), _time(b)) for a, b in data["covered"]]
            sending = {Interval(_time(w["start"]), _time(w["end"])): _time(w["since"]) for w in data["sending"]}
            if data.get("schema") != SCHEMA:
                raise ValueError(data.get("schema"))
        except (KeyError, TypeError, ValueError) as exc:
            checkpoint.ignored = f"{path} is not a checkpoint this version reads ({exc}); starting afresh"
            return checkpoint
        if about != target:
            checkpoint.ignored = (
                f"{path} is about another table or DCR (workspace {about.workspace_id}, table {about.table}, "
                f"DCR {about.dcr_immutable_id}); starting afresh"
            )
            return checkpoint
        checkpoint._covered = union(covered)
        checkpoint._sending = sending
        return checkpoint

    # --- reading ---------------------------------------------------------------------------------------

    @property
    def covered(self) -> list[Interval]:
        with self._lock:
            return list(self._covered)

    @property
    def sending(self) -> dict[Interval, dt.datetime]:
        """Windows that were being sent when the last run stopped, and since when."""
        with self._lock:
            return dict(self._sending)

    # --- changes (each one written to disk before it returns) -------------------------------------------

    def start_sending(self, window: Interval, at: dt.datetime) -> None:
        with self._lock:
            self._sending[window] = at
            self._write()

    def done(self, window: Interval) -> None:
        """Every event of ``window`` is in the table (or accepted into it)."""
        with self._lock:
            self._covered = union([*self._covered, window])
            self._sending.pop(window, None)
            self._write()

    def _write(self) -> None:
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "target": vars(self.target),
            "covered": [[_iso(i.start), _iso(i.end)] for i in self._covered],
            "sending": [
                {"start": _iso(w.start), "end": _iso(w.end), "since": _iso(at)}
                for w, at in sorted(self._sending.items())
            ],
            "updated_at": _iso(dt.datetime.now(dt.UTC)),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _sync_directory(self.path.parent)


def _sync_directory(path: Path) -> None:
    """Make the rename itself durable (a power cut could otherwise undo it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
