"""The one adapter between the project and its KQL engine (duckdb-kql over DuckDB).

Everything that runs KQL goes through here: ``dcr test``, the emulator's ingestion (DCR transforms)
and its query API. Keeping the engine behind this module means it can be swapped without touching
callers; the adapter's tests are the contract.

What the adapter adds to the engine:

* KQL column types mapped to DuckDB types and back (``dynamic`` is DuckDB ``JSON``, ``datetime`` a
  naive-UTC ``TIMESTAMP``), and results decoded into Python values (aware UTC datetimes, dicts).
* Bulk loading shaped in SQL (:func:`shape_records_sql`): records pass through ``read_json_objects``
  and are coerced to the declared column types set-based; row-by-row inserts are ~80x slower. The
  emulator's Logs Ingestion API shapes incoming records with the same SQL.
* Kusto's *documented* datetime formats. Kusto documents ISO 8601 with ``Z`` (and RFC 822/850);
  whether it parses a ``+0000`` offset without a colon, as Miro sends, is unconfirmed, while DuckDB
  parses it happily. Both behaviours are offered (:func:`prepare`'s ``colonless_offsets``): ``"null"``,
  the default and what ``dcr test`` uses, makes ``todatetime()`` of a string ending in a colon-less
  ``+hhmm`` offset null, so a transform that depends on it fails instead of silently working only
  here; ``"parsed"`` reads the offset, for the local cloud's quirk of that name.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import duckdb_kql
import duckdb_kql.engine

__all__ = [
    "COLONLESS_OFFSETS",
    "KQL_TYPES",
    "MAX_RECORD_BYTES",
    "Diagnostic",
    "EngineError",
    "KqlColumn",
    "KqlResult",
    "ParsedKql",
    "carry_columns",
    "connect",
    "create_table",
    "duckdb_type",
    "engine_error",
    "format_datetime",
    "insert_rows",
    "json_object_sql",
    "kql_type_of",
    "normalize_kql_type",
    "output_columns",
    "parse",
    "prepare",
    "result_columns",
    "run_query",
    "run_transform",
    "shape_records_sql",
    "syntax_diagnostics",
    "translate",
]

#: KQL scalar types and the DuckDB types we store them as.
_KQL_TO_DUCKDB: dict[str, str] = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "long": "BIGINT",
    "real": "DOUBLE",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "dynamic": "JSON",
    "guid": "VARCHAR",
    "timespan": "INTERVAL",
    "decimal": "DECIMAL(38,18)",
}
KQL_TYPES = frozenset(_KQL_TO_DUCKDB)

#: Spellings Azure accepts for the same type (the Tables API says ``dateTime``, KQL says ``bool``...).
_KQL_ALIASES = {"bool": "boolean", "double": "real", "date": "datetime", "uniqueid": "guid"}

_DUCKDB_TO_KQL: dict[str, str] = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "SMALLINT": "int",
    "TINYINT": "int",
    "BIGINT": "long",
    "HUGEINT": "long",
    "UBIGINT": "long",
    "UINTEGER": "long",
    "DOUBLE": "real",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "DATE": "datetime",
    "JSON": "dynamic",
    "INTERVAL": "timespan",
    "UUID": "guid",
    '"NULL"': "null",
    "NULL": "null",
}


class EngineError(Exception):
    """The engine could not translate or run a query; ``kind`` is syntax, unsupported, schema or runtime."""

    def __init__(self, message: str, *, kind: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Diagnostic:
    """A syntax problem: 1-based line and column, and the parser's message."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class KqlColumn:
    """A column with a KQL type name (``string``, ``datetime``, ``dynamic``...)."""

    name: str
    type: str


@dataclass(frozen=True)
class KqlResult:
    """Rows as tuples of Python values, in ``columns`` order."""

    columns: tuple[KqlColumn, ...]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def normalize_kql_type(name: str) -> str:
    """Canonical KQL type for any spelling Azure accepts; raises ``ValueError`` for unknown types."""
    lowered = name.strip().lower()
    lowered = _KQL_ALIASES.get(lowered, lowered)
    if lowered not in _KQL_TO_DUCKDB:
        raise ValueError(f"unknown column type {name!r} (expected one of {', '.join(sorted(KQL_TYPES))})")
    return lowered


