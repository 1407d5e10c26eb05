"""What the settings are: the eleven sections (types, defaults, checks, docs) and :class:`Settings`, which holds them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.config.secret import Secret
from deployer.config.validators import (
    CONNECTOR,
    CONTAINER,
    DCE,
    DCR,
    ENV_VAR,
    KEYVAULT_SECRET,
    RESOURCE_GROUP,
    STATE_KEY,
    STORAGE,
    TABLE,
    WORKSPACE,
    Check,
    choice,
    https_url,
    in_range,
    location,
    optional,
    optional_guid,
    pattern,
    string_list,
    tag_map,
)


def _meta(check: Check | None = None, doc: str = "", *, secret: bool = False) -> dict[str, Any]:
    return {"check": check, "doc": doc, "secret": secret}


@dataclass(frozen=True)
class AzureSettings:
    """Where the pipeline goes. Required for Azure environments; filled by the local cloud for ``local``."""

    tenant_id: str = field(default="", metadata=_meta(optional_guid, "Entra tenant (GUID)"))
    subscription_id: str = field(default="", metadata=_meta(optional_guid, "subscription (GUID)"))
    resource_group: str = field(default="", metadata=_meta(optional(RESOURCE_GROUP), "resource group for DCE and DCR"))
    location: str = field(default="", metadata=_meta(optional(location), "Azure region of the workspace"))
    credential: str = field(
        default="default",
        metadata=_meta(
            choice("default", "cli", "environment", "workload_identity", "managed_identity"), "how to sign in"
        ),
    )
    retry_budget_seconds: float = field(
        default=60.0, metadata=_meta(in_range(0, 3600), "per call, total waiting on dropped connections and 5xx")
    )
    max_attempts: int = field(default=5, metadata=_meta(in_range(1, 20), "attempts per call"))


@dataclass(frozen=True)
class WorkspaceSettings:
    """The Log Analytics workspace with Microsoft Sentinel."""

    name: str = field(default="", metadata=_meta(optional(WORKSPACE), "workspace name"))
    resource_group: str = field(
        default="", metadata=_meta(optional(RESOURCE_GROUP), "defaults to azure.resource_group")
    )
    create: bool = field(default=False, metadata=_meta(doc="create the resource group and workspace (terraform only)"))
    onboard_sentinel: bool = field(
        default=False, metadata=_meta(doc="enable Sentinel on the workspace (terraform only)")
    )


@dataclass(frozen=True)
class TableSettings:
    """The custom table."""

    name: str = field(default="MiroAuditLogs_CL", metadata=_meta(TABLE, "custom table name"))
    plan: str = field(default="Analytics", metadata=_meta(choice("Analytics", "Basic"), "table plan"))
    retention_in_days: int = field(default=-1, metadata=_meta(in_range(4, 730, also=(-1,)), "-1 = workspace default"))
    total_retention_in_days: int = field(
        default=-1, metadata=_meta(in_range(4, 4383, also=(-1,)), "interactive + long-term; -1 = same as retention")
    )


@dataclass(frozen=True)
class ResourceSettings:
    """Names of the resources we own, and tags for them."""

    dce_name: str = field(default="dce-miro-audit-logs", metadata=_meta(DCE, "data collection endpoint"))
    dcr_name: str = field(default="dcr-miro-audit-logs", metadata=_meta(DCR, "data collection rule"))
    connector_definition_name: str = field(
        default="MiroSentinelAuditLogs", metadata=_meta(CONNECTOR, "Sentinel connector definition")
    )
    connector_name: str = field(
        default="MiroSentinelAuditLogsPoller", metadata=_meta(CONNECTOR, "RestApiPoller connector")
    )
    tags: Mapping[str, str] = field(default_factory=dict, metadata=_meta(tag_map, "extra tags on the DCE and DCR"))


@dataclass(frozen=True)
class TerraformSettings:
    """How the ``terraform`` engine runs and where it keeps state."""

    binary: str = field(default="terraform", metadata=_meta(doc="terraform executable (PATH lookup when bare)"))
    backend: str = field(default="azurerm", metadata=_meta(choice("azurerm", "local"), "state backend"))
    state_resource_group: str = field(
        default="", metadata=_meta(optional(RESOURCE_GROUP), "resource group of the state account")
    )
    state_storage_account: str = field(default="", metadata=_meta(optional(STORAGE), "storage account holding state"))
    state_container: str = field(default="tfstate", metadata=_meta(CONTAINER, "blob container holding state"))
    state_key: str = field(default="", metadata=_meta(optional(STATE_KEY), "defaults to miro-sentinel-<env>.tfstate"))
    use_oidc: bool = field(default=False, metadata=_meta(doc="sign in with GitHub OIDC (ARM_USE_OIDC)"))
    timeout_seconds: int = field(default=1800, metadata=_meta(in_range(30, 7200), "per terraform command"))


@dataclass(frozen=True)
class MiroSettings:
    """Miro's API and where the token comes from."""

    api_base_url: str = field(default="https://api.miro.com", metadata=_meta(https_url, "Miro REST API base URL"))
    token_source: str = field(
        default="env", metadata=_meta(choice("env", "stdin", "keyvault"), "where the token comes from")
    )
    token_env_var: str = field(default="MIRO_ACCESS_TOKEN", metadata=_meta(ENV_VAR, "variable holding the token"))
    keyvault_secret_id: str = field(default="", metadata=_meta(optional(KEYVAULT_SECRET), "Key Vault secret URL"))
    token_version: str = field(
        default="1",
        metadata=_meta(
            pattern(r"[A-Za-z0-9._-]{1,64}", "1-64 letters, digits, '.', '_' or '-'"),
            "bump to re-send a rotated token",
        ),
    )
    timeout_seconds: float = field(default=30.0, metadata=_meta(in_range(1, 300), "per request"))
    retry_budget_seconds: float = field(default=120.0, metadata=_meta(in_range(0, 3600), "total waiting on 429/5xx"))
    max_attempts: int = field(default=5, metadata=_meta(in_range(1, 20), "attempts per request"))


