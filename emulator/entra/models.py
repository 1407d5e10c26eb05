"""Entra's state and rules: the directory of client principals and the token issuer.

Token times (``iat``, ``nbf``, ``exp``) follow the *real* clock, not the virtual one: clients cache
tokens by their own wall clock, so a token that expired in emulated time while the client still
thinks it fresh would only produce spurious 401s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.core.auth import Principal, TokenRejected, normalize_audience
from emulator.entra import errors
from emulator.identity import Identity
from emulator.statedir import write_private
from emulator.store import Store

__all__ = ["KNOWN_RESOURCES", "ClientPrincipal", "Directory", "TokenIssuer"]

#: Resources (application ID URIs) this tenant can issue tokens for, and the audience each token carries.
KNOWN_RESOURCES = {
    "https://management.azure.com": "https://management.azure.com",
    "https://management.core.windows.net": "https://management.core.windows.net",
    "https://monitor.azure.com": "https://monitor.azure.com",
    "https://api.loganalytics.io": "https://api.loganalytics.io",
    "https://api.loganalytics.azure.com": "https://api.loganalytics.azure.com",
    "https://storage.azure.com": "https://storage.azure.com",
}


#: The principal types of Entra ID as role assignments name them (``principalType``).
SERVICE_PRINCIPAL, USER = "ServicePrincipal", "User"


@dataclass(frozen=True)
class ClientPrincipal:
    """A principal of the tenant and how it signs in.

    A service principal (``kind`` ServicePrincipal) signs in with its app's ``client_id`` and secret. A
    user (``kind`` User) signs in with ``user_name`` and its password (the secret) through any public
    client (``grant_type=password``); its tokens say ``idtyp=user``.

    Only a SHA-256 of the secret is kept (in memory and in the store), as a directory keeps a hash: the
    clear value is shown once, when the principal is registered.
    """

    client_id: str
    secret_sha256: str
    object_id: str
    display_name: str
    kind: str = SERVICE_PRINCIPAL
    user_name: str | None = None

    def accepts(self, secret: str) -> bool:
        """Whether ``secret`` is this client's secret (compared in constant time)."""
        return hmac.compare_digest(_digest(secret), self.secret_sha256)

    def public(self) -> dict[str, Any]:
        """Everything but the secret's hash."""
        data = asdict(self)
        data.pop("secret_sha256")
        return data


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Directory:
    """The tenant's client principals: the seeded one and those registered through the control API."""

    def __init__(self, store: Store, identity: Identity) -> None:
        self._store = store
        self.identity = identity
        self._lock = threading.Lock()
        self._principals: dict[str, ClientPrincipal] = {}
        self._load()

    def _seeded(self) -> ClientPrincipal:
        i = self.identity
        return ClientPrincipal(i.client_id, _digest(i.client_secret), i.principal_object_id, "miro-sentinel-local")

    def _load(self) -> None:
        principals = []
        for key, body in self._store.documents("entra").items():
            if "client_secret" in body:  # kept in clear by an older version: keep its hash instead
                body["secret_sha256"] = _digest(body.pop("client_secret"))
                self._store.put_document("entra", key, body)
            principals.append(ClientPrincipal(**body))
        with self._lock:
            self._principals = {p.client_id: p for p in [self._seeded(), *principals]}

    def reset(self) -> None:
        self._store.clear_documents("entra")
        self._load()

    def register(
        self,
        *,
        display_name: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        kind: str = SERVICE_PRINCIPAL,
        user_name: str | None = None,
    ) -> tuple[ClientPrincipal, str]:
        """A new principal (its own object id), kept in the state directory; returns it and its secret.

        A user (``kind`` User) needs a ``user_name``; its secret is its password.
        """
        if kind not in (SERVICE_PRINCIPAL, USER):
            raise ValueError(f"kind must be {SERVICE_PRINCIPAL} or {USER}, not {kind!r}")
        if kind == USER and not user_name:
            raise ValueError("a user needs a user_name (e.g. ada@contoso.example)")
        secret = client_secret or secrets.token_urlsafe(32)
        principal = ClientPrincipal(
            client_id=client_id or str(uuid.uuid4()),
            secret_sha256=_digest(secret),
            object_id=str(uuid.uuid4()),
            display_name=display_name,
            kind=kind,
            user_name=user_name if kind == USER else None,
        )
        with self._lock:
            if principal.client_id in self._principals:
                raise ValueError(f"a client with id {principal.client_id} already exists")
            if user_name and self._by_user_name(user_name) is not None:
                raise ValueError(f"a user named {user_name} already exists")
            self._principals[principal.client_id] = principal
        self._store.put_document("entra", principal.client_id, asdict(principal))
        return principal, secret

    def by_client_id(self, client_id: str) -> ClientPrincipal | None:
        with self._lock:
            return self._principals.get(client_id)

    def by_user_name(self, user_name: str) -> ClientPrincipal | None:
        """The user who signs in as ``user_name`` (case-insensitive)."""
        with self._lock:
            return self._by_user_name(user_name)

    def _by_user_name(self, user_name: str) -> ClientPrincipal | None:
        wanted = user_name.lower()
        return next((p for p in self._principals.values() if (p.user_name or "").lower() == wanted), None)

    def by_object_id(self, object_id: str) -> ClientPrincipal | None:
        with self._lock:
            return next((p for p in self._principals.values() if p.object_id == object_id), None)

    def all(self) -> list[ClientPrincipal]:
        with self._lock:
            return list(self._principals.values())


