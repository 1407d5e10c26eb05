"""DCR transforms: checked as Azure checks them when a DCR is PUT, and compiled once for ingestion.

The check runs, in order: syntax (the KQL parser), Azure's transform subset (:mod:`.transform_subset`,
the local cloud's own model of Learn's list), the transform itself on zero records (its output columns
and their types), and those against the destination table (:func:`output_refusals`). These rules are
the local cloud's own, written from Azure's documentation; ``dcr test`` has its own, and
``tests/emulator/test_rules_agreement.py`` compares the two.

Compiling means translating the KQL to SQL once; the ingestion pipeline then runs that SQL over
every batch of records (``now()`` stays a bound parameter, so it is right for each batch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

import kqlengine as kql
from emulator.arm.models.transform_subset import subset_violations
from emulator.core.errors import EmulatorError, azure_error, first_line
from emulator.logstore import TableDefinition

__all__ = ["CompiledTransform", "TransformProblem", "compile_transform", "output_refusals"]

#: The wording Azure uses for a transform it cannot compile.
_COMPILE_ERROR = "Error occurred while compiling query in query:"


@dataclass(frozen=True)
class CompiledTransform:
    """A transform translated to SQL over a temporary table ``source`` with the stream's columns."""

    text: str
    stream_columns: tuple[kql.KqlColumn, ...]
    sql: str
    uses_now: bool
    output: tuple[kql.KqlColumn, ...]


@dataclass(frozen=True)
class TransformProblem:
    """Why a transform is refused: Azure's detail code (InvalidTransformQuery/InvalidTransformOutput)."""

    code: str
    message: str


def compile_transform(
    text: str,
    stream_columns: Sequence[kql.KqlColumn],
    table: TableDefinition,
    *,
    now: dt.datetime,
    datatable: bool = False,
) -> CompiledTransform | TransformProblem:
    """Check ``text`` for ``table`` and translate it; a :class:`TransformProblem` when Azure would refuse it.

    ``datatable``: whether the ``datatable`` operator is accepted (quirk ``transform_datatable``).

    :raises EmulatorError: 501 when the engine cannot run KQL that Azure's subset allows.
    """
    diagnostics = kql.syntax_diagnostics(text)
    if diagnostics:
        first = diagnostics[0]
        return TransformProblem(
            "InvalidTransformQuery",
            f"{_COMPILE_ERROR} SyntaxError:0x00000001 at {first.line}:{first.column} : {first.message}",
        )
    violations = subset_violations(text, datatable=datatable)
    if violations:
        first_v = violations[0]
        return TransformProblem(
            "InvalidTransformQuery",
            f"{_COMPILE_ERROR} SemanticError:0x00000001 at {first_v.line}:{first_v.column} : {first_v.reason}"
            + (f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""),
        )
    con = kql.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # DuckDB prints it to stdout
        kql.create_table(con, "source", stream_columns)
        try:
            sql, params = kql.translate(text, con, now=now)
        except kql.EngineError as exc:
            if exc.kind == "unsupported":
                raise _engine_gap(str(exc)) from exc
            return TransformProblem("InvalidTransformQuery", f"{_COMPILE_ERROR} SemanticError:0x00000001 : {exc}")
        try:
            relation = con.sql(sql, params=params or None)
        except duckdb.Error as exc:
            return TransformProblem(
                "InvalidTransformQuery", f"{_COMPILE_ERROR} SemanticError:0x00000001 : {first_line(exc)}"
            )
        if relation is None:
            return TransformProblem("InvalidTransformQuery", f"{_COMPILE_ERROR} the transformation returns no table")
        output = tuple(
            kql.KqlColumn(name, kql.kql_type_of(str(kind)))
            for name, kind in zip(relation.columns, relation.types, strict=True)
        )
    finally:
        con.close()
    strange = [c for c in output if c.type.startswith("unknown:")]
    if strange:
        return TransformProblem(
            "InvalidTransformOutput",
            f"Output column '{strange[0].name}' has a type no table column can hold ({strange[0].type.split(':', 1)[1]}).",
        )
    problems = output_refusals(output, table.column_types)
    if problems:
        return TransformProblem(
            "InvalidTransformOutput", "Transformation output does not match the table: " + "; ".join(problems)
        )
    return CompiledTransform(text, tuple(stream_columns), sql, "kqlnow" in params, output)


def output_refusals(output: Sequence[kql.KqlColumn], table_types: dict[str, str]) -> list[str]:
    """Why Azure refuses a transform's output for a table with ``table_types`` (name -> KQL type).

    An output column must exist in the table with the same type; a null column (``print x = dynamic(null)``
    has no type) fits any, and a string fits a ``guid`` column (the Tables API stores guids as strings). A
    table column the transform does not produce is allowed: it stays empty.
    """
    found = []
    for column in output:
        wanted = table_types.get(column.name)
        if wanted is None:
            found.append(f"column '{column.name}' is not in the output table")
        elif column.type != wanted and column.type != "null" and not (wanted == "guid" and column.type == "string"):
            found.append(f"column '{column.name}' is of type {column.type}, but the table's is {wanted}")
    return found


def _engine_gap(message: str) -> EmulatorError:
    return azure_error(
        501,
        "NotImplemented",
        f"The local cloud's KQL engine cannot run this transformation (Azure may accept it): {message}. "
        "See emulator/COVERAGE.md",
    )
