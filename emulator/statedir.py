"""The state directory is private: the directory 0700, every file in it 0600.

It holds the emulated Owner's client secret (sealed), keys, the local Miro's token and the control
token, so nobody but its owner may read it. Files the emulator writes itself are created owner-only
(:func:`write_private`); files DuckDB creates (the database, its WAL) are owner-only because the
``serve`` process runs with umask 077 (:func:`private_umask`). A directory that already exists with
looser modes, or files left in it by an older version, are tightened; a directory that belongs to
another user is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["StateDirError", "ensure_private_dir", "private_umask", "write_private"]


class StateDirError(ValueError):
    """The state directory cannot be made private (it belongs to someone else, or is not a directory)."""


def private_umask() -> None:
    """Make every file and directory this process creates owner-only (DuckDB's files included)."""
    os.umask(0o077)


def ensure_private_dir(path: Path) -> Path:
    """``path`` created 0700 (parents as the umask says), or tightened to 0700 with its contents owner-only.

    :raises StateDirError: ``path`` is not a directory, or it belongs to another user.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except FileExistsError:
        raise StateDirError(f"the state directory {path} exists and is not a directory") from None
    except OSError as exc:
        raise StateDirError(f"the state directory {path} cannot be created: {exc.strerror}") from None
    if info.st_uid != os.geteuid():
        raise StateDirError(
            f"the state directory {path} belongs to another user (uid {info.st_uid}); use a directory of your own"
        )
    _tighten(path, info, 0o700)
    # Files from an older version, or copied in, become owner-only too (new ones are created that way).
    for folder, subdirs, files in os.walk(path):
        for name in subdirs:
            _tighten(Path(folder, name), None, 0o700)
        for name in files:
            _tighten(Path(folder, name), None, 0o600)
    return path


def _tighten(path: Path, info: os.stat_result | None, mode: int) -> None:
    try:
        info = info or path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            return
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
    except OSError:
        return  # a file that vanished meanwhile


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, created owner-only (0600), so a crash leaves no half file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