def duckdb_type(kql_type: str) -> str:
    return _KQL_TO_DUCKDB[normalize_kql_type(kql_type)]


def kql_type_of(duck_type: str) -> str:
    """KQL type name for a DuckDB result type (``unknown:<type>`` when there is no mapping)."""
    text = str(duck_type).upper()
    if text.startswith("DECIMAL"):
        return "decimal"
    return _DUCKDB_TO_KQL.get(text, f"unknown:{text}")


# --- syntax -------------------------------------------------------------------------------------------


def syntax_diagnostics(text: str) -> list[Diagnostic]:
    """Every syntax problem in ``text``; empty when it parses. Columns are 1-based."""
    return list(parse(text).diagnostics)


@dataclass(frozen=True)
class ParsedKql:
    """A KQL text parsed once: its syntax tree (None when it does not parse) and its syntax problems."""

    text: str
    tree: Any
    diagnostics: tuple[Diagnostic, ...]


def parse(text: str) -> ParsedKql:
    """Parse ``text`` (the parser is slow: parse once, then hand the tree to whatever walks it)."""
    try:
        tree = duckdb_kql.parse(text).tree
    except duckdb_kql.KqlSyntaxError as exc:
        return ParsedKql(
            text, None, tuple(Diagnostic(d.span.line, d.span.column + 1, d.message) for d in exc.diagnostics)
        )
    return ParsedKql(text, tree, ())


# --- connections and loading ------------------------------------------------------------------------------

#: How ``todatetime()`` treats a string ending in a colon-less ``+hhmm`` offset: null, or parsed.
COLONLESS_OFFSETS = ("null", "parsed")

_DATETIME_MACRO = {
    "null": (
        "CREATE OR REPLACE TEMP MACRO kql_strict_datetime(x) AS "
        "CASE WHEN regexp_matches(CAST(x AS VARCHAR), '[+-][0-9]{4}\"?$') THEN NULL ELSE x END"
    ),
    "parsed": "CREATE OR REPLACE TEMP MACRO kql_strict_datetime(x) AS x",
}


def connect(database: str = ":memory:", *, colonless_offsets: str = "null") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC with the adapter's helper macros installed (see :func:`prepare`)."""
    con = duckdb.connect(database)
    prepare(con, colonless_offsets=colonless_offsets)
    return con


def prepare(con: duckdb.DuckDBPyConnection, *, colonless_offsets: str = "null") -> None:
    """Install what translated SQL needs on ``con`` (every new cursor needs this too).

    ``colonless_offsets``: ``"null"`` (default) or ``"parsed"``, how ``todatetime()`` and datetime
    columns treat a colon-less ``+hhmm`` offset (see the module docstring). Calling it again switches.
    The time zone is set only when it is not UTC already, so a connection whose configuration is
    locked (the emulator's sandboxed store) can be prepared too.
    """
    if colonless_offsets not in _DATETIME_MACRO:
        raise ValueError(f"colonless_offsets must be one of {', '.join(COLONLESS_OFFSETS)}, not {colonless_offsets!r}")
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    if not row or row[0] not in ("UTC", "Etc/UTC"):
        con.execute("SET TimeZone='UTC'")
    con.execute(_DATETIME_MACRO[colonless_offsets])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: Sequence[KqlColumn], *, temporary: bool = False
) -> None:
    """Create (or replace) table ``name`` with KQL-typed ``columns``."""
    cols = ", ".join(f"{_quote(c.name)} {duckdb_type(c.type)}" for c in columns)
    temp = "TEMP " if temporary else ""
    con.execute(f"CREATE OR REPLACE {temp}TABLE {_quote(name)} ({cols})")


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[KqlColumn],
    records: Iterable[Mapping[str, Any]],
    *,
    directory: str | os.PathLike[str] | None = None,
) -> int:
    """Append ``records`` to ``table``, keeping only the declared ``columns``; returns the row count.

    The records go through a newline-delimited JSON file (in ``directory``, default the system's
    temporary directory; a sandboxed database may read only its own) and are shaped in SQL by
    :func:`shape_records_sql`, the same set-based code the emulator's Logs Ingestion API uses.
    """
    fd, path = tempfile.mkstemp(prefix="kql-load-", suffix=".ndjson", dir=directory)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=_json_default))
                handle.write("\n")
                count += 1
        if count:
            names = ", ".join(_quote(c.name) for c in columns)
            source = f"read_json_objects(?, format='newline_delimited', maximum_object_size={MAX_RECORD_BYTES})"
            con.execute(f"INSERT INTO {_quote(table)} ({names}) {shape_records_sql(columns, source)}", [path])
    finally:
        os.unlink(path)
    return count


