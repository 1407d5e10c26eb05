"""Control routes, all under ``/_emulator`` (every one needs the control token: :mod:`emulator.control.auth`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.control.auth import PREFIX
from emulator.control.responses import ControlResponses
from emulator.core.errors import azure_error
from emulator.core.http import Route, Service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["PREFIX", "service"]


def service(cloud: Cloud) -> Service:
    r = ControlResponses(cloud)
    routes = (
        ("GET", "/info", r.info),
        ("POST", "/reset", r.reset),
        ("POST", "/flush", r.flush),
        ("GET", "/clock", r.clock),
        ("POST", "/clock/advance", r.advance_clock),
        ("GET", "/state", r.state),
        ("GET", "/settings", r.get_settings),
        ("PATCH", "/settings", r.patch_settings),
        ("GET", "/principals", r.list_principals),
        ("POST", "/principals", r.register_principal),
        ("POST", "/tokens", r.issue_token),
        ("GET", "/faults", r.list_faults),
        ("POST", "/faults", r.add_fault),
        ("DELETE", "/faults", r.clear_faults),
        ("GET", "/faults/{faultId}", r.get_fault),
        ("DELETE", "/faults/{faultId}", r.delete_fault),
        ("GET", "/requests", r.list_requests),
        ("DELETE", "/requests", r.clear_requests),
        ("POST", "/tables", r.define_table),
        ("POST", "/tables/{table}/rows", r.insert_rows),
        ("POST", "/seed/content-hub-miro", r.seed_content_hub_miro),
        ("GET", "/quirks", r.get_quirks),
        ("PATCH", "/quirks", r.patch_quirks),
    )
    return Service(
        "control",
        tuple(Route(method, PREFIX + path, handler, operation=handler.__name__) for method, path, handler in routes),
        lambda status, message: azure_error(status, "InjectedFault", message),
    )
