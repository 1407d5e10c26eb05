"""``QueryClient``: Log Analytics queries through azure-monitor-query, as rows of dicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.monitor.query import LogsQueryClient, LogsQueryStatus

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import client_options, retrying
from deployer.errors import AzureError
from deployer.retry import RetryPolicy

__all__ = ["QueryClient"]


class QueryClient:
    """Runs KQL on one workspace (by its customer id, the GUID the query API takes)."""

    def __init__(
        self,
        credential: TokenCredential,
        cloud: AzureCloud,
        workspace_customer_id: str,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "endpoint": cloud.query_endpoint,
            "audience": cloud.query_audience,
            **client_options(cloud, read_timeout=180, retry_total=3),
        }
        self._client = LogsQueryClient(credential, **kwargs)
        self._workspace = workspace_customer_id
        self._retry = retry or RetryPolicy()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> QueryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def query(self, kql: str, *, timespan: dt.timedelta | None) -> list[dict[str, Any]]:
        """Rows of the first table; datetimes as aware UTC ``datetime``, dynamic values parsed.

        :raises AzureError: the query failed, or returned only part of its data.
        """
        try:
            # A query only reads: a dropped connection is retried like a GET.
            result = retrying(
                self._retry,
                "querying Log Analytics",
                lambda: self._client.query_workspace(self._workspace, kql, timespan=timespan),
            )
        except SdkError as exc:
            raise azure_error(exc, "querying Log Analytics") from exc
        if result.status != LogsQueryStatus.SUCCESS:
            error = getattr(result, "partial_error", None)
            raise AzureError(f"Log Analytics returned partial results: {getattr(error, 'message', error)}")
        tables = getattr(result, "tables", None) or []
        if not tables:
            return []
        table = tables[0]
        return [dict(zip(table.columns, row, strict=False)) for row in table.rows]
