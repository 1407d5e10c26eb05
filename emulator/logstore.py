"""Log Analytics tables: where ingested rows are stored and what queries read.

Each workspace has a DuckDB schema ``la_<customer id>`` in the store holding one physical table per
Log Analytics table: its declared columns plus a hidden ``_emu_visible_at`` (when the row becomes
visible to queries; see the ingestion latency setting). Queries never read those tables directly:
each workspace also has an in-memory catalog ``q_<customer id>`` with one view per table that

* shows the declared columns plus ``TenantId`` (the workspace id) and ``Type`` (the table name),
  which every Log Analytics table has,
* hides rows not yet visible at the query's virtual ``now``, and
* keeps only rows whose ``TimeGenerated`` lies in the request's ``timespan``,

the last two through DuckDB variables a query sets on its own cursor. The KQL engine therefore sees
exactly the tables and columns a Log Analytics query would, under their own names.

Table definitions (declared columns) are kept as documents, so views are rebuilt after a restart.

Every name that reaches SQL is checked before it gets there (:func:`check_name`; workspaces are
GUIDs) *and* quoted; values in DDL are quoted literals. ARM and the control API refuse bad names with
their own rules first; these checks are the last line, so no caller can inject SQL through a name.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import kqlengine as kql
from emulator.clock import naive_utc
from emulator.store import quote_identifier, quote_literal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = [
    "SECURITY_ALERT_COLUMNS",
    "SENTINEL_HEALTH_COLUMNS",
    "LogStore",
    "TableDefinition",
    "check_name",
    "check_workspace",
]

_log = logging.getLogger(__name__)

#: Table and column names that may reach SQL: a letter or ``_``, then letters, digits and ``_``.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,255}")
_WORKSPACE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def check_name(name: str, what: str = "table") -> str:
    """``name`` when it is a plain identifier; raises ``ValueError`` naming it otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} name {name!r} is not allowed: use a letter or '_' then letters, digits or '_' (at most 256)"
        )
    return name


def check_workspace(workspace: str) -> str:
    """``workspace`` when it is a workspace (customer) id, a GUID; raises ``ValueError`` otherwise."""
    if not isinstance(workspace, str) or not _WORKSPACE.fullmatch(workspace):
        raise ValueError(f"workspace id {workspace!r} is not a GUID")
    return workspace


#: ``SentinelHealth`` as Microsoft Sentinel defines it (TenantId and Type are added to every table).
SENTINEL_HEALTH_COLUMNS = tuple(
    kql.KqlColumn(name, kind)
    for name, kind in (
        ("TimeGenerated", "datetime"),
        ("OperationName", "string"),
        ("SentinelResourceId", "string"),
        ("SentinelResourceName", "string"),
        ("Status", "string"),
        ("Description", "string"),
        ("Reason", "string"),
        ("WorkspaceId", "string"),
        ("SentinelResourceType", "string"),
        ("SentinelResourceKind", "string"),
        ("RecordId", "string"),
        ("ExtendedProperties", "dynamic"),
    )
)

#: ``SecurityAlert`` as Microsoft Sentinel defines it (where scheduled analytics rules write their alerts).
SECURITY_ALERT_COLUMNS = tuple(
    kql.KqlColumn(name, kind)
    for name, kind in (
        ("TimeGenerated", "datetime"),
        ("DisplayName", "string"),
        ("AlertName", "string"),
        ("AlertSeverity", "string"),
        ("Description", "string"),
        ("ProviderName", "string"),
        ("VendorName", "string"),
        ("VendorOriginalId", "string"),
        ("SystemAlertId", "string"),
        ("ResourceId", "string"),
        ("SourceComputerId", "string"),
        ("AlertType", "string"),
        ("ConfidenceLevel", "string"),
        ("ConfidenceScore", "real"),
        ("IsIncident", "boolean"),
        ("StartTime", "datetime"),
        ("EndTime", "datetime"),
        ("ProcessingEndTime", "datetime"),
        ("RemediationSteps", "string"),
        ("ExtendedProperties", "string"),
        ("Entities", "string"),
        ("SourceSystem", "string"),
        ("WorkspaceSubscriptionId", "string"),
        ("WorkspaceResourceGroup", "string"),
        ("ExtendedLinks", "string"),
        ("ProductName", "string"),
        ("ProductComponentName", "string"),
        ("AlertLink", "string"),
        ("Status", "string"),
        ("CompromisedEntity", "string"),
        ("Tactics", "string"),
        ("Techniques", "string"),
        ("SubTechniques", "string"),
    )
)

