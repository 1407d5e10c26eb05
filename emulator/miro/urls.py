"""Miro's routes, under ``/miro`` on the cloud's server (``miro_base_url`` in the ready line).

Miro's own credential (``Authorization: Bearer <Miro token>``) is checked by the backend, not by an
Entra authenticator. Any other path under ``/miro`` answers 501 in Miro's shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.http import Route, Service
from emulator.miro.models import MiroBackend, MiroSettings
from emulator.miro.responses import MiroResponses, service_error

if TYPE_CHECKING:
    from emulator.cloud import Cloud
    from emulator.quirks import Quirks

__all__ = ["PREFIX", "backend", "service"]

PREFIX = "/miro"


def backend(cloud: Cloud) -> MiroBackend:
    """The cloud's Miro (created on first use)."""
    return cloud.backend("miro", _create)


def _quirk_settings(quirks: Quirks) -> dict[str, Any]:
    """The Miro settings the quirks ``miro_credits_per_minute``, ``miro_retry_after_on_429`` and
    ``miro_created_bounds`` stand for."""
    return {
        "credits_per_minute": int(quirks["miro_credits_per_minute"]),
        "retry_after_on_429": quirks["miro_retry_after_on_429"] == "present",
        "created_bounds": quirks["miro_created_bounds"],
    }


def _create(cloud: Cloud) -> MiroBackend:
    start = MiroSettings(**_quirk_settings(cloud.quirks))
    miro = MiroBackend(
        clock=cloud.clock,
        documents=cloud.store,
        secret=cloud.identity.client_secret,
        base_url=cloud.base_url + PREFIX,
        settings=start,
    )
    miro.apply_settings(_quirk_settings(cloud.quirks))  # the quirks chosen now win over settings kept on disk

    def switched(name: str, variant: str) -> None:
        if name.startswith("miro_"):
            miro.apply_settings(_quirk_settings(cloud.quirks))

    cloud.quirks.on_change(switched)
    return miro


def service(cloud: Cloud) -> Service:
    r = MiroResponses(backend(cloud))
    routes = [
        Route("GET", PREFIX + "/v2/audit/logs", r.get_audit_logs, operation="enterprise-get-audit-logs"),
        Route("GET", PREFIX + "/v1/oauth-token", r.get_token_info, operation="token-info"),
    ]
    # Miro serves these two paths with GET only: other methods answer 405, before the catch-all's 501.
    routes += [
        Route(method, PREFIX + path, r.method_not_allowed, operation="MethodNotAllowed")
        for path in ("/v2/audit/logs", "/v1/oauth-token")
        for method in ("POST", "PUT", "PATCH", "DELETE")
    ]
    routes += [
        Route(method, PREFIX + "/{rest:path}", r.not_implemented, operation="NotImplemented")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ]
    return Service("miro", tuple(routes), service_error)