#: The largest single JSON record the loaders accept (DuckDB's default is 16 MiB).
MAX_RECORD_BYTES = 64 * 1024 * 1024


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return str(value)


def shape_records_sql(
    columns: Sequence[KqlColumn], source: str, *, record: str = "json", keep: Sequence[str] = ()
) -> str:
    """A SELECT turning the JSON objects in column ``record`` of ``source`` into typed ``columns``.

    ``source`` is a table function, a table name or a parenthesised query; its columns named in
    ``keep`` (an event's position, say) pass through unchanged, first. This is how a stream
    declaration shapes an incoming record before the transform sees it: fields not declared are
    dropped, missing fields and JSON nulls are null, and values are coerced:

    * ``string``/``guid``: a JSON string as is; any other value as its compact JSON text.
    * ``int``/``long``: whole numbers; ``true``/``false`` as 1/0; fractions truncated toward zero;
      strings of an optional sign and digits (surrounding whitespace ignored); anything else null.
    * ``real``/``decimal``: numbers, booleans as 1/0, numeric strings (``nan``, ``inf`` included).
    * ``boolean``: JSON booleans and the strings ``true``/``false`` in any case; anything else null.
    * ``datetime``: strings parsed like ``todatetime()`` (a colon-less ``+hhmm`` offset is null).
    * ``dynamic``: the JSON value as is.

    Each record is parsed once (all fields are extracted in one ``json_extract``).
    """
    pointers = ", ".join(_sql_string("/" + c.name.replace("~", "~0").replace("/", "~1")) for c in columns)
    parts = [
        f"{_coerce_sql(f'_fields[{i}]', normalize_kql_type(c.type))} AS {_quote(c.name)}"
        for i, c in enumerate(columns, start=1)
    ]
    kept = "".join(f"{_quote(name)}, " for name in keep)
    return (
        f"SELECT {kept}{', '.join(parts)} "  # nosec B608 # columns are quoted JSON pointers; record, source and keep are the caller's own SQL
        f"FROM (SELECT {kept}json_extract({record}, [{pointers}]) AS _fields FROM {source})"
    )


_WHITESPACE = "' \t\n\r\f\v'"


