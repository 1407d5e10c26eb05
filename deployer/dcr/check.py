"""Offline check of a DCR transform: the cases Azure refuses at deploy time, found before deploying.

``check_transform`` runs events through the transform with the project's KQL engine and reports, one
line each: constructs outside the DCR subset, output columns the table lacks or misses, type
mismatches (Azure's ``InvalidTransformOutput``), a missing or null ``TimeGenerated``, column names Azure
rejects, events Azure would refuse or truncate, and sample events whose rows differ from the rows
written down beside them.

The events never become Python objects: DuckDB reads them from their files (:mod:`.events`), shapes
them by the stream declaration, runs the transform over all of them at once and checks the rows in
SQL, rendering each row as JSON text. Only the problems (with the event's position and id), the
counts and, when asked for, the rows' JSON text come back to Python, so time and memory stay flat in
the number of events. Every input is bounded (:mod:`.bounds`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb

import kqlengine as kql
from deployer.dcr import bounds, guard
from deployer.dcr.events import NDJSON, EventFile, event_groups, events_sql, input_error, invalid_line_reasons
from deployer.dcr.spec import DcrSpec, Sample, TableSpec
from deployer.errors import InputError, KqlSyntaxError

__all__ = [
    "MAX_COLUMN_NAME_LENGTH",
    "MAX_LISTED_EVENTS",
    "MEMORY_LIMIT_MIB",
    "RESERVED_COLUMN_NAMES",
    "RowSink",
    "TransformCheck",
    "check_table",
    "check_transform",
    "output_schema_problems",
]

MAX_COLUMN_NAME_LENGTH = 45
#: The most memory the engine may take; a check that needs more stops (exit 2) rather than swap.
MEMORY_LIMIT_MIB = 1_024
MAX_COLUMNS = 500

#: Problems with single events listed per run; the rest are counted in one more line.
MAX_LISTED_EVENTS = 100

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

#: The hidden column numbering the events of a run; the transform carries it to its output rows.
_N = "_n"
_BATCH = 2_048
_NULL_TIME_GENERATED = "TimeGenerated is null (the record would be stored with its ingestion time or dropped)"

#: Receives the rows of a run as JSON texts (one object each), in order, a batch at a time.
RowSink = Callable[[Sequence[str]], None]


@dataclass
class TransformCheck:
    """The outcome: failures (empty when all is well), counts, and the rows when they were kept.

    ``rows`` holds the rows (in table column order) for the samples and for in-memory events; rows of
    event files go to a :data:`RowSink` instead, and only ``row_count`` counts them.
    """

    failures: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    samples: int = 0
    row_count: int = 0
    #: Problems with single events beyond those listed, and the failures lines that say how many.
    unlisted: int = 0
    unlisted_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.failures) - self.unlisted_lines + self.unlisted


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
    event_files: Sequence[EventFile] | None = None,
    transform_path: str | None = None,
    now: dt.datetime | None = None,
    row_sink: RowSink | None = None,
) -> TransformCheck:
    """Check ``spec.transform`` against ``spec.table`` with events, or with the samples when none are given.

    ``events`` are in-memory events, whose rows are kept in the result; ``event_files`` are read by
    DuckDB, and their rows go, as JSON text, to ``row_sink`` (when given) and are not kept.

    :raises KqlSyntaxError: the transform does not parse (a usage error, not a check failure).
    :raises InputError: an input is unreadable, malformed as a whole, or beyond a bound.
    """
    where = transform_path or "the transform"
    _check_transform_bounds(spec.transform, where)
    result = TransformCheck()
    with _Checker(spec, result, where) as checker:
        groups = event_groups(event_files) if event_files is not None else []
        for group in groups:
            checker.prefetch(group)  # DuckDB stages the events while Python parses and translates
        parsed = _within_recursion(kql.parse, spec.transform, where)
        if parsed.diagnostics:
            checker.settle()  # what is wrong with the events comes first, as when they were read first
            first = parsed.diagnostics[0]
            raise KqlSyntaxError(_short(first.message), line=first.line, column=first.column, path=transform_path)
        checker.parsed = parsed
        result.failures.extend(check_table(spec.table))
        violations = _within_recursion(lambda text: guard.check_transform_subset(text, tree=parsed.tree), "", where)
        result.failures.extend(f"transform: {v}" for v in violations)

        if event_files is not None:
            try:
                checker.translate(now)  # on this thread, while DuckDB still stages the events on the other
            finally:
                checker.settle()  # every file read before the first row goes out: bad input stops a run cleanly
            for group in groups:
                if not checker.run([_Segment("file", str(f.path), f) for f in group], now, sink=row_sink):
                    break
        elif events is not None:
            checker.run([checker.segment("list", "", events)], now, keep=True)
        else:
            result.samples = len(spec.samples)
            checker.run_samples(spec.samples)
    return result


def _check_transform_bounds(text: str, where: str) -> None:
    if len(text) > bounds.MAX_TRANSFORM_CHARS:
        raise InputError(
            f"{where}: {len(text):,} characters; Azure allows at most {bounds.MAX_TRANSFORM_CHARS:,} in a transformation",
            path=where,
            remedy="shorten the transform",
        )
    depth = bounds.kql_nesting(text)
    if depth > bounds.MAX_KQL_NESTING:
        raise InputError(
            f"{where}: brackets nest {depth} levels deep; dcr test checks transforms nested at most "
            f"{bounds.MAX_KQL_NESTING} deep",
            path=where,
            remedy="split deep expressions into several extend steps",
        )


_T = TypeVar("_T")


def _within_recursion(check: Callable[[str], _T], text: str, where: str) -> _T:
    try:
        return check(text)
    except RecursionError as exc:
        raise InputError(
            f"{where}: the transform chains or nests expressions too deeply for the KQL parser",
            path=where,
            remedy="split long expressions into several extend steps",
        ) from exc


def _short(message: str) -> str:
    # ANTLR lists every token it would have accepted; a hundred keywords help nobody.
    if "expecting {" in message and len(message) > 120:
        return message.split(" expecting {", 1)[0] + " (the text ends or breaks off where an expression is expected)"
    return message


# --- runs: events -> stream declaration -> transform -> checked rows ------------------------------------


@dataclass(frozen=True)
class _Segment:
    """The events of one file, sample or list; in a run they are numbered ``first`` .. ``first + count - 1``."""

    kind: str  # "file", "sample" or "list"
    name: str
    file: EventFile
    first: int = 1
    count: int = 0

    def event(self, n: int) -> str:
        """Where event ``n`` of the run is, for a message."""
        ordinal = n - self.first + 1
        if self.kind == "file":
            return f"{self.name}: event {ordinal:,}"
        if self.kind == "sample":
            return f"sample {self.name}: event {ordinal}"
        return f"event {ordinal}"

    def row(self, ordinal: int) -> str:
        """Where the ``ordinal``-th row made from this segment's events is, for a message."""
        if self.kind == "sample":
            return f"sample {self.name}: row {ordinal}"
        if self.kind == "file":
            return f"{self.name}: row {ordinal:,}"
        return f"row {ordinal}"


