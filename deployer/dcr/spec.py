"""Loader for the ``dcr/`` source of truth: table, stream, transform, connector templates and samples.

Terraform reads the same files (``jsondecode(file(...))``, ``file(...)``, ``templatefile(...)``); this
module is the only Python reader, so the two engines cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.dcr import bounds
from deployer.errors import InputError
from deployer.shipped import shipped_dir
from kqlengine import KqlColumn, normalize_kql_type

__all__ = [
    "DEFAULT_DCR_DIR",
    "STREAM_COLUMN_TYPES",
    "TABLE_COLUMN_TYPES",
    "DcrSpec",
    "Sample",
    "StreamSpec",
    "TableColumn",
    "TableSpec",
    "load_samples",
    "load_spec",
    "load_stream",
    "load_table",
    "load_transform",
    "read_bounded",
    "read_json",
]


#: ``dcr/`` at the repository root (or its copy inside an installed wheel).
DEFAULT_DCR_DIR = shipped_dir("dcr")

#: The column types Azure accepts, as its specs spell them: a table's (Tables API ``Column.type``) and a
#: DCR stream declaration's (``ColumnDefinition.type``). Azure answers ``dateTime`` for table columns, so
#: types compare case-insensitively; no other spelling (``bool``, ``double``) and no other type is taken.
TABLE_COLUMN_TYPES = ("string", "int", "long", "real", "boolean", "dateTime", "guid", "dynamic")
STREAM_COLUMN_TYPES = ("string", "int", "long", "real", "boolean", "datetime", "dynamic")

#: Pinned ``now()`` for samples, so rows that fall back to ingestion time are reproducible.
DEFAULT_SAMPLE_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TableColumn:
    """A table column: name, canonical KQL type and description."""

    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """The Log Analytics custom table."""

    name: str
    description: str
    columns: tuple[TableColumn, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class StreamSpec:
    """The DCR stream declaration (the shape records have when they arrive)."""

    name: str
    columns: tuple[KqlColumn, ...]


@dataclass(frozen=True)
class Sample:
    """Miro events and the exact rows the transform must produce from them."""

    name: str
    description: str
    events: tuple[Mapping[str, Any], ...]
    rows: tuple[Mapping[str, Any], ...]
    now: dt.datetime


@dataclass(frozen=True)
class DcrSpec:
    """Everything in ``dcr/``, loaded and checked for shape."""

    root: Path
    table: TableSpec
    stream: StreamSpec
    transform: str
    samples: tuple[Sample, ...]

    @property
    def output_stream(self) -> str:
        return f"Custom-{self.table.name}"

    def template(self, name: str) -> str:
        """Text of ``dcr/connector/<name>`` (``${...}`` placeholders unrendered)."""
        return read_bounded(self.root / "connector" / name, bounds.MAX_DEFINITION_BYTES, what="a template")


def read_bounded(path: Path, limit: int, *, what: str, too_large: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes; else :class:`InputError`.

    ``too_large`` is the message for a longer file (by default, one naming ``limit`` and ``what``).
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            # Opening a pipe would wait for a writer; a device may never end.
            raise InputError(f"{path} is not a regular file (a pipe, device or socket)", path=str(path))
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from exc
    if len(data) > limit:
        raise InputError(
            too_large or f"{path}: larger than {limit:,} bytes, the most dcr test reads for {what}", path=str(path)
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", path=str(path)) from exc


def read_json(path: Path) -> Any:
    """Parse a JSON file; unreadable files and invalid JSON raise :class:`InputError` naming the place."""
    text = read_bounded(path, bounds.MAX_DEFINITION_BYTES, what="a definition file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            path=str(path),
            remedy="fix the JSON at the line and column shown",
        ) from exc
    except RecursionError as exc:
        raise InputError(f"{path}: JSON nested too deeply to read", path=str(path)) from exc


def _columns(raw: Any, path: Path, *, what: str, types: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), list) or not raw["columns"]:
        raise InputError(f"{path}: expected an object with a non-empty 'columns' list ({what})", path=str(path))
    accepted = {t.lower() for t in types}
    cols: list[dict[str, Any]] = []
    for i, col in enumerate(raw["columns"]):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str) or not isinstance(col.get("type"), str):
            raise InputError(f"{path}: columns[{i}] needs a string 'name' and 'type'", path=str(path))
        if col["type"].lower() not in accepted:
            raise InputError(
                f"{path}: columns[{i}] ({col['name']}): {col['type']!r} is not a {what} column type Azure accepts "
                f"({', '.join(types)})",
                path=str(path),
            )
        cols.append({**col, "type": normalize_kql_type(col["type"])})
    return cols


def load_table(path: Path) -> TableSpec:
    """Load a table definition (``dcr/table.json`` shape)."""
    raw = read_json(path)
    cols = _columns(raw, path, what="table", types=TABLE_COLUMN_TYPES)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{path}: 'name' must be the table name", path=str(path))
    return TableSpec(
        name=name,
        description=str(raw.get("description", "")),
        columns=tuple(TableColumn(c["name"], c["type"], str(c.get("description", ""))) for c in cols),
    )


def load_stream(path: Path) -> StreamSpec:
    """Load a stream declaration (``dcr/stream.json`` shape)."""
    raw = read_json(path)
    cols = _columns(raw, path, what="stream", types=STREAM_COLUMN_TYPES)
    name = raw.get("name")
    if not isinstance(name, str) or not name.startswith("Custom-"):
        raise InputError(f"{path}: 'name' must be a custom stream name starting with 'Custom-'", path=str(path))
    return StreamSpec(name=name, columns=tuple(KqlColumn(c["name"], c["type"]) for c in cols))


def load_transform(path: Path) -> str:
    """Read a KQL transform; trailing whitespace is dropped so both engines send identical text.

    At most :data:`~deployer.dcr.bounds.MAX_TRANSFORM_CHARS` characters, Azure's limit.
    """
    limit = f"Azure allows at most {bounds.MAX_TRANSFORM_CHARS:,} in a transformation"
    # UTF-8 takes at most 4 bytes a character: a longer file is over the limit whatever it holds.
    text = read_bounded(
        path,
        4 * bounds.MAX_TRANSFORM_CHARS,
        what="a transform",
        too_large=f"{path}: more than {bounds.MAX_TRANSFORM_CHARS:,} characters; {limit}",
    ).rstrip()
    if len(text) > bounds.MAX_TRANSFORM_CHARS:
        raise InputError(f"{path}: {len(text):,} characters; {limit}", path=str(path), remedy="shorten the transform")
    return text


def _parse_now(value: Any, path: Path) -> dt.datetime:
    if value is None:
        return DEFAULT_SAMPLE_NOW
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{path}: 'now' must be an ISO 8601 datetime", path=str(path)) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def load_samples(directory: Path) -> tuple[Sample, ...]:
    """Every ``*.json`` sample in ``directory``, sorted by file name."""
    samples = []
    for path in sorted(directory.glob("*.json")):
        raw = read_json(path)
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("events"), list)
            or not isinstance(raw.get("rows"), list)
        ):
            raise InputError(f"{path}: a sample needs 'events' and 'rows' lists", path=str(path))
        samples.append(
            Sample(
                name=path.stem,
                description=str(raw.get("description", "")),
                events=tuple(raw["events"]),
                rows=tuple(raw["rows"]),
                now=_parse_now(raw.get("now"), path),
            )
        )
    return tuple(samples)


def load_spec(root: Path | None = None, *, table: Path | None = None, transform: Path | None = None) -> DcrSpec:
    """Load ``dcr/`` (or ``root``), optionally with another table file or transform file."""
    base = root or DEFAULT_DCR_DIR
    return DcrSpec(
        root=base,
        table=load_table(table or base / "table.json"),
        stream=load_stream(base / "stream.json"),
        transform=load_transform(transform or base / "transform.kql"),
        samples=load_samples(base / "samples"),
    )
