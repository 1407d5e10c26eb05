"""Settings: resolved once, validated, frozen; the only module that reads the process environment.

Precedence, highest first: a CLI flag (``--set section.key=value``), an environment variable
(``MIRO_SENTINEL_<SECTION>_<KEY>``, e.g. ``MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID``), the environment's file
``envs/<name>.toml``, then the default. Every problem is reported at once, one line each, in the form
``<source>: <section.key>: <what is wrong>``, as a :class:`~deployer.errors.ConfigError` (exit 2).

The Miro token is read here too (from ``MIRO_ACCESS_TOKEN`` by default, or standard input) and kept in a
:class:`Secret`, whose ``repr`` and ``str`` never show it. A Key Vault reference is resolved later by the
Azure client, because reading it needs a credential.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from deployer.errors import ConfigError, ConfigProblem

__all__ = [
    "AZURE_LOCATIONS",
    "ENV_PREFIX",
    "AzureSettings",
    "HealthSettings",
    "LocalSettings",
    "MiroSettings",
    "ResourceSettings",
    "Secret",
    "Settings",
    "TableSettings",
    "TerraformSettings",
    "ValidationSettings",
    "WorkspaceSettings",
    "describe",
    "load_settings",
]

ENV_PREFIX = "MIRO_SENTINEL_"


class Secret:
    """A secret string that does not show itself: ``repr``/``str``/format give ``********``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# --- validators (each returns a problem text, or None) ----------------------------------------------------

Check = Callable[[Any], str | None]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Azure region names (``az account list-locations --query [].name``), physical and logical.
AZURE_LOCATIONS = frozenset(
    [
        "eastus",
        "eastus2",
        "southcentralus",
        "westus2",
        "westus3",
        "australiaeast",
        "southeastasia",
        "northeurope",
        "swedencentral",
        "uksouth",
        "westeurope",
        "centralus",
        "southafricanorth",
        "centralindia",
        "eastasia",
        "indonesiacentral",
        "japaneast",
        "japanwest",
        "koreacentral",
        "malaysiawest",
        "newzealandnorth",
        "canadacentral",
        "francecentral",
        "germanywestcentral",
        "italynorth",
        "norwayeast",
        "polandcentral",
        "spaincentral",
        "switzerlandnorth",
        "mexicocentral",
        "uaenorth",
        "brazilsouth",
        "chilecentral",
        "israelcentral",
        "qatarcentral",
        "centraluseuap",
        "eastus2euap",
        "northcentralus",
        "westus",
        "westcentralus",
        "southafricawest",
        "australiacentral",
        "australiacentral2",
        "australiasoutheast",
        "koreasouth",
        "southindia",
        "westindia",
        "canadaeast",
        "francesouth",
        "germanynorth",
        "norwaywest",
        "switzerlandwest",
        "ukwest",
        "uaecentral",
        "brazilsoutheast",
        "austriaeast",
        "belgiumcentral",
        "denmarkeast",
    ]
)


def _guid(value: Any) -> str | None:
    return (
        None if _GUID.match(str(value)) else f"'{value}' is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
    )


def _optional_guid(value: Any) -> str | None:
    return None if value == "" else _guid(value)


