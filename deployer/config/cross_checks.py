"""Rules that involve more than one setting (what an Azure environment requires, what the local cloud allows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from deployer.errors import ConfigProblem

if TYPE_CHECKING:
    from deployer.config.schema import Settings


def cross_field_problems(s: Settings, sources: Mapping[str, str]) -> list[ConfigProblem]:
    """Problems with rules that involve more than one setting, each blamed on where its key was set.

    :param sources: ``section.key`` → where its value came from; keys absent there are blamed on the file.
    """
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
                    ConfigProblem(sources.get(dotted, file_source), dotted, "is required for an Azure environment")
                )
        if s.engine == "terraform" and s.terraform.backend == "azurerm":
            for dotted, value in (
                ("terraform.state_resource_group", s.terraform.state_resource_group),
                ("terraform.state_storage_account", s.terraform.state_storage_account),
            ):
                if not value:
                    problems.append(
                        ConfigProblem(
                            sources.get(dotted, file_source), dotted, 'is required with terraform.backend = "azurerm"'
                        )
                    )
    else:
        if s.miro.token_source == "keyvault":
            problems.append(
                ConfigProblem(
                    sources.get("miro.token_source", file_source),
                    "miro.token_source",
                    "keyvault is not available in the local cloud; use env",
                )
            )
        if s.engine != "arm":
            problems.append(
                ConfigProblem(
                    sources.get("engine", file_source),
                    "engine",
                    "the local cloud runs the arm engine (Terraform providers cannot reach an emulator offline)",
                )
            )
    if (s.workspace.create or s.workspace.onboard_sentinel) and s.engine != "terraform":
        key = "workspace.create" if s.workspace.create else "workspace.onboard_sentinel"
        problems.append(ConfigProblem(sources.get(key, file_source), key, 'needs engine = "terraform"'))
    t = s.table
    if (
        t.total_retention_in_days != -1
        and t.retention_in_days != -1
        and t.total_retention_in_days < t.retention_in_days
    ):
        problems.append(
            ConfigProblem(
                sources.get("table.total_retention_in_days", file_source),
                "table.total_retention_in_days",
                f"{t.total_retention_in_days} is less than table.retention_in_days ({t.retention_in_days})",
            )
        )
    if t.plan == "Basic" and t.retention_in_days != -1:
        problems.append(
            ConfigProblem(
                sources.get("table.retention_in_days", file_source),
                "table.retention_in_days",
                "cannot be set for a Basic table (its interactive retention is fixed); leave it at -1",
            )
        )
    h = s.health
    if h.freshness_warn_minutes >= h.freshness_fail_minutes:
        problems.append(
            ConfigProblem(
                sources.get("health.freshness_warn_minutes", file_source),
                "health.freshness_warn_minutes",
                f"{h.freshness_warn_minutes} must be less than health.freshness_fail_minutes ({h.freshness_fail_minutes})",
            )
        )
    if s.miro.token_source == "keyvault" and not s.miro.keyvault_secret_id:
        problems.append(
            ConfigProblem(
                sources.get("miro.keyvault_secret_id", file_source),
                "miro.keyvault_secret_id",
                'is required with token_source = "keyvault"',
            )
        )
    return problems
