"""The ``miro-sentinel`` command line: one module per command, one error handler for all of them."""

from __future__ import annotations

from deployer.cli.main import cli, main

__all__ = ["cli", "main"]
