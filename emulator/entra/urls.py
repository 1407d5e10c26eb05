"""Entra routes: ``/{tenant}/v2.0/.well-known/openid-configuration`` and ``/{tenant}/oauth2/v2.0/token``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.http import Route, Service
from emulator.entra import errors
from emulator.entra.responses import EntraResponses

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["service"]


def service(cloud: Cloud) -> Service:
    r = EntraResponses(cloud.directory, cloud.tokens)
    return Service(
        "entra",
        (
            Route(
                "GET",
                "/{tenant}/v2.0/.well-known/openid-configuration",
                r.openid_configuration,
                operation="OpenIdConfiguration",
            ),
            Route("GET", "/{tenant}/discovery/v2.0/keys", r.keys, operation="Keys"),
            Route("POST", "/{tenant}/oauth2/v2.0/token", r.token, operation="Token"),
        ),
        errors.service_error,
    )
