"""Settings files a user could write, as both engines see them: the cases of the Terraform equality tests.

Each case is loaded as the CLI loads it and turned into a :class:`Target` as ``deploy`` does
(``deployer.environment.target_for``); :func:`python_bodies` is what the arm engine sends for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.config import Settings, load_settings, replace_section
from deployer.content.bodies import deployment_content
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec, load_spec
from deployer.environment import spec_for, target_for
from deployer.provision import Target

REPO = Path(__file__).resolve().parents[2]
ENVS = sorted((REPO / "envs").glob("*.toml"))
SPELLINGS = REPO / "terraform" / "modules" / "bodies" / "tests" / "fixtures" / "dcr-spellings"

ENDPOINT = "https://dce-miro-abcd.westeurope-1.ingest.monitor.azure.com"
IMMUTABLE_ID = "dcr-0123456789abcdef0123456789abcdef"
PRINCIPAL = "11111111-1111-1111-1111-111111111111"

#: A settings file for Azure with only the keys that have no default.
REQUIRED_ONLY = """\
[azure]
tenant_id = "00000000-0000-0000-0000-0000000000aa"
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-miro"
location = "westeurope"

[workspace]
name = "law-miro"

[terraform]
state_resource_group = "rg-tfstate"
state_storage_account = "sttfstate"
"""

#: What the local cloud fills in for ``cloud = "local"`` (deployer.local.LocalCloud.apply_to).
LOCAL_CLOUD = {
    "azure": {
        "tenant_id": "00000000-0000-0000-0000-0000000000aa",
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "resource_group": "rg-local",
        "location": "westeurope",
    },
    "workspace": {"name": "law-local", "resource_group": "rg-local"},
    "miro": {"api_base_url": "https://127.0.0.1:8443/miro"},
}


@dataclass(frozen=True)
class Case:
    """Settings as a user writes them, and what the terraform side is given for them."""

    env_file: Path | None = None
    overrides: tuple[str, ...] = ()
    dcr_dir: Path | None = None
    #: Give Terraform only the required attributes of ``target`` (as a module user would) instead of all.
    required_attributes_only: bool = False


CASES = {
    **{f"envs/{path.name}": Case(env_file=path) for path in ENVS},
    "required-keys-only": Case(),
    "module-user-with-required-attributes-only": Case(required_attributes_only=True),
    "basic-plan-12-years-total": Case(overrides=("table.plan=Basic", "table.total_retention_in_days=4383")),
    "shortest-retention-renamed-table": Case(
        overrides=("table.retention_in_days=4", "table.total_retention_in_days=4", "table.name=MiroAudit2_CL")
    ),
    "longest-retention-everything-set": Case(
        overrides=(
            "table.retention_in_days=730",
            "table.total_retention_in_days=730",
            "workspace.resource_group=rg-sentinel",
            "resources.tags=env=prod,managed-by=someone-else,ünïcode=välue",
            "resources.dcr_name=dcr_miro.2",
            "miro.api_base_url=https://miro.example.test//",
            "miro.token_version=2026-11.rotated",
            "validation.principal_type=Group",
            "validation.principal_object_id=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
        )
    ),
    "dcr-spellings": Case(dcr_dir=SPELLINGS),
    "content-tuned-and-partly-disabled": Case(
        overrides=(
            "content.disabled_rules=miro-events-silent,dcr-rows-dropped",
            "content.sign_in_failure_events=sign_in_failed,login_failed",
            "content.working_days=Saturday,Sunday",
            "content.utc_offset_hours=-5",
            "content.dormancy_days=13",
            "resources.connector_name=OtherPoller",
        )
    ),
    "content-all-disabled": Case(overrides=("content.enabled=false",)),
}


def settings_of(case: Case, tmp_path: Path) -> Settings:
    """The settings the CLI would load for ``case`` (no MIRO_SENTINEL_* variables, no token)."""
    if case.env_file is not None:
        envs, name = case.env_file.parent, case.env_file.stem
    else:
        envs, name = tmp_path, "prod"
        (tmp_path / "prod.toml").write_text(REQUIRED_ONLY, encoding="utf-8")
    settings = load_settings(name, envs_dir=envs, overrides=case.overrides, environ={})
    if settings.is_local:
        for section, values in LOCAL_CLOUD.items():
            settings = replace_section(settings, section, **values)
    return settings


def python_bodies(spec: DcrSpec, target: Target) -> dict[str, Any]:
    """What the arm engine sends for ``target`` (deployer/azure/engine.py builds each body this way)."""
    content = deployment_content(target, spec.table.name)

    def named(bodies_by_key: Any) -> dict[str, Any]:
        return {key: {"name": name, "body": body} for key, (name, body) in bodies_by_key.items()}

    return {
        "content_alert_rules": named(content.alert_rules),
        "content_hunting_queries": named(content.hunting_queries),
        "content_metric_alerts": named(content.metric_alerts),
        "content_workbook": {"name": content.workbook[0], "body": content.workbook[1]},
        "table_body": bodies.table_body(
            spec,
            plan=target.table_plan,
            retention_in_days=target.retention_in_days,
            total_retention_in_days=target.total_retention_in_days,
        ),
        "dce_body": bodies.dce_body(location=target.location, tags=target.tags),
        "dcr_body": bodies.dcr_body(
            spec,
            location=target.location,
            dce_id=target.dce_resource_id,
            workspace_resource_id=target.workspace_resource_id,
            tags=target.tags,
            token_version=target.token_version,
        ),
        "connector_definition_body": bodies.connector_definition_body(
            spec, definition_name=target.connector_definition_name
        ),
        "connector_body": bodies.connector_body(
            spec,
            definition_name=target.connector_definition_name,
            dce_logs_ingestion_endpoint=ENDPOINT,
            dcr_immutable_id=IMMUTABLE_ID,
            miro_api_base_url=target.miro_api_base_url,
        ),
        "role_assignment_body": bodies.role_assignment_body(
            subscription_id=target.subscription_id,
            principal_id=target.validation_principal_id,
            principal_type=target.validation_principal_type,
        ),
        "role_assignment_name": bodies.role_assignment_name(target.dcr_resource_id, target.validation_principal_id),
        "table_name": spec.table.name,
        "stream_name": spec.stream.name,
        "table_resource_id": target.table_resource_id(spec.table.name),
        "dce_resource_id": target.dce_resource_id,
        "dcr_resource_id": target.dcr_resource_id,
        "workspace_resource_id": target.workspace_resource_id,
    }


def resolve(case: Case, tmp_path: Path) -> tuple[Settings, DcrSpec, Target]:
    """The settings, ``dcr/`` and target that ``deploy`` would use for ``case``."""
    settings = settings_of(case, tmp_path)
    spec = spec_for(settings) if case.dcr_dir is None else load_spec(case.dcr_dir)
    return settings, spec, target_for(settings, principal_id=settings.validation.principal_object_id or PRINCIPAL)