#: Tables every workspace has from the start (Microsoft tables, not created through ARM).
BUILTIN_TABLES: dict[str, tuple[kql.KqlColumn, ...]] = {
    "SentinelHealth": SENTINEL_HEALTH_COLUMNS,
    "SecurityAlert": SECURITY_ALERT_COLUMNS,
}

_VISIBLE = "_emu_visible_at"
_MIN_TIME = dt.datetime(1, 1, 1)
_MAX_TIME = dt.datetime(9999, 12, 31)


@dataclass(frozen=True)
class TableDefinition:
    """A table's declared columns; ``builtin`` for Microsoft tables (not created through ARM)."""

    workspace: str
    name: str
    columns: tuple[kql.KqlColumn, ...]
    builtin: bool = False

    @property
    def column_types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}


class LogStore:
    """The Log Analytics tables of every workspace, their rows, and KQL queries over them."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._store = cloud.store
        self._tables: dict[tuple[str, str], TableDefinition] = {}
        for key, body in self._store.documents("la-tables").items():
            definition = TableDefinition(
                workspace=body["workspace"],
                name=body["name"],
                columns=tuple(kql.KqlColumn(c["name"], c["type"]) for c in body["columns"]),
                builtin=bool(body.get("builtin")),
            )
            try:
                _check_definition(definition)
            except ValueError as exc:  # kept by an older version that did not check names
                _log.warning("ignoring the kept table %s: %s", key, exc)
                continue
            self._tables[(definition.workspace, definition.name.lower())] = definition

    # --- naming ---------------------------------------------------------------------------------------

    @staticmethod
    def _schema_name(workspace: str) -> str:
        return "la_" + check_workspace(workspace).replace("-", "").lower()

    @classmethod
    def data_schema(cls, workspace: str) -> str:
        """The schema holding ``workspace``'s rows (``la_<guid without dashes>``), quoted."""
        return quote_identifier(cls._schema_name(workspace))

    @staticmethod
    def view_catalog(workspace: str) -> str:
        """The catalog of ``workspace``'s query views (``q_<guid without dashes>``), quoted."""
        return quote_identifier("q_" + check_workspace(workspace).replace("-", "").lower())

    def _physical(self, workspace: str, table: str) -> str:
        physical = quote_identifier(check_name(table))
        return f"{quote_identifier(self._store.catalog)}.{self.data_schema(workspace)}.{physical}"

    # --- workspaces and tables ---------------------------------------------------------------------------

    def open_workspace(self, workspace: str) -> None:
        """Create the workspace's schema and views (idempotent), with its built-in tables."""
        with self._cloud.schema_lock:
            cur = self._store.cursor()
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {self.data_schema(workspace)}")
            cur.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {self.view_catalog(workspace)}")
            for name, columns in BUILTIN_TABLES.items():
                if self.table(workspace, name) is None:
                    self.define(workspace, name, columns, builtin=True)
            for definition in self.tables(workspace):
                self._create_view(definition)

    def table(self, workspace: str, name: str) -> TableDefinition | None:
        """The table ``name`` (case-insensitive) of ``workspace``, or ``None``."""
        return self._tables.get((workspace, name.lower()))

    def tables(self, workspace: str) -> list[TableDefinition]:
        return sorted((t for (ws, _), t in self._tables.items() if ws == workspace), key=lambda t: t.name.lower())

    def define(
        self, workspace: str, name: str, columns: Sequence[kql.KqlColumn], *, builtin: bool = False
    ) -> TableDefinition:
        """Create table ``name`` or change its columns; rows in columns kept keep their values.

        :raises ValueError: a table or column name that is not a plain identifier, or a bad workspace id.
        """
        definition = TableDefinition(workspace, name, tuple(columns), builtin)
        _check_definition(definition)
        physical = self._physical(workspace, name)
        with self._cloud.schema_lock:
            cur = self._store.cursor()
            existing = {
                row[0]: str(row[1])
                for row in cur.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
                    [self._store.catalog, self._schema_name(workspace), name],
                ).fetchall()
            }
            if not existing:
                cols = ", ".join(f"{quote_identifier(c.name)} {kql.duckdb_type(c.type)}" for c in columns)
                cur.execute(f"CREATE TABLE {physical} ({cols}, {_VISIBLE} TIMESTAMP)")
            else:
                for column in columns:
                    wanted = kql.duckdb_type(column.type)
                    have = existing.get(column.name)
                    if have is not None and kql.kql_type_of(have) != column.type:
                        # A column removed earlier and declared again with another type starts empty.
                        cur.execute(f"ALTER TABLE {physical} DROP COLUMN {quote_identifier(column.name)}")
                        have = None
                    if have is None:
                        cur.execute(f"ALTER TABLE {physical} ADD COLUMN {quote_identifier(column.name)} {wanted}")
            self._tables[(workspace, name.lower())] = definition
            self._store.put_document(
                "la-tables",
                f"{workspace}/{name.lower()}",
                {
                    "workspace": workspace,
                    "name": name,
                    "builtin": builtin,
                    "columns": [{"name": c.name, "type": c.type} for c in columns],
                },
            )
            self._create_view(definition)
        return definition

    def drop(self, workspace: str, name: str) -> None:
        """Delete a table and its rows."""
        definition = self.table(workspace, name)
        if definition is None:
            return
        with self._cloud.schema_lock:
            cur = self._store.cursor()
            cur.execute(f"DROP VIEW IF EXISTS {self.view_catalog(workspace)}.main.{quote_identifier(definition.name)}")
            cur.execute(f"DROP TABLE IF EXISTS {self._physical(workspace, definition.name)}")
            self._tables.pop((workspace, name.lower()), None)
            self._store.delete_document("la-tables", f"{workspace}/{name.lower()}")

    def drop_all(self, workspace: str) -> None:
        """Delete every table of ``workspace`` (the built-in ones come back empty)."""
        for definition in self.tables(workspace):
            self.drop(workspace, definition.name)
        self.open_workspace(workspace)

    def _create_view(self, definition: TableDefinition) -> None:
        names = {c.name for c in definition.columns}
        select = [quote_identifier(c.name) for c in definition.columns]
        if "TenantId" not in names:
            select.insert(0, f"{quote_literal(definition.workspace)} AS {quote_identifier('TenantId')}")
        if "Type" not in names:
            select.append(f"{quote_literal(definition.name)} AS {quote_identifier('Type')}")
        where = f"{_VISIBLE} <= getvariable('emu_now')"
        if "TimeGenerated" in names:
            where += " AND \"TimeGenerated\" BETWEEN getvariable('emu_from') AND getvariable('emu_to')"
        self._store.cursor().execute(
            f"CREATE OR REPLACE VIEW {self.view_catalog(definition.workspace)}.main.{quote_identifier(definition.name)} AS "
            f"SELECT {', '.join(select)} FROM {self._physical(definition.workspace, definition.name)} WHERE {where}"
        )

    # --- rows ---------------------------------------------------------------------------------------------

    def insert_select(
        self, definition: TableDefinition, select_sql: str, params: Mapping[str, Any], *, visible_at: dt.datetime
    ) -> int:
        """Append the rows of ``select_sql`` (the table's declared columns, in order); returns their count.

        Runs on the calling thread's cursor; the caller holds ``schema_lock`` and owns the transaction.
        """
        names = ", ".join(quote_identifier(c.name) for c in definition.columns)
        row = (
            self._store.cursor()
            .execute(
                f"INSERT INTO {self._physical(definition.workspace, definition.name)} ({names}, {_VISIBLE}) "
                f"SELECT *, {_timestamp(visible_at)} FROM ({select_sql})",
                dict(params) or None,
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def insert_records(self, workspace: str, table: str, records: Iterable[Mapping[str, Any]]) -> int:
        """Append JSON-like ``records`` to a table, shaped by its declared columns (seeding, part 2's poller)."""
        definition = self.table(workspace, table)
        if definition is None:
            raise KeyError(f"table {table} does not exist in workspace {workspace}")
        now = self._cloud.clock.now()
        visible = now + dt.timedelta(seconds=self._cloud.settings.ingestion_latency_seconds)
        with self._cloud.schema_lock, self._store.private_cursor() as cur:
            kql.create_table(cur, "_emu_incoming", definition.columns, temporary=True)
            count = kql.insert_rows(
                cur, "_emu_incoming", definition.columns, records, directory=self._store.scratch_dir
            )
            names = ", ".join(quote_identifier(c.name) for c in definition.columns)
            cur.execute(
                f"INSERT INTO {self._physical(workspace, definition.name)} ({names}, {_VISIBLE}) "
                f"SELECT {names}, {_timestamp(visible)} FROM _emu_incoming"
            )
        return count

    def row_count(self, workspace: str, table: str) -> int:
        """Stored rows, visible or not."""
        definition = self.table(workspace, table)
        if definition is None:
            return 0
        row = (
            self._store.cursor()
            .execute(f"SELECT count(*) FROM {self._physical(workspace, definition.name)}")
            .fetchone()
        )
        return int(row[0]) if row else 0

    # --- queries ----------------------------------------------------------------------------------------

    def query(
        self,
        workspace: str,
        text: str,
        *,
        now: dt.datetime,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        visible_at: dt.datetime | None = None,
    ) -> kql.KqlResult:
        """Run KQL over ``workspace``'s tables as of virtual ``now``, restricted to ``[start, end]``.

        :param visible_at: see the rows visible at this time (default ``now``): an analytics rule run late
            still computes ``now()`` as its scheduled time.
        :raises kqlengine.EngineError: the engine could not translate or run the query.
        """
        with self._store.private_cursor() as cur:
            cur.execute(f"USE {self.view_catalog(workspace)}")
            cur.execute("SET VARIABLE emu_now = ?", [naive_utc(visible_at or now)])
            cur.execute("SET VARIABLE emu_from = ?", [naive_utc(start) if start else _MIN_TIME])
            cur.execute("SET VARIABLE emu_to = ?", [naive_utc(end) if end else _MAX_TIME])
            return kql.run_query(cur, text, now=now)

    def compile(self, workspace: str, text: str, *, now: dt.datetime) -> tuple[kql.KqlColumn, ...]:
        """The output columns of KQL ``text`` against ``workspace``'s tables, without running it.

        :raises kqlengine.EngineError: the query does not parse, or names a table or column that does not exist.
        """
        with self._store.private_cursor() as cur:
            cur.execute(f"USE {self.view_catalog(workspace)}")
            cur.execute("SET VARIABLE emu_now = ?", [naive_utc(now)])
            cur.execute("SET VARIABLE emu_from = ?", [_MIN_TIME])
            cur.execute("SET VARIABLE emu_to = ?", [_MAX_TIME])
            return kql.output_columns(cur, text, now=now)


def _check_definition(definition: TableDefinition) -> None:
    check_workspace(definition.workspace)
    check_name(definition.name)
    for column in definition.columns:
        check_name(column.name, "column")
        kql.duckdb_type(column.type)  # a known type, or ValueError


def _timestamp(value: dt.datetime) -> str:
    return f"TIMESTAMP '{naive_utc(value).isoformat(sep=' ')}'"
