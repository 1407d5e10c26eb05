"""content/: the loader refuses what the two readers (Python, Terraform) would read differently, and names the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deployer.config.schema import ContentSettings
from deployer.content.bodies import content_bodies
from deployer.content.spec import DEFAULT_CONTENT_DIR, load_content, render
from deployer.content.values import content_values, kql_list
from deployer.errors import InputError

VALUES = content_values(
    ContentSettings(),
    table_name="MiroAuditLogs_CL",
    connector_name="Poller",
    dcr_name="dcr-miro",
    workspace_resource_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws",
    validation_category="miro-sentinel-validation",
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, copy)
    return copy


def test_the_shipped_content_renders_into_rules_alerts_hunting_queries_and_a_workbook() -> None:
    bodies = content_bodies(
        load_content(), VALUES, enabled=True, disabled_rules=(), dcr_resource_id="/d", workspace_resource_id="/w",
        location="westeurope", tags={},
    )  # fmt: skip

    assert len(bodies.alert_rules) == 9 and len(bodies.metric_alerts) == 2 and len(bodies.hunting_queries) == 4
    assert all(body["properties"]["enabled"] for _, body in bodies.alert_rules.values())
    assert all("${" not in body["properties"]["query"] for _, body in bodies.alert_rules.values())


def test_lists_become_kql_literals_that_fit_in_yaml_and_json_strings() -> None:
    assert kql_list(["sign_in_failed", "login_failed"]) == "dynamic(['sign_in_failed','login_failed'])"
    assert VALUES["working_days"] == "dynamic([1,2,3,4,5])"


def test_terraform_only_template_syntax_is_refused_naming_the_file_and_line(content: Path) -> None:
    rule = content / "rules" / "miro-events-silent.yaml"
    lines = rule.read_text().count("\n")
    rule.write_text(rule.read_text() + "# %{ if x }\n")

    with pytest.raises(InputError) as refused:
        load_content(content)

    assert refused.value.message == (
        f"{rule}:{lines + 1}: '%{{' is template syntax Terraform reads differently; write it otherwise"
    )


def test_a_placeholder_without_a_value_is_refused(content: Path) -> None:
    rule = content / "rules" / "miro-events-silent.yaml"
    rule.write_text(rule.read_text().replace("${silence_minutes}m", "${silence}m"))
    [template] = [t for t in load_content(content).rules if t.key == "miro-events-silent"]

    with pytest.raises(InputError, match=r"placeholder \$\{silence\} has no value"):
        render(template, VALUES)


def test_a_value_that_would_change_the_document_is_refused() -> None:
    [template] = [t for t in load_content().rules if t.key == "miro-events-silent"]

    with pytest.raises(InputError, match=r"the value of \$\{connector_name\} contains a double quote"):
        render(template, {**VALUES, "connector_name": 'a"b'})


def test_a_yaml_value_terraform_would_read_otherwise_must_be_quoted(content: Path) -> None:
    hunt = content / "hunting" / "sharing-changes.yaml"
    hunt.write_text(hunt.read_text() + "created: 2026-01-01\n")
    [template] = [t for t in load_content(content).hunting if t.key == "sharing-changes"]

    with pytest.raises(InputError, match="created is a date; quote it so it stays a string"):
        render(template, VALUES)


def test_disabling_a_rule_that_does_not_exist_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"content\.disabled_rules names no rule: no-such-rule"):
        content_bodies(
            load_content(), VALUES, enabled=True, disabled_rules=("no-such-rule",), dcr_resource_id="/d",
            workspace_resource_id="/w", location="westeurope", tags={},
        )  # fmt: skip


def test_enabled_is_the_settings_business_not_a_files(content: Path) -> None:
    rule = content / "rules" / "miro-events-silent.yaml"
    rule.write_text(rule.read_text().replace("  severity: Medium", "  severity: Medium\n  enabled: true"))

    with pytest.raises(InputError, match=r"'properties\.enabled' is set by the settings"):
        content_bodies(
            load_content(content), VALUES, enabled=True, disabled_rules=(), dcr_resource_id="/d",
            workspace_resource_id="/w", location="westeurope", tags={},
        )  # fmt: skip
