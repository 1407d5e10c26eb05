"""The events ``dcr test`` reads: which files, in which JSON layout, as one SQL relation.

``--events`` names a file, a directory (its ``*.json``, ``*.ndjson`` and ``*.jsonl`` files, each
possibly gzipped as ``*.gz``) or a glob. A file holds a JSON array of events, events one per line
(NDJSON), or Miro pages (objects with a ``data`` array of events), one per line or pretty-printed.

The events are never Python objects: :func:`events_sql` hands the files to DuckDB's JSON reader,
which numbers the events and marks the ones Azure would refuse (not JSON, not an object, larger than
one Logs Ingestion call). Everything here is bounded (:mod:`deployer.dcr.bounds`); what is wrong with
the files themselves is an :class:`~deployer.errors.InputError` naming the file and the place.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, cast

from deployer.dcr import bounds
from deployer.errors import InputError

__all__ = [
    "ARRAY",
    "NDJSON",
    "PRETTY",
    "EventFile",
    "event_groups",
    "events_sql",
    "find_event_files",
    "input_error",
    "invalid_line_reasons",
]

#: Layouts of an events file, named as DuckDB's ``read_json_objects`` ``format`` calls them.
ARRAY = "array"
NDJSON = "newline_delimited"
PRETTY = "unstructured"

_SUFFIXES = (".json", ".ndjson", ".jsonl")
_GLOB_CHARS = re.compile(r"[*?\[]")
_BLANK = re.compile(r"[ \t\n\r]*")
_WHITESPACE = b" \t\r\n"
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class EventFile:
    """One file of events: its path, JSON layout and whether it is gzipped."""

    path: Path
    layout: str
    gzipped: bool = False


def find_event_files(spec: str | Path) -> list[EventFile]:
    """The files ``--events`` names, in name order, each checked and its layout recognised.

    :raises InputError: nothing matches, a file is unreadable, empty, not a regular file, not JSON,
        or the input exceeds a bound.
    """
    paths = _paths(str(spec))
    total = 0
    files = []
    for path in paths:
        try:
            info = path.stat()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from exc
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"{path} is not a regular file (a pipe, device or socket); dcr test reads files of a known size",
                path=str(path),
                remedy="save the events to a file first",
            )
        total += info.st_size
        if total > bounds.MAX_INPUT_BYTES:
            raise InputError(
                f"{spec}: more than {bounds.MAX_INPUT_BYTES // 2**30} GiB of events; dcr test reads at most that in one run",
                path=str(spec),
                remedy="check the events in parts",
            )
        files.append(_recognise(path))
    return files


def _paths(spec: str) -> list[Path]:
    path = Path(spec)
    if path.is_dir():
        try:
            with os.scandir(path) as entries:
                candidates = (
                    Path(entry.path)
                    for entry in entries
                    if entry.name.removesuffix(".gz").endswith(_SUFFIXES) and not entry.name.startswith(".")
                )
                found = _at_most(candidates, spec, "files")
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}", path=spec) from exc
        if not found:
            raise InputError(
                f"{spec} holds no event files (*.json, *.ndjson or *.jsonl, optionally gzipped as .gz)",
                path=spec,
            )
        return sorted(found)
    if not os.path.lexists(path) and _GLOB_CHARS.search(spec):
        found = _at_most((Path(p) for p in glob.iglob(spec)), spec, "files")
        if not found:
            raise InputError(f"no files match {spec}", path=spec, remedy="check the pattern (quote it for the shell)")
        return sorted(found)
    return [path]


def _at_most(paths: Iterator[Path], spec: str, what: str) -> list[Path]:
    found = list(islice(paths, bounds.MAX_EVENT_FILES + 1))
    if len(found) > bounds.MAX_EVENT_FILES:
        raise InputError(
            f"{spec}: more than {bounds.MAX_EVENT_FILES:,} {what}; dcr test reads at most that many in one run",
            path=spec,
            remedy="check the events in parts, or join small files into one NDJSON file",
        )
    return found


def _recognise(path: Path) -> EventFile:
    """The file's layout, from its first bytes: ``[`` an array, ``{`` objects (one per line or not)."""
    with _open(path) as (handle, gzipped):
        first = _first_byte(handle, path)
        if first == b"[":
            return EventFile(path, ARRAY, gzipped)
        if first != b"{":
            raise InputError(
                f"{path}: expected JSON events (an array, one object per line, or Miro pages), "
                f"but the file starts with {first!r}",
                path=str(path),
            )
        line = b"{" + handle.readline(bounds.MAX_JSON_VALUE_BYTES)
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return EventFile(path, PRETTY, gzipped)
    return EventFile(path, NDJSON, gzipped)


