"""Loading: the environment's file, ``MIRO_SENTINEL_*`` variables and ``--set`` flags, layered and coerced.

Precedence, highest first: a CLI flag (``--set section.key=value``), an environment variable
(``MIRO_SENTINEL_<SECTION>_<KEY>``, e.g. ``MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID``), the environment's file
``envs/<name>.toml``, then the default. Every problem is reported at once, one line each, in the form
``<source>: <section.key>: <what is wrong>``, as a :class:`~deployer.errors.ConfigError` (exit 2).

This is the only module of the product that reads the process environment.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from deployer.config.cross_checks import cross_field_problems
from deployer.config.schema import SECTIONS, TOP_LEVEL, DisplaySettings, Settings
from deployer.config.secret import Secret, read_token
from deployer.errors import ConfigError, ConfigProblem

ENV_PREFIX = "MIRO_SENTINEL_"

TOKEN_REMEDY = (
    "copy the token again from Miro (Company Settings > Enterprise integrations > SIEM, or your OAuth app) and "
    "give it alone, on one line; it is never shown, so check what you pasted yourself"
)


@dataclass
class _Raw:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def _known_keys() -> dict[str, tuple[str, str, Any]]:
    """``section.key`` → (section, key, field type) for every setting."""
    keys: dict[str, tuple[str, str, Any]] = {
        name: ("", name, type(default)) for name, (default, _, _) in TOP_LEVEL.items()
    }
    for section, cls in SECTIONS.items():
        hints = _field_types(cls)
        for f in dataclasses.fields(cls):
            keys[f"{section}.{f.name}"] = (section, f.name, hints[f.name])
    return keys


def _field_types(cls: type[Any]) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        types[f.name] = dict if isinstance(default, Mapping) else type(default)
    return types


def _suggest(name: str, candidates: Sequence[str]) -> str:
    hint = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def _flatten_file(data: Mapping[str, Any], source: str, raw: _Raw, problems: list[ConfigProblem]) -> None:
    known = _known_keys()
    for key, value in data.items():
        if isinstance(value, dict) and key in SECTIONS:
            for sub, sub_value in value.items():
                dotted = f"{key}.{sub}"
                if dotted not in known:
                    problems.append(ConfigProblem(source, dotted, "unknown key" + _suggest(dotted, list(known))))
                    continue
                raw.values[dotted] = sub_value
                raw.sources[dotted] = source
        elif key in TOP_LEVEL:
            raw.values[key] = value
            raw.sources[key] = source
        else:
            kind = "section" if isinstance(value, dict) else "key"
            choices = list(SECTIONS) if isinstance(value, dict) else list(known)
            problems.append(ConfigProblem(source, key, f"unknown {kind}" + _suggest(key, choices)))


def _env_key(name: str) -> str | None:
    """``MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID`` → ``azure.subscription_id`` (None when it names no section)."""
    rest = name[len(ENV_PREFIX) :].lower()
    for top in TOP_LEVEL:
        if rest == top:
            return top
    for section in sorted(SECTIONS, key=len, reverse=True):
        if rest.startswith(section + "_"):
            return f"{section}.{rest[len(section) + 1 :]}"
    return None


def _coerce_text(text: str, kind: Any) -> Any:
    """Turn the text of an environment variable or flag into the field's type; raises ValueError."""
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"'{text}' is not a boolean (use true or false)")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a whole number") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
    if kind is dict:
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                parsed = json.loads(stripped)
            except json.JSONDecodeError:
                raise ValueError("is not a JSON object (or key=value,key=value)") from None
            if not isinstance(parsed, dict):
                raise ValueError("is not a JSON object")
            return {str(k): str(v) for k, v in parsed.items()}
        pairs = [p for p in stripped.split(",") if p.strip()]
        result = {}
        for pair in pairs:
            if "=" not in pair:
                raise ValueError(f"'{pair}' is not key=value")
            k, v = pair.split("=", 1)
            result[k.strip()] = v.strip()
        return result
    if kind is tuple:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _check_type(value: Any, kind: Any) -> str | None:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return None
    if kind is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return "must be a table of strings"
        return None
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return "must be a list of strings"
        return None
    if kind is int and isinstance(value, bool):
        return "must be a whole number, not a boolean"
    if not isinstance(value, kind):
        expected = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
            kind, str(kind)
        )
        return f"must be {expected}, not {type(value).__name__} {value!r}"
    return None


def load_display(environ: Mapping[str, str] | None = None) -> DisplaySettings:
    """The display settings: ``CI`` set to anything but empty, ``0``, ``false`` or ``no`` means a CI service."""
    env = os.environ if environ is None else environ
    return DisplaySettings(ci=env.get("CI", "").strip().lower() not in ("", "0", "false", "no"))


