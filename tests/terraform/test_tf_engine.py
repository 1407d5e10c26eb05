"""TerraformEngine with the real binary on a provider-free stand-in for terraform/ (fixtures/engine_root)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deployer import resources
from deployer.dcr.spec import load_spec
from deployer.errors import ConfigError, TerraformAuthError, TerraformError
from deployer.provision import Change, ProvisionPlan, Target
from deployer.resources import Deployment
from deployer.survey import Finding, Survey
from deployer.terraform import BackendSettings, TerraformEngine
from deployer.terraform.engine import IMPORTS_FILE

pytestmark = pytest.mark.terraform

# fixtures/engine_root checks that exactly this token arrives (sha256 in a precondition).
TOKEN = "canary-engine-7d3f0c2b"
CONNECTOR = "module.pipeline.terraform_data.connector"
#: Where fixtures/engine_root keeps the resources that terraform/ keeps in azapi resources.
FIXTURE_ADDRESSES = {
    "table": "module.pipeline.terraform_data.table",
    "dcr": "module.pipeline.terraform_data.this",
    "role_assignment": "module.pipeline.terraform_data.role_assignment[0]",
}
ROLE = "role assignment Monitoring Metrics Publisher for 11111111-1111-1111-1111-111111111111 on dcr-miro"


@pytest.fixture
def make_engine(
    copy_fixture: Callable[[str], Path],
    tmp_path: Path,
    terraform_binary: str,
    child_env: dict[str, str],
    private_tempdir: Path,
    target: Target,
) -> Iterator[Callable[..., TerraformEngine]]:
    source = copy_fixture("engine_root")
    engines: list[TerraformEngine] = []

    def make(token: str | None = TOKEN, token_version: str = "1", *, plan_only: bool = False) -> TerraformEngine:
        engine = TerraformEngine(
            dataclasses.replace(target, token_version=token_version),
            load_spec(),
            token,
            work_dir=tmp_path / "env-test",
            backend=BackendSettings(kind="local"),
            source_dir=source,
            binary=terraform_binary,
            plan_only=plan_only,
            env=child_env,
        )
        engine.addresses.update(FIXTURE_ADDRESSES, connector=CONNECTOR)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def test_deploy_plans_then_applies_and_returns_the_outputs(
    make_engine: Callable[..., TerraformEngine], tmp_path: Path
) -> None:
    engine = make_engine()

    plan = engine.plan()
    result = engine.apply(plan)

    assert plan.engine == "terraform"
    assert plan.counts() == {"created": 4, "updated": 0, "deleted": 0, "adopted": 0}
    # Named through the resource table, as the arm engine names them.
    assert [(c.address, c.resource_type) for c in plan.changes] == [
        ("data connector MiroAuditLogsPoller", "Microsoft.SecurityInsights/dataConnectors"),
        (ROLE, "Microsoft.Authorization/roleAssignments"),
        ("table MiroAuditLogs_CL", "Microsoft.OperationalInsights/workspaces/tables"),
        ("data collection rule dcr-miro", "Microsoft.Insights/dataCollectionRules"),
    ]
    assert result.changes == plan.changes
    assert result.outputs.table_name == "MiroAuditLogs_CL"  # read from the copied dcr/
    assert result.outputs.stream_name == "Custom-MiroAuditLogs_CL"
    assert result.outputs.logs_ingestion_endpoint == "https://dce-miro.westeurope-1.ingest.monitor.azure.com"
    assert engine.outputs() == result.outputs
    assert (tmp_path / "env-test" / "state" / "terraform.tfstate").exists()


def test_a_second_deploy_with_nothing_changed_changes_nothing(make_engine: Callable[..., TerraformEngine]) -> None:
    first = make_engine()
    first.apply(first.plan())
    first.close()

    second = make_engine()
    plan = second.plan()
    result = second.apply(plan)

    assert plan == ProvisionPlan(engine="terraform", changes=())
    assert result.changes == ()


def test_a_new_token_version_updates_the_connector(make_engine: Callable[..., TerraformEngine]) -> None:
    first = make_engine()
    first.apply(first.plan())

    rotated = make_engine(token_version="2")
    plan = rotated.plan()

    assert plan.changes == (
        Change("data connector MiroAuditLogsPoller", "update", "Microsoft.SecurityInsights/dataConnectors", ""),
    )


def test_without_a_token_the_plan_shows_every_change_and_marks_the_connector(
    make_engine: Callable[..., TerraformEngine],
) -> None:
    engine = make_engine(token=None)

    plan = engine.plan()

    assert plan.counts() == {"created": 4, "updated": 0, "deleted": 0, "adopted": 0}
    assert [(c.address, c.detail) for c in plan.changes if c.detail] == [
        ("data connector MiroAuditLogsPoller", "needs the Miro token")
    ]


def test_without_a_token_apply_refuses_to_write_the_connector_and_changes_nothing(
    make_engine: Callable[..., TerraformEngine], tmp_path: Path
) -> None:
    engine = make_engine(token=None)
    plan = engine.plan()

    with pytest.raises(ConfigError) as caught:
        engine.apply(plan)

    assert str(caught.value) == "deploy: Miro token: the Sentinel connector must be created, which needs the Miro token"
    assert caught.value.remedy == "provide the Miro token (MIRO_ACCESS_TOKEN) and run again"
    assert not (tmp_path / "env-test" / "state" / "terraform.tfstate").exists()


def test_a_plan_only_engine_refuses_to_apply(make_engine: Callable[..., TerraformEngine], tmp_path: Path) -> None:
    engine = make_engine(plan_only=True)
    plan = engine.plan()

    with pytest.raises(TerraformError) as caught:
        engine.apply(plan)

    assert (
        caught.value.message == "this engine only plans (miro-sentinel plan): its plans are made without the state lock"
    )
    assert caught.value.remedy == "run `miro-sentinel deploy`, which plans and applies"
    assert not (tmp_path / "env-test" / "state" / "terraform.tfstate").exists()


def test_without_a_token_an_unchanged_deployment_can_be_planned_and_destroyed(
    make_engine: Callable[..., TerraformEngine],
) -> None:
    deployed = make_engine()
    deployed.apply(deployed.plan())
    deployed.close()
    engine = make_engine(token=None)

    assert not engine.plan().has_changes
    destroy_plan = engine.plan_destroy()
    destroyed = engine.destroy(destroy_plan)

    assert destroyed.counts() == {"created": 0, "updated": 0, "deleted": 4, "adopted": 0}
    with pytest.raises(TerraformError) as caught:
        engine.outputs()
    assert caught.value.message.startswith("the Terraform state of environment 'test' has no table_name")
    assert caught.value.remedy == "run `miro-sentinel deploy --env test`"


def test_apply_refuses_a_plan_it_did_not_make(make_engine: Callable[..., TerraformEngine]) -> None:
    engine = make_engine()
    engine.plan()

    with pytest.raises(TerraformError) as caught:
        engine.apply(ProvisionPlan(engine="terraform", changes=(Change("x", "create", "y"),)))

    assert caught.value.message == "this plan was not made by this engine, or was already applied"


def test_a_plan_is_applied_once(make_engine: Callable[..., TerraformEngine]) -> None:
    engine = make_engine()
    plan = engine.plan()
    engine.apply(plan)

    with pytest.raises(TerraformError):
        engine.apply(plan)


def test_outputs_before_any_deploy_say_nothing_is_deployed(make_engine: Callable[..., TerraformEngine]) -> None:
    with pytest.raises(TerraformError) as caught:
        make_engine().outputs()

    assert "nothing is deployed there yet" in caught.value.message


@pytest.fixture
def azurerm_engine(
    copy_fixture: Callable[[str], Path],
    tmp_path: Path,
    terraform_binary: str,
    child_env: dict[str, str],
    target: Target,
) -> Iterator[TerraformEngine]:
    """An engine whose state is in an azurerm backend it cannot reach: no Azure CLI, no ARM_* variables."""
    env = {**child_env, "PATH": str(Path(terraform_binary).parent), "HTTPS_PROXY": "http://127.0.0.1:9"}
    backend = BackendSettings(
        kind="azurerm", storage_account_name="stmirotfstate", container_name="tfstate", key="test.tfstate"
    )
    with TerraformEngine(
        target,
        load_spec(),
        TOKEN,
        work_dir=tmp_path / "env-prod",
        backend=backend,
        source_dir=copy_fixture("engine_root"),
        binary=terraform_binary,
        env=env,
    ) as engine:
        yield engine


def test_an_azurerm_backend_without_credentials_is_an_auth_error(
    azurerm_engine: TerraformEngine, tmp_path: Path
) -> None:
    with pytest.raises(TerraformAuthError) as caught:
        azurerm_engine.plan()

    assert caught.value.message.startswith("terraform init failed: unable to build authorizer for Storage API")
    assert caught.value.command[1] == "init"
    assert caught.value.command[-1].endswith("/config/backend.tfbackend")
    assert 'key = "test.tfstate"' in (tmp_path / "env-prod" / "config" / "backend.tfbackend").read_text()


def existing_table(target: Target) -> Survey:
    """What the survey finds when the table exists already (e.g. made by the Content Hub solution)."""
    deployment = Deployment(target, load_spec())
    table = resources.by_key(deployment, "table")
    return Survey((Finding(table, {"id": table.resource_id}, "adopt", adopted=True),))


def test_an_existing_resource_is_imported_and_the_plan_says_adopt(
    make_engine: Callable[..., TerraformEngine], target: Target, tmp_path: Path
) -> None:
    engine = make_engine()
    engine._survey = lambda: existing_table(target)

    plan = engine.plan()

    imports = (tmp_path / "env-test" / "config" / IMPORTS_FILE).read_text()
    table_id = resources.by_key(Deployment(target, load_spec()), "table").resource_id
    assert f'to = module.pipeline.terraform_data.table\n  id = "{table_id}?api-version=2025-07-01"' in imports
    assert (
        Change(
            "table MiroAuditLogs_CL",
            "adopt",
            "Microsoft.OperationalInsights/workspaces/tables",
            "exists, not created by miro-sentinel: adopt existing (imported into the state); then updated to match",
        )
        in plan.changes
    )
    assert plan.counts()["adopted"] == 1
    engine.apply(plan)
    engine.close()

    again = make_engine()
    again._survey = lambda: existing_table(target)
    assert again.plan() == ProvisionPlan(engine="terraform", changes=())
    assert not (tmp_path / "env-test" / "config" / IMPORTS_FILE).exists()


def test_preflight_says_when_the_state_container_cannot_be_read(azurerm_engine: TerraformEngine) -> None:
    [check] = azurerm_engine.preflight()

    assert (check.id, check.status) == ("state", "failed")
    assert check.detail.startswith(
        "container tfstate of storage account stmirotfstate cannot be read with this identity: "
        "terraform init failed: unable to build authorizer for Storage API"
    )
    assert "Storage Blob Data Contributor" in check.remedy


def test_preflight_has_nothing_to_check_for_local_state(make_engine: Callable[..., TerraformEngine]) -> None:
    [check] = make_engine().preflight()
    assert (check.id, check.status, check.detail) == ("state", "skipped", "kept in a local file")


def test_a_role_granted_under_another_name_is_taken_as_is_not_created(
    make_engine: Callable[..., TerraformEngine], target: Target
) -> None:
    role = resources.by_key(Deployment(target, load_spec()), "role_assignment")
    by_hand = f"{role.collection_id}/00000000-0000-0000-0000-00000000beef"
    engine = make_engine()
    engine._survey = lambda: Survey(
        (Finding(role, {"id": by_hand, "name": by_hand.rsplit("/", 1)[1]}, "adopt", adopted=True, detail="by hand"),)
    )

    plan = engine.plan()

    assert Change(ROLE, "adopt", "Microsoft.Authorization/roleAssignments", "by hand") in plan.changes
    assert [c.action for c in plan.changes if c.address == ROLE] == ["adopt"]  # Terraform creates none
    engine.apply(plan)
    assert "module.pipeline.terraform_data.role_assignment[0]" not in engine._runner.managed_addresses()
