"""The values ``content/`` placeholders take, from the settings and the deployment's names.

Lists become KQL ``dynamic([...])`` literals with single-quoted items (the items are checked to need no
escaping), so the same text fits both a YAML query and a JSON workbook string. Terraform builds the same
map in ``terraform/modules/bodies/content.tf``; the body-equality test compares the results.
"""

from __future__ import annotations

from collections.abc import Iterable

from deployer.config.schema import WEEKDAYS, ContentSettings

__all__ = ["content_values", "kql_list"]


def kql_list(items: Iterable[str | int]) -> str:
    """``dynamic(['a','b'])`` (numbers unquoted)."""
    return "dynamic([" + ",".join(str(i) if isinstance(i, int) else f"'{i}'" for i in items) + "])"


def content_values(
    content: ContentSettings,
    *,
    table_name: str,
    connector_name: str,
    dcr_name: str,
    workspace_resource_id: str,
    validation_category: str,
) -> dict[str, str]:
    """Every placeholder's value, as text."""
    c = content
    return {
        "table_name": table_name,
        "connector_name": connector_name,
        "dcr_name": dcr_name,
        "workspace_resource_id": workspace_resource_id,
        "validation_category": validation_category,
        "silence_minutes": str(c.silence_minutes),
        "validation_max_age_minutes": str(c.validation_max_age_minutes),
        "sign_in_failure_events": kql_list(c.sign_in_failure_events),
        "sign_in_success_events": kql_list(c.sign_in_success_events),
        "failures_per_user": str(c.failures_per_user),
        "failures_per_ip": str(c.failures_per_ip),
        "distinct_ips_per_user": str(c.distinct_ips_per_user),
        "dormancy_days": str(c.dormancy_days),
        "admin_categories": kql_list(c.admin_categories),
        "working_days": kql_list(WEEKDAYS.index(day) for day in c.working_days),
        "working_hours_start": str(c.working_hours_start),
        "working_hours_end": str(c.working_hours_end),
        "utc_offset_hours": str(c.utc_offset_hours),
        "volume_min_events": str(c.volume_min_events),
        "volume_factor": str(c.volume_factor),
    }
