"""The ASGI application: every service's routes behind one dispatcher.

``build_app`` collects each service's routes (from its ``urls.py``) into one router. For every request
the dispatcher finds the route, applies an injected fault if one matches, authenticates the caller
with the route's :class:`~emulator.core.auth.Authenticator`, runs the handler in a worker thread, adds
``x-ms-request-id``, and records the request in the request log. A path no route knows answers 501.
Every path under ``/_emulator`` first needs the control token (:mod:`emulator.control.auth`), whatever
route serves it.

Adding a service (part 2: ``miro/``, ``ccf/``, Sentinel ARM routes): write its ``urls.py`` with a
``service(cloud) -> Service`` function and add it to :func:`default_services` (or pass ``services``).
Routes are matched in order, so put more specific ARM paths before the ``arm`` service's.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from emulator.control.auth import check_control, is_control_path
from emulator.core.errors import EmulatorError, azure_error, not_implemented
from emulator.core.faults import Fault
from emulator.core.http import Call, Reply, RouteMatch, Router, Service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["EmulatorApp", "ServiceFactory", "build_app", "default_services"]

_log = logging.getLogger("emulator.requests")

ServiceFactory = Callable[["Cloud"], Service]

_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def default_services() -> list[ServiceFactory]:
    """Every service, in matching order: control, Entra, Logs Ingestion, query, Miro, Sentinel, ARM."""
    from emulator.arm import urls as arm
    from emulator.ccf import control as ccf_control
    from emulator.content import urls as content
    from emulator.control import urls as control
    from emulator.entra import urls as entra
    from emulator.ingestion import urls as ingestion
    from emulator.miro import control as miro_control
    from emulator.miro import urls as miro
    from emulator.query import urls as query
    from emulator.sentinel import control as sentinel_control
    from emulator.sentinel import urls as sentinel

    # Control and Entra first: their paths are fixed; ARM's scope routes are the most general.
    # Part 2: Miro under /miro, Sentinel's connector routes under a workspace, their control routes.
    return [
        control.service,
        miro_control.service,
        ccf_control.service,
        entra.service,
        ingestion.service,
        query.service,
        miro.service,
        sentinel.service,
        sentinel_control.service,
        content.service,
        content.control,
        arm.service,
    ]


class _Drop:
    """Returned by the outer app to make uvicorn close the connection without a response (a fault)."""


class EmulatorApp:
    """The outer ASGI callable: drops connections for ``drop`` faults, otherwise runs the Starlette app."""

    def __init__(self, cloud: Cloud, services: Sequence[Service]) -> None:
        self.cloud = cloud
        self.services = list(services)
        self.router = Router(self.services)
        self.starlette = Starlette(routes=[StarletteRoute("/{path:path}", self._endpoint, methods=_METHODS)])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "http":
            return await self.starlette(scope, receive, send)
        path = _normalize(scope.get("path", "/"))
        match = self.router.match(scope["method"], path)
        service = match.service.name if match else "unknown"
        # The control API is never faulted: tests must always be able to remove a fault.
        fault = self.cloud.faults.take(scope["method"], path, service) if service != "control" else None
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.drop:
            self._record(scope["method"], path, match, 0, uuid.uuid4().hex, None, fault)
            # uvicorn closes the transport when the application returns a value instead of answering.
            return _Drop()
        scope["emulator.match"] = (path, match, fault)
        await self.starlette(scope, receive, send)
        return None

    async def _endpoint(self, request: Request) -> Response:
        path, match, fault = request.scope["emulator.match"]
        request_id = str(uuid.uuid4())
        principal: str | None = None
        refusal = self._control_refusal(path, match, request)
        if refusal is not None:
            reply = refusal
        elif match is None:
            reply = self._unmatched(request.method, path)
        elif fault is not None and fault.status:
            reply = self._fault_reply(match, fault)
        else:
            call = Call(
                method=request.method,
                path=path,
                params=match.params,
                query=dict(request.query_params),
                headers=request.headers,
                body=await request.body(),
                request_id=request_id,
                base_url=_base_url(request),
            )
            reply = await run_in_threadpool(_handle, match, call)
            principal = call.principal.object_id if call.principal else None
        if fault is not None and fault.malformed:
            reply = Reply(reply.status, b'{"error": {"code": "Malformed', dict(reply.headers))
        headers = {"x-ms-request-id": request_id, **reply.headers}
        if match is not None and match.service.name == "arm":
            headers.setdefault("x-ms-correlation-request-id", request_id)
        self._record(request.method, path, match, reply.status, request_id, principal, fault)
        content = reply.encoded()
        if content:
            headers.setdefault("content-type", "application/json; charset=utf-8")
        return Response(content, status_code=reply.status, headers=headers)

    def _control_refusal(self, path: str, match: RouteMatch | None, request: Request) -> Reply | None:
        """401 for a control call without the control token; ``None`` when the call may go on."""
        if not is_control_path(path) and (match is None or match.service.name != "control"):
            return None
        try:
            check_control(request.headers, self.cloud.control_token)
        except EmulatorError as exc:
            return exc.reply
        return None

    def _unmatched(self, method: str, path: str) -> Reply:
        """405 in the owning service's shape when the path is served with other methods; 501 otherwise."""
        service, methods = self.router.methods_for(path)
        if service is None:
            return not_implemented(method, path).reply
        reply = service.error(405, f"The requested resource does not support http method '{method}'.").reply
        reply.headers["Allow"] = ", ".join(methods)
        return reply

    def _fault_reply(self, match: RouteMatch, fault: Fault) -> Reply:
        message = fault.message or f"Injected fault {fault.id} (local cloud control API)."
        reply = match.service.error(int(fault.status or 500), message).reply
        if fault.retry_after is not None:
            reply.headers["Retry-After"] = _seconds(fault.retry_after)
        return reply

    def _record(
        self,
        method: str,
        path: str,
        match: RouteMatch | None,
        status: int,
        request_id: str,
        principal: str | None,
        fault: Fault | None,
    ) -> None:
        service = match.service.name if match else "unknown"
        operation = match.route.operation if match else ""
        self.cloud.requests.add(
            virtual_time=self.cloud.clock.now(),
            method=method,
            path=path,
            service=service,
            operation=operation,
            status=status,
            request_id=request_id,
            principal=principal,
            fault=fault.id if fault else None,
        )
        _log.info("%s %s -> %s (%s %s)", method, path, status or "dropped", service, operation)


def _handle(match: RouteMatch, call: Call) -> Reply:
    try:
        if match.route.auth is not None:
            call.principal = match.route.auth.authenticate(call)
        return match.route.handler(call)
    except EmulatorError as exc:
        return exc.reply
    except Exception:
        _log.exception("unhandled error in %s %s", call.method, call.path)
        return azure_error(
            500, "InternalServerError", "The local cloud failed to handle the request; see its log."
        ).reply


_SLASHES = re.compile(r"/{2,}")


def _normalize(path: str) -> str:
    # Some SDK calls produce '//subscriptions/...' (a resource id pasted after a '/'); ARM accepts it.
    return _SLASHES.sub("/", path) or "/"


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def build_app(cloud: Cloud, services: Sequence[ServiceFactory] | None = None) -> EmulatorApp:
    """The ASGI app serving ``services`` (default: Entra, ARM, Logs Ingestion, query, control)."""
    factories = list(services) if services is not None else default_services()
    return EmulatorApp(cloud, [factory(cloud) for factory in factories])
