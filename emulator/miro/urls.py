"""Miro's routes, under ``/miro`` on the cloud's server (``miro_base_url`` in the ready line).

Miro's own credential (``Authorization: Bearer <Miro token>``) is checked by the backend, not by an
Entra authenticator. Any other path under ``/miro`` answers 501 in Miro's shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.http import Route, Service
from emulator.miro.models import MiroBackend
from emulator.miro.responses import MiroResponses, service_error

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["PREFIX", "backend", "service"]

PREFIX = "/miro"


def backend(cloud: Cloud) -> MiroBackend:
    """The cloud's Miro (created on first use)."""
    return cloud.backend(
        "miro",
        lambda c: MiroBackend(
            clock=c.clock, documents=c.store, secret=c.identity.client_secret, base_url=c.base_url + PREFIX
        ),
    )


def service(cloud: Cloud) -> Service:
    r = MiroResponses(backend(cloud))
    routes = [
        Route("GET", PREFIX + "/v2/audit/logs", r.get_audit_logs, operation="enterprise-get-audit-logs"),
        Route("GET", PREFIX + "/v1/oauth-token", r.get_token_info, operation="token-info"),
    ]
    routes += [
        Route(method, PREFIX + "/{rest:path}", r.not_implemented, operation="NotImplemented")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ]
    return Service("miro", tuple(routes), service_error)
