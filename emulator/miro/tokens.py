"""Miro access tokens and their rights: scopes, plan, role, revoked or not.

Only a SHA-256 of each token is kept (the state store can be dumped through the control API); the
clear value is returned once, when the token is registered. The default token, printed in the ready
line, is derived from the cloud's secret so it stays the same across restarts without being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from emulator.extension import Documents

__all__ = ["AUDIT_SCOPE", "PRESETS", "MiroToken", "TokenRegistry", "fingerprint"]

AUDIT_SCOPE = "auditlogs:read"
_COLLECTION = "miro.tokens"
_DEFAULT_ID = "default"
#: Miro access tokens start like this (a base64 JSON header naming the region); the rest is random.
_PREFIX = "eyJtaXJvLm9yaWdpbiI6ImV1MDEifQ_"

#: Rights of the token kinds tests ask for by name.
PRESETS: dict[str, dict[str, Any]] = {
    "valid": {},
    "revoked": {"revoked": True},
    "no_audit_scope": {"scopes": ["boards:read", "boards:write"]},
    "not_enterprise": {"enterprise": False},
    "not_company_admin": {"company_admin": False},
}


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MiroToken:
    """A registered token's rights (never its value)."""

    id: str
    sha256: str
    scopes: tuple[str, ...] = ("boards:read", AUDIT_SCOPE)
    enterprise: bool = True
    company_admin: bool = True
    revoked: bool = False
    label: str = ""
    user: Mapping[str, str] = field(default_factory=lambda: {"id": "3458764500000000101", "name": "Ada Admin"})
    team: Mapping[str, str] = field(default_factory=lambda: {"id": "3458764500000001000", "name": "Product Design"})

    def public(self) -> dict[str, Any]:
        """What the control API shows: rights and id, not the fingerprint."""
        data = asdict(self)
        data.pop("sha256")
        data["scopes"] = list(self.scopes)
        return data


_CHANGEABLE = {"scopes", "enterprise", "company_admin", "revoked", "label"}


def _validated(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - _CHANGEABLE)
    if unknown:
        raise ValueError(f"unknown token field(s): {', '.join(unknown)}; known: {', '.join(sorted(_CHANGEABLE))}")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "scopes":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise ValueError("scopes must be a list of strings")
            out[name] = tuple(value)
        elif name == "label":
            if not isinstance(value, str):
                raise ValueError("label must be a string")
            out[name] = value
        else:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            out[name] = value
    return out


class TokenRegistry:
    """The tokens Miro knows, persisted in ``documents``; the default token always exists."""

    def __init__(self, documents: Documents, *, secret: str) -> None:
        self._documents = documents
        digest = hmac.new(secret.encode("utf-8"), b"miro-default-token", hashlib.sha256).digest()
        #: The default, valid token (ready line ``miro_token``).
        self.default_token = _PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        self._lock = threading.Lock()
        self._by_id: dict[str, MiroToken] = {}
        self._by_hash: dict[str, str] = {}
        for body in documents.documents(_COLLECTION).values():
            body["scopes"] = tuple(body["scopes"])
            self._index(MiroToken(**body))
        if _DEFAULT_ID not in self._by_id:
            self._save(MiroToken(id=_DEFAULT_ID, sha256=fingerprint(self.default_token), label="ready line"))

    def find(self, token: str) -> MiroToken | None:
        """The registered token with this value, or ``None``."""
        with self._lock:
            token_id = self._by_hash.get(fingerprint(token))
            return self._by_id.get(token_id) if token_id else None

    def get(self, token_id: str) -> MiroToken | None:
        with self._lock:
            return self._by_id.get(token_id)

    def all(self) -> list[MiroToken]:
        with self._lock:
            return list(self._by_id.values())

    def register(self, spec: Mapping[str, Any]) -> tuple[MiroToken, str]:
        """A new token from ``{"preset": name, ...rights}``; returns it and its clear value (only here).

        :raises ValueError: an unknown preset or field, or a bad value.
        """
        spec = dict(spec)
        preset = spec.pop("preset", "valid")
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
        value = spec.pop("token", None) or _PREFIX + secrets.token_urlsafe(24)
        if not isinstance(value, str) or not value.strip():
            raise ValueError("token must be a non-empty string")
        changes = _validated({**PRESETS[preset], **spec})
        token = MiroToken(id=uuid.uuid4().hex[:12], sha256=fingerprint(value), **changes)
        with self._lock:
            if token.sha256 in self._by_hash:
                raise ValueError("that token is already registered")
        self._save(token)
        return token, value

    def change(self, token_id: str, changes: Mapping[str, Any]) -> MiroToken:
        """Change a token's rights; raises ``KeyError`` (unknown id) or ``ValueError`` (bad change)."""
        current = self.get(token_id)
        if current is None:
            raise KeyError(token_id)
        token = replace(current, **_validated(changes))
        self._save(token)
        return token

    def reset(self) -> None:
        """Back to the default token alone, valid."""
        self._documents.clear_documents(_COLLECTION)
        with self._lock:
            self._by_id.clear()
            self._by_hash.clear()
        self._save(MiroToken(id=_DEFAULT_ID, sha256=fingerprint(self.default_token), label="ready line"))

    def _save(self, token: MiroToken) -> None:
        body = asdict(token)
        body["scopes"] = list(token.scopes)
        self._documents.put_document(_COLLECTION, token.id, body)
        with self._lock:
            self._index(token)

    def _index(self, token: MiroToken) -> None:
        self._by_id[token.id] = token
        self._by_hash[token.sha256] = token.id
