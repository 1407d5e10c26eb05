"""``IngestionClient``: the Logs Ingestion API through azure-monitor-ingestion, with Azure's refusals typed."""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.monitor.ingestion import LogsIngestionClient

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import client_options, retrying
from deployer.errors import IngestionForbidden, IngestionThrottled
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
