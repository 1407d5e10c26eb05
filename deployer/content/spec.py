"""Loader for the ``content/`` source of truth: analytics rules, metric alerts, hunting queries and the workbook.

Every file is a template: ``${name}`` placeholders are filled with :mod:`deployer.content.values` before it is
parsed, exactly as Terraform's ``templatefile()`` does before ``yamldecode()``/``jsondecode()``, so both engines
read the same documents. Rules, alerts and hunting queries are YAML (1.2, as Terraform reads it); the workbook
is the JSON that becomes its ``serializedData``.

Terraform's template language also gives ``%{`` and ``$${`` a meaning this loader does not, so a file using
either is refused: the two readers could otherwise disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from deployer.errors import InputError
from deployer.shipped import shipped_dir

__all__ = [
    "DEFAULT_CONTENT_DIR",
    "ContentSpec",
    "Template",
    "load_content",
    "render",
]

#: Placeholders: the same syntax as ``templatefile()`` (and as ``dcr/connector/``).
_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
_TERRAFORM_ONLY = re.compile(r"%\{|\$\$\{")
_UNSAFE = re.compile(r"[\"\\\x00-\x1f]")


#: ``content/`` at the repository root (or its copy inside an installed wheel).
DEFAULT_CONTENT_DIR = shipped_dir("content")


@dataclass(frozen=True)
class Template:
    """One content file: its key (the file name without extension), path and text."""

    key: str
    path: Path
    text: str

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.text))


@dataclass(frozen=True)
class ContentSpec:
    """Everything in ``content/``, read and checked for template syntax (see :func:`render` for the rest)."""

    root: Path
    rules: tuple[Template, ...]
    metric_alerts: tuple[Template, ...]
    hunting: tuple[Template, ...]
    workbook: Template

    @property
    def rule_keys(self) -> tuple[str, ...]:
        """Keys of everything that can be disabled: analytics rules and metric alerts."""
        return tuple(t.key for t in (*self.rules, *self.metric_alerts))


def _read(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", path=str(path)) from exc
    found = _TERRAFORM_ONLY.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise InputError(
            f"{path}:{line}: '{found.group()}' is template syntax Terraform reads differently; write it otherwise",
            path=str(path),
        )
    return Template(path.stem, path, text)


def _folder(root: Path, name: str, suffix: str) -> tuple[Template, ...]:
    folder = root / name
    if not folder.is_dir():
        raise InputError(f"{folder} is missing (the content/ folder is incomplete)", path=str(folder))
    return tuple(_read(p) for p in sorted(folder.glob(f"*{suffix}")))


def load_content(root: Path | None = None) -> ContentSpec:
    """Read ``content/`` (or ``root``); raises :class:`InputError` naming the file at fault."""
    base = root or DEFAULT_CONTENT_DIR
    return ContentSpec(
        root=base,
        rules=_folder(base, "rules", ".yaml"),
        metric_alerts=_folder(base, "metric-alerts", ".yaml"),
        hunting=_folder(base, "hunting", ".yaml"),
        workbook=_read(base / "workbook.json"),
    )


def fill(template: Template, values: Mapping[str, str]) -> str:
    """The template's text with every placeholder filled, as ``templatefile()`` fills it.

    :raises InputError: a placeholder has no value, or a value would change the document's syntax.
    """

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise InputError(
                f"{template.path}: placeholder ${{{name}}} has no value (known: {', '.join(sorted(values))})",
                path=str(template.path),
            )
        value = values[name]
        if _UNSAFE.search(value):
            raise InputError(
                f"{template.path}: the value of ${{{name}}} contains a double quote, backslash or control character",
                path=str(template.path),
            )
        return value

    return _PLACEHOLDER.sub(one, template.text)


def render(template: Template, values: Mapping[str, str]) -> dict[str, Any]:
    """The template filled and parsed (YAML 1.2 for ``.yaml``, JSON for ``.json``), as a JSON-like dict."""
    text = fill(template, values)
    where = str(template.path)
    if template.path.suffix == ".json":
        try:
            parsed: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}", path=where) from exc
    else:
        try:
            parsed = YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise InputError(f"{where}: invalid YAML: {str(exc).splitlines()[0]}", path=where) from exc
    if not isinstance(parsed, dict):
        raise InputError(f"{where}: expected a mapping at the top", path=where)
    _check_plain(parsed, where, "")
    return parsed


def _check_plain(value: Any, where: str, at: str) -> None:
    """Only JSON's kinds of values, so Terraform reads the same document (no dates, no binary, no sets)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{where}: key {key!r} at {at or 'the top'} must be a string", path=where)
            _check_plain(item, where, f"{at}.{key}" if at else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, where, f"{at}[{i}]")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise InputError(f"{where}: {at} is a {type(value).__name__}; quote it so it stays a string", path=where)
