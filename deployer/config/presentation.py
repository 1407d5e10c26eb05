"""Settings as ``(key, value, source)`` rows, for ``config check``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from deployer.config.schema import SECTIONS, Settings


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """``(key, value, source)`` rows for ``config check``; secrets shown as ``********``."""
    rows: list[tuple[str, str, str]] = [
        ("env", settings.env_name, "--env"),
        ("cloud", settings.cloud, settings.sources.get("cloud", "default")),
        ("engine", settings.engine, settings.sources.get("engine", "default")),
    ]
    for section in SECTIONS:
        if section == "local" and not settings.is_local:
            continue
        if section == "terraform" and settings.engine != "terraform":
            continue
        value = getattr(settings, section)
        for f in dataclasses.fields(value):
            dotted = f"{section}.{f.name}"
            shown = getattr(value, f.name)
            text = (
                json.dumps(dict(shown))
                if isinstance(shown, Mapping)
                else json.dumps(list(shown))
                if isinstance(shown, tuple)
                else str(shown).lower()
                if isinstance(shown, bool)
                else str(shown)
            )
            rows.append((dotted, text, settings.sources.get(dotted, "default")))
    token = "(not set)" if settings.miro_token is None else str(settings.miro_token)
    if settings.miro.token_source == "keyvault":
        token = f"(from {settings.miro.keyvault_secret_id})"
    rows.append(("miro.token", token, settings.sources.get("miro.token", "-")))
    return rows
