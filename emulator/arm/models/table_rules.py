"""What the Tables API refuses in a custom table's name and columns, modelled from Microsoft Learn.

Sources (summarised in ``../shared/reference/azure-apis-and-terraform.md`` §1.4 and §3.1): "Create a custom
table", the Logs Ingestion API overview and the workspace service limits, and the Tables spec
(``api-specs/loganalytics-tables``). Each refusal carries the error code Azure answers with, as data.

* the name of a custom table ends in ``_CL``, with letters, digits and ``_`` before it, a letter first;
* a ``TimeGenerated`` column of type datetime;
* column names start with a letter, then letters, digits or ``_``; 2 to 45 characters; unique (case
  does not distinguish names in KQL); not reserved;
* at most 500 columns.

``id`` is reserved according to Learn, yet the official Microsoft Sentinel Miro table has an ``id`` column
and is deployed by the Content Hub, so Azure evidently accepts it: it is accepted here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAX_COLUMNS", "MAX_COLUMN_NAME", "RESERVED", "Refusal", "column_refusals", "name_refusals"]

MAX_COLUMNS = 500
MAX_COLUMN_NAME = 45

#: Reserved column names (the overview page's list and the custom-table page's), compared without case;
#: ``id`` is left out on evidence (see the module docstring).
RESERVED = frozenset(
    n.casefold()
    for n in (
        *("_ResourceId", "_SubscriptionId", "TenantId", "Type", "UniqueId", "Title"),
        *("BilledSize", "IsBillable", "InvalidTimeGenerated", "_ItemId", "_ResourceGroup", "_TimeReceived"),
    )
)

_CUSTOM_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]*_CL")
_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Refusal:
    """One reason Azure refuses a request: its error code, message and the JSON path it is about."""

    code: str
    message: str
    target: str


def name_refusals(name: str) -> list[Refusal]:
    """Why ``name`` cannot be a custom table's name (empty when it can)."""
    if _CUSTOM_TABLE.fullmatch(name):
        return []
    return [
        Refusal(
            "InvalidParameter",
            f"Table name '{name}' is invalid: a custom table's name must start with a letter, contain only "
            "letters, digits and '_', and end with '_CL'.",
            "name",
        )
    ]


def column_refusals(columns: Sequence[tuple[str, str]]) -> list[Refusal]:
    """Why a table with ``columns`` (name, canonical KQL type) is refused; empty when it is accepted."""
    found: list[Refusal] = []
    target = "properties.schema.columns"
    if len(columns) > MAX_COLUMNS:
        found.append(
            Refusal("InvalidParameter", f"A table can have at most {MAX_COLUMNS} columns, not {len(columns)}.", target)
        )
    seen: set[str] = set()
    for index, (name, _kind) in enumerate(columns):
        where = f"{target}[{index}].name"
        if name.casefold() in RESERVED:
            found.append(Refusal("InvalidParameter", f"Column name '{name}' is reserved.", where))
        if not _COLUMN.fullmatch(name) or not 2 <= len(name) <= MAX_COLUMN_NAME:
            found.append(
                Refusal(
                    "InvalidParameter",
                    f"Column name '{name}' is invalid: it must start with a letter, contain only letters, digits "
                    f"and '_', and be 2 to {MAX_COLUMN_NAME} characters long.",
                    where,
                )
            )
        if name.casefold() in seen:
            found.append(Refusal("InvalidParameter", f"Column name '{name}' appears more than once.", where))
        seen.add(name.casefold())
    kinds = dict(columns)
    if "TimeGenerated" not in kinds:
        found.append(Refusal("InvalidParameter", "The table needs a 'TimeGenerated' column of type dateTime.", target))
    elif kinds["TimeGenerated"] != "datetime":
        found.append(
            Refusal(
                "InvalidParameter",
                f"Column 'TimeGenerated' must be of type dateTime, not {kinds['TimeGenerated']}.",
                f"{target}[{list(kinds).index('TimeGenerated')}].type",
            )
        )
    return found
