"""Any exception, as the operator sees it: an exit code, ``error:`` lines and one ``hint:`` line.

:func:`classify` is the one place that decides; the CLI's handler prints what it returns (and, with
``--output json``, an error document), and a reliability corpus can feed it any exception and check the
answer: an exit code in {1, 2, 3, 130}, lines without a traceback or a secret, none blaming the tool itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from deployer.errors import EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, from_exception
from deployer.redaction import redact

__all__ = ["EXIT_INTERRUPTED", "Failure", "classify"]


@dataclass(frozen=True)
class Failure:
    """What to print for an exception: ``lines`` (each shown as ``error: …``) and ``remedy`` (``hint: …``).

    ``kind`` names the error class for programs (the ``error.type`` of the JSON document).
    """

    exit_code: int
    kind: str
    lines: tuple[str, ...]
    remedy: str

    @property
    def message(self) -> str:
        return "\n".join(self.lines)


def classify(exc: BaseException, *, command_path: str = "miro-sentinel") -> Failure:
    """The failure ``exc`` amounts to; every text redacted, none longer than needed.

    :param command_path: the command that ran (``miro-sentinel deploy``), for usage hints.
    """
    if isinstance(exc, click.UsageError):
        path = exc.ctx.command_path if exc.ctx is not None else command_path
        return _failure(EXIT_USAGE, "UsageError", [exc.format_message()], f"run '{path} --help'")
    # click turns a Ctrl-C into Abort (its cause): still an interruption, exit 130 as a shell reports it.
    interrupted = isinstance(exc, click.Abort) and isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)
    if isinstance(exc, click.Abort) and not interrupted:
        return _failure(EXIT_USAGE, "Aborted", ["aborted"], "run the command again to finish it")
    if isinstance(exc, KeyboardInterrupt) or interrupted:
        return _failure(
            EXIT_INTERRUPTED,
            "Interrupted",
            ["interrupted"],
            "run the same command again: deploy and destroy pick up where they stopped",
        )
    error = from_exception(exc) if isinstance(exc, Exception) else from_exception(RuntimeError(type(exc).__name__))
    lines = [str(p) for p in error.problems] if isinstance(error, ConfigError) else error.message.splitlines()
    return _failure(error.exit_code, type(error).__name__, lines or [type(exc).__name__], error.remedy)


def _failure(code: int, kind: str, lines: list[str], remedy: str) -> Failure:
    return Failure(code, kind, tuple(redact(line) for line in lines), redact(remedy))
