"""What the runner returns: a parsed plan (:class:`PlanResult`) and output values (:class:`OutputValue`).

Built from ``terraform show -json <plan>`` and ``terraform output -json``; never from human output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.provision import Action, Change, ProvisionPlan

__all__ = ["OutputValue", "PlanResult", "ResourceChange", "parse_outputs", "parse_plan"]

# Terraform's action lists (resource_changes[].change.actions) and what they mean for Azure.
_ACTIONS: dict[tuple[str, ...], Action] = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


@dataclass(frozen=True)
class ResourceChange:
    """One resource the plan would create, update, delete or replace."""

    address: str
    resource_type: str
    action: Action
    #: For ``azapi_*`` resources, the ARM type without api-version (``Microsoft.Insights/dataCollectionRules``).
    arm_type: str | None = None
    #: For a replacement, the attribute paths that force it (e.g. ``name``).
    replace_paths: tuple[str, ...] = ()
    #: An ``import`` block takes an existing resource into the state (its action is then ``adopt``).
    imported_from: str = ""
    #: For an import, whether the resource is then also updated.
    updated: bool = False

    def to_change(self) -> Change:
        detail = f"replaced because {', '.join(self.replace_paths)} changed" if self.replace_paths else ""
        if self.imported_from:
            then = "; then updated to match" if self.updated else ""
            detail = f"exists, not created by miro-sentinel: adopt existing (imported into the state){then}"
        return Change(self.address, self.action, self.arm_type or self.resource_type, detail)


@dataclass(frozen=True)
class PlanResult:
    """A saved plan and what it would change.

    ``plan_file`` lives in the runner's private temporary directory until it is applied or discarded;
    it may hold sensitive (non-ephemeral) values in clear, so it never leaves that directory.
    """

    changes: tuple[ResourceChange, ...]
    output_changes: tuple[str, ...] = ()
    destroy: bool = False
    #: False when applying would do nothing at all (no resource and no output changes).
    applyable: bool = False
    plan_file: Path | None = field(default=None, compare=False, repr=False)

    def _addresses(self, *actions: Action) -> tuple[str, ...]:
        return tuple(c.address for c in self.changes if c.action in actions)

    @property
    def to_add(self) -> tuple[str, ...]:
        """Addresses created, replacements included (as in Terraform's "N to add")."""
        return self._addresses("create", "replace")

    @property
    def to_change(self) -> tuple[str, ...]:
        return self._addresses("update")

    @property
    def to_destroy(self) -> tuple[str, ...]:
        """Addresses deleted, replacements included (as in Terraform's "N to destroy")."""
        return self._addresses("delete", "replace")

    @property
    def replaces(self) -> bool:
        return any(c.action == "replace" for c in self.changes)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        """``{"add", "change", "destroy"}`` exactly as Terraform's plan summary counts them."""
        return {"add": len(self.to_add), "change": len(self.to_change), "destroy": len(self.to_destroy)}

    def to_provision_plan(self, engine: str = "terraform") -> ProvisionPlan:
        return ProvisionPlan(engine=engine, changes=tuple(c.to_change() for c in self.changes))


def _arm_type(change: Mapping[str, Any]) -> str | None:
    for state in ("after", "before"):
        values = change.get(state)
        arm = values.get("type") if isinstance(values, dict) else None
        if isinstance(arm, str) and "/" in arm:
            return arm.split("@", 1)[0]
    return None


def _replace_paths(change: Mapping[str, Any]) -> tuple[str, ...]:
    paths = change.get("replace_paths") or []
    return tuple(".".join(str(step) for step in path) for path in paths if isinstance(path, list))


def parse_plan(show: Mapping[str, Any], *, plan_file: Path | None = None, destroy: bool = False) -> PlanResult:
    """A :class:`PlanResult` from ``terraform show -json <plan>``.

    No-ops, reads (data sources) and ``forget`` (removed from state, kept in Azure) are left out:
    they change nothing in Azure. An import (no-op or update) is ``adopt``.
    """
    changes = []
    for entry in show.get("resource_changes") or []:
        change = entry.get("change") or {}
        actions = tuple(change.get("actions") or ())
        importing = change.get("importing") if isinstance(change.get("importing"), dict) else None
        action = _ACTIONS.get(actions)
        if importing is not None and actions in (("no-op",), ("update",)):
            action = "adopt"
        if action is None or entry.get("mode") == "data":
            continue
        changes.append(
            ResourceChange(
                address=str(entry["address"]),
                resource_type=str(entry.get("type", "")),
                action=action,
                arm_type=_arm_type(change) if str(entry.get("type", "")).startswith("azapi_") else None,
                replace_paths=_replace_paths(change) if action == "replace" else (),
                imported_from=str(importing.get("id", "")) if importing is not None else "",
                updated=importing is not None and actions == ("update",),
            )
        )
    output_changes = tuple(
        sorted(
            name
            for name, change in (show.get("output_changes") or {}).items()
            if tuple(change.get("actions") or ()) not in (("no-op",), ())
        )
    )
    applyable = show.get("applyable")
    return PlanResult(
        changes=tuple(changes),
        output_changes=output_changes,
        destroy=destroy,
        applyable=bool(applyable) if isinstance(applyable, bool) else bool(changes or output_changes),
        plan_file=plan_file,
    )


@dataclass(frozen=True)
class OutputValue:
    """One root output: its value (maps, lists and booleans as JSON gives them), and whether it is sensitive."""

    value: Any
    sensitive: bool = False
    type: Any = None


def parse_outputs(document: Mapping[str, Any]) -> dict[str, OutputValue]:
    """Outputs from ``terraform output -json``."""
    return {
        name: OutputValue(value=entry.get("value"), sensitive=bool(entry.get("sensitive")), type=entry.get("type"))
        for name, entry in document.items()
        if isinstance(entry, dict)
    }