@dataclass(frozen=True)
class _Transform:
    sql: str
    params: dict[str, Any]
    columns: tuple[kql.KqlColumn, ...]  # the output columns, without the hidden one
    carried: bool  # whether each output row tells which event it came from


@dataclass(frozen=True)
class _Problem:
    n: int | None  # the event, when known
    ordinal: int  # the row among its segment's rows (or the run's, without n); 0 for an event refused as such
    message: str


class _Checker:
    """One DuckDB connection that stages, shapes, transforms and checks the events of each run.

    A run stages its events into a Parquet file first (numbered, refusals marked), one thread at a
    time so the order stays and memory stays low; the transform then reads the staged file with
    every thread, whatever the layout of the events (DuckDB reads a JSON array with one thread).
    """

    def __init__(self, spec: DcrSpec, result: TransformCheck, where: str) -> None:
        self.spec = spec
        self.parsed = kql.ParsedKql(spec.transform, None, ())  # set once the transform is parsed
        self.result = result
        self.where = where
        self._tmp = tempfile.TemporaryDirectory(prefix="dcr-test-")
        self._files = 0
        self._copies: dict[tuple[str, ...], Future[Path]] = {}
        self._copying: duckdb.DuckDBPyConnection | None = None  # the worker's cursor while it stages
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dcr-test-stage")
        self.con = kql.connect()
        # Bounded memory (a query past it fails instead of swapping); freed memory goes back to the
        # system; no progress bar on stdout.
        for setting in (
            f"memory_limit = '{MEMORY_LIMIT_MIB}MiB'",
            "allocator_flush_threshold = '16MB'",
            "allocator_background_threads = true",
            "enable_progress_bar = false",
            f"temp_directory = {_sql_string(self._tmp.name)}",
        ):
            self.con.execute(f"SET {setting}")
        self._threads = self.con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
        self._transforms: dict[dt.datetime | None, _Transform | None] = {}
        self._schema_checked = False

    def __enter__(self) -> _Checker:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None:
            # An error or Ctrl-C: what is still running is of no use any more.
            self.con.interrupt()
            if self._copying is not None:
                self._copying.interrupt()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.con.close()
        self._tmp.cleanup()

    def segment(self, kind: str, name: str, events: Sequence[Any]) -> _Segment:
        """In-memory events as an NDJSON file, so they take the same path through the engine as files."""
        self._files += 1
        path = Path(self._tmp.name) / f"{kind}-{self._files}.ndjson"
        with path.open("w", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(event, ensure_ascii=False, default=str))
                handle.write("\n")
        return _Segment(kind, name, EventFile(path, NDJSON))

    def run_samples(self, samples: Sequence[Sample]) -> None:
        by_now: dict[dt.datetime, list[Sample]] = {}
        for sample in samples:
            by_now.setdefault(sample.now, []).append(sample)
        for now, group in by_now.items():
            segments = [self.segment("sample", s.name, s.events) for s in group]
            rows: dict[int, list[dict[str, Any]]] = {}
            found: dict[int, list[str]] = {}
            ran = self.run(segments, now, keep=True, rows_by_segment=rows, problems_by_segment=found)
            for i, sample in enumerate(group):
                self.result.failures.extend(found.get(i, []))
                if ran:
                    self.result.failures.extend(_sample_problems(sample, rows.get(i, [])))
            if not ran:
                return

    def run(
        self,
        segments: list[_Segment],
        now: dt.datetime | None,
        *,
        sink: RowSink | None = None,
        keep: bool = False,
        rows_by_segment: dict[int, list[dict[str, Any]]] | None = None,
        problems_by_segment: dict[int, list[str]] | None = None,
    ) -> bool:
        """Check the events of ``segments`` (files of one layout); False when the transform cannot run at all.

        Rows go to ``sink`` and, when ``keep``, to the result (and ``rows_by_segment``); problems to the
        result's failures, or to ``problems_by_segment``.
        """
        transform = self._transform(now)
        if transform is not None and not transform.carried and len(segments) > 1 and rows_by_segment is not None:
            # Rows cannot be told apart by sample: run each alone.
            for index, segment in enumerate(segments):
                rows: dict[int, list[dict[str, Any]]] = {}
                found: dict[int, list[str]] = {}
                ran = self.run([segment], now, keep=keep, rows_by_segment=rows, problems_by_segment=found)
                rows_by_segment[index] = rows.get(0, [])
                if problems_by_segment is not None:
                    problems_by_segment[index] = found.get(0, [])
                if not ran:
                    return False
            return True
        # Staged even when the transform cannot run: what is wrong with the events is still news.
        segments, problems, refused = self._stage(segments)
        if transform is None:
            self._report(self._located(problems, segments, refused), problems_by_segment)
            return False
        # Rows streamed to Python: DuckDB keeps them in order, so rows its threads make ahead of a slower
        # reader wait in memory, more the more events. One thread keeps pace with the reader on the other core.
        streaming = sink is not None
        if streaming:
            self.con.execute("SET threads = 1")
        try:
            cursor = self._execute(
                _checked_rows_sql(transform, self.spec.table, keep or sink is not None), transform.params
            )
            if cursor is None:
                return False
            problems, row_problems = self._checked(
                cursor, segments, problems, sink=sink, keep=keep, rows_by_segment=rows_by_segment
            )
        finally:
            if streaming:
                self.con.execute(f"SET threads = {self._threads}")
        self._report(self._located(problems, segments, refused + row_problems), problems_by_segment)
        return True

    def _checked(
        self,
        cursor: duckdb.DuckDBPyConnection,
        segments: list[_Segment],
        problems: list[_Problem],
        *,
        sink: RowSink | None,
        keep: bool,
        rows_by_segment: dict[int, list[dict[str, Any]]] | None,
    ) -> tuple[list[_Problem], int]:
        """Read the checked rows: to ``sink``, to the result when ``keep``; the problems found, and how many."""
        first_ns = [s.first for s in segments]
        produced = [0] * len(segments)  # rows so far, by segment (counted when needed: problems, kept rows)
        row_problems = 0
        while batch := _fetched(cursor):
            if sink is not None:
                sink([row[1] for row in batch])
            if keep:
                for n, text, problem in batch:
                    index = bisect.bisect_right(first_ns, n) - 1 if n is not None else 0
                    produced[index] += 1
                    row = json.loads(text)
                    self.result.rows.append(row)
                    if rows_by_segment is not None:
                        rows_by_segment.setdefault(index, []).append(row)
                    if problem is not None:
                        row_problems += 1
                        problems.append(_Problem(n, produced[index], _row_problem(problem)))
            else:
                for offset, (n, _, problem) in enumerate(batch):
                    if problem is not None:
                        row_problems += 1
                        if len(problems) < 2 * MAX_LISTED_EVENTS:
                            ordinal = self.result.row_count + offset + 1
                            problems.append(_Problem(n, ordinal, _row_problem(problem)))
            self.result.row_count += len(batch)
        return problems, row_problems

    def _report(self, messages: list[tuple[int, str]], by_segment: dict[int, list[str]] | None) -> None:
        for index, message in messages:
            if by_segment is None:
                self.result.failures.append(message)
            else:
                by_segment.setdefault(index, []).append(message)

    # --- staging ------------------------------------------------------------------------------------------

    def prefetch(self, files: Sequence[EventFile]) -> None:
        """Start staging ``files`` (one layout) in the background, unless that has begun already."""
        key = tuple(str(f.path) for f in files)
        if key not in self._copies:
            self._files += 1
            staged = Path(self._tmp.name) / f"events-{self._files}.parquet"
            self._copies[key] = self._worker.submit(self._copy, list(files), staged)

    def settle(self) -> None:
        """Wait for the staging under way; raise what went wrong with it."""
        for copy in self._copies.values():
            copy.result()

    def _copy(self, files: list[EventFile], staged: Path) -> Path:
        """Read, number and classify the events of ``files`` into the Parquet file ``staged``.

        One thread reads, so the rows keep their order and memory stays low; DuckDB reads a JSON
        array with one thread anyway. Runs in the worker thread, on its own cursor.
        """
        cursor = self._copying = self.con.cursor()
        try:
            cursor.execute("SET threads = 1")
            cursor.execute(
                f"COPY ({events_sql(files)}) TO {_sql_string(str(staged))} (FORMAT parquet, ROW_GROUP_SIZE {_ROW_GROUP})"
            )
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory() from exc
        except duckdb.Error as exc:
            raise input_error(str(exc), files) or InputError(
                f"cannot read the events: {str(exc).splitlines()[0]}"
            ) from exc
        finally:
            self._copying = None
            cursor.execute(f"SET threads = {self._threads}")
            cursor.close()
        return staged

    def _stage(self, segments: list[_Segment]) -> tuple[list[_Segment], list[_Problem], int]:
        """Stage the events; count them (per file), number the segments, and list the events Azure refuses.

        Returns the numbered segments, the refused events (the first ones) and how many were refused.
        """
        files = [s.file for s in segments]
        self.prefetch(files)
        staged = self._copies.pop(tuple(str(f.path) for f in files)).result()
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW _events AS SELECT * FROM read_parquet({_sql_string(str(staged))})"  # nosec B608 # the path is a quoted SQL string literal of our own staged file
        )
        good = "(SELECT _n, _event FROM _events WHERE _bad IS NULL)"
        shaped = kql.shape_records_sql(self.spec.stream.columns, good, record="_event", keep=[_N])
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW source AS {shaped}")

        counts = {
            str(path): (int(count), int(bad))
            for path, count, bad in self.con.execute(
                "SELECT _file, count(*), count(_bad) FROM _events GROUP BY _file"
            ).fetchall()
        }
        total = sum(count for count, _ in counts.values())
        if total > bounds.MAX_EVENTS:
            raise InputError(
                f"{segments[0].name or 'the events'}: more than {bounds.MAX_EVENTS:,} events; dcr test checks at most "
                "that many in one run",
                remedy="check the events in parts",
            )
        self.result.events += total
        numbered, first = [], 1  # DuckDB reads the files in the order given
        for segment in segments:
            count = counts.get(str(segment.file.path), (0, 0))[0]
            numbered.append(_Segment(segment.kind, segment.name, segment.file, first, count))
            first += count
        refused = sum(bad for _, bad in counts.values())
        problems = []
        if refused:
            rows = self.con.execute(
                f"SELECT _n, _bad FROM _events WHERE _bad IS NOT NULL ORDER BY _n LIMIT {MAX_LISTED_EVENTS}"  # nosec B608 # the limit is our own integer constant
            ).fetchall()
            problems = [_Problem(int(n), 0, _refusal(str(kind))) for n, kind in rows]
        return numbered, problems, refused

    # --- the transform --------------------------------------------------------------------------------

    def translate(self, now: dt.datetime | None) -> None:
        """Translate the transform for ``now`` ahead of the first run (its problems go to the result)."""
        self._transform(now)

    def _transform(self, now: dt.datetime | None) -> _Transform | None:
        """The transform translated (once per ``now``) with the events' numbers carried; None if it cannot run."""
        if now not in self._transforms:
            self._transforms[now] = self._translate(now)
        return self._transforms[now]

    def _translate(self, now: dt.datetime | None) -> _Transform | None:
        # Translation needs the columns of `source` (the stream's, and the events' numbers).
        self.con.execute("DROP VIEW IF EXISTS source")
        kql.create_table(self.con, "source", [kql.KqlColumn(_N, "long"), *self.spec.stream.columns], temporary=True)
        text = self.spec.transform
        carrying = kql.carry_columns(self.parsed, [_N])
        try:
            try:
                sql, params = self._translated(carrying, now)
                columns = kql.result_columns(self.con, sql, params)
            except kql.EngineError as exc:
                if exc.kind == "limit" or carrying == text:
                    raise
                sql, params = self._translated(text, now)
                columns = kql.result_columns(self.con, sql, params)
        except kql.EngineError as exc:
            if exc.kind == "limit":
                raise InputError(f"{self.where}: {exc}", path=self.where, remedy=_SIMPLER) from exc
            self.result.failures.append(f"transform: cannot run: {exc}")
            return None
        finally:
            self.con.execute("DROP TABLE IF EXISTS temp.source")
        visible = tuple(c for c in columns if c.name != _N)
        if not self._schema_checked:
            table_types = {c.name: c.type for c in self.spec.table.columns}
            self.result.failures.extend(output_schema_problems(visible, table_types, self.spec.table.name))
            self._schema_checked = True
        return _Transform(sql, params, visible, carried=len(visible) < len(columns))

    def _translated(self, text: str, now: dt.datetime | None) -> tuple[str, dict[str, Any]]:
        try:
            with bounds.time_budget(bounds.TRANSLATE_SECONDS):
                return kql.translate(text, self.con, now=now, max_sql_chars=bounds.MAX_SQL_CHARS)
        except bounds.OverBudget as exc:
            raise InputError(
                f"{self.where}: translating the transform took {exc}; dcr test allows {bounds.TRANSLATE_SECONDS:g} s",
                path=self.where,
                remedy=_SIMPLER,
            ) from exc

    def _execute(self, sql: str, params: Mapping[str, Any]) -> duckdb.DuckDBPyConnection | None:
        try:
            return _interruptible(self.con.execute, sql, dict(params) or None)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory() from exc
        except duckdb.Error as exc:
            self.result.failures.append(f"transform: cannot run: {kql.engine_error(exc)}")
            return None

    # --- problems -------------------------------------------------------------------------------------

    def _located(self, problems: list[_Problem], segments: Sequence[_Segment], total: int) -> list[tuple[int, str]]:
        """Messages for the first :data:`MAX_LISTED_EVENTS` problems, in event order, each with the index of
        its segment; one more message counts the rest."""
        if not problems:
            return []
        problems.sort(key=lambda p: (p.n is None, p.n or 0, p.ordinal))
        listed = problems[:MAX_LISTED_EVENTS]
        first_ns = [s.first for s in segments]

        def index_of(problem: _Problem) -> int:
            return max(bisect.bisect_right(first_ns, problem.n) - 1, 0) if problem.n is not None else 0

        def segment_of(problem: _Problem) -> _Segment:
            return segments[index_of(problem)]

        ids = self._event_ids([p.n for p in listed if p.n is not None and segment_of(p).kind == "file"])
        lines = self._invalid_lines([p for p in listed if p.message == _INVALID], segment_of)
        messages = []
        for problem in listed:
            segment = segment_of(problem)
            if problem.n is not None and (problem.ordinal == 0 or segment.kind == "file"):
                where = segment.event(problem.n)
            else:
                where = segment.row(problem.ordinal)
            if problem.n in lines:
                line, reason = lines[problem.n]
                messages.append((index_of(problem), f"{where} (line {line:,}): not valid JSON: {reason}"))
                continue
            if ids.get(problem.n) is not None:
                where += f" (id {_show(ids[problem.n])})"
            messages.append((index_of(problem), f"{where}: {problem.message}"))
        if total > len(listed):
            self.result.unlisted += total - len(listed)
            self.result.unlisted_lines += 1
            more = f"... and {total - len(listed):,} more problem(s) with single events (the first {len(listed)} are listed)"
            messages.append((messages[-1][0], more))
        return messages

    def _event_ids(self, ns: Sequence[int | None]) -> dict[int | None, Any]:
        if not ns:
            return {}
        rows = self.con.execute(
            "SELECT _n, json_extract_string(_event, '$.id') FROM _events WHERE _n IN (SELECT unnest(?))", [list(ns)]
        ).fetchall()
        return {int(n): event_id for n, event_id in rows}

    @staticmethod
    def _invalid_lines(
        problems: Sequence[_Problem], segment_of: Callable[[_Problem], _Segment]
    ) -> dict[int | None, tuple[int, str]]:
        """Line and Python's reason for events that are not JSON (NDJSON files only)."""
        by_segment: dict[_Segment, list[int]] = {}
        for problem in problems:
            if problem.n is not None:
                by_segment.setdefault(segment_of(problem), []).append(problem.n)
        found: dict[int | None, tuple[int, str]] = {}
        for segment, ns in by_segment.items():
            reasons = invalid_line_reasons(segment.file, [n - segment.first + 1 for n in ns])
            found.update({n: reasons[n - segment.first + 1] for n in ns if n - segment.first + 1 in reasons})
        return found