def _location(value: Any) -> str | None:
    if value in AZURE_LOCATIONS:
        return None
    hint = difflib.get_close_matches(str(value).lower().replace(" ", ""), sorted(AZURE_LOCATIONS), n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else " (use the short name, e.g. westeurope)"
    return f"'{value}' is not an Azure location{suggestion}"


def _pattern(regex: str, rule: str) -> Check:
    compiled = re.compile(regex)

    def check(value: Any) -> str | None:
        return None if compiled.fullmatch(str(value)) else f"'{value}' is not valid: {rule}"

    return check


def _optional(check: Check) -> Check:
    def wrapped(value: Any) -> str | None:
        return None if value == "" else check(value)

    return wrapped


def _choice(*options: str) -> Check:
    def check(value: Any) -> str | None:
        if value in options:
            return None
        hint = difflib.get_close_matches(str(value), options, n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"'{value}' is not one of {', '.join(options)}{extra}"

    return check


def _range(low: float, high: float, *, also: tuple[float, ...] = ()) -> Check:
    def check(value: Any) -> str | None:
        if value in also or low <= value <= high:
            return None
        extra = f" (or {', '.join(str(a) for a in also)})" if also else ""
        return f"{value} is out of range: {low:g} to {high:g}{extra}"

    return check


def _https_url(value: Any) -> str | None:
    return (
        None if re.fullmatch(r"https://[^\s/\"\\]+(/[^\s\"\\]*)?", str(value)) else f"'{value}' must be an https:// URL"
    )


_RESOURCE_GROUP = _pattern(
    r"[-\w._()]{0,89}[-\w_()]", "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'"
)
_WORKSPACE = _pattern(
    r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]", "4-63 letters, digits or hyphens, starting and ending alphanumeric"
)
_DCE = _pattern(
    r"[A-Za-z0-9][A-Za-z0-9-]{1,42}[A-Za-z0-9]", "3-44 letters, digits or hyphens, starting and ending alphanumeric"
)
_DCR = _pattern(
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-]", "2-64 letters, digits, '-', '_' or '.', not ending with '.'"
)
_CONNECTOR = _pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}", "2-64 letters, digits, '-' or '_', starting alphanumeric")
_TABLE = _pattern(
    r"[A-Za-z][A-Za-z0-9_]{0,59}_CL", "letters, digits and underscores, starting with a letter, ending with _CL"
)
_STORAGE = _pattern(r"[a-z0-9]{3,24}", "3-24 lower-case letters or digits")
_CONTAINER = _pattern(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", "3-63 lower-case letters, digits or single hyphens")
_STATE_KEY = _pattern(r"[A-Za-z0-9._/-]{1,200}\.tfstate", "a blob name ending in .tfstate")
_KEYVAULT_SECRET = _pattern(
    r"https://[a-z0-9-]{3,24}\.vault\.azure\.(net|cn|us)/secrets/[A-Za-z0-9-]{1,127}(/[0-9a-f]{32})?",
    "https://<vault>.vault.azure.net/secrets/<name>[/<version>]",
)
_ENV_VAR = _pattern(r"[A-Z_][A-Z0-9_]*", "an environment variable name (upper-case letters, digits, '_')")
_TAG_KEY = re.compile(r"[^<>%&\\?/]{1,512}")


def _tags(value: Any) -> str | None:
    for key, val in value.items():
        if not _TAG_KEY.fullmatch(key):
            return f"tag name '{key}' is not valid (1-512 characters, none of < > % & \\ ? /)"
        if len(str(val)) > 256:
            return f"tag '{key}' has a value longer than 256 characters"
    return None


def _meta(check: Check | None = None, doc: str = "", *, secret: bool = False) -> dict[str, Any]:
    return {"check": check, "doc": doc, "secret": secret}


# --- sections --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AzureSettings:
    """Where the pipeline goes. Required for Azure environments; filled by the local cloud for ``local``."""

    tenant_id: str = field(default="", metadata=_meta(_optional_guid, "Entra tenant (GUID)"))
    subscription_id: str = field(default="", metadata=_meta(_optional_guid, "subscription (GUID)"))
    resource_group: str = field(
        default="", metadata=_meta(_optional(_RESOURCE_GROUP), "resource group for DCE and DCR")
    )
    location: str = field(default="", metadata=_meta(_optional(_location), "Azure region of the workspace"))
    credential: str = field(
        default="default",
        metadata=_meta(
            _choice("default", "cli", "environment", "workload_identity", "managed_identity"), "how to sign in"
        ),
    )


@dataclass(frozen=True)
class WorkspaceSettings:
    """The Log Analytics workspace with Microsoft Sentinel."""

    name: str = field(default="", metadata=_meta(_optional(_WORKSPACE), "workspace name"))
    resource_group: str = field(
        default="", metadata=_meta(_optional(_RESOURCE_GROUP), "defaults to azure.resource_group")
    )
    create: bool = field(default=False, metadata=_meta(doc="create the resource group and workspace (terraform only)"))
    onboard_sentinel: bool = field(
        default=False, metadata=_meta(doc="enable Sentinel on the workspace (terraform only)")
    )


@dataclass(frozen=True)
class TableSettings:
    """The custom table."""

    name: str = field(default="MiroAuditLogs_CL", metadata=_meta(_TABLE, "custom table name"))
    plan: str = field(default="Analytics", metadata=_meta(_choice("Analytics", "Basic"), "table plan"))
    retention_in_days: int = field(default=-1, metadata=_meta(_range(4, 730, also=(-1,)), "-1 = workspace default"))
    total_retention_in_days: int = field(
        default=-1, metadata=_meta(_range(4, 4383, also=(-1,)), "interactive + long-term; -1 = same as retention")
    )


@dataclass(frozen=True)
class ResourceSettings:
    """Names of the resources we own, and tags for them."""

    dce_name: str = field(default="dce-miro-audit-logs", metadata=_meta(_DCE, "data collection endpoint"))
    dcr_name: str = field(default="dcr-miro-audit-logs", metadata=_meta(_DCR, "data collection rule"))
    connector_definition_name: str = field(
        default="MiroSentinelAuditLogs", metadata=_meta(_CONNECTOR, "Sentinel connector definition")
    )
    connector_name: str = field(
        default="MiroSentinelAuditLogsPoller", metadata=_meta(_CONNECTOR, "RestApiPoller connector")
    )
    tags: Mapping[str, str] = field(default_factory=dict, metadata=_meta(_tags, "extra tags on the DCE and DCR"))


@dataclass(frozen=True)
class TerraformSettings:
    """How the ``terraform`` engine runs and where it keeps state."""

    binary: str = field(default="terraform", metadata=_meta(doc="terraform executable (PATH lookup when bare)"))
    backend: str = field(default="azurerm", metadata=_meta(_choice("azurerm", "local"), "state backend"))
    state_resource_group: str = field(
        default="", metadata=_meta(_optional(_RESOURCE_GROUP), "resource group of the state account")
    )
    state_storage_account: str = field(default="", metadata=_meta(_optional(_STORAGE), "storage account holding state"))
    state_container: str = field(default="tfstate", metadata=_meta(_CONTAINER, "blob container holding state"))
    state_key: str = field(default="", metadata=_meta(_optional(_STATE_KEY), "defaults to miro-sentinel-<env>.tfstate"))
    use_oidc: bool = field(default=False, metadata=_meta(doc="sign in with GitHub OIDC (ARM_USE_OIDC)"))
    timeout_seconds: int = field(default=1800, metadata=_meta(_range(30, 7200), "per terraform command"))


@dataclass(frozen=True)
class MiroSettings:
    """Miro's API and where the token comes from."""

    api_base_url: str = field(default="https://api.miro.com", metadata=_meta(_https_url, "Miro REST API base URL"))
    token_source: str = field(
        default="env", metadata=_meta(_choice("env", "stdin", "keyvault"), "where the token comes from")
    )
    token_env_var: str = field(default="MIRO_ACCESS_TOKEN", metadata=_meta(_ENV_VAR, "variable holding the token"))
    keyvault_secret_id: str = field(default="", metadata=_meta(_optional(_KEYVAULT_SECRET), "Key Vault secret URL"))
    token_version: str = field(
        default="1",
        metadata=_meta(
            _pattern(r"[A-Za-z0-9._-]{1,64}", "1-64 letters, digits, '.', '_' or '-'"),
            "bump to re-send a rotated token",
        ),
    )
    timeout_seconds: float = field(default=30.0, metadata=_meta(_range(1, 300), "per request"))
    retry_budget_seconds: float = field(default=120.0, metadata=_meta(_range(0, 3600), "total waiting on 429/5xx"))
    max_attempts: int = field(default=5, metadata=_meta(_range(1, 20), "attempts per request"))


@dataclass(frozen=True)
class ValidationSettings:
    """The synthetic record that proves ingestion works end to end."""

    principal_object_id: str = field(
        default="", metadata=_meta(_optional_guid, "who sends it; empty = the signed-in principal (from its token)")
    )
    principal_type: str = field(
        default="ServicePrincipal", metadata=_meta(_choice("ServicePrincipal", "User", "Group"), "kind of principal")
    )
    role_propagation_timeout_seconds: float = field(
        default=1800.0, metadata=_meta(_range(0, 7200), "retry 403 this long")
    )
    visibility_timeout_seconds: float = field(
        default=1200.0, metadata=_meta(_range(0, 7200), "wait this long for the row")
    )
    poll_interval_seconds: float = field(default=15.0, metadata=_meta(_range(0.05, 600), "between attempts"))


@dataclass(frozen=True)
class HealthSettings:
    """Thresholds of the health report."""

    freshness_warn_minutes: int = field(
        default=30, metadata=_meta(_range(1, 100000), "WARN when the last event is older")
    )
    freshness_fail_minutes: int = field(
        default=180, metadata=_meta(_range(1, 100000), "FAIL when the last event is older")
    )
    lookback_hours: int = field(default=24, metadata=_meta(_range(1, 720), "window for rates, failures, metrics"))
    max_fetch_failures: int = field(default=0, metadata=_meta(_range(0, 100000), "SentinelHealth failures tolerated"))


@dataclass(frozen=True)
class LocalSettings:
    """The local cloud (emulated Azure and Miro); used when ``cloud = "local"``."""

    state_dir: str = field(default=".miro-sentinel/local", metadata=_meta(doc="all local state lives here"))
    time_scale: float = field(default=120.0, metadata=_meta(_range(1, 10000), "emulated seconds per real second"))
    seed: int = field(default=7, metadata=_meta(_range(0, 2**31 - 1), "seed of the generated Miro events"))
    role_propagation_seconds: float = field(default=0.0, metadata=_meta(_range(0, 3600), "emulated RBAC delay"))
    ingestion_latency_seconds: float = field(default=0.0, metadata=_meta(_range(0, 3600), "emulated query latency"))
    startup_timeout_seconds: float = field(
        default=60.0, metadata=_meta(_range(1, 600), "wait this long for it to start")
    )


_SECTIONS: dict[str, type[Any]] = {
    "azure": AzureSettings,
    "workspace": WorkspaceSettings,
    "table": TableSettings,
    "resources": ResourceSettings,
    "terraform": TerraformSettings,
    "miro": MiroSettings,
    "validation": ValidationSettings,
    "health": HealthSettings,
    "local": LocalSettings,
}

_TOP_LEVEL: dict[str, tuple[Any, Check, str]] = {
    "cloud": ("azure", _choice("azure", "local"), "azure, or local for the emulated cloud"),
    "engine": ("", _optional(_choice("terraform", "arm")), "terraform or arm; default terraform (arm for local)"),
}


@dataclass(frozen=True)
class Settings:
    """Everything a command needs, resolved once. Secrets are :class:`Secret` values."""

    env_name: str
    env_file: Path | None
    cloud: str
    engine: str
    azure: AzureSettings
    workspace: WorkspaceSettings
    table: TableSettings
    resources: ResourceSettings
    terraform: TerraformSettings
    miro: MiroSettings
    validation: ValidationSettings
    health: HealthSettings
    local: LocalSettings
    miro_token: Secret | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: The process environment minus the Miro token, for child processes (Terraform and its credentials).
    process_env: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_local(self) -> bool:
        return self.cloud == "local"

    @property
    def workspace_resource_group(self) -> str:
        return self.workspace.resource_group or self.azure.resource_group

    @property
    def terraform_state_key(self) -> str:
        return self.terraform.state_key or f"miro-sentinel-{self.env_name}.tfstate"


T = TypeVar("T")


def replace_section(settings: Settings, section: str, **changes: Any) -> Settings:
    """A copy of ``settings`` with some fields of one section changed (used by the local cloud)."""
    current = getattr(settings, section)
    return dataclasses.replace(settings, **{section: dataclasses.replace(current, **changes)})


# --- loading ---------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def _known_keys() -> dict[str, tuple[str, str, Any]]:
    """``section.key`` → (section, key, field type) for every setting."""
    keys: dict[str, tuple[str, str, Any]] = {
        name: ("", name, type(default)) for name, (default, _, _) in _TOP_LEVEL.items()
    }
    for section, cls in _SECTIONS.items():
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
        if isinstance(value, dict) and key in _SECTIONS:
            for sub, sub_value in value.items():
                dotted = f"{key}.{sub}"
                if dotted not in known:
                    problems.append(ConfigProblem(source, dotted, "unknown key" + _suggest(dotted, list(known))))
                    continue
                raw.values[dotted] = sub_value
                raw.sources[dotted] = source
        elif key in _TOP_LEVEL:
            raw.values[key] = value
            raw.sources[key] = source
        else:
            kind = "section" if isinstance(value, dict) else "key"
            choices = list(_SECTIONS) if isinstance(value, dict) else list(known)
            problems.append(ConfigProblem(source, key, f"unknown {kind}" + _suggest(key, choices)))


def _env_key(name: str) -> str | None:
    """``MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID`` → ``azure.subscription_id`` (None when it names no section)."""
    rest = name[len(ENV_PREFIX) :].lower()
    for top in _TOP_LEVEL:
        if rest == top:
            return top
    for section in sorted(_SECTIONS, key=len, reverse=True):
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
    return text


def _check_type(value: Any, kind: Any) -> str | None:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return None
    if kind is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return "must be a table of strings"
        return None
    if kind is int and isinstance(value, bool):
        return "must be a whole number, not a boolean"
    if not isinstance(value, kind):
        expected = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
            kind, str(kind)
        )
        return f"must be {expected}, not {type(value).__name__} {value!r}"
    return None


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
        problems.extend(_cross_checks(settings, raw))
    token: Secret | None = None
    if settings is not None and settings.miro.token_source != "keyvault":
        # The local cloud has a token of its own (its Miro's), used when none is given.
        token = _read_token(settings, env, stdin, need_token and not settings.is_local, problems, raw)
    if problems or settings is None:
        raise ConfigError(problems)
    child_env = {k: v for k, v in env.items() if k != settings.miro.token_env_var}
    return dataclasses.replace(settings, miro_token=token, sources=dict(raw.sources), process_env=child_env)


