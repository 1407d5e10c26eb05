"""``IngestionClient``: the Logs Ingestion API through azure-monitor-ingestion, with Azure's refusals typed."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.monitor.ingestion import LogsIngestionClient

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import client_options, retry_after, retrying
from deployer.errors import AzureError, IngestionForbidden, IngestionRejected, IngestionThrottled
from deployer.retry import RetryPolicy

__all__ = ["IngestionClient", "explain_forbidden"]

_RBAC = re.compile(r"IsRbacPresent:\s*(\w+)")
_BINDING = re.compile(r"IsDcrDceBindingValid:\s*(\w*)")


def explain_forbidden(message: str) -> str:
    """Azure's 403 text, in plain words (it packs several facts into one line)."""
    facts = []
    rbac = _RBAC.search(message)
    if rbac and rbac.group(1).lower() == "false":
        facts.append("the principal has no role on the DCR yet (IsRbacPresent: False)")
    binding = _BINDING.search(message)
    if binding and binding.group(1).lower() == "false":
        facts.append("the DCR is not bound to this DCE (IsDcrDceBindingValid: False)")
    return "; ".join(facts) or "the token may not send data to this DCR"


class IngestionClient:
    """Sends records to a DCR stream through a DCE's logs-ingestion endpoint."""

    def __init__(
        self, endpoint: str, credential: TokenCredential, cloud: AzureCloud, *, retry: RetryPolicy | None = None
    ) -> None:
        kwargs: dict[str, Any] = {
            "credential_scopes": [f"{cloud.monitor_audience}/.default"],
            **client_options(cloud, retry_total=2),
        }
        self._client = LogsIngestionClient(endpoint, credential, **kwargs)
        self._retry = retry or RetryPolicy()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> IngestionClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def upload(self, rule_id: str, stream: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Send ``records``; Azure answers 204 when it accepted them.

        :raises IngestionForbidden: 403, the principal lacks Monitoring Metrics Publisher on the DCR (yet).
        A dropped connection is retried even though the upload is a POST: records carry their own ids
        (the validation record a unique one), so a copy Azure may have kept is told apart by its id.

        :raises IngestionThrottled: 429. :raises AzureError: any other refusal or failure.
        """
        logs: list[MutableMapping[str, Any]] = [dict(r) for r in records]
        what = f"sending {len(logs)} record(s) to stream {stream}"
        try:
            retrying(self._retry, what, lambda: self._client.upload(rule_id=rule_id, stream_name=stream, logs=logs))
        except ClientAuthenticationError as exc:
            raise azure_error(exc, "sending to the Logs Ingestion API") from exc
        except HttpResponseError as exc:
            code = exc.error.code if exc.error is not None else None
            message = (exc.error.message if exc.error is not None else None) or str(exc.message or "")
            if exc.status_code == 403:
                raise IngestionForbidden(
                    f"the Logs Ingestion API refused the record (403 {code or ''}): {explain_forbidden(message)}",
                    status_code=403,
                    error_code=code,
                ) from exc
            if exc.status_code == 429:
                raise IngestionThrottled(
                    "the Logs Ingestion API is throttling this DCR (429)", status_code=429, error_code=code
                ) from exc
            raise azure_error(exc, f"sending to stream {stream} of DCR {rule_id}") from exc
        except SdkError as exc:
            raise azure_error(exc, "sending to the Logs Ingestion API") from exc

    def upload_gzip(self, rule_id: str, stream: str, body: bytes) -> None:
        """Send one gzip-compressed JSON array as it is, once: no retry here, the caller decides.

        :raises IngestionRejected: 400 or 413 (``status_code`` says which). :raises IngestionForbidden: 403.
        :raises IngestionThrottled: 429, with ``retry_after``. :raises AzureError: 5xx (with ``retry_after`` when
            Azure sent one), a dropped or refused connection, or a refused credential (AzureAuthError).
        """
        try:
            self._client.upload(rule_id=rule_id, stream_name=stream, logs=io.BytesIO(body), retry_total=0)
        except HttpResponseError as exc:
            if isinstance(exc, ClientAuthenticationError) or exc.status_code is None:
                raise azure_error(exc, "sending to the Logs Ingestion API") from exc
            raise _refusal(exc, rule_id, stream) from exc
        except SdkError as exc:  # no answer: refused, reset or dropped connection, timeout
            raise azure_error(exc, "sending to the Logs Ingestion API") from exc


def _refusal(exc: HttpResponseError, rule_id: str, stream: str) -> AzureError:
    """The typed error for one refused upload, with Azure's code, message and Retry-After."""
    status = exc.status_code
    code = exc.error.code if exc.error is not None else None
    message = (exc.error.message if exc.error is not None else None) or str(exc.message or "")
    headers = getattr(exc.response, "headers", None) or {}
    fields: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "request_id": headers.get("x-ms-request-id"),
        "retry_after": retry_after(exc),
    }
    first = message.strip().splitlines()[0] if message.strip() else "no details"
    if status == 403:
        return IngestionForbidden(
            f"the Logs Ingestion API refused the records (403 {code or ''}): {explain_forbidden(message)}", **fields
        )
    if status == 429:
        return IngestionThrottled(f"the Logs Ingestion API is throttling this DCR (429 {code or ''})", **fields)
    if status in (400, 413):
        return IngestionRejected(f"the Logs Ingestion API refused the body ({status} {code or ''}): {first}", **fields)
    if status == 408 or (status is not None and status >= 500):
        return AzureError(f"the Logs Ingestion API failed ({status} {code or ''}): {first}", **fields)
    return azure_error(exc, f"sending to stream {stream} of DCR {rule_id}")