def _coerce_sql(value: str, kql_type: str) -> str:
    kind = f"json_type({value})"
    text = f"({value} ->> '$')"
    # json_extract hands back each value as minified JSON text, so a JSON null is the text null and a string
    # starts with a quote: telling them apart from the text spares parsing every value again with json_type.
    is_null = f"CAST({value} AS VARCHAR) = 'null'"
    if kql_type == "dynamic":
        return f"CASE WHEN {is_null} THEN NULL ELSE {value} END"
    if kql_type in ("string", "guid"):
        return (
            f"CASE WHEN starts_with({value}, '\"') THEN {text} WHEN {is_null} THEN NULL "
            f"ELSE CAST({value} AS VARCHAR) END"
        )
    target = duckdb_type(kql_type)
    if kql_type in ("int", "long"):
        digits = f"trim({text}, E{_WHITESPACE})"
        return (
            f"CASE {kind} WHEN 'BOOLEAN' THEN CAST(CAST({value} AS BOOLEAN) AS {target}) "
            f"WHEN 'BIGINT' THEN TRY_CAST({value} AS {target}) WHEN 'UBIGINT' THEN TRY_CAST({value} AS {target}) "
            f"WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST({value} AS DOUBLE)) AS {target}) "
            f"WHEN 'VARCHAR' THEN CASE WHEN regexp_full_match({digits}, '[+-]?[0-9]+') "
            f"THEN TRY_CAST({digits} AS {target}) END END"
        )
    if kql_type in ("real", "decimal"):
        return (
            f"CASE {kind} WHEN 'BOOLEAN' THEN CAST(CAST({value} AS BOOLEAN) AS {target}) "
            f"WHEN 'BIGINT' THEN TRY_CAST({value} AS {target}) WHEN 'UBIGINT' THEN TRY_CAST({value} AS {target}) "
            f"WHEN 'DOUBLE' THEN TRY_CAST({value} AS {target}) "
            f"WHEN 'VARCHAR' THEN TRY_CAST(trim({text}, E{_WHITESPACE}) AS {target}) END"
        )
    if kql_type == "boolean":
        return (
            f"CASE {kind} WHEN 'BOOLEAN' THEN CAST({value} AS BOOLEAN) "
            f"WHEN 'VARCHAR' THEN CASE lower({text}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END END"
        )
    if kql_type == "datetime":
        # Parsed with the same rules as todatetime(), so a colon-less offset is null here too.
        return (
            f"CASE WHEN {kind} = 'VARCHAR' THEN "
            f"TRY_CAST(kql_strict_datetime({text}) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END"
        )
    return f"CASE WHEN {kind} = 'VARCHAR' THEN TRY_CAST({text} AS {target}) END"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- translation and execution ----------------------------------------------------------------------------


#: Translations by (text, schema, whether ``now`` is bound): parsing KQL costs far more than running the SQL,
#: and scheduled analytics rules translate the same text again and again.
_TRANSLATIONS: OrderedDict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], bool], str] = OrderedDict()
_TRANSLATIONS_LOCK = threading.Lock()
_MAX_TRANSLATIONS = 512
_NOW = "kqlnow"


def translate(
    text: str, con: duckdb.DuckDBPyConnection, *, now: dt.datetime | None = None, max_sql_chars: int | None = None
) -> tuple[str, dict[str, Any]]:
    """DuckDB SQL and its bound parameters for the KQL ``text`` on ``con``; raises :class:`EngineError`.

    A text translated before against the same tables and columns is not parsed again: only ``now`` is
    bound anew (the SQL names it as a parameter, so the translation does not depend on its value).

    ``max_sql_chars`` bounds the SQL (kind ``limit`` beyond it): DuckDB needs seconds and hundreds of
    megabytes to plan each 100,000 characters, and nested conversions such as ``tostring(tostring(x))``
    multiply a short text's SQL several times per level.
    """
    schema = duckdb_kql.engine.schema(con)
    key = (text, tuple(sorted((str(t), tuple(c)) for t, c in schema.items())), now is None)
    with _TRANSLATIONS_LOCK:
        cached = _TRANSLATIONS.get(key)
        if cached is not None:
            _TRANSLATIONS.move_to_end(key)
    if cached is not None:
        _check_size(cached, max_sql_chars)
        return cached, ({_NOW: _naive_utc(now)} if now is not None and f"${_NOW}" in cached else {})
    sql, params = _translate(text, schema, now)
    _check_size(sql, max_sql_chars)
    if set(params) <= {_NOW}:
        with _TRANSLATIONS_LOCK:
            _TRANSLATIONS[key] = sql
            if len(_TRANSLATIONS) > _MAX_TRANSLATIONS:
                _TRANSLATIONS.popitem(last=False)
    return sql, params


def _check_size(sql: str, max_sql_chars: int | None) -> None:
    if max_sql_chars is not None and len(sql) > max_sql_chars:
        raise EngineError(
            f"the query translates to {len(sql):,} characters of SQL, more than the {max_sql_chars:,} the engine "
            "plans in reasonable time and memory",
            kind="limit",
        )


