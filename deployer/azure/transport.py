"""What every Azure client shares: SDK options, a debug line per request, and which faults are transient.

The SDK's own retry policy keeps retrying throttling and server errors (it honours ``Retry-After``);
connection faults are left to :func:`retrying`, so that a dropped connection is retried on POST too where
that is safe (queries read only; the validation record carries a unique id), within the settings' budget
(``azure.retry_budget_seconds``, ``azure.max_attempts``), with backoff and jitter.

Sign-in failures come wrapped in ``ClientAuthenticationError`` whatever their cause: :func:`sign_in_fault`
tells a refusal (wrong secret, no credential: the operator must sign in) from Entra ID being unreachable
or failing on its side (a retry may pass; signing in again would not help).
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from deployer import retry
from deployer.azure.cloud import AzureCloud
from deployer.retry import RetryPolicy, Transient

__all__ = ["TRANSIENT_STATUSES", "client_options", "retry_after", "retrying", "sign_in_fault", "transient_fault"]

_LOG = logging.getLogger("deployer.azure.http")

T = TypeVar("T")

#: Statuses a second try may cure (the SDK already retried them; these are what is left after it).
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_MSAL_STATUS = re.compile(r"HTTP Error: (\d{3})")


def client_options(cloud: AzureCloud, *, read_timeout: int = 120, retry_total: int = 4) -> dict[str, Any]:
    """Keyword arguments for an Azure SDK client: timeouts, the local cloud's CA, request logging, retries.

    Connection and read faults are not retried by the SDK (``retry_connect``/``retry_read`` 0) but by
    :func:`retrying`, once for the whole operation, within the settings' budget.
    """
    options: dict[str, Any] = {
        "retry_total": retry_total,
        "retry_connect": 0,
        "retry_read": 0,
        "connection_timeout": 30,
        "read_timeout": read_timeout,
        "raw_request_hook": _on_request,
        "raw_response_hook": _on_response,
    }
    if cloud.ca_bundle:
        options["connection_verify"] = cloud.ca_bundle
    return options


def _on_request(request: Any) -> None:
    request.context["miro_sentinel_started"] = time.monotonic()


def _on_response(response: Any) -> None:
    if not _LOG.isEnabledFor(logging.DEBUG):
        return
    http = response.http_request
    started = response.context.get("miro_sentinel_started")
    took = f" in {(time.monotonic() - started) * 1000:.0f} ms" if started is not None else ""
    answer = response.http_response
    request_id = answer.headers.get("x-ms-request-id") or answer.headers.get("x-ms-correlation-request-id") or "-"
    _LOG.debug("%s %s -> %d%s (request id %s)", http.method, _shown_url(http.url), answer.status_code, took, request_id)


def _shown_url(url: str) -> str:
    """The URL with only ``api-version`` kept from its query (other parameters may carry signatures)."""
    parts = urllib.parse.urlsplit(url)
    kept = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k == "api-version"]
    query = urllib.parse.urlencode(kept)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def transport_reason(exc: BaseException) -> str | None:
    """Why a request got no answer (refused, reset, dropped, timed out), or None when it got one."""
    for link in _causes(exc):
        if isinstance(link, ServiceRequestError | ServiceResponseError):
            default = "no answer" if isinstance(link, ServiceResponseError) else "cannot connect"
            return retry.transport_reason(link, default)
    return None


def sign_in_fault(exc: ClientAuthenticationError) -> tuple[str, int | None] | None:
    """For a failed sign-in: (what went wrong, Entra's status) when Entra was unreachable or failed on its
    side; None when it refused the credential (the operator must sign in)."""
    reason = transport_reason(exc)
    if reason is not None:
        return f"Entra ID could not be reached ({reason})", None
    status = exc.status_code
    if status is None:
        for link in _causes(exc):
            found = _MSAL_STATUS.search(str(link))
            if found:
                status = int(found.group(1))
                break
    if status is not None and status >= 500:
        return f"Entra ID failed on its side ({status})", status
    if status == 429:
        return "Entra ID is throttling sign-ins (429)", status
    return None


def transient_fault(exc: Exception, *, idempotent: bool) -> Transient | None:
    """Whether another try of the same request may pass, and how long the server asked to wait."""
    if isinstance(exc, ClientAuthenticationError):
        fault = sign_in_fault(exc)
        return Transient(fault[0]) if fault is not None else None
    reason = transport_reason(exc)
    if reason is not None:
        # A refused connection never reached the server; anything else may have, so only idempotent calls.
        if isinstance(exc, ServiceRequestError) or idempotent:
            return Transient(reason)
        return None
    if isinstance(exc, HttpResponseError) and exc.status_code in TRANSIENT_STATUSES:
        if not idempotent and exc.status_code not in (429, 503):
            return None
        return Transient(f"{exc.status_code} from Azure", retry_after(exc))
    return None


def retry_after(exc: HttpResponseError) -> float | None:
    """The seconds Azure's ``Retry-After`` asked to wait, if it sent one."""
    headers = getattr(exc.response, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def retrying(policy: RetryPolicy, what: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
    """``operation()`` retried on transient faults within ``policy``; the last exception is raised as is."""
    return policy.run(what, operation, lambda exc: transient_fault(exc, idempotent=idempotent))
