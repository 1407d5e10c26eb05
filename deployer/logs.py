"""Logging: the standard ``logging`` module, one handler on stderr, one redacting filter on it.

Levels, chosen by the command line (``deployer.cli.main``):

============================  ==============================  ======================================
flags                         the deployer's loggers           the SDKs' (azure.*, msal, urllib3, ...)
============================  ==============================  ======================================
(none)                        WARNING                          silent
``-v``                        INFO (retries, decisions)        silent
``-vv`` or ``--debug``        DEBUG (every request: method,    silent
                              URL, status, time; each step)
``-vvv`` or ``--debug-sdk``   DEBUG                            DEBUG (their own request and
                                                               credential-chain lines)
============================  ==============================  ======================================

``--debug`` also prints the traceback of an error. Whatever the level, every record passes
:class:`RedactingFilter`, which masks the Miro token, ``Authorization`` and API-key header values and
other secrets (``deployer.redaction``) in its message, its arguments and its traceback.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TextIO

from deployer.redaction import redact

__all__ = ["SDK_LOGGERS", "RedactingFilter", "configure_logging"]

#: Loggers of the libraries we use; silent unless asked for (``-vvv``/``--debug-sdk``).
SDK_LOGGERS = (
    "azure",
    "msal",
    "msal_extensions",
    "urllib3",
    "requests",
    "charset_normalizer",
    "asyncio",
    "py.warnings",
)

_SILENT = logging.CRITICAL + 10
_HANDLER_NAME = "miro-sentinel"


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format still gets logged, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(verbosity: int, *, sdk: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Install the one stderr handler (replacing an earlier one of ours) and set the levels.

    :param verbosity: 0 warnings only, 1 info, 2 or more debug (of the deployer's loggers).
    :param sdk: let the SDKs' loggers through at DEBUG too.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RedactingFilter())
    detailed = verbosity >= 2 or sdk
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s" if detailed else "%(levelname)s: %(message)s",
            datefmt="%H:%M:%S",
        )
    )
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if detailed else logging.INFO if verbosity == 1 else logging.WARNING)
    logging.getLogger("deployer").setLevel(root.level)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if sdk else _SILENT)
    # Library warnings (an unverified TLS request, a deprecation) go through the same handler and filter.
    logging.captureWarnings(True)
    if not sdk:
        warnings.filterwarnings("ignore", module=r"(azure|msal|urllib3|requests)(\.|$)")
    return handler
