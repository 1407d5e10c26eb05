"""Errors a handler raises to answer with something other than success.

An :class:`EmulatorError` carries the complete reply (status, body, headers). Each service builds its
own from a named factory in its ``errors.py`` (Azure's shape, Entra's shape...), so handlers never
assemble error bodies by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emulator.core.http import Reply

__all__ = ["EmulatorError", "azure_error", "first_line", "not_implemented"]

COVERAGE = "emulator/COVERAGE.md"


class EmulatorError(Exception):
    """An answer that is not a success; ``reply`` is sent as is."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"{reply.status} {reply.body!r}")
        self.reply = reply

    @property
    def status(self) -> int:
        return self.reply.status

    @property
    def code(self) -> str | None:
        body = self.reply.body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = body["error"].get("code")
            return str(code) if code is not None else None
        return None


def azure_error(
    status: int,
    code: str,
    message: str,
    *,
    target: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
    innererror: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> EmulatorError:
    """Azure's error: ``{"error": {"code", "message", ...}}`` and the ``x-ms-error-code`` header."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    if details is not None:
        error["details"] = [dict(d) for d in details]
    if innererror is not None:
        error["innererror"] = dict(innererror)
    if extra:
        error.update(extra)
    all_headers = {"x-ms-error-code": code, **(headers or {})}
    return EmulatorError(Reply(status, {"error": error}, all_headers))


def not_implemented(method: str, path: str) -> EmulatorError:
    """501 for anything the local cloud does not emulate: never a fake success."""
    return azure_error(
        501,
        "NotImplemented",
        f"{method} {path} is not implemented by the local cloud; see {COVERAGE}",
    )


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (engine errors add hints below it)."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