def _build(env_name: str, env_file: Path | None, raw: _Raw, problems: list[ConfigProblem]) -> Settings | None:
    sections: dict[str, Any] = {}
    before = len(problems)
    for section, cls in _SECTIONS.items():
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
            check = f.metadata.get("check")
            problem = check(value) if check else None
            if problem:
                problems.append(ConfigProblem(source, dotted, problem))
                continue
            kwargs[f.name] = value
        sections[section] = cls(**kwargs)
    top: dict[str, Any] = {}
    for name, (default, check, _) in _TOP_LEVEL.items():
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


def _source(raw: _Raw, dotted: str, fallback: str) -> str:
    return raw.sources.get(dotted, fallback)


def _cross_checks(s: Settings, raw: _Raw) -> list[ConfigProblem]:
    """Rules that involve more than one setting."""
    problems = []
    file_source = str(s.env_file) if s.env_file else "default"
    if not s.is_local:
        for dotted, value in (
            ("azure.tenant_id", s.azure.tenant_id),
            ("azure.subscription_id", s.azure.subscription_id),
            ("azure.resource_group", s.azure.resource_group),
            ("azure.location", s.azure.location),
            ("workspace.name", s.workspace.name),
        ):
            if not value:
                problems.append(
                    ConfigProblem(_source(raw, dotted, file_source), dotted, "is required for an Azure environment")
                )
        if s.engine == "terraform" and s.terraform.backend == "azurerm":
            for dotted, value in (
                ("terraform.state_resource_group", s.terraform.state_resource_group),
                ("terraform.state_storage_account", s.terraform.state_storage_account),
            ):
                if not value:
                    problems.append(
                        ConfigProblem(
                            _source(raw, dotted, file_source), dotted, 'is required with terraform.backend = "azurerm"'
                        )
                    )
    else:
        if s.miro.token_source == "keyvault":
            problems.append(
                ConfigProblem(
                    _source(raw, "miro.token_source", file_source),
                    "miro.token_source",
                    "keyvault is not available in the local cloud; use env",
                )
            )
        if s.engine != "arm":
            problems.append(
                ConfigProblem(
                    _source(raw, "engine", file_source),
                    "engine",
                    "the local cloud runs the arm engine (Terraform providers cannot reach an emulator offline)",
                )
            )
    if (s.workspace.create or s.workspace.onboard_sentinel) and s.engine != "terraform":
        key = "workspace.create" if s.workspace.create else "workspace.onboard_sentinel"
        problems.append(ConfigProblem(_source(raw, key, file_source), key, 'needs engine = "terraform"'))
    t = s.table
    if (
        t.total_retention_in_days != -1
        and t.retention_in_days != -1
        and t.total_retention_in_days < t.retention_in_days
    ):
        problems.append(
            ConfigProblem(
                _source(raw, "table.total_retention_in_days", file_source),
                "table.total_retention_in_days",
                f"{t.total_retention_in_days} is less than table.retention_in_days ({t.retention_in_days})",
            )
        )
    if t.plan == "Basic" and t.retention_in_days != -1:
        problems.append(
            ConfigProblem(
                _source(raw, "table.retention_in_days", file_source),
                "table.retention_in_days",
                "cannot be set for a Basic table (its interactive retention is fixed); leave it at -1",
            )
        )
    h = s.health
    if h.freshness_warn_minutes >= h.freshness_fail_minutes:
        problems.append(
            ConfigProblem(
                _source(raw, "health.freshness_warn_minutes", file_source),
                "health.freshness_warn_minutes",
                f"{h.freshness_warn_minutes} must be less than health.freshness_fail_minutes ({h.freshness_fail_minutes})",
            )
        )
    if s.miro.token_source == "keyvault" and not s.miro.keyvault_secret_id:
        problems.append(
            ConfigProblem(
                _source(raw, "miro.keyvault_secret_id", file_source),
                "miro.keyvault_secret_id",
                'is required with token_source = "keyvault"',
            )
        )
    return problems


