"""``miro-sentinel dcr test``: run Miro events through the DCR transform offline and check the result."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import click

from deployer.cli._common import State, output_option, pass_state
from deployer.dcr import bounds
from deployer.dcr.check import check_transform
from deployer.dcr.events import find_event_files
from deployer.dcr.spec import DEFAULT_DCR_DIR, load_spec
from deployer.errors import CheckFailed

__all__ = ["dcr"]

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.group()
def dcr() -> None:
    """Work with the data collection rule (table, stream, transform)."""


_TEST_HELP = f"""Run events through the transform, as Azure would, and check what comes out.

Checks: only KQL that DCR transforms allow; output columns and types against the table (Azure's
InvalidTransformOutput); TimeGenerated a datetime, never null; column names Azure accepts; events
Azure would refuse (not JSON, not an object, over {bounds.MAX_CALL_BYTES:,} bytes) or truncate (a field
over 64 KB); and, for the samples in dcr/samples, the exact rows written beside them.

Bounds: a transform of at most {bounds.MAX_TRANSFORM_CHARS:,} characters (Azure's limit), brackets nested
at most {bounds.MAX_KQL_NESTING} deep; at most {bounds.MAX_EVENT_FILES:,} files,
{bounds.MAX_INPUT_BYTES // 2**30} GiB and {bounds.MAX_EVENTS:,} events in one run.

Exit 0 when all is good, 1 when a check failed (each failure on its own line), 2 for unreadable files,
invalid JSON, a KQL syntax error or an input beyond a bound.
"""


@dcr.command("test", help=_TEST_HELP)
@click.option(
    "--events",
    metavar="PATH",
    help="Miro events: a file holding a JSON array, one event per line (NDJSON) or Miro pages with 'data' "
    "(gzip accepted), a directory of such files, or a quoted glob. Default: the samples.",
)
@click.option("--transform", type=_PATH, help=f"KQL transform to check. Default: {DEFAULT_DCR_DIR.name}/transform.kql.")
@click.option("--table", type=_PATH, help=f"Table definition. Default: {DEFAULT_DCR_DIR.name}/table.json.")
@output_option("text", "json")
@pass_state
def test(state: State, events: str | None, transform: Path | None, table: Path | None, output: str) -> None:
    """Check the transform with events (see ``_TEST_HELP``)."""
    spec = load_spec(table=table, transform=transform)
    files = find_event_files(events) if events is not None else None
    transform_path = str(transform or spec.root / "transform.kql")

    if output == "json":
        sys.stdout.flush()
        writer = _JsonArray(sys.stdout.buffer)
        finished = False
        try:
            result = check_transform(spec, event_files=files, transform_path=transform_path, row_sink=writer.write)
            if files is None:
                writer.write([json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in result.rows])
            finished = True
        finally:
            # stdout holds exactly one document: the rows, even cut short; an error before any row leaves
            # stdout to the error handler's document.
            if finished or writer.started:
                writer.close()
                state.document_printed = True
        for failure in result.failures:
            click.echo(f"FAIL {failure}", err=True)
    else:
        result = check_transform(spec, event_files=files, transform_path=transform_path)
        source = f"{result.samples} samples" if files is None else str(events)
        state.out.print(
            f"dcr test: {result.row_count} rows from {result.events} events ({source}) "
            f"→ table {spec.table.name} ({len(spec.table.columns)} columns)",
            markup=False,
        )
        for failure in result.failures:
            state.out.print(f"FAIL {failure}", markup=False)
        if result.ok:
            state.out.print("OK: the transform is valid for a DCR and every row matches the table")
    if not result.ok:
        raise CheckFailed(
            f"the transform check found {result.problem_count:,} problem(s)",
            failures=result.failures,
            remedy="fix each FAIL line above; dcr/README.md explains the transform and its samples",
        )


class _JsonArray:
    """Rows, given as JSON texts, written as one JSON array with a row per line, as they come."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.started = False

    def write(self, rows: Sequence[str]) -> None:
        if not rows:
            return
        self._stream.write(((",\n" if self.started else "[\n") + ",\n".join(rows)).encode("utf-8"))
        self.started = True

    def close(self) -> None:
        self._stream.write(b"\n]\n" if self.started else b"[]\n")
        self._stream.flush()
