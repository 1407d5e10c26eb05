"""The child's environment: the only place secrets are handed to Terraform (its output passes the one redactor)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["child_environment", "secret_variable_name"]

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Inherited settings that would change what we ask Terraform to do, or where it writes:
# TF_VAR_* (variables we did not choose), TF_CLI_ARGS* (extra flags), TF_INPUT/TF_IN_AUTOMATION
# (we set them) and TF_LOG_PATH (a trace log on disk could hold the token; logs on stderr are
# redacted before anyone sees them).
_STRIPPED_PREFIXES = ("TF_VAR_", "TF_CLI_ARGS")
_STRIPPED_NAMES = frozenset({"TF_INPUT", "TF_IN_AUTOMATION", "TF_LOG_PATH", "TF_DATA_DIR"})


def secret_variable_name(name: str) -> str:
    """``TF_VAR_<name>`` for a Terraform variable name; refuses names Terraform could not declare."""
    if not _VARIABLE_NAME.match(name):
        raise ValueError(f"{name!r} is not a Terraform variable name")
    return f"TF_VAR_{name}"


def child_environment(
    base: Mapping[str, str], *, secrets: Mapping[str, str], data_dir: Path | None = None
) -> dict[str, str]:
    """``base`` without inherited Terraform inputs, plus automation settings and the secrets as ``TF_VAR_*``."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(_STRIPPED_PREFIXES) and key not in _STRIPPED_NAMES
    }
    env.update(
        {
            "TF_IN_AUTOMATION": "1",  # no "run terraform apply next" hints meant for humans
            "TF_INPUT": "0",  # never prompt, even where a flag was forgotten
            "CHECKPOINT_DISABLE": "1",  # no version check call to HashiCorp from CI
        }
    )
    if data_dir is not None:
        env["TF_DATA_DIR"] = str(data_dir)
    for name, value in secrets.items():
        env[secret_variable_name(name)] = value
    return env