def _read_token(
    s: Settings,
    env: Mapping[str, str],
    stdin: TextIO | None,
    need: bool,
    problems: list[ConfigProblem],
    raw: _Raw,
) -> Secret | None:
    if s.miro.token_source == "env":
        value = env.get(s.miro.token_env_var, "").strip()
        if value:
            raw.sources["miro.token"] = s.miro.token_env_var
            return Secret(value)
        if need:
            problems.append(
                ConfigProblem(
                    s.miro.token_env_var,
                    "miro.token",
                    f"is not set; export {s.miro.token_env_var} (the SIEM or OAuth token with auditlogs:read)",
                )
            )
        return None
    if not need:
        return None
    stream = stdin if stdin is not None else sys.stdin
    if stream.isatty():
        problems.append(
            ConfigProblem("stdin", "miro.token", 'token_source = "stdin" needs the token piped in, not a terminal')
        )
        return None
    value = stream.readline().strip()
    if not value:
        problems.append(ConfigProblem("stdin", "miro.token", "standard input was empty"))
        return None
    raw.sources["miro.token"] = "stdin"
    return Secret(value)


# --- presentation ----------------------------------------------------------------------------------------


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """``(key, value, source)`` rows for ``config check``; secrets shown as ``********``."""
    rows: list[tuple[str, str, str]] = [
        ("env", settings.env_name, "--env"),
        ("cloud", settings.cloud, settings.sources.get("cloud", "default")),
        ("engine", settings.engine, settings.sources.get("engine", "default")),
    ]
    for section in _SECTIONS:
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
