"""Bearer-token checks shared by every service: signature, expiry and audience.

Each service states which audiences it accepts and how it answers a bad token (its own error shape),
through an :class:`Authenticator` attached to its routes. Verifying the signature and the times is the
Entra emulator's job (:class:`emulator.entra.models.TokenIssuer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from emulator.core.errors import EmulatorError
from emulator.core.http import Call

__all__ = ["AuthErrors", "Authenticator", "Principal", "TokenRejected", "TokenVerifier", "normalize_audience"]


@dataclass(frozen=True)
class Principal:
    """Who called: the token's object id, application id, tenant and audience."""

    object_id: str
    app_id: str
    tenant_id: str
    audience: str


class TokenRejected(Exception):
    """A token that is not valid: malformed, badly signed, expired or not yet valid."""

    def __init__(self, reason: str, *, expired_at: dt.datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired_at = expired_at


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises :class:`TokenRejected`."""
        ...


class AuthErrors(Protocol):
    """How one service answers each kind of bad credential."""

    def missing(self) -> EmulatorError: ...

    def invalid(self, reason: str) -> EmulatorError: ...

    def expired(self, expired_at: dt.datetime) -> EmulatorError: ...

    def wrong_audience(self, audience: str, allowed: tuple[str, ...]) -> EmulatorError: ...


def normalize_audience(value: str) -> str:
    """Audiences compare without trailing slashes (``https://monitor.azure.com/`` is the same resource)."""
    return value.strip().rstrip("/").lower()


class Authenticator:
    """Accepts tokens for ``audiences`` (compared without trailing slashes), answering with ``errors``."""

    def __init__(self, audiences: Iterable[str], errors: AuthErrors, verifier: TokenVerifier) -> None:
        self.allowed = tuple(audiences)
        self._audiences = frozenset(normalize_audience(a) for a in self.allowed)
        self._errors = errors
        self._verifier = verifier

    def authenticate(self, call: Call) -> Principal:
        """The caller of ``call``; raises the service's error for a missing, bad or misdirected token."""
        header = call.headers.get("authorization")
        if not header:
            raise self._errors.missing()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._errors.invalid("the Authorization header is not a bearer token")
        try:
            principal = self._verifier.verify(token.strip())
        except TokenRejected as exc:
            if exc.expired_at is not None:
                raise self._errors.expired(exc.expired_at) from exc
            raise self._errors.invalid(exc.reason) from exc
        if normalize_audience(principal.audience) not in self._audiences:
            raise self._errors.wrong_audience(principal.audience, self.allowed)
        return principal