@dataclass(frozen=True)
class ValidationSettings:
    """The synthetic record that proves ingestion works end to end."""

    principal_object_id: str = field(
        default="", metadata=_meta(optional_guid, "who sends it; empty = the signed-in principal (from its token)")
    )
    principal_type: str = field(
        default="",
        metadata=_meta(
            optional(choice("ServicePrincipal", "User", "Group")),
            "kind of principal; empty = from the signed-in token, or left to Azure for a given object id",
        ),
    )
    role_propagation_timeout_seconds: float = field(
        default=1800.0, metadata=_meta(in_range(0, 7200), "retry 403 this long")
    )
    visibility_timeout_seconds: float = field(
        default=1200.0, metadata=_meta(in_range(0, 7200), "wait this long for the row")
    )
    poll_interval_seconds: float = field(default=15.0, metadata=_meta(in_range(0.05, 600), "between attempts"))


@dataclass(frozen=True)
class HealthSettings:
    """Thresholds of the health report."""

    freshness_warn_minutes: int = field(
        default=30, metadata=_meta(in_range(1, 100000), "WARN when the last event is older")
    )
    freshness_fail_minutes: int = field(
        default=180, metadata=_meta(in_range(1, 100000), "FAIL when the last event is older")
    )
    lookback_hours: int = field(default=24, metadata=_meta(in_range(1, 720), "window for rates, failures, metrics"))
    max_fetch_failures: int = field(default=0, metadata=_meta(in_range(0, 100000), "SentinelHealth failures tolerated"))


#: Week days, as ``working_days`` names them (Kusto's ``dayofweek()`` counts from Sunday).
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
#: Miro event and category names: letters, digits and ``_ . : -`` (nothing a query would need to escape).
_EVENT_NAME = r"[A-Za-z0-9_.:-]{1,128}"