def load_settings(
    env_name: str,
    *,
    envs_dir: Path | None = None,
    overrides: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    need_token: bool = False,
) -> Settings:
    """Resolve the settings of environment ``env_name``.

    :param overrides: ``section.key=value`` strings from ``--set`` flags.
    :param environ: the process environment (``os.environ`` when None); the only place it is read.
    :param need_token: read the Miro token now (from the variable or standard input) and fail if absent.
    :raises ConfigError: one or more problems, each on its own line.
    """
    env = os.environ if environ is None else environ
    problems: list[ConfigProblem] = []
    raw = _Raw()
    known = _known_keys()

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}", env_name):
        raise ConfigError(
            [ConfigProblem("--env", "env", f"'{env_name}' is not an environment name (letters, digits, '-', '_')")]
        )
    directory = envs_dir or Path("envs")
    path = directory / f"{env_name}.toml"
    source = str(path)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([ConfigProblem(source, "(file)", f"not valid TOML: {exc}")]) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([ConfigProblem(source, "(file)", f"cannot be read: {exc}")]) from exc
        _flatten_file(data, source, raw, problems)
        env_file: Path | None = path
    else:
        available = sorted(p.stem for p in directory.glob("*.toml")) if directory.is_dir() else []
        hint = _suggest(env_name, available) or (f"; available: {', '.join(available)}" if available else "")
        raise ConfigError(
            [ConfigProblem(source, "(file)", f"no such environment file{hint}")],
            remedy="create it from envs/example.toml (every key is documented there), or pick an existing --env",
        )

    for name, text in sorted(env.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        dotted = _env_key(name)
        if dotted is None or dotted not in known:
            env_names = [ENV_PREFIX + k.replace(".", "_").upper() for k in known]
            problems.append(ConfigProblem(name, "(environment)", "unknown setting" + _suggest(name, env_names)))
            continue
        try:
            raw.values[dotted] = _coerce_text(text, known[dotted][2])
            raw.sources[dotted] = name
        except ValueError as exc:
            problems.append(ConfigProblem(name, dotted, str(exc)))

    for item in overrides:
        if "=" not in item:
            problems.append(ConfigProblem("--set", item, "expected section.key=value"))
            continue
        dotted, text = item.split("=", 1)
        dotted = dotted.strip()
        if dotted not in known:
            problems.append(ConfigProblem("--set", dotted, "unknown key" + _suggest(dotted, list(known))))
            continue
        try:
            raw.values[dotted] = _coerce_text(text, known[dotted][2])
            raw.sources[dotted] = "--set"
        except ValueError as exc:
            problems.append(ConfigProblem("--set", dotted, str(exc)))

    settings = _build(env_name, env_file, raw, problems)
    if settings is not None:
        problems.extend(cross_field_problems(settings, raw.sources))
    token: Secret | None = None
    if settings is not None and settings.miro.token_source != "keyvault":
        # The local cloud has a token of its own (its Miro's), used when none is given.
        token = read_token(settings.miro, env, stdin, need_token and not settings.is_local, problems, raw.sources)
    if problems or settings is None:
        if problems and all(p.field == "miro.token" for p in problems):
            raise ConfigError(problems, remedy=TOKEN_REMEDY)
        raise ConfigError(problems)
    child_env = {k: v for k, v in env.items() if k != settings.miro.token_env_var}
    return dataclasses.replace(settings, miro_token=token, sources=dict(raw.sources), process_env=child_env)


def _build(env_name: str, env_file: Path | None, raw: _Raw, problems: list[ConfigProblem]) -> Settings | None:
    sections: dict[str, Any] = {}
    before = len(problems)
    for section, cls in SECTIONS.items():
        kwargs: dict[str, Any] = {}
        types = _field_types(cls)
        for f in dataclasses.fields(cls):
            dotted = f"{section}.{f.name}"
            if dotted not in raw.values:
                continue
            value = raw.values[dotted]
            source = raw.sources[dotted]
            kind = types[f.name]
            type_problem = _check_type(value, kind)
            if type_problem:
                problems.append(ConfigProblem(source, dotted, type_problem))
                continue
            if kind is float:
                value = float(value)
            if kind is tuple:
                value = tuple(value)
            check = f.metadata.get("check")
            problem = check(value) if check else None
            if problem:
                problems.append(ConfigProblem(source, dotted, problem))
                continue
            kwargs[f.name] = value
        sections[section] = cls(**kwargs)
    top: dict[str, Any] = {}
    for name, (default, check, _) in TOP_LEVEL.items():
        value = raw.values.get(name, default)
        source = raw.sources.get(name, "default")
        type_problem = _check_type(value, type(default))
        problem = type_problem or check(value)
        if problem:
            problems.append(ConfigProblem(source, name, problem))
            value = default
        top[name] = value
    if len(problems) > before:
        return None
    engine = top["engine"] or ("arm" if top["cloud"] == "local" else "terraform")
    return Settings(env_name=env_name, env_file=env_file, cloud=top["cloud"], engine=engine, **sections)
