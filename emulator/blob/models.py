"""Blobs and their leases, kept in the store; one seeded storage account with one container.

A lease is Azure's *Lease Blob* state machine (Learn, "Lease Blob", Remarks): ``available``, ``leased``
(for 15 to 60 seconds, or infinite), ``expired`` (its time ran out; its holder may still renew it until
someone else takes it), ``breaking`` (a break period runs) and ``broken``. Lease times are real seconds,
as tokens' lifetimes are: a client renews on its own clock, whatever the cloud's time scale.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from emulator.blob import errors

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ACCOUNT", "CONTAINER", "BlobBackend", "BlobState"]

#: The seeded storage account and its container (what a Terraform azurerm backend is given).
ACCOUNT = "stlocalstate"
CONTAINER = "tfstate"

_COLLECTION = "blob.blobs"
_DATA_ROLE = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"  # Storage Blob Data Contributor
_BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


@dataclass
class BlobState:
    """One block blob: content, metadata, and its lease."""

    content_b64: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: float = 0.0
    created: float = 0.0
    lease_id: str = ""
    lease_state: str = "available"
    lease_infinite: bool = False
    lease_seconds: int = 0  # the duration a renewal restarts (a fixed lease's)
    lease_until: float = 0.0  # leased: when it expires; breaking: when it is broken

    def now_state(self, now: float) -> str:
        """The lease state at real time ``now`` (expiries and break periods take effect when they are due)."""
        if self.lease_state == "leased" and not self.lease_infinite and now >= self.lease_until:
            return "expired"
        if self.lease_state == "breaking" and now >= self.lease_until:
            return "broken"
        return self.lease_state

    def touch(self, now: float) -> None:
        self.last_modified = now
        self.etag = '"0x' + hashlib.sha256(f"{now}{uuid.uuid4()}".encode()).hexdigest()[:15].upper() + '"'

    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Last-Modified": formatdate(self.last_modified, usegmt=True)}


class BlobBackend:
    """The storage account ``ACCOUNT`` and its container ``CONTAINER``; the seeded principal may use its blobs."""

    def __init__(self, cloud: Cloud, *, clock: Any = time.time) -> None:
        self._cloud = cloud
        self._clock = clock
        self._lock = threading.Lock()
        self._seed()

    def _seed(self) -> None:
        i = self._cloud.identity
        self._cloud.arm.roles.seed_role(i.principal_object_id, self.account_id(ACCOUNT), _DATA_ROLE, "blob-data")

    def ready_info(self) -> dict[str, str]:
        return {
            "blob_endpoint": self._cloud.base_url + "/blob",
            "storage_account": ACCOUNT,
            "storage_container": CONTAINER,
        }

    def reset(self) -> None:
        self._cloud.store.clear_documents(_COLLECTION)
        self._seed()

    def account_id(self, account: str) -> str:
        i = self._cloud.identity
        return (
            f"/subscriptions/{i.subscription_id}/resourceGroups/{i.resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/{account}"
        )

    # --- authorization --------------------------------------------------------------------------------

    def authorize(self, object_id: str, account: str, container: str, action: str) -> None:
        """403 ``AuthorizationPermissionMismatch`` unless a data role grants ``action`` on the container."""
        if account != ACCOUNT or container != CONTAINER:
            raise errors.container_not_found()
        scope = f"{self.account_id(account)}/blobServices/default/containers/{container}"
        if not self._cloud.arm.roles.is_allowed(object_id, f"{_BLOBS}/{action}", scope, data=True):
            raise errors.authorization_mismatch()

    # --- operations -----------------------------------------------------------------------------------

    def put(
        self, container: str, name: str, body: bytes, *, if_none_match: str | None, lease_id: str | None
    ) -> BlobState:
        """Put Blob (a block blob): create or replace."""
        with self._lock:
            now = self._clock()
            blob = self._load(container, name)
            if blob is not None and if_none_match == "*":
                raise errors.blob_already_exists()
            if blob is not None:
                self._check_write_lease(blob, lease_id, now)
            elif lease_id:
                raise errors.blob_not_found()
            blob = blob or BlobState(created=now)
            blob.content_b64 = base64.b64encode(body).decode("ascii")
            blob.metadata = {}
            blob.touch(now)
            self._save(container, name, blob)
            return blob

    def properties(self, container: str, name: str) -> tuple[BlobState, str, int]:
        """Get Blob Properties: the blob, its lease state now, and its size."""
        with self._lock:
            blob = self._require(container, name)
            return blob, blob.now_state(self._clock()), len(base64.b64decode(blob.content_b64))

    def set_metadata(self, container: str, name: str, metadata: dict[str, str], *, lease_id: str | None) -> BlobState:
        with self._lock:
            now = self._clock()
            blob = self._require(container, name)
            self._check_write_lease(blob, lease_id, now)
            blob.metadata = metadata
            blob.touch(now)
            self._save(container, name, blob)
            return blob

    def lease(
        self, container: str, name: str, action: str, headers: dict[str, str]
    ) -> tuple[BlobState, dict[str, str], int]:
        """Lease Blob: ``acquire``, ``renew``, ``release`` or ``break``; the blob, reply headers and status."""
        with self._lock:
            now = self._clock()
            blob = self._require(container, name)
            state = blob.now_state(now)
            given = (headers.get("x-ms-lease-id") or "").lower()
            if action == "acquire":
                status, extra = 201, self._acquire(blob, state, headers, now)
            elif action == "renew":
                status, extra = 200, self._renew(blob, state, given, now)
            elif action == "release":
                status, extra = 200, self._release(blob, state, given)
            elif action == "break":
                status, extra = 202, self._break(blob, state, headers, now)
            elif action == "change":
                raise errors.not_implemented("Lease Blob with x-ms-lease-action: change")
            else:
                raise errors.invalid_header("x-ms-lease-action", action)
            self._save(container, name, blob)
            return blob, extra, status

    # --- lease actions --------------------------------------------------------------------------------

    def _acquire(self, blob: BlobState, state: str, headers: dict[str, str], now: float) -> dict[str, str]:
        duration = _duration(headers.get("x-ms-lease-duration"))
        proposed = (headers.get("x-ms-proposed-lease-id") or "").lower()
        if proposed and not _is_guid(proposed):
            raise errors.invalid_header("x-ms-proposed-lease-id", proposed)
        if state == "leased" and proposed != blob.lease_id:
            raise errors.lease(409, "LeaseAlreadyPresent")
        if state == "breaking":
            raise errors.lease(
                409, "LeaseIsBreakingAndCannotBeAcquired" if proposed == blob.lease_id else "LeaseAlreadyPresent"
            )
        blob.lease_id = proposed or str(uuid.uuid4())
        self._hold(blob, duration, now)
        return {"x-ms-lease-id": blob.lease_id}

    def _renew(self, blob: BlobState, state: str, given: str, now: float) -> dict[str, str]:
        if not given:
            raise errors.missing_header("x-ms-lease-id")
        if given != blob.lease_id or state == "available":
            raise errors.lease(409, "LeaseIdMismatchWithLeaseOperation")
        if state in ("breaking", "broken"):
            raise errors.lease(409, "LeaseIsBrokenAndCannotBeRenewed")
        self._hold(blob, None if blob.lease_infinite else blob.lease_seconds, now)
        return {"x-ms-lease-id": blob.lease_id}

    def _release(self, blob: BlobState, state: str, given: str) -> dict[str, str]:
        if not given:
            raise errors.missing_header("x-ms-lease-id")
        if state == "available":
            raise errors.lease(409, "LeaseNotPresentWithLeaseOperation")
        if given != blob.lease_id:
            raise errors.lease(409, "LeaseIdMismatchWithLeaseOperation")
        blob.lease_state, blob.lease_until = "available", 0.0
        return {}

    def _break(self, blob: BlobState, state: str, headers: dict[str, str], now: float) -> dict[str, str]:
        if state == "available":
            raise errors.lease(409, "LeaseNotPresentWithLeaseOperation")
        period_text = headers.get("x-ms-lease-break-period")
        if period_text is not None and not (period_text.isdigit() and 0 <= int(period_text) <= 60):
            raise errors.invalid_header("x-ms-lease-break-period", period_text)
        if state in ("expired", "broken"):
            blob.lease_state, blob.lease_until = "broken", now
            return {"x-ms-lease-time": "0"}
        remaining = float("inf") if blob.lease_infinite else blob.lease_until - now
        if state == "breaking":
            remaining = blob.lease_until - now
        # Without a period, a fixed lease breaks when it would have expired and an infinite one at once.
        period = float(period_text) if period_text is not None else (0.0 if blob.lease_infinite else remaining)
        wait = max(0.0, min(period, remaining))
        blob.lease_state, blob.lease_until = ("breaking", now + wait) if wait > 0 else ("broken", now)
        return {"x-ms-lease-time": str(int(wait))}

    @staticmethod
    def _hold(blob: BlobState, duration: int | None, now: float) -> None:
        """Lease ``blob`` for ``duration`` seconds from ``now`` (None: infinite)."""
        blob.lease_state = "leased"
        blob.lease_infinite = duration is None
        blob.lease_seconds = duration or 0
        blob.lease_until = 0.0 if duration is None else now + duration

    # --- writes under a lease ---------------------------------------------------------------------------

    def _check_write_lease(self, blob: BlobState, lease_id: str | None, now: float) -> None:
        state = blob.now_state(now)
        given = (lease_id or "").lower()
        if state in ("leased", "breaking"):
            if not given:
                raise errors.lease(412, "LeaseIdMissing")
            if given != blob.lease_id:
                raise errors.lease(412, "LeaseIdMismatchWithBlobOperation")
        elif given:
            raise errors.lease(412, "LeaseNotPresentWithBlobOperation")

    # --- storage ------------------------------------------------------------------------------------------

    def _load(self, container: str, name: str) -> BlobState | None:
        kept = self._cloud.store.document(_COLLECTION, f"{container}/{name}")
        return BlobState(**kept) if isinstance(kept, dict) else None

    def _require(self, container: str, name: str) -> BlobState:
        blob = self._load(container, name)
        if blob is None:
            raise errors.blob_not_found()
        return blob

    def _save(self, container: str, name: str, blob: BlobState) -> None:
        self._cloud.store.put_document(_COLLECTION, f"{container}/{name}", asdict(blob))


def _duration(text: str | None) -> int | None:
    """``x-ms-lease-duration``: -1 (infinite, None) or 15 to 60 seconds."""
    if text is None:
        raise errors.missing_header("x-ms-lease-duration")
    if text.strip() == "-1":
        return None
    if not text.strip().isdigit() or not 15 <= int(text) <= 60:
        raise errors.invalid_header("x-ms-lease-duration", text)
    return int(text)


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