@dataclass(frozen=True)
class ContentSettings:
    """Our Sentinel content (``content/``): which analytics rules run, and the values their queries use.

    Event and category names Miro does not publish are lists here, to confirm against your organisation's
    data with ``miro-sentinel events --env NAME``.
    """

    enabled: bool = field(
        default=True, metadata=_meta(doc="false writes every analytics rule and metric alert disabled")
    )
    disabled_rules: tuple[str, ...] = field(
        default=(),
        metadata=_meta(
            string_list(r"[a-z0-9-]{1,64}", "rule names (file names in content/)"), "rules written disabled"
        ),
    )
    silence_minutes: int = field(
        default=180, metadata=_meta(in_range(30, 1440), "alert when no Miro event arrived for this long")
    )
    validation_max_age_minutes: int = field(
        default=150, metadata=_meta(in_range(30, 1440), "alert when no validation record arrived for this long")
    )
    sign_in_failure_events: tuple[str, ...] = field(
        default=("sign_in_failed",),
        metadata=_meta(string_list(_EVENT_NAME, "Miro event names"), "failed sign-in events"),
    )
    sign_in_success_events: tuple[str, ...] = field(
        default=("sign_in_succeeded",),
        metadata=_meta(string_list(_EVENT_NAME, "Miro event names"), "successful sign-in events"),
    )
    failures_per_user: int = field(default=5, metadata=_meta(in_range(2, 10000), "failed sign-ins in 15 min"))
    failures_per_ip: int = field(
        default=10, metadata=_meta(in_range(2, 10000), "failed sign-ins from one IP in 15 min")
    )
    distinct_ips_per_user: int = field(
        default=5, metadata=_meta(in_range(2, 1000), "sign-in IPs of one account in 1 h")
    )
    dormancy_days: int = field(default=7, metadata=_meta(in_range(1, 13), "silence before activity counts as a return"))
    admin_categories: tuple[str, ...] = field(
        default=("administration",),
        metadata=_meta(string_list(_EVENT_NAME, "Miro category names"), "categories of organisation settings changes"),
    )
    working_days: tuple[str, ...] = field(
        default=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
        metadata=_meta(
            string_list("|".join(WEEKDAYS), "week day names, e.g. Monday"), "days administration is expected"
        ),
    )
    working_hours_start: int = field(default=7, metadata=_meta(in_range(0, 23), "first working hour (local)"))
    working_hours_end: int = field(default=19, metadata=_meta(in_range(1, 24), "end of the working hours (local)"))
    utc_offset_hours: int = field(default=0, metadata=_meta(in_range(-12, 14), "local time's offset from UTC"))
    volume_min_events: int = field(
        default=100, metadata=_meta(in_range(10, 1000000), "events in 1 h before volume counts")
    )
    volume_factor: int = field(default=5, metadata=_meta(in_range(2, 1000), "times the account's busiest hour"))


@dataclass(frozen=True)
class BackfillSettings:
    """``backfill``: Miro's history into the table, paced, deduplicated and resumable."""

    miro_budget_share: float = field(
        default=0.5,
        metadata=_meta(in_range(0.05, 1.0), "share of Miro's credits a minute it may use; the rest is the connector's"),
    )
    window_minutes: int = field(
        default=1440, metadata=_meta(in_range(5, 10080), "events fetched, checked and checkpointed per window")
    )
    parallel_windows: int = field(default=4, metadata=_meta(in_range(1, 16), "windows fetched at once"))
    uploads_in_flight: int = field(default=4, metadata=_meta(in_range(1, 32), "requests to Azure at once"))
    settle_minutes: int = field(default=15, metadata=_meta(in_range(0, 1440), "newer events are left to the connector"))
    ingestion_latency_minutes: float = field(
        default=10.0,
        metadata=_meta(in_range(0, 240), "how long accepted rows may take to show (read again after a kill)"),
    )
    retry_budget_seconds: float = field(
        default=300.0, metadata=_meta(in_range(0, 3600), "per batch, waiting on Azure's 429/5xx")
    )
    forbidden_retry_seconds: float = field(
        default=120.0, metadata=_meta(in_range(0, 7200), "retry 403 this long (a role still propagating)")
    )


