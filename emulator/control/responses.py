"""The control API: what tests and the deployer's local mode use to drive the local cloud.

Every call needs the bearer token given as ``control_token`` in the ready line (checked for all of
``/_emulator`` by :mod:`emulator.app`, before any handler runs). Secrets are returned only when they
are created (a registered client's secret, an issued token) and by ``GET /_emulator/info``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.contenthub import install_miro_solution
from emulator.core.errors import EmulatorError, azure_error
from emulator.core.http import Call, Reply
from emulator.entra.models import KNOWN_RESOURCES
from kqlengine import KqlColumn, normalize_kql_type

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ControlResponses"]


def _bad(message: str) -> EmulatorError:
    return azure_error(400, "BadRequest", message)


def _json(call: Call, *, required: bool = True) -> dict[str, Any]:
    if not call.body.strip():
        if required:
            raise _bad("a JSON object body is required")
        return {}
    try:
        body = call.json()
    except ValueError as exc:
        raise _bad(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


class ControlResponses:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud

    def info(self, call: Call) -> Reply:
        return Reply(200, self.cloud.ready_info().to_dict())

    def reset(self, call: Call) -> Reply:
        self.cloud.reset()
        return Reply(200, {"status": "reset"})

    def flush(self, call: Call) -> Reply:
        self.cloud.pipeline.flush()
        return Reply(200, {"status": "flushed"})

    def clock(self, call: Call) -> Reply:
        return Reply(200, {"now": self.cloud.clock.now().isoformat(), "time_scale": self.cloud.clock.time_scale})

    def advance_clock(self, call: Call) -> Reply:
        """Move virtual time forward by ``{"seconds": N}`` (role propagation, latency, polling windows).

        With ``"step_seconds": S`` the clock moves in steps of S, and after each the cloud settles: the
        pollers fetch every window that has ended, then analytics rules and metric alerts run what is due.
        """
        body = _json(call)
        seconds, step = body.get("seconds"), body.get("step_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise _bad("'seconds' must be a number >= 0")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int | float) or step < 1):
            raise _bad("'step_seconds' must be a number >= 1")
        now = self.cloud.clock.advance(float(seconds)) if step is None else self.cloud.step(float(seconds), float(step))
        return Reply(200, {"now": now.isoformat(), "time_scale": self.cloud.clock.time_scale})

    def state(self, call: Call) -> Reply:
        """Everything the cloud holds, without secrets (resources, principals, tables, settings, faults)."""
        self.cloud.pipeline.flush()
        tables = []
        for workspace in self.cloud.arm.workspaces.all():
            customer_id = workspace.properties["customerId"]
            for table in self.cloud.logs.tables(customer_id):
                tables.append(
                    {
                        "workspace": workspace.name,
                        "name": table.name,
                        "builtin": table.builtin,
                        "columns": [{"name": c.name, "type": c.type} for c in table.columns],
                        "rows": self.cloud.logs.row_count(customer_id, table.name),
                    }
                )
        return Reply(
            200,
            {
                "clock": {"now": self.cloud.clock.now().isoformat(), "time_scale": self.cloud.clock.time_scale},
                "settings": self.cloud.settings.as_dict(),
                "resources": [r.to_dict() for r in self.cloud.arm.registry.find(lambda _: True)],
                "principals": [p.public() for p in self.cloud.directory.all()],
                "tables": tables,
                "faults": [f.as_dict() for f in self.cloud.faults.all()],
            },
        )

    # --- settings and principals ------------------------------------------------------------------------

    def get_settings(self, call: Call) -> Reply:
        return Reply(200, self.cloud.settings.as_dict())

    def patch_settings(self, call: Call) -> Reply:
        try:
            self.cloud.apply_settings(_json(call))
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        return Reply(200, self.cloud.settings.as_dict())

    def seed_content_hub_miro(self, call: Call) -> Reply:
        """What installing the Content Hub's Miro solution leaves: ``MiroAuditLogs_CL``, a DCE and its DCR."""
        return Reply(201, install_miro_solution(self.cloud))

    def get_quirks(self, call: Call) -> Reply:
        """Every quirk: ``{"quirks": [{"name", "variants", "default", "current", "doc"}]}``."""
        return Reply(200, {"quirks": self.cloud.quirks.describe()})

    def patch_quirks(self, call: Call) -> Reply:
        """Switch quirks with ``{"NAME": "VARIANT"}`` (all or none); answers like GET."""
        try:
            self.cloud.quirks.update(_json(call))
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        return Reply(200, {"quirks": self.cloud.quirks.describe()})

    def list_principals(self, call: Call) -> Reply:
        return Reply(200, {"value": [p.public() for p in self.cloud.directory.all()]})

    def register_principal(self, call: Call) -> Reply:
        """A new principal with its own object id and no role anywhere: a client (app + service principal), or
        with ``"kind": "User"`` and a ``user_name`` a user who signs in with that name and the returned
        ``client_secret`` as password (``grant_type=password``)."""
        body = _json(call, required=False)
        kind = str(body.get("kind") or "ServicePrincipal")
        if kind not in ("ServicePrincipal", "User") or (kind == "User" and not body.get("user_name")):
            raise _bad("'kind' must be ServicePrincipal or User, and a User needs a 'user_name'")
        try:
            principal, secret = self.cloud.directory.register(
                display_name=str(body.get("display_name") or "registered-client"),
                client_id=body.get("client_id"),
                client_secret=body.get("client_secret"),
                kind=kind,
                user_name=body.get("user_name"),
            )
        except ValueError as exc:
            raise azure_error(409, "Conflict", str(exc)) from exc
        return Reply(
            201,
            {
                "client_id": principal.client_id,
                "client_secret": secret,
                "object_id": principal.object_id,
                "tenant_id": self.cloud.identity.tenant_id,
                "display_name": principal.display_name,
                "kind": principal.kind,
                "user_name": principal.user_name,
            },
        )

    def issue_token(self, call: Call) -> Reply:
        """A token for a client and audience with any lifetime (negative: already expired), for tests."""
        body = _json(call)
        principal = self.cloud.directory.by_client_id(str(body.get("client_id") or self.cloud.identity.client_id))
        if principal is None:
            raise azure_error(404, "NotFound", f"no client with id {body.get('client_id')}")
        audience = str(body.get("audience") or "")
        if audience.rstrip("/") not in KNOWN_RESOURCES and not body.get("any_audience"):
            raise _bad(f"audience must be one of {', '.join(KNOWN_RESOURCES)} (or pass any_audience: true)")
        lifetime = body.get("lifetime_seconds")
        if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int)):
            raise _bad("lifetime_seconds must be an integer")
        return Reply(200, self.cloud.tokens.issue(principal, audience, lifetime_seconds=lifetime))

    # --- faults and the request log ---------------------------------------------------------------------

    def add_fault(self, call: Call) -> Reply:
        try:
            fault = self.cloud.faults.add(_json(call))
        except (TypeError, ValueError) as exc:
            raise _bad(str(exc)) from exc
        return Reply(201, fault.as_dict())

    def list_faults(self, call: Call) -> Reply:
        return Reply(200, {"value": [f.as_dict() for f in self.cloud.faults.all()]})

    def get_fault(self, call: Call) -> Reply:
        fault = self.cloud.faults.get(call.params["faultId"])
        if fault is None:
            raise azure_error(404, "NotFound", f"no fault {call.params['faultId']}")
        return Reply(200, fault.as_dict())

    def delete_fault(self, call: Call) -> Reply:
        return Reply(200 if self.cloud.faults.remove(call.params["faultId"]) else 204)

    def clear_faults(self, call: Call) -> Reply:
        self.cloud.faults.clear()
        return Reply(204)

    def list_requests(self, call: Call) -> Reply:
        after = call.arg("after")
        try:
            records = self.cloud.requests.records(service=call.arg("service"), after=int(after) if after else 0)
        except ValueError as exc:
            raise _bad("after must be an integer") from exc
        # The control API's own calls are noise when asking what a client did.
        return Reply(200, {"value": [r.as_dict() for r in records if r.service != "control"]})

    def clear_requests(self, call: Call) -> Reply:
        self.cloud.requests.clear()
        return Reply(204)

    # --- tables (seeding) -------------------------------------------------------------------------------

    def _workspace_id(self, body: dict[str, Any]) -> str:
        name = body.get("workspace") or self.cloud.identity.workspace_name
        found = [w for w in self.cloud.arm.workspaces.all() if w.name.lower() == str(name).lower()]
        if not found:
            raise azure_error(404, "NotFound", f"no workspace named {name}")
        return str(found[0].properties["customerId"])

    def define_table(self, call: Call) -> Reply:
        """A Microsoft-style table (no ``_CL`` rule), for tests and extensions that need one."""
        body = _json(call)
        name = body.get("name")
        columns = body.get("columns")
        if not isinstance(name, str) or not name or not isinstance(columns, list):
            raise _bad("'name' and 'columns' ([{name, type}]) are required")
        try:
            declared = [KqlColumn(str(c["name"]), normalize_kql_type(str(c["type"]))) for c in columns]
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(f"bad column: {exc}") from exc
        try:
            definition = self.cloud.logs.define(self._workspace_id(body), name, declared, builtin=True)
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        return Reply(
            201, {"name": definition.name, "columns": [{"name": c.name, "type": c.type} for c in definition.columns]}
        )

    def insert_rows(self, call: Call) -> Reply:
        """Append rows to any table, shaped by its columns (visible after the ingestion latency)."""
        body = _json(call)
        rows = body.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise _bad("'rows' must be a list of JSON objects")
        try:
            count = self.cloud.logs.insert_records(self._workspace_id(body), call.params["table"], rows)
        except KeyError as exc:
            raise azure_error(404, "NotFound", str(exc.args[0])) from exc
        return Reply(200, {"inserted": count})
