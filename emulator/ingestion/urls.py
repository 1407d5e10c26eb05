"""Logs Ingestion routes: ``POST /dataCollectionRules/{ruleId}/streams/{stream}``.

The route checks the token itself (not through ``Route.auth``) so a call with a bad token is still
counted in the DCR's metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.auth import Authenticator
from emulator.core.http import Route, Service
from emulator.ingestion import errors
from emulator.ingestion.responses import IngestionResponses

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["INGESTION_AUDIENCES", "service"]

INGESTION_AUDIENCES = ("https://monitor.azure.com",)


def service(cloud: Cloud) -> Service:
    auth = Authenticator(INGESTION_AUDIENCES, errors.IngestionAuthErrors(), cloud.tokens)
    r = IngestionResponses(cloud.ingestion, auth)
    return Service(
        "ingestion",
        (Route("POST", "/dataCollectionRules/{ruleId}/streams/{stream}", r.upload, operation="Upload"),),
        errors.service_error,
    )
