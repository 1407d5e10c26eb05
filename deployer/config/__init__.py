"""Settings: resolved once, validated, frozen.

Precedence, highest first: a ``--set section.key=value`` flag, a ``MIRO_SENTINEL_<SECTION>_<KEY>`` environment
variable, the environment's file ``envs/<name>.toml``, then the default; every problem is reported at once as a
:class:`~deployer.errors.ConfigError` (exit 2). The Miro token is kept in a :class:`Secret`, which never shows it.

One module per job:

- ``secret``: :class:`Secret` and reading the Miro token from a variable or standard input;
- ``validators``: checks of single values (GUIDs, Azure locations, resource names, ranges, ...);
- ``schema``: the twelve section dataclasses and :class:`Settings`;
- ``loading``: :func:`load_settings`, layering file, variables and flags, coercing text, and
  :func:`load_display` (``CI``: plain progress lines); the only module of the product that reads the process
  environment;
- ``cross_checks``: rules that involve more than one setting;
- ``presentation``: :func:`describe`, the rows of ``config check``.
"""

from deployer.config.loading import ENV_PREFIX, load_display, load_settings
from deployer.config.presentation import describe
from deployer.config.schema import (
    AzureSettings,
    BackfillSettings,
    DisplaySettings,
    HealthSettings,
    LocalSettings,
    LockSettings,
    MiroSettings,
    ResourceSettings,
    Settings,
    TableSettings,
    TerraformSettings,
    ValidationSettings,
    WorkspaceSettings,
    replace_section,
)
from deployer.config.secret import Secret
from deployer.config.validators import AZURE_LOCATIONS

__all__ = [
    "AZURE_LOCATIONS",
    "ENV_PREFIX",
    "AzureSettings",
    "BackfillSettings",
    "DisplaySettings",
    "HealthSettings",
    "LocalSettings",
    "LockSettings",
    "MiroSettings",
    "ResourceSettings",
    "Secret",
    "Settings",
    "TableSettings",
    "TerraformSettings",
    "ValidationSettings",
    "WorkspaceSettings",
    "describe",
    "load_display",
    "load_settings",
    "replace_section",
]
