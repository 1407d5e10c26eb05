"""The seeded identity of a local cloud: tenant, client, subscription, resource group and workspace.

Generated once per state directory and kept there, so a restart serves the same ids and secret.
``seed`` makes the generated ids reproducible (the client secret is always random). The client secret
is kept sealed (:mod:`emulator.sealed`), never in clear in the store.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import uuid
from dataclasses import asdict, dataclass

from emulator.sealed import SecretBox
from emulator.store import Store

__all__ = ["IdFactory", "Identity"]

RESOURCE_GROUP = "rg-miro-sentinel-local"
WORKSPACE_NAME = "law-miro-sentinel-local"
LOCATION = "eastus"
_SEALED = "client_secret_sealed"


@dataclass(frozen=True)
class Identity:
    """The ids a fresh local cloud starts with (see the ready line)."""

    tenant_id: str
    client_id: str
    client_secret: str
    principal_object_id: str
    subscription_id: str
    resource_group: str
    location: str
    workspace_name: str
    workspace_customer_id: str

    @property
    def workspace_resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
        )

    @classmethod
    def load_or_create(cls, store: Store, box: SecretBox, *, seed: int | None) -> Identity:
        """The identity kept in ``store`` (its secret sealed with ``box``), generated and kept on first use."""
        kept = store.document("meta", "identity")
        if kept is not None:
            sealed = kept.pop(_SEALED, None)
            if sealed is None:  # kept in clear by an older version: seal it now
                identity = cls(**kept)
                identity._keep(store, box)
                return identity
            return cls(**kept, client_secret=str(box.open(sealed)))
        rng = random.Random(seed) if seed is not None else random.SystemRandom()

        def guid() -> str:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

        identity = cls(
            tenant_id=guid(),
            client_id=guid(),
            client_secret=secrets.token_urlsafe(32),
            principal_object_id=guid(),
            subscription_id=guid(),
            resource_group=RESOURCE_GROUP,
            location=LOCATION,
            workspace_name=WORKSPACE_NAME,
            workspace_customer_id=guid(),
        )
        identity._keep(store, box)
        return identity

    def _keep(self, store: Store, box: SecretBox) -> None:
        body = asdict(self)
        body[_SEALED] = box.seal(body.pop("client_secret"))
        store.put_document("meta", "identity", body)


class IdFactory:
    """New unique ids (GUIDs, ``dcr-<32 hex>`` immutable ids); reproducible when ``seed`` is given.

    The counter is kept in ``store`` so a restarted, seeded cloud does not hand out an id twice.
    """

    def __init__(self, store: Store, *, seed: int | None) -> None:
        self._store = store
        self._seed = seed
        self._lock = threading.Lock()

    def hex32(self) -> str:
        """32 lower-case hex digits."""
        if self._seed is None:
            return uuid.uuid4().hex
        with self._lock:
            counter = int(self._store.document("meta", "id-counter") or 0) + 1
            self._store.put_document("meta", "id-counter", counter)
        return hashlib.sha256(f"{self._seed}:{counter}".encode()).hexdigest()[:32]

    def guid(self) -> str:
        return str(uuid.UUID(hex=self.hex32(), version=4))
