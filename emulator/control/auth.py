"""Who may use the control API: the holder of the cloud's control token, on every route under ``/_emulator``.

The dispatcher (:mod:`emulator.app`) calls :func:`check_control` for every request whose path is under
:data:`PREFIX` (or whose route belongs to a ``control`` service), before routing goes further. So
every control route, present or future (Miro tokens, CCF, faults, quirks...), needs the token,
and a path under ``/_emulator`` that does not exist answers 401 too, not 404, to a caller without it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from emulator.core.errors import EmulatorError, azure_error

__all__ = ["PREFIX", "check_control", "is_control_path"]

PREFIX = "/_emulator"


def is_control_path(path: str) -> bool:
    """Whether ``path`` is under the control API (routes match case-insensitively, so this does too)."""
    lowered = path.lower()
    return lowered == PREFIX or lowered.startswith(PREFIX + "/")


def check_control(headers: Mapping[str, str], token: str) -> None:
    """Raise 401 unless ``headers`` carry ``Authorization: Bearer <token>``."""
    scheme, _, given = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        return
    raise _unauthorized()


def _unauthorized() -> EmulatorError:
    return azure_error(
        401,
        "AuthenticationFailed",
        "The control API needs 'Authorization: Bearer <control_token>', the token given in the local cloud's "
        "ready line and in server.json in its state directory.",
        headers={"WWW-Authenticate": 'Bearer realm="miro-sentinel local cloud control API"'},
    )
