"""The query API's rules: which workspace, who may read it, the timespan, and KQL through the engine.

``timespan`` (an ISO 8601 duration ending now, or an interval) restricts every table to rows whose
``TimeGenerated`` falls in it, as Log Analytics does; a timespan in both the URL and the body means
their intersection. ``now()`` and ``ago()`` are the cloud's virtual time.

Engine errors map to Log Analytics' answers: a parse error is ``SyntaxError`` (SYN0002); an unknown
table or column is ``SemanticError`` (SEM0100, wording as Kusto's "Failed to resolve ... named"); KQL
the engine cannot translate answers 501 naming the construct, never an empty table.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import kqlengine as kql
from emulator.core.auth import Principal
from emulator.core.timespan import parse_interval
from emulator.query import errors

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["QUERY_READ", "QueryBackend"]

QUERY_READ = "Microsoft.OperationalInsights/workspaces/query/read"

_MISSING_TABLE = re.compile(r"Table with name (?P<name>\S+) does not exist")
#: DuckDB's binder message, or the KQL adapter's own for a column the query never defined.
_MISSING_COLUMN = re.compile(r'Referenced column "(?P<name>[^"]+)" not found|unknown column \'(?P<adapter>[^\']+)\'')


class QueryBackend:
    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud

    def workspace_id(self, workspace: str, principal: Principal) -> str:
        """The customer id of ``workspace`` (its GUID), if ``principal`` may query it."""
        found = self._cloud.arm.workspaces.by_customer_id(workspace)
        if found is None:
            raise errors.path_not_found(workspace)
        if not self._cloud.arm.roles.is_allowed(principal.object_id, QUERY_READ, found.id):
            raise errors.insufficient_access(principal.object_id, found.id)
        return str(found.properties["customerId"])

    def run(
        self, workspace: str, text: str, *, timespans: list[str], others: list[str], principal: Principal
    ) -> kql.KqlResult:
        customer_id = self.workspace_id(workspace, principal)
        for other in others:
            if self.workspace_id(other, principal) != customer_id:
                raise errors.engine_gap("queries across several workspaces ('workspaces' in the body)")
        # Rows accepted before this query are visible to it (when the ingestion latency allows).
        self._cloud.pipeline.flush()
        now = self._cloud.clock.now()
        start: dt.datetime | None = None
        end: dt.datetime | None = None
        for timespan in timespans:
            try:
                low, high = parse_interval(timespan, now=now)
            except ValueError as exc:
                raise errors.bad_argument("InvalidTimespan", str(exc)) from exc
            start = low if start is None else max(start, low)
            end = high if end is None else min(end, high)
        if not text.strip():
            raise errors.bad_argument("EmptyQuery", "The query is empty.")
        try:
            with self._cloud.schema_lock:
                return self._cloud.logs.query(customer_id, text, now=now, start=start, end=end)
        except kql.EngineError as exc:
            raise _engine_error(exc, text) from exc


def _engine_error(exc: kql.EngineError, text: str) -> Exception:
    message = str(exc)
    if exc.kind == "syntax":
        token = _token_at(text, exc.line, exc.column)
        where = f" on line [{exc.line},{exc.column}]" if exc.line is not None else ""
        return errors.syntax_error(
            f"Query could not be parsed at '{token}'{where}", line=exc.line, pos=exc.column, token=token
        )
    if exc.kind == "unsupported":
        return errors.engine_gap(message)
    table = _MISSING_TABLE.search(message)
    if table:
        return errors.semantic_error(f"Failed to resolve table or column expression named '{table.group('name')}'")
    column = _MISSING_COLUMN.search(message)
    if column:
        name = column.group("name") or column.group("adapter")
        return errors.semantic_error(f"Failed to resolve scalar expression named '{name}'")
    if exc.kind == "schema":
        return errors.semantic_error(message)
    return errors.bad_argument("QueryExecutionError", message.splitlines()[0])


def _token_at(text: str, line: int | None, column: int | None) -> str:
    if line is None or column is None:
        return ""
    lines = text.splitlines() or [""]
    if not 1 <= line <= len(lines):
        return ""
    rest = lines[line - 1][max(column - 1, 0) :]
    return rest.split()[0] if rest.split() else "<EOF>"
