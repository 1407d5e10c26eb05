"""ARM asynchronous operations, as the Tables API reports them (``Azure-AsyncOperation``).

The local cloud applies a table change before answering 202, so an operation is ``Succeeded`` from
the start; clients still go through the same polling as against Azure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["AsyncOperations"]


class AsyncOperations:
    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud

    def record(self, resource_id: str, *, deleted: bool) -> str:
        """A finished operation on ``resource_id``; returns its id."""
        operation_id = self._cloud.ids.guid()
        stamp = self._cloud.clock.now().isoformat().replace("+00:00", "Z")
        self._cloud.store.put_document(
            "arm-operations",
            operation_id,
            {"resourceId": resource_id, "deleted": deleted, "startTime": stamp, "endTime": stamp},
        )
        return operation_id

    def get(self, operation_id: str) -> dict[str, Any] | None:
        found = self._cloud.store.document("arm-operations", operation_id.lower())
        return found if isinstance(found, dict) else None

    def reset(self) -> None:
        self._cloud.store.clear_documents("arm-operations")