def _fetched(cursor: duckdb.DuckDBPyConnection) -> list[Any]:
    """The next batch of a query's rows (empty at the end)."""
    try:
        return _interruptible(cursor.fetchmany, _BATCH)
    except duckdb.OutOfMemoryException as exc:
        raise _out_of_memory() from exc


def _out_of_memory() -> InputError:
    return InputError(
        f"the events need more than the {MEMORY_LIMIT_MIB:,} MiB of memory dcr test gives its engine "
        "(events near the 1 MiB a Logs Ingestion call carries take the most)",
        remedy="check the largest events in smaller files",
    )


def _interruptible(call: Callable[..., _T], *args: Any) -> _T:
    """``call(*args)``, with DuckDB's answer to Ctrl-C ("Query interrupted") turned back into Ctrl-C."""
    try:
        return call(*args)
    except RuntimeError as exc:
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from exc
        raise


_ROW_GROUP = 4_096  # rows per Parquet row group: each is one task for a thread
_SIMPLER = (
    "simplify the transform: nested conversions such as tostring(tostring(x)) multiply the SQL it becomes; "
    "compute a value once with extend and reuse the column"
)
_INVALID = "not valid JSON"
_NULL_MARK = "="  # in the problem column: TimeGenerated is null (a column name cannot start with it)


