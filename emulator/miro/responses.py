"""Miro's HTTP surface: read the request, ask the backend, write Miro's answer (no rules here)."""

from __future__ import annotations

import time

from emulator.core.errors import EmulatorError
from emulator.core.http import Call, Reply
from emulator.miro import errors
from emulator.miro.models import MiroAnswer, MiroBackend

__all__ = ["MiroResponses", "miro_error", "service_error"]


def miro_error(error: errors.MiroError) -> EmulatorError:
    """The framework's error answer for a Miro error."""
    return EmulatorError(Reply(error.status, error.body(), {"content-type": "application/json", **error.headers}))


def service_error(status: int, message: str) -> EmulatorError:
    """Miro's shape for a fault injected through the core control API (``/_emulator/faults``)."""
    return miro_error(errors.MiroError(status, message))


class MiroResponses:
    def __init__(self, backend: MiroBackend) -> None:
        self.backend = backend

    def get_audit_logs(self, call: Call) -> Reply:
        return self._answer(lambda: self.backend.audit_logs(call.headers.get("authorization"), call.query))

    def get_token_info(self, call: Call) -> Reply:
        return self._answer(lambda: self.backend.token_info(call.headers.get("authorization")))

    def not_implemented(self, call: Call) -> Reply:
        raise miro_error(errors.not_implemented(call.method, call.path))

    def method_not_allowed(self, call: Call) -> Reply:
        error = errors.MiroError(
            405, f"Method {call.method} is not allowed for this resource.", headers={"Allow": "GET"}
        )
        raise miro_error(error)

    @staticmethod
    def _answer(operation: object) -> Reply:
        try:
            answer: MiroAnswer = operation()  # type: ignore[operator]
        except errors.MiroError as error:
            raise miro_error(error) from None
        if answer.delay:
            time.sleep(answer.delay)  # a "slow" fault: this handler runs in a worker thread
        headers = {"content-type": "application/json", **answer.headers}
        return Reply(200, answer.body, headers)
