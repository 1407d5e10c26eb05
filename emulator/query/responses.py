"""The query API's HTTP surface: ``POST``/``GET /v1/workspaces/{id}/query`` and the response tables.

Column types are KQL's wire names (``bool``, ``datetime``, ``dynamic``...), datetimes ISO 8601 in UTC
with ``Z``, dynamic values JSON text (as Log Analytics sends them), and strings never null (Kusto has
no null string; an empty one stands for it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from typing import Any

import kqlengine as kql
from emulator.core.http import Call, Reply
from emulator.query import errors
from emulator.query.models import QueryBackend

__all__ = ["QueryResponses", "render_table"]

_WIRE_TYPES = {"boolean": "bool", "null": "dynamic"}


class QueryResponses:
    def __init__(self, backend: QueryBackend) -> None:
        self.backend = backend

    def query_post(self, call: Call) -> Reply:
        if not call.body.strip():
            # Learn: a POST without a body (or without Content-Type: application/json) answers an empty 200.
            return Reply(200)
        try:
            body = call.json()
        except ValueError as exc:
            raise errors.bad_argument("InvalidJson", f"The request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise errors.bad_argument("MissingQuery", "The body must be a JSON object with a 'query' string.")
        timespans = [t for t in (call.arg("timespan"), body.get("timespan")) if t]
        others = [str(w) for w in body.get("workspaces") or []]
        return self._run(call, body["query"], timespans, others)

    def query_get(self, call: Call) -> Reply:
        query = call.arg("query")
        if not query:
            raise errors.bad_argument("MissingQuery", "The 'query' parameter is required.")
        timespan = call.arg("timespan")
        return self._run(call, query, [timespan] if timespan else [], [])

    def _run(self, call: Call, query: str, timespans: list[str], others: list[str]) -> Reply:
        assert call.principal is not None, "query routes are authenticated"
        started = time.perf_counter()
        result = self.backend.run(
            call.params["workspaceId"], query, timespans=timespans, others=others, principal=call.principal
        )
        body: dict[str, Any] = {"tables": [render_table("PrimaryResult", result)]}
        prefer = (call.headers.get("prefer") or "").replace(" ", "").lower()
        if "include-statistics=true" in prefer:
            body["statistics"] = {
                "query": {
                    "executionTime": round(time.perf_counter() - started, 6),
                    "resourceUsage": {},
                    "datasetStatistics": [{"tableRowCount": len(result.rows)}],
                }
            }
        if "include-render=true" in prefer:
            body["render"] = {}
        return Reply(200, body)


def render_table(name: str, result: kql.KqlResult) -> dict[str, Any]:
    """One response table: ``{"name", "columns": [{"name", "type"}], "rows": [[...]]}``."""
    types = []
    for column in result.columns:
        if column.type.startswith("unknown:"):
            raise errors.engine_gap(
                f"the result column '{column.name}' has a type KQL has no name for ({column.type[8:]})"
            )
        types.append(_WIRE_TYPES.get(column.type, column.type))
    encoders = [_encoder(t) for t in types]
    return {
        "name": name,
        "columns": [{"name": c.name, "type": t} for c, t in zip(result.columns, types, strict=True)],
        "rows": [[enc(v) for enc, v in zip(encoders, row, strict=True)] for row in result.rows],
    }


def _encoder(kind: str) -> Any:
    return {
        "datetime": _datetime,
        "dynamic": _dynamic,
        "string": _string,
        "guid": _string,
        "real": _real,
        "timespan": _timespan,
        "decimal": _decimal,
    }.get(kind, _same)


def _same(value: Any) -> Any:
    return value


def _string(value: Any) -> Any:
    return "" if value is None else str(value)


def _datetime(value: Any) -> Any:
    return kql.format_datetime(value) if isinstance(value, dt.datetime) else value


def _dynamic(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _real(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _decimal(value: Any) -> Any:
    return None if value is None else str(value)


def _timespan(value: Any) -> Any:
    if not isinstance(value, dt.timedelta):
        return value
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    days = f"{value.days}." if value.days else ""
    fraction = f".{value.microseconds:06d}0" if value.microseconds else ""
    return f"{sign}{days}{hours:02d}:{minutes:02d}:{seconds:02d}{fraction}"