@dataclass(frozen=True)
class LocalSettings:
    """The local cloud (emulated Azure and Miro); used when ``cloud = "local"``."""

    state_dir: str = field(default=".miro-sentinel/local", metadata=_meta(doc="all local state lives here"))
    time_scale: float = field(default=120.0, metadata=_meta(in_range(1, 10000), "emulated seconds per real second"))
    seed: int = field(default=7, metadata=_meta(in_range(0, 2**31 - 1), "seed of the generated Miro events"))
    role_propagation_seconds: float = field(default=0.0, metadata=_meta(in_range(0, 3600), "emulated RBAC delay"))
    ingestion_latency_seconds: float = field(default=0.0, metadata=_meta(in_range(0, 3600), "emulated query latency"))
    startup_timeout_seconds: float = field(
        default=60.0, metadata=_meta(in_range(1, 600), "wait this long for it to start")
    )


@dataclass(frozen=True)
class LockSettings:
    """The lock that keeps two deploys (or destroys, or backfills) of one environment from interleaving."""

    wait_seconds: float = field(
        default=0.0, metadata=_meta(in_range(0, 86400), "wait this long for another run to finish; 0 = do not wait")
    )
    storage_account: str = field(
        default="",
        metadata=_meta(optional(STORAGE), "storage account of the lock in Azure; defaults to the Terraform state's"),
    )
    container: str = field(
        default="", metadata=_meta(optional(CONTAINER), "its container; defaults to terraform.state_container")
    )
    lease_seconds: int = field(
        default=60,
        metadata=_meta(in_range(15, 60), "the lease in Azure lasts this long unrenewed: a dead run blocks no longer"),
    )


#: Section name in files, variables and flags → its schema, in the order ``config check`` shows them.
SECTIONS: dict[str, type[Any]] = {
    "azure": AzureSettings,
    "workspace": WorkspaceSettings,
    "table": TableSettings,
    "resources": ResourceSettings,
    "terraform": TerraformSettings,
    "miro": MiroSettings,
    "validation": ValidationSettings,
    "health": HealthSettings,
    "backfill": BackfillSettings,
    "content": ContentSettings,
    "local": LocalSettings,
    "lock": LockSettings,
}

#: Keys outside any section → (default, check, doc).
TOP_LEVEL: dict[str, tuple[Any, Check, str]] = {
    "cloud": ("azure", choice("azure", "local"), "azure, or local for the emulated cloud"),
    "engine": ("", optional(choice("terraform", "arm")), "terraform or arm; default terraform (arm for local)"),
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
    lock: LockSettings = field(default_factory=LockSettings)
    backfill: BackfillSettings = field(default_factory=BackfillSettings)
    content: ContentSettings = field(default_factory=ContentSettings)
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

    @property
    def lock_blob(self) -> tuple[str, str, str] | None:
        """(account, container, blob) of the environment's lock in Azure, or None when no account is known.

        ``lock.storage_account``, else the Terraform state's account (azurerm backend); the blob is the state
        key with ``.lock`` added, beside the state.
        """
        t = self.terraform
        account = self.lock.storage_account or (t.state_storage_account if t.backend == "azurerm" else "")
        if not account:
            return None
        return account, self.lock.container or t.state_container, f"{self.terraform_state_key}.lock"


@dataclass(frozen=True)
class DisplaySettings:
    """How the command line shows progress, known before any environment's settings are read."""

    #: Running under a CI service (``CI`` set, as GitHub Actions and others do): plain lines, even in a terminal.
    ci: bool = False


def replace_section(settings: Settings, section: str, **changes: Any) -> Settings:
    """A copy of ``settings`` with some fields of one section changed (used by the local cloud)."""
    current = getattr(settings, section)
    return dataclasses.replace(settings, **{section: dataclasses.replace(current, **changes)})
