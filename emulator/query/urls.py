"""Query routes: ``/v1/workspaces/{workspaceId}/query`` (POST and GET), for tokens of the Log Analytics API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.auth import Authenticator
from emulator.core.http import Route, Service
from emulator.query import errors
from emulator.query.models import QueryBackend
from emulator.query.responses import QueryResponses

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["QUERY_AUDIENCES", "service"]

QUERY_AUDIENCES = ("https://api.loganalytics.io", "https://api.loganalytics.azure.com")


def service(cloud: Cloud) -> Service:
    auth = Authenticator(QUERY_AUDIENCES, errors.QueryAuthErrors(), cloud.tokens)
    r = QueryResponses(QueryBackend(cloud))
    return Service(
        "query",
        (
            Route("POST", "/v1/workspaces/{workspaceId}/query", r.query_post, auth, "Query_Execute"),
            Route("GET", "/v1/workspaces/{workspaceId}/query", r.query_get, auth, "Query_Get"),
        ),
        errors.service_error,
    )
