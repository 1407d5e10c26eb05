"""The control API of the local Miro, under ``/_emulator/miro`` (the control token required, like all of it).

* ``GET  /_emulator/miro``: settings, tokens (rights, never values), faults with their hits.
* ``PATCH /_emulator/miro/settings``: ``credits_per_minute``, ``retry_after_on_429``, ``events_per_minute``, ``seed``, ``office_hours``.
* ``GET /_emulator/miro/tokens``; ``POST`` ``{"preset": "valid|revoked|no_audit_scope|not_enterprise|not_company_admin",
  "scopes": [...], "enterprise": bool, "company_admin": bool, "revoked": bool, "label": str}`` -> 201 with
  ``token`` (the only time its value is shown); ``PATCH /_emulator/miro/tokens/{id}`` changes rights
  (``default`` is the ready line's token).
* ``GET /_emulator/miro/events?createdAfter=&createdBefore=``: the events Miro holds in that range
  (generated and added, ``[after, before)``, any ISO 8601 time), whether or not they are visible yet.
  ``POST`` ``{"events": [...]}`` adds events (each with ``createdAt``).
* ``GET|POST|DELETE /_emulator/miro/faults``, ``GET|DELETE /_emulator/miro/faults/{id}`` (see :mod:`.faults`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.control.responses import _bad as bad_request
from emulator.control.responses import _json as json_object
from emulator.core.errors import azure_error
from emulator.core.http import Call, Reply, Service
from emulator.extension import control_service
from emulator.miro.models import MiroBackend
from emulator.miro.times import parse_created_at
from emulator.miro.urls import backend

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["PREFIX", "service"]

PREFIX = "/_emulator/miro"


class MiroControl:
    def __init__(self, miro: MiroBackend) -> None:
        self.miro = miro

    def overview(self, call: Call) -> Reply:
        return Reply(
            200,
            {
                **self.miro.ready_info(),
                "settings": vars(self.miro.settings),
                "tokens": [t.public() for t in self.miro.tokens.all()],
                "faults": [f.as_dict() for f in self.miro.faults.all()],
            },
        )

    def patch_settings(self, call: Call) -> Reply:
        try:
            settings = self.miro.apply_settings(json_object(call))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return Reply(200, vars(settings))

    def list_tokens(self, call: Call) -> Reply:
        return Reply(200, {"value": [t.public() for t in self.miro.tokens.all()]})

    def register_token(self, call: Call) -> Reply:
        try:
            token, value = self.miro.tokens.register(json_object(call))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return Reply(201, {**token.public(), "token": value})

    def change_token(self, call: Call) -> Reply:
        try:
            token = self.miro.tokens.change(call.params["tokenId"], json_object(call))
        except KeyError:
            raise azure_error(404, "NotFound", f"no Miro token has the id {call.params['tokenId']!r}") from None
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return Reply(200, token.public())

    def list_events(self, call: Call) -> Reply:
        try:
            after = parse_created_at(call.arg("createdAfter") or "")
            before = parse_created_at(call.arg("createdBefore") or "")
        except ValueError:
            raise bad_request("createdAfter and createdBefore must be ISO 8601 times with an offset") from None
        events = [e.body for e in self.miro.events(after, before)]
        return Reply(200, {"count": len(events), "data": events})

    def add_events(self, call: Call) -> Reply:
        events = json_object(call).get("events")
        if not isinstance(events, list):
            raise bad_request('the body must be {"events": [...]}')
        try:
            added = self.miro.add_events(events)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return Reply(201, {"added": len(added), "ids": [e.body["id"] for e in added]})

    def list_faults(self, call: Call) -> Reply:
        return Reply(200, {"value": [f.as_dict() for f in self.miro.faults.all()]})

    def add_fault(self, call: Call) -> Reply:
        try:
            fault = self.miro.faults.add(json_object(call))
        except (ValueError, TypeError) as exc:
            raise bad_request(str(exc)) from exc
        return Reply(201, fault.as_dict())

    def clear_faults(self, call: Call) -> Reply:
        self.miro.faults.clear()
        return Reply(204)

    def get_fault(self, call: Call) -> Reply:
        for fault in self.miro.faults.all():
            if fault.id == call.params["faultId"]:
                return Reply(200, fault.as_dict())
        raise azure_error(404, "NotFound", f"no Miro fault has the id {call.params['faultId']!r}")

    def delete_fault(self, call: Call) -> Reply:
        self.miro.faults.remove(call.params["faultId"])
        return Reply(204)


def service(cloud: Cloud) -> Service:
    r = MiroControl(backend(cloud))
    routes = (
        ("GET", "", r.overview),
        ("PATCH", "/settings", r.patch_settings),
        ("GET", "/tokens", r.list_tokens),
        ("POST", "/tokens", r.register_token),
        ("PATCH", "/tokens/{tokenId}", r.change_token),
        ("GET", "/events", r.list_events),
        ("POST", "/events", r.add_events),
        ("GET", "/faults", r.list_faults),
        ("POST", "/faults", r.add_fault),
        ("DELETE", "/faults", r.clear_faults),
        ("GET", "/faults/{faultId}", r.get_fault),
        ("DELETE", "/faults/{faultId}", r.delete_fault),
    )
    return control_service(PREFIX, routes, label="miro")
