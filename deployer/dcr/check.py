"""Offline check of a DCR transform: the cases Azure refuses at deploy time, found before deploying.

``check_transform`` runs events through the transform with the project's KQL engine and reports, one
line each: constructs outside the DCR subset, output columns the table lacks or misses, type
mismatches (Azure's ``InvalidTransformOutput``), a missing or null ``TimeGenerated``, column names Azure
rejects, and sample events whose rows differ from the rows written down beside them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import kqlengine as kql
from deployer.dcr import guard
from deployer.dcr.spec import DcrSpec, Sample, TableSpec
from deployer.errors import KqlSyntaxError

__all__ = [
    "MAX_COLUMN_NAME_LENGTH",
    "RESERVED_COLUMN_NAMES",
    "TransformCheck",
    "check_table",
    "check_transform",
    "output_schema_problems",
]

MAX_COLUMN_NAME_LENGTH = 45
MAX_COLUMNS = 500

#: Names Azure reserves in custom tables (Learn: Logs Ingestion overview and "Create a custom table").
#: Learn also lists ``id``, yet the official Miro solution's table has an ``id`` column and deploys, so
#: ``id`` is accepted here for compatibility with it.
RESERVED_COLUMN_NAMES = frozenset(
    name.lower()
    for name in (
        "_ResourceId", "_SubscriptionId", "TenantId", "Type", "UniqueId", "Title", "BilledSize",
        "IsBillable", "InvalidTimeGenerated", "_ItemId", "_ResourceGroup", "_TimeReceived",
    )
)  # fmt: skip

_COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*_CL$")


@dataclass
class TransformCheck:
    """The outcome: failures (empty when all is well) and the rows produced, in table column order."""

    failures: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    samples: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def check_table(table: TableSpec) -> list[str]:
    """Problems Azure would report for the table definition itself."""
    problems = []
    if not _TABLE_NAME.match(table.name):
        problems.append(
            f"table '{table.name}': a custom table name must start with a letter, use letters, digits and "
            "underscores, and end with _CL"
        )
    if len(table.columns) > MAX_COLUMNS:
        problems.append(f"table '{table.name}': {len(table.columns)} columns; Azure allows at most {MAX_COLUMNS}")
    seen: set[str] = set()
    for col in table.columns:
        problems.extend(_column_name_problems(col.name))
        if col.name.lower() in seen:
            problems.append(f"column '{col.name}': defined twice (column names are case-insensitive here)")
        seen.add(col.name.lower())
    time_generated = next((c for c in table.columns if c.name == "TimeGenerated"), None)
    if time_generated is None:
        problems.append("column 'TimeGenerated': every table needs a TimeGenerated column of type datetime")
    elif time_generated.type != "datetime":
        problems.append(f"column 'TimeGenerated': must be datetime, not {time_generated.type}")
    return problems


def _column_name_problems(name: str) -> list[str]:
    problems = []
    if name.lower() in RESERVED_COLUMN_NAMES:
        problems.append(f"column '{name}': '{name}' is a name Azure reserves; rename it (e.g. '{name}_')")
    if len(name) > MAX_COLUMN_NAME_LENGTH:
        problems.append(f"column '{name}': {len(name)} characters; Azure allows at most {MAX_COLUMN_NAME_LENGTH}")
    if not _COLUMN_NAME.match(name) or len(name) < 2:
        problems.append(
            f"column '{name}': names must have 2 or more characters, start with a letter and use only "
            "letters, digits and underscores"
        )
    return problems


def check_transform(
    spec: DcrSpec,
    *,
    events: Sequence[Mapping[str, Any]] | None = None,
    transform_path: str | None = None,
    now: dt.datetime | None = None,
) -> TransformCheck:
    """Check ``spec.transform`` against ``spec.table`` with ``events``, or with the samples when None.

    :raises KqlSyntaxError: the transform does not parse (a usage error, not a check failure).
    """
    diagnostics = kql.syntax_diagnostics(spec.transform)
    if diagnostics:
        first = diagnostics[0]
        raise KqlSyntaxError(_short(first.message), line=first.line, column=first.column, path=transform_path)

    result = TransformCheck()
    result.failures.extend(check_table(spec.table))
    result.failures.extend(f"transform: {v}" for v in guard.check_transform_subset(spec.transform))

    batches: list[tuple[Sample | None, Sequence[Mapping[str, Any]], dt.datetime | None]]
    if events is not None:
        batches = [(None, events, now)]
    else:
        batches = [(s, s.events, s.now) for s in spec.samples]
        result.samples = len(spec.samples)

    schema_checked = False
    for sample, batch, batch_now in batches:
        result.events += len(batch)
        try:
            output = kql.run_transform(spec.transform, spec.stream.columns, batch, now=batch_now)
        except kql.EngineError as exc:
            result.failures.append(f"transform: cannot run: {exc}")
            return result
        if not schema_checked:
            table_types = {c.name: c.type for c in spec.table.columns}
            result.failures.extend(output_schema_problems(output.columns, table_types, spec.table.name))
            schema_checked = True
        dicts = output.as_dicts()
        order = _column_order(dicts[0], output.columns, spec.table) if dicts else []
        rows = [{name: _render_value(row[name]) for name in order} for row in dicts]
        result.failures.extend(_time_generated_problems(rows, sample))
        if sample is not None:
            result.failures.extend(_sample_problems(sample, rows))
        result.rows.extend(rows)
    return result


def _short(message: str) -> str:
    # ANTLR lists every token it would have accepted; a hundred keywords help nobody.
    if "expecting {" in message and len(message) > 120:
        return message.split(" expecting {", 1)[0] + " (the text ends or breaks off where an expression is expected)"
    return message


def output_schema_problems(
    columns: Sequence[kql.KqlColumn], table_types: Mapping[str, str], table_name: str
) -> list[str]:
    """Differences between a transform's output columns and the table (Azure's InvalidTransformOutput cases)."""
    problems = []
    produced = {c.name: c.type for c in columns}
    for name, out_type in produced.items():
        if name not in table_types:
            problems.append(
                f"output column '{name}' ({out_type}) is not in table {table_name} (Azure: InvalidTransformOutput); "
                "add it to the table or drop it with project"
            )
        elif not _compatible(out_type, table_types[name]):
            problems.append(
                f"output column '{name}' is {out_type} but the table column is {table_types[name]} "
                f"(Azure: InvalidTransformOutput); convert it with to{_converter(table_types[name])}()"
            )
    missing = [f"{name} ({kind})" for name, kind in table_types.items() if name not in produced]
    if missing:
        problems.append(
            f"table columns not produced by the transform (they would always be empty): {', '.join(missing)}"
        )
    if "TimeGenerated" in produced and produced["TimeGenerated"] not in ("datetime", "null"):
        problems.append(f"output column 'TimeGenerated' must be a datetime, not {produced['TimeGenerated']}")
    return problems


def _compatible(out_type: str, table_type: str) -> bool:
    if out_type == table_type or out_type == "null":
        return True
    return table_type == "guid" and out_type == "string"


def _converter(table_type: str) -> str:
    # KQL converts with tobool(); every other canonical type name is its own to<type>() function.
    return {"boolean": "bool"}.get(table_type, table_type)


def _time_generated_problems(rows: Sequence[Mapping[str, Any]], sample: Sample | None) -> list[str]:
    where = f"sample {sample.name}: " if sample else ""
    return [
        f"{where}row {i}: TimeGenerated is null (the record would be stored with its ingestion time or dropped)"
        for i, row in enumerate(rows, start=1)
        if "TimeGenerated" in row and row["TimeGenerated"] is None
    ]


def _sample_problems(sample: Sample, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if len(rows) != len(sample.rows):
        return [f"sample {sample.name}: expected {len(sample.rows)} rows, the transform produced {len(rows)}"]
    problems = []
    for i, (got, want) in enumerate(zip(rows, sample.rows, strict=True), start=1):
        # Missing or extra columns are reported once by the schema check; compare the values they share.
        for name in [n for n in want if n in got]:
            if got[name] != want[name]:
                problems.append(
                    f"sample {sample.name}: row {i}: {name}: expected {_show(want[name])}, got {_show(got[name])}"
                )
        unexpected = sorted(set(want) ^ set(got))
        if unexpected and i == 1:
            problems.append(f"sample {sample.name}: columns differ from the expected rows: {', '.join(unexpected)}")
    return problems


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _column_order(row: Mapping[str, Any], columns: Sequence[kql.KqlColumn], table: TableSpec) -> list[str]:
    in_table = set(table.column_names)
    return [c.name for c in table.columns if c.name in row] + [c.name for c in columns if c.name not in in_table]


def _render_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return kql.format_datetime(value)
    if isinstance(value, dt.timedelta):
        return str(value)
    return value