class TokenIssuer:
    """Signs access tokens (RS256, key generated per state directory) and verifies them."""

    def __init__(self, key_path: Path, identity: Identity, directory: Directory) -> None:
        self._key = _load_or_create_key(key_path)
        self._public = self._key.public_key()
        self.key_id = uuid.uuid5(uuid.NAMESPACE_URL, str(self._public.public_numbers().n)).hex
        self.identity = identity
        self.directory = directory
        self.lifetime_seconds = 3599
        self.issuer = f"https://sts.windows.net/{identity.tenant_id}/"

    def issue(
        self,
        principal: ClientPrincipal,
        audience: str,
        *,
        lifetime_seconds: int | None = None,
        public_client: str | None = None,
    ) -> dict[str, Any]:
        """A token response for ``principal`` and ``audience`` (Entra's ``/token`` success body).

        A user's token names the public client it signed in through (``public_client``) as ``appid``.
        """
        lifetime = self.lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        now = int(time.time())
        app_id = (public_client or principal.client_id) if principal.kind == USER else principal.client_id
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "appid": app_id,
            "azp": app_id,
            "idtyp": "user" if principal.kind == USER else "app",
            "oid": principal.object_id,
            "sub": principal.object_id,
            "tid": self.identity.tenant_id,
            "ver": "1.0",
        }
        if principal.kind == USER:
            claims.update(upn=principal.user_name, unique_name=principal.user_name, scp="user_impersonation")
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})
        return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}

    def verify(self, token: str) -> Principal:
        """The principal a token was issued to; raises :class:`TokenRejected`."""
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "nbf", "aud", "oid", "tid"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError as exc:
            expired = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
            raise TokenRejected("the token has expired", expired_at=dt.datetime.fromtimestamp(expired, dt.UTC)) from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenRejected("the token is not valid yet") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"the token is invalid: {exc}") from exc
        if claims.get("tid") != self.identity.tenant_id or claims.get("iss") != self.issuer:
            raise TokenRejected("the token was issued by another tenant")
        return Principal(
            object_id=str(claims["oid"]),
            app_id=str(claims.get("appid", "")),
            tenant_id=str(claims["tid"]),
            audience=str(claims["aud"]),
        )

    def jwks(self) -> dict[str, Any]:
        """The signing key as a JSON Web Key Set."""
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._public, as_dict=True)
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    def audience_for_scope(self, scope: str, tenant: str) -> str:
        """The audience of a token for ``scope`` (``<resource>/.default``); raises Entra's error otherwise."""
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise errors.invalid_scope(scope)
        resource = normalize_audience(scopes[0][: -len("/.default")])
        for known, audience in KNOWN_RESOURCES.items():
            if normalize_audience(known) == resource:
                return audience
        raise errors.invalid_resource(scopes[0][: -len("/.default")], tenant)


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(path, pem)
    return key
