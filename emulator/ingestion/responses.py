"""The Logs Ingestion API's HTTP surface: one operation, ``Upload``."""

from __future__ import annotations

from emulator.core.auth import Authenticator, Principal
from emulator.core.http import Call, Reply
from emulator.ingestion.models import IngestionBackend

__all__ = ["IngestionResponses"]


class IngestionResponses:
    def __init__(self, backend: IngestionBackend, auth: Authenticator) -> None:
        self.backend = backend
        self.auth = auth

    def upload(self, call: Call) -> Reply:
        def authenticate() -> Principal:
            call.principal = self.auth.authenticate(call)
            return call.principal

        self.backend.upload(
            immutable_id=call.params["ruleId"],
            stream=call.params["stream"],
            body=call.body,
            content_encoding=call.headers.get("content-encoding"),
            api_version=call.arg("api-version"),
            authenticate=authenticate,
        )
        return Reply(204)