def _translate(text: str, schema: Any, now: dt.datetime | None) -> tuple[str, dict[str, Any]]:
    try:
        sql = duckdb_kql.to_sql(text, schema=schema, query_now=_naive_utc(now))
    except duckdb_kql.KqlSyntaxError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        raise EngineError(
            str(exc),
            kind="syntax",
            line=first.span.line if first else None,
            column=(first.span.column + 1) if first else None,
        ) from exc
    except duckdb_kql.KqlUnsupportedError as exc:
        raise EngineError(str(exc), kind="unsupported") from exc
    except duckdb_kql.KqlSchemaError as exc:
        raise EngineError(str(exc), kind="schema") from exc
    except duckdb_kql.KqlError as exc:
        raise EngineError(str(exc), kind="unsupported") from exc
    except RecursionError as exc:
        raise EngineError("the query nests deeper than the engine can translate", kind="limit") from exc
    return _strict_datetimes(str(sql)), dict(sql.parameters or {})


def carry_columns(query: str | ParsedKql, names: Sequence[str]) -> str:
    """The KQL ``query`` with the columns ``names`` appended to every ``project`` list.

    A transform runs once per record, so a column of ``source`` that it never mentions (the record's
    position in its file) identifies the record each output row came from, as long as ``project``
    does not drop it. The text is returned unchanged when it does not parse.
    """
    parsed = query if isinstance(query, ParsedKql) else parse(query)
    text = parsed.text
    if parsed.tree is None:
        return text
    ends: list[int] = []
    stack = [parsed.tree]
    while stack:
        node = stack.pop()
        if type(node).__name__ == "ProjectOperatorContext":
            ends.append(node.stop.stop + 1)
        stack.extend(node.getChild(i) for i in range(node.getChildCount()) if hasattr(node, "getChildCount"))
    suffix = "".join(f", {name}" for name in names)
    for end in sorted(ends, reverse=True):
        text = text[:end] + suffix + text[end:]
    return text


def json_object_sql(columns: Sequence[KqlColumn]) -> str:
    """SQL for each row as the text of one JSON object: ``columns`` in order, values as a query returns them.

    Datetimes are ISO 8601 in UTC with ``Z`` (as :func:`format_datetime`), ``dynamic`` values are
    their JSON, nulls are ``null``; the object is built in SQL so that no row becomes Python objects.
    """
    fields = ", ".join(f"{_sql_string(c.name)}, {_json_value_sql(_quote(c.name), c.type)}" for c in columns)
    return f"CAST(json_object({fields}) AS VARCHAR)"


def _json_value_sql(value: str, kql_type: str) -> str:
    if kql_type == "datetime":
        # format_datetime in SQL: seconds, then the fraction without trailing zeros, then Z.
        return (
            f"strftime({value}, '%Y-%m-%dT%H:%M:%S') || rtrim(rtrim('.' || strftime({value}, '%f'), '0'), '.') || 'Z'"
        )
    if kql_type == "decimal":
        return f"CAST({value} AS DOUBLE)"
    if kql_type == "timespan" or kql_type.startswith("unknown:"):
        return f"CAST({value} AS VARCHAR)"
    return value


def run_query(con: duckdb.DuckDBPyConnection, text: str, *, now: dt.datetime | None = None) -> KqlResult:
    """Run KQL ``text`` on ``con`` and decode the result; raises :class:`EngineError`."""
    sql, params = translate(text, con, now=now)
    try:
        relation = con.sql(sql, params=params or None)
        if relation is None:
            return KqlResult((), [])
        columns = _columns(relation)
        raw = relation.fetchall()
    except duckdb.Error as exc:
        raise engine_error(exc) from exc
    decoders = [_decoder(c.type) for c in columns]
    rows = [tuple(dec(v) for dec, v in zip(decoders, row, strict=True)) for row in raw]
    return KqlResult(columns, rows)


def output_columns(
    con: duckdb.DuckDBPyConnection, text: str, *, now: dt.datetime | None = None
) -> tuple[KqlColumn, ...]:
    """The columns KQL ``text`` would return on ``con``, found without running it; raises :class:`EngineError`."""
    sql, params = translate(text, con, now=now)
    try:
        relation = con.sql(f"SELECT * FROM ({sql}) LIMIT 0", params=params or None)  # nosec B608 # sql is the translator's output; values are bound as params
        return _columns(relation) if relation is not None else ()
    except duckdb.BinderException as exc:
        error = engine_error(exc)
        raise (
            error if error.kind == "schema" else EngineError(f"the query cannot be bound: {exc}", kind="schema")
        ) from exc
    except duckdb.Error as exc:
        raise EngineError(f"the query failed while being prepared: {exc}", kind="runtime") from exc