@contextmanager
def _open(path: Path) -> Iterator[tuple[IO[bytes], bool]]:
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not gzipped:
                yield raw, False
                return
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield cast(IO[bytes], unzipped), True
    except OSError as exc:  # gzip.BadGzipFile and zlib.error are OSErrors too
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from exc
    except (EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {path}: the gzip data ends early or is damaged", path=str(path)) from exc


def _first_byte(handle: IO[bytes], path: Path) -> bytes:
    """The first byte that is not blank space (or a UTF-8 byte order mark); the handle is left just after it."""
    skipped = 0
    while skipped <= bounds.MAX_JSON_VALUE_BYTES:
        chunk = handle.read(_CHUNK)
        if not chunk:
            raise InputError(f"{path} is empty: it holds no events", path=str(path))
        if skipped == 0 and chunk.startswith(codecs.BOM_UTF8):
            skipped, chunk = len(codecs.BOM_UTF8), chunk[len(codecs.BOM_UTF8) :]
        stripped = chunk.lstrip(_WHITESPACE)
        if stripped:
            handle.seek(skipped + len(chunk) - len(stripped) + 1)
            return stripped[:1]
        skipped += len(chunk)
    raise InputError(
        f"{path} starts with more than {bounds.MAX_JSON_VALUE_BYTES:,} bytes of blank space", path=str(path)
    )


def event_groups(files: Sequence[EventFile]) -> list[list[EventFile]]:
    """Runs of consecutive files with the same layout and compression: DuckDB reads each run at once."""
    groups: list[list[EventFile]] = []
    for file in files:
        if groups and (groups[-1][0].layout, groups[-1][0].gzipped) == (file.layout, file.gzipped):
            groups[-1].append(file)
        else:
            groups.append([file])
    return groups


def events_sql(files: Sequence[EventFile]) -> str:
    """A SELECT of the events in ``files`` (one layout): ``_n``, ``_file``, ``_event`` and ``_bad``.

    ``_n`` numbers the events from 1 in file order; ``_bad`` says why Azure would refuse an event
    (``invalid`` JSON, ``too large`` for one call, or the JSON type it has instead of an object),
    and is null for a good one. A Miro page stands for the events of its ``data``. At most
    :data:`~deployer.dcr.bounds.MAX_EVENTS` + 1 events are read, so the caller can tell there are more.
    """
    layout = files[0].layout
    names = ", ".join(_sql_string(str(f.path)) for f in files)
    options = [
        f"format = '{layout}'",
        f"compression = '{'gzip' if files[0].gzipped else 'none'}'",
        "filename = true",
        f"maximum_object_size = {bounds.MAX_JSON_VALUE_BYTES}",
    ]
    if layout == NDJSON:
        options.append("ignore_errors = true")  # a line that is not JSON becomes a null: reported, not fatal
    read = f"read_json_objects([{names}], {', '.join(options)})"
    if layout == ARRAY:
        values = f"SELECT filename AS _file, json AS _event FROM {read}"  # nosec B608 # read is our own read_json_objects call over quoted file names
    else:
        values = (
            "SELECT filename AS _file, unnest(CASE WHEN json_type(json) = 'OBJECT' AND json_type(json, '$.data') = "  # nosec B608 # read is our own read_json_objects call over quoted file names
            f"'ARRAY' THEN json_extract(json, '$.data[*]') ELSE [json] END) AS _event FROM {read}"
        )
    # The reader (and json_extract for a page's events) hands back each value parsed and trimmed, so an object
    # is one starting with '{': parsing every event again with json_type costs a quarter of the staging.
    bad = (
        "CASE WHEN _event IS NULL THEN 'invalid' WHEN NOT starts_with(_event, '{') THEN lower(json_type(_event)) "
        f"WHEN strlen(CAST(_event AS VARCHAR)) > {bounds.MAX_CALL_BYTES} THEN 'too large' END"
    )
    return (
        f"SELECT row_number() OVER () AS _n, _file, _event, {bad} AS _bad FROM ({values}) LIMIT {bounds.MAX_EVENTS + 1}"  # nosec B608 # bad and values are our own SQL; the bounds are integer constants
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- errors ----------------------------------------------------------------------------------------------

_MALFORMED = re.compile(
    r'Malformed JSON in file "(?P<file>.*?)", at byte \d+ in [^:]*: (?P<reason>[^\n]*?)\.?\s*$', re.M
)
_TOO_LARGE = re.compile(r'"maximum_object_size" of \d+ bytes exceeded while reading file "(?P<file>.*?)"')


def input_error(message: str, files: Sequence[EventFile]) -> InputError | None:
    """The :class:`InputError` for DuckDB's error ``message`` about an events file, or None if it is not one."""
    by_path = {str(f.path): f for f in files}
    large = _TOO_LARGE.search(message)
    if large:
        path = large.group("file")
        return InputError(
            f"{path}: a JSON value is larger than {bounds.MAX_JSON_VALUE_BYTES // 2**20} MiB; an event may have at "
            f"most {bounds.MAX_CALL_BYTES:,} bytes (one Logs Ingestion call) and a Miro page far less",
            path=path,
        )
    malformed = _MALFORMED.search(message)
    if malformed:
        path = malformed.group("file")
        file = by_path.get(path)
        located = _locate_syntax_error(file) if file is not None else None
        if located is None:
            return InputError(f"{path}: invalid JSON: {malformed.group('reason')}", path=path)
        line, column, reason = located
        return InputError(
            f"{path}:{line}:{column}: invalid JSON: {reason}",
            path=path,
            remedy="fix the JSON at the line and column shown",
        )
    for path in by_path:
        if path in message:
            return InputError(f"cannot read {path}: {message.splitlines()[0]}", path=path)
    return None


def _locate_syntax_error(file: EventFile) -> tuple[int, int, str] | None:
    """Line, column and Python's wording of the first JSON syntax error in ``file`` (None: none found).

    Reads the file value by value, holding at most one value (and a chunk) at a time.
    """
    try:
        with _open(file.path) as (handle, _):
            reader = _TextCursor(handle)
            return reader.find_error(array=file.layout == ARRAY)
    except UnicodeDecodeError as exc:
        raise InputError(f"{file.path} is not UTF-8 text", path=str(file.path)) from exc
    except RecursionError:
        return None


class _TextCursor:
    """A window on a text file that knows the line and column of every position in it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._decoder = json.JSONDecoder()
        self._chunks = _decoded(handle)
        self._text = ""
        self._pos = 0
        self._line = 1  # line and column of self._text[0]
        self._column = 1
        self._eof = False

    def find_error(self, *, array: bool) -> tuple[int, int, str] | None:
        if array:
            if self._next_char() != "[":
                return self._error("Expecting value")
            self._pos += 1
            if self._next_char() == "]":
                self._pos += 1
                return self._trailing()
        while True:
            char = self._next_char()
            if char == "":
                return None if not array else self._error("Expecting value")
            failure = self._value()
            if failure is not None:
                return failure
            if not array:
                continue
            char = self._next_char()
            self._pos += 1
            if char == "]":
                return self._trailing()
            if char != ",":
                self._pos -= 1
                return self._error("Expecting ',' delimiter")
            if self._next_char() == "]":
                return self._error("Expecting value")

    def _trailing(self) -> tuple[int, int, str] | None:
        return None if self._next_char() == "" else self._error("Extra data")

    def _value(self) -> tuple[int, int, str] | None:
        while True:
            try:
                _, end = self._decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                # The value may just go on past the window: widen it (doubling, so a long value costs
                # a few parses, not one per chunk) until it is complete or longer than any value may be.
                window = len(self._text) - self._pos
                if self._eof or window > bounds.MAX_JSON_VALUE_BYTES:
                    self._pos = exc.pos
                    return self._error(exc.msg)
                while not self._eof and len(self._text) - self._pos < 2 * window:
                    self._more()
                continue
            self._pos = end
            return None

    def _next_char(self) -> str:
        """The next character that is not blank space ('' at the end of the file)."""
        while True:
            self._pos = _BLANK.match(self._text, self._pos).end()  # type: ignore[union-attr]  # always matches
            if self._pos < len(self._text):
                return self._text[self._pos]
            if self._eof:
                return ""
            self._more()

    def _more(self) -> None:
        # Forget what lies before the current value, keeping count of its lines.
        done = self._text[: self._pos]
        newlines = done.count("\n")
        self._line += newlines
        self._column = (len(done) - done.rfind("\n")) if newlines else self._column + len(done)
        self._text = self._text[self._pos :]
        self._pos = 0
        chunk = next(self._chunks, None)
        if chunk is None:
            self._eof = True
        else:
            self._text += chunk

    def _error(self, reason: str) -> tuple[int, int, str]:
        before = self._text[: self._pos]
        newlines = before.count("\n")
        if newlines:
            return self._line + newlines, len(before) - before.rfind("\n"), reason
        return self._line, self._column + len(before), reason


def _decoded(handle: IO[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := handle.read(_CHUNK):
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def invalid_line_reasons(file: EventFile, ordinals: Sequence[int]) -> dict[int, tuple[int, str]]:
    """For NDJSON events that are not JSON: their line numbers and Python's reason, by event ordinal.

    DuckDB skips blank lines and reads a bad line as null; this reads the file once more, line by
    line, for the few events reported.
    """
    wanted = set(ordinals)
    found: dict[int, tuple[int, str]] = {}
    ordinal = 0
    with _open(file.path) as (handle, _):
        for number, raw in enumerate(iter(lambda: handle.readline(bounds.MAX_JSON_VALUE_BYTES + 1), b""), start=1):
            if not raw.strip(_WHITESPACE):
                continue
            ordinal += 1
            if ordinal in wanted:
                try:
                    json.loads(raw.rstrip(b"\r\n"))
                    reason = "not valid JSON"
                except UnicodeDecodeError:
                    reason = "not UTF-8 text"
                except json.JSONDecodeError as exc:
                    reason = f"{exc.msg} (column {exc.colno})"
                except (ValueError, RecursionError):
                    reason = "not valid JSON"
                found[ordinal] = (number, reason)
                if len(found) == len(wanted):
                    break
    return found
