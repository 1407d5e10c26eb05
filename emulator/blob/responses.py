"""The Blob service's HTTP surface: Put Blob, Get Blob Properties, Set Blob Metadata and Lease Blob."""

from __future__ import annotations

from email.utils import formatdate

from emulator.blob import errors
from emulator.blob.models import BlobBackend
from emulator.core.auth import Authenticator
from emulator.core.http import Call, Reply

__all__ = ["BlobResponses"]

_META = "x-ms-meta-"


class BlobResponses:
    def __init__(self, backend: BlobBackend, auth: Authenticator) -> None:
        self.backend = backend
        self.auth = auth

    def _begin(self, call: Call, action: str) -> tuple[str, str]:
        principal = self.auth.authenticate(call)
        call.principal = principal
        account, container, name = call.params["account"], call.params["container"], call.params["blob"]
        self.backend.authorize(principal.object_id, account, container, action)
        return container, name

    def put(self, call: Call) -> Reply:
        comp = (call.arg("comp") or "").lower()
        if comp == "lease":
            return self._lease(call)
        if comp == "metadata":
            return self._set_metadata(call)
        if comp:
            raise errors.not_implemented(f"PUT ...?comp={comp}")
        container, name = self._begin(call, "write")
        kind = call.headers.get("x-ms-blob-type")
        if kind is None:
            raise errors.missing_header("x-ms-blob-type")
        if kind != "BlockBlob":
            raise errors.not_implemented(f"Put Blob of type {kind}")
        blob = self.backend.put(
            container,
            name,
            call.body,
            if_none_match=call.headers.get("if-none-match"),
            lease_id=call.headers.get("x-ms-lease-id"),
        )
        return Reply(201, None, {**blob.headers(), **_common(call), "x-ms-request-server-encrypted": "true"})

    def head(self, call: Call) -> Reply:
        container, name = self._begin(call, "read")
        blob, state, size = self.backend.properties(container, name)
        headers = {
            **blob.headers(),
            **_common(call),
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
            "x-ms-blob-type": "BlockBlob",
            "x-ms-creation-time": formatdate(blob.created, usegmt=True),
            "x-ms-lease-state": state,
            "x-ms-lease-status": "locked" if state in ("leased", "breaking") else "unlocked",
            **{_META + key: value for key, value in blob.metadata.items()},
        }
        if state == "leased":
            headers["x-ms-lease-duration"] = "infinite" if blob.lease_infinite else "fixed"
        return Reply(200, None, headers)

    def _set_metadata(self, call: Call) -> Reply:
        container, name = self._begin(call, "write")
        metadata = {k[len(_META) :]: v for k, v in call.headers.items() if k.lower().startswith(_META)}
        blob = self.backend.set_metadata(container, name, metadata, lease_id=call.headers.get("x-ms-lease-id"))
        return Reply(200, None, {**blob.headers(), **_common(call), "x-ms-request-server-encrypted": "true"})

    def _lease(self, call: Call) -> Reply:
        container, name = self._begin(call, "write")
        action = call.headers.get("x-ms-lease-action")
        if action is None:
            raise errors.missing_header("x-ms-lease-action")
        headers = {k.lower(): v for k, v in call.headers.items()}
        blob, extra, status = self.backend.lease(container, name, action.lower(), headers)
        return Reply(status, None, {**blob.headers(), **_common(call), **extra})

    def not_served(self, call: Call) -> Reply:
        self.auth.authenticate(call)
        raise errors.not_implemented(
            f"{call.method} of a blob (only Put Blob, Get Blob Properties, Set Blob Metadata and Lease Blob are)"
        )


def _common(call: Call) -> dict[str, str]:
    headers = {"x-ms-request-id": call.request_id, "Date": formatdate(usegmt=True)}
    version = call.headers.get("x-ms-version")
    if version:
        headers["x-ms-version"] = version
    return headers