def _columns(relation: duckdb.DuckDBPyRelation) -> tuple[KqlColumn, ...]:
    return tuple(KqlColumn(name, kql_type_of(str(t))) for name, t in zip(relation.columns, relation.types, strict=True))


def result_columns(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> tuple[KqlColumn, ...]:
    """The KQL-typed columns translated ``sql`` returns, without running it; raises :class:`EngineError`."""
    try:
        described = con.execute(f"DESCRIBE {sql}", dict(params) if params else None).fetchall()
    except duckdb.Error as exc:
        raise engine_error(exc) from exc
    return tuple(KqlColumn(str(row[0]), kql_type_of(str(row[1]))) for row in described)


def engine_error(exc: duckdb.Error) -> EngineError:
    """DuckDB's error running translated SQL, as an :class:`EngineError` in KQL terms."""
    if isinstance(exc, duckdb.BinderException):
        # The engine leaves unknown columns to DuckDB's binder.
        match = _UNKNOWN_COLUMN.search(str(exc))
        if match:
            message = f"unknown column '{match.group(1) or match.group(2)}' (not in the stream declaration, nor defined earlier)"
            return EngineError(message, kind="schema")
    return EngineError(f"the query failed while running: {exc}", kind="runtime")


def run_transform(
    transform: str,
    stream_columns: Sequence[KqlColumn],
    records: Iterable[Mapping[str, Any]],
    *,
    now: dt.datetime | None = None,
    colonless_offsets: str = "null",
) -> KqlResult:
    """Run a DCR transform over ``records`` shaped by the stream declaration, in a throw-away database."""
    con = connect(colonless_offsets=colonless_offsets)
    try:
        create_table(con, "source", stream_columns)
        insert_rows(con, "source", stream_columns, records)
        return run_query(con, transform, now=now)
    finally:
        con.close()


# --- helpers ----------------------------------------------------------------------------------------------


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 in UTC with ``Z``; fractional seconds only when present, trailing zeros trimmed."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def _decoder(kql_type: str) -> Any:
    if kql_type == "datetime":
        return _decode_datetime
    if kql_type == "dynamic":
        return _decode_json
    return _identity


def _identity(value: Any) -> Any:
    return value


def _decode_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value


def _decode_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_UNKNOWN_COLUMN = re.compile(
    r'Column "([^"]+)" (?:referenced that exists|not found)|column "?([^"\s]+)"? not found', re.I
)

_TRY_CAST = "TRY_CAST("
_TZ_SUFFIX = " AS TIMESTAMPTZ"


def _strict_datetimes(sql: str) -> str:
    """Wrap the operand of every ``TRY_CAST(x AS TIMESTAMPTZ)`` in ``kql_strict_datetime(x)``.

    That cast is how the engine implements ``todatetime()`` and datetime literals; see the module
    docstring for why a colon-less offset must not parse. The adapter test
    ``test_todatetime_rejects_offset_without_colon`` fails if the engine changes its SQL shape.
    """
    out: list[str] = []
    i = 0
    while True:
        start = sql.find(_TRY_CAST, i)
        if start < 0:
            out.append(sql[i:])
            return "".join(out)
        body_start = start + len(_TRY_CAST)
        end = _matching_paren(sql, body_start)
        body = sql[body_start:end]
        out.append(sql[i:body_start])
        if end > 0 and body.endswith(_TZ_SUFFIX):
            operand = _strict_datetimes(body[: -len(_TZ_SUFFIX)])
            out.append(f"kql_strict_datetime({operand}){_TZ_SUFFIX}")
        else:
            out.append(_strict_datetimes(body))
        i = end


_QUOTES = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def _matching_paren(sql: str, pos: int) -> int:
    """Index of the ``)`` closing the group that starts just before ``pos`` (string literals skipped)."""
    depth = 1
    i = pos
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"":
            match = _QUOTES.match(sql, i)
            i = match.end() if match else i + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(sql)
