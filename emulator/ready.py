"""The ready line and ``server.json``: one typed model for the emulator that writes them and the deployer that reads them.

``emulator serve`` prints :class:`ReadyInfo` as one JSON line on stdout when it serves, and keeps a
:class:`ServerRecord` (the same keys plus its process id and owner) in ``<state dir>/server.json``
while it runs. ``deployer/local/process.py`` reads both with :meth:`ReadyInfo.from_json` and
:meth:`ServerRecord.read`, so a key added on one side is a type error, not a ``KeyError``, on the other.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

from emulator.statedir import write_private

__all__ = ["OWNER_CHILD", "OWNER_SERVE", "SERVER_FILE", "ReadyInfo", "ReadyLineError", "ServerRecord"]

#: In the state directory while a cloud serves it: a :class:`ServerRecord`.
SERVER_FILE = "server.json"
#: Started explicitly (``emulator serve``): other commands may attach to it.
OWNER_SERVE = "serve"
#: Started by a command for itself: it ends with that command, and nobody else attaches.
OWNER_CHILD = "child"


class ReadyLineError(ValueError):
    """A ready line or ``server.json`` that is not what this version writes (names the keys at fault)."""


_KINDS = {str: "a string", int: "an integer", float: "a number"}


def _object(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReadyLineError(f"{what} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReadyLineError(f"{what} is not a JSON object")
    return data


def _check(cls: type, data: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """The fields of ``cls`` taken from ``data``, type-checked; unknown keys are ignored (newer writers)."""
    if not isinstance(data, Mapping):
        raise ReadyLineError(f"{what} is not a JSON object")
    hints = get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in fields if f.default is dataclasses.MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ReadyLineError(f"{what} lacks {', '.join(missing)}")
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            continue
        value = data[f.name]
        kind = hints[f.name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind in (str, int, float) and (isinstance(value, bool) or not isinstance(value, kind)):
            raise ReadyLineError(f"{what}: {f.name} must be {_KINDS[kind]}, not {type(value).__name__}")
        if kind is str and not value and f.default is dataclasses.MISSING:
            raise ReadyLineError(f"{what}: {f.name} is empty")
        values[f.name] = value
    return values


@dataclass(frozen=True)
class ReadyInfo:
    """What a client needs to use a running local cloud (``emulator serve``'s ready line)."""

    arm_endpoint: str
    authority: str
    tenant_id: str
    client_id: str
    client_secret: str
    principal_object_id: str
    subscription_id: str
    resource_group: str
    location: str
    workspace_name: str
    workspace_resource_id: str
    workspace_customer_id: str
    query_endpoint: str
    ingestion_endpoint: str
    #: The CA certificate clients must trust (a path).
    ca_cert: str
    #: The control API (``/_emulator``) and the bearer token every call to it needs.
    control_endpoint: str
    control_token: str
    miro_base_url: str
    #: A valid Enterprise token of the local Miro.
    miro_token: str
    state_dir: str
    time_scale: float
    #: The address and port the server's socket is really bound to (``0.0.0.0`` when serving remotely).
    bound_host: str
    bound_port: int
    #: The Blob service (path-style: ``{blob_endpoint}/{account}``), its storage account and container.
    blob_endpoint: str = ""
    storage_account: str = ""
    storage_container: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadyInfo:
        """Raises :class:`ReadyLineError` naming missing or mistyped keys."""
        return cls(**_check(cls, data, what="the ready line"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ReadyInfo:
        return cls.from_dict(_object(text, "the ready line"))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """One line of JSON (no newline)."""
        return json.dumps(self.to_dict())

    def control_headers(self) -> dict[str, str]:
        """The ``Authorization`` header the control API requires."""
        return {"Authorization": f"Bearer {self.control_token}"}


@dataclass(frozen=True)
class ServerRecord:
    """``server.json``: the ready info of the cloud serving a state directory, its process, and who owns it.

    ``owner`` is :data:`OWNER_SERVE` for a cloud started explicitly (others may attach to it) or
    :data:`OWNER_CHILD` for one a command started for itself (``parent_pid``); only the former is shared.
    """

    ready: ReadyInfo
    pid: int
    owner: str
    parent_pid: int | None = None

    def __post_init__(self) -> None:
        if self.owner not in (OWNER_SERVE, OWNER_CHILD):
            raise ReadyLineError(f"server.json: owner must be {OWNER_SERVE!r} or {OWNER_CHILD!r}, not {self.owner!r}")

    @property
    def shared(self) -> bool:
        """Whether other commands may attach to this cloud."""
        return self.owner == OWNER_SERVE

    def to_json(self) -> str:
        return json.dumps({**self.ready.to_dict(), "pid": self.pid, "owner": self.owner, "parent_pid": self.parent_pid})

    @classmethod
    def from_json(cls, text: str | bytes) -> ServerRecord:
        data = _object(text, "server.json")
        pid, owner, parent = data.get("pid"), data.get("owner"), data.get("parent_pid")
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise ReadyLineError("server.json: pid must be a positive integer")
        if not isinstance(owner, str):
            raise ReadyLineError("server.json lacks owner")
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)):
            raise ReadyLineError("server.json: parent_pid must be an integer")
        return cls(ReadyInfo.from_dict(data), pid, owner, parent)

    def write(self, state_dir: Path) -> Path:
        """Write ``state_dir/server.json`` atomically, readable by its owner only; returns its path."""
        path = state_dir / SERVER_FILE
        write_private(path, self.to_json().encode("utf-8"))
        return path

    @classmethod
    def read(cls, state_dir: Path) -> ServerRecord | None:
        """The record in ``state_dir``, or ``None`` when there is none; raises :class:`ReadyLineError` if unreadable."""
        try:
            text = (state_dir / SERVER_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ReadyLineError(f"server.json cannot be read: {exc.strerror}") from None
        return cls.from_json(text)