def _refusal(kind: str) -> str:
    if kind == "invalid":
        return _INVALID
    if kind == "too large":
        return (
            f"larger than {bounds.MAX_CALL_BYTES:,} bytes, the most one Logs Ingestion call carries; "
            "Azure can never accept it"
        )
    noun = {"bigint": "a number", "ubigint": "a number", "double": "a number", "varchar": "a string"}.get(
        kind, "an array" if kind == "array" else kind
    )
    return f"{noun}, not a JSON object (Azure refuses the whole call)"


def _row_problem(problem: str) -> str:
    if problem == _NULL_MARK:
        return _NULL_TIME_GENERATED
    return f"{problem} is longer than 64 KB ({bounds.MAX_FIELD_BYTES:,} bytes); Azure truncates longer field values"


def _checked_rows_sql(transform: _Transform, table: TableSpec, want_rows: bool) -> str:
    """Per output row: the event's number, the row as JSON text, and its problem (null when it has none).

    The problem is ``=`` for a null ``TimeGenerated``, else the name of a column whose value Azure truncates.
    """
    produced = {c.name: c for c in transform.columns}
    in_table = set(table.column_names)
    ordered = [produced[c.name] for c in table.columns if c.name in produced]
    ordered += [c for c in transform.columns if c.name not in in_table]
    row = kql.json_object_sql(ordered) if want_rows else "NULL"
    checks = [f"WHEN \"TimeGenerated\" IS NULL THEN '{_NULL_MARK}'"] if "TimeGenerated" in produced else []
    checks += [
        f"WHEN strlen(CAST({_quote(c.name)} AS VARCHAR)) > {bounds.MAX_FIELD_BYTES} THEN {_sql_string(c.name)}"
        for c in ordered
        if c.type in ("string", "dynamic", "guid")
    ]
    problem = f"CASE {' '.join(checks)} END" if checks else "NULL"
    n = _N if transform.carried else "NULL"
    return f"SELECT {n}, {row}, {problem} FROM ({transform.sql}) AS _out"  # nosec B608 # the transform's SQL is translated from KQL by kqlengine, the rest is our own


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
