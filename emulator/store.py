"""The local cloud's one embedded database: a DuckDB file in the state directory.

Everything that must survive a restart lives here: JSON documents (ARM resources, Entra principals,
the seeded identity, the clock), DCR metric events, and the Log Analytics tables themselves (one
schema per workspace, see :mod:`emulator.logstore`). Records accepted by the Logs Ingestion API but
not yet transformed wait in :data:`STAGED`, in memory: writing them to the file as well halved
ingestion throughput, and a clean stop processes them before closing.

The database is sandboxed: DuckDB may read and write no file but its own and those in
:attr:`Store.scratch_dir` (where request bodies are handed to its JSON reader), and the setting
cannot be changed back, so no SQL that reaches it (a query's translation included) can read
``/proc/self/environ`` or any other file, or attach another database.

DuckDB connections are not shared between threads: each thread gets its own cursor on the one database
(:meth:`Store.cursor`). Every statement that writes the database file (documents, log rows, table shapes,
metric events) runs under :attr:`Store.write_lock`, one at a time: two commits to the file never race
inside DuckDB. Reads run concurrently and fetch their whole (small) result at once, so no half-read
result keeps a thread's transaction open while that thread goes on to wait for a lock.

Lock order, everywhere (a thread holding one of these takes only those after it):
``Pipeline`` drain lock → ``Cloud.schema_lock`` → :attr:`Store.write_lock` → the cursor list's lock.
``tests/emulator/test_lock_order.py`` checks it under load.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

import kqlengine as kql

__all__ = ["STAGED", "Store", "quote_identifier", "quote_literal"]

#: Records accepted by the Logs Ingestion API, not yet transformed. Not in a ``main`` schema, so a KQL
#: ``database("staging").staged`` (which means ``staging.main.staged``) finds nothing.
STAGED = "staging.emu.staged"

_SCHEMA = f"""
CREATE SCHEMA IF NOT EXISTS emu;
CREATE TABLE IF NOT EXISTS emu.documents (collection VARCHAR, key VARCHAR, body JSON, PRIMARY KEY (collection, key));
CREATE TABLE IF NOT EXISTS emu.metric_events (
    resource VARCHAR, ts TIMESTAMP, metric VARCHAR, stream VARCHAR, dimension VARCHAR, value DOUBLE
);
ATTACH IF NOT EXISTS ':memory:' AS staging;
CREATE SCHEMA IF NOT EXISTS staging.emu;
CREATE TABLE IF NOT EXISTS {STAGED} (
    seq BIGINT, rule VARCHAR, stream VARCHAR, received TIMESTAMP, rec JSON
);
"""


def _prepare(con: duckdb.DuckDBPyConnection, colonless_offsets: str = "null") -> None:
    kql.prepare(con, colonless_offsets=colonless_offsets)
    # No progress bar: DuckDB prints it to stdout, where `serve` writes only its ready line. (Set once:
    # cursors share the setting, and the sandbox locks the configuration.)
    row = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    if row and row[0]:
        con.execute("SET enable_progress_bar = false")


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a quoted SQL string literal (for DDL, where parameters cannot be bound)."""
    return "'" + text.replace("'", "''") + "'"


def _sandbox(con: duckdb.DuckDBPyConnection, scratch_dir: Path) -> None:
    """No file access but the database's own and ``scratch_dir``'s, locked so no statement can undo it."""
    con.execute("SET allowed_directories = ?", [[str(scratch_dir) + os.sep]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


class Store:
    """The DuckDB database at ``path``: documents, metric events, staged records and log tables."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Where files handed to DuckDB's readers go (the only directory it may read besides its own files).
        self.scratch_dir = path.parent / "scratch"
        self.scratch_dir.mkdir(mode=0o700, exist_ok=True)
        self._con = duckdb.connect(str(path))
        _prepare(self._con)
        for statement in _SCHEMA.strip().split(";"):
            if statement.strip():
                self._con.execute(statement)
        _sandbox(self._con, self.scratch_dir)
        row = self._con.execute("SELECT current_database()").fetchone()
        #: The catalog name of the database file, for fully qualified names from other catalogs.
        self.catalog: str = str(row[0]) if row else "main"
        #: Held by every statement that writes the database file (see the module docstring for the lock order).
        self.write_lock = threading.RLock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._closed = False
        #: How translated KQL reads colon-less ``+hhmm`` offsets (quirk ``todatetime_colonless_offset``).
        self._colonless_offsets = "null"
        self._offsets_version = 0

    # --- connections --------------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the database (prepared for translated KQL)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._new_cursor()
            self._local.cursor = cur
            self._local.offsets_version = self._offsets_version
        elif self._local.offsets_version != self._offsets_version:
            # Switched by another thread: each thread re-prepares its own cursor, never another's.
            _prepare(cur, self._colonless_offsets)
            self._local.offsets_version = self._offsets_version
        return cur

    def set_colonless_offsets(self, mode: str) -> None:
        """Switch how translated KQL reads a colon-less ``+hhmm`` offset (``null`` or ``parsed``)."""
        if mode not in kql.COLONLESS_OFFSETS:
            raise ValueError(f"unknown offset mode {mode!r}")
        self._colonless_offsets = mode
        self._offsets_version += 1

    @contextmanager
    def private_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for work that changes connection state (``USE``, variables), closed afterwards."""
        cur = self._new_cursor()
        try:
            yield cur
        finally:
            self._forget(cur)

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        # Made under the list's lock, so close() never closes the connection while a cursor is being made
        # from it (DuckDB refuses that call, and the thread making the cursor would be left with nothing).
        with self._cursors_lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            cur = self._con.cursor()
            self._cursors.append(cur)
        _prepare(cur, self._colonless_offsets)
        return cur

    def _forget(self, cur: duckdb.DuckDBPyConnection) -> None:
        with self._cursors_lock:
            if cur in self._cursors:
                self._cursors.remove(cur)
        cur.close()

    def close(self) -> None:
        """Checkpoint and close the database; every cursor becomes unusable."""
        with self.write_lock, self._cursors_lock:
            if self._closed:
                return
            self._closed = True
            cursors, self._cursors = self._cursors, []
            for cur in cursors:
                cur.close()
            self._con.execute("CHECKPOINT")
            self._con.close()

    # --- documents ----------------------------------------------------------------------------------

    def documents(self, collection: str) -> dict[str, Any]:
        """Every document of ``collection``, by key."""
        rows = (
            self.cursor()
            .execute("SELECT key, body FROM emu.documents WHERE collection = ? ORDER BY key", [collection])
            .fetchall()
        )
        return {key: json.loads(body) for key, body in rows}

    def document(self, collection: str, key: str) -> Any | None:
        rows = (
            self.cursor()
            .execute("SELECT body FROM emu.documents WHERE collection = ? AND key = ?", [collection, key])
            .fetchall()
        )
        return json.loads(rows[0][0]) if rows else None

    def put_document(self, collection: str, key: str, body: Any) -> None:
        with self.write_lock:
            self.cursor().execute(
                "INSERT OR REPLACE INTO emu.documents VALUES (?, ?, ?)", [collection, key, json.dumps(body)]
            )

    def delete_document(self, collection: str, key: str) -> None:
        with self.write_lock:
            self.cursor().execute("DELETE FROM emu.documents WHERE collection = ? AND key = ?", [collection, key])

    def clear_documents(self, collection: str) -> None:
        with self.write_lock:
            self.cursor().execute("DELETE FROM emu.documents WHERE collection = ?", [collection])
