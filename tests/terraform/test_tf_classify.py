"""Failures Terraform really printed (fixtures/recorded/) map to the error an operator can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.errors import (
    TerraformAuthError,
    TerraformConfigInvalid,
    TerraformError,
    TerraformProviderUnavailable,
    TerraformStateLocked,
)
from deployer.terraform._process import CommandResult
from deployer.terraform.classify import classify_failure, parse_diagnostics

RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"


def failed(*, stdout: str = "", stderr: str = "", command: tuple[str, ...] = ("terraform", "plan")) -> CommandResult:
    return CommandResult(command=command, exit_status=1, stdout=stdout, stderr=stderr)


def recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("source", ["json", "stderr"])
def test_state_lock_gives_the_lock_id_and_holder(source: str) -> None:
    result = (
        failed(stdout=recorded("state-locked.jsonl"))
        if source == "json"
        else failed(stderr=recorded("state-locked.stderr.txt"))
    )

    error = classify_failure(result, subcommand="plan")

    assert isinstance(error, TerraformStateLocked)
    assert error.lock_id == "4b3f4b5e-d633-ecef-f350-3fe10174a3de"
    assert error.holder == "root@vm (OperationTypeApply since 2026-11-26 20:54:15.614519989 +0000 UTC)"
    assert error.message == (
        "terraform plan failed: the Terraform state is locked by root@vm (OperationTypeApply since "
        "2026-11-26 20:54:15.614519989 +0000 UTC) (lock id 4b3f4b5e-d633-ecef-f350-3fe10174a3de)"
    )
    assert error.remedy == (
        "wait for the other run to finish; if it died, run "
        "`terraform force-unlock 4b3f4b5e-d633-ecef-f350-3fe10174a3de` in the working directory"
    )
    assert error.exit_status == 1
    assert error.command == ("terraform", "plan")


@pytest.mark.parametrize(
    "result",
    [failed(stdout=recorded("provider-offline.jsonl")), failed(stderr=recorded("provider-offline.stderr.txt"))],
    ids=["json", "stderr-wrapped-at-80-columns"],
)
def test_registry_out_of_reach_is_provider_unavailable(result: CommandResult) -> None:
    error = classify_failure(result, subcommand="init")

    assert type(error) is TerraformProviderUnavailable
    assert error.message.startswith("terraform init failed: Failed to query available provider packages")
    assert "registry.terraform.io" in error.stderr_tail


@pytest.mark.parametrize(
    "result",
    [
        failed(stdout=recorded("backend-auth.jsonl")),
        failed(stderr=recorded("backend-auth.stderr.txt")),
        failed(stderr=recorded("azapi-credential.stderr.txt")),
    ],
    ids=["azurerm-backend-json", "azurerm-backend-stderr", "azapi-credential-chain"],
)
def test_no_usable_azure_credential_is_an_auth_error(result: CommandResult) -> None:
    error = classify_failure(result, subcommand="init")

    assert type(error) is TerraformAuthError
    assert error.remedy == TerraformAuthError.default_remedy


def test_a_principal_without_the_role_is_an_auth_error_saying_which_roles() -> None:
    error = classify_failure(failed(stdout=recorded("arm-authorization-failed.jsonl")), subcommand="apply")

    assert type(error) is TerraformAuthError
    assert error.message == (
        "terraform apply failed: Failed to create/update resource module.pipeline.azapi_resource.this: "
        'creating/updating Resource: (ResourceId "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups'
        '/rg-miro/providers/Microsoft.Insights/dataCollectionRules/dcr-miro" / Api Version "2023-03-11"): PUT '
        "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro"
        "/providers/Microsoft.Insights/dataCollectionRules/dcr-miro"
    )
    assert error.remedy.startswith("grant the signed-in principal the role it lacks")


def test_invalid_configuration_is_config_invalid() -> None:
    stdout = (
        '{"@level":"error","type":"diagnostic","diagnostic":{"severity":"error",'
        '"summary":"Unsupported argument","detail":"An argument named \\"nmae\\" is not expected here."}}'
    )

    error = classify_failure(failed(stdout=stdout), subcommand="plan")

    assert type(error) is TerraformConfigInvalid
    assert (
        error.message == 'terraform plan failed: Unsupported argument: An argument named "nmae" is not expected here.'
    )


def test_a_stale_saved_plan_says_to_plan_again() -> None:
    error = classify_failure(
        failed(stderr="\nError: Saved plan is stale\n\nThe given plan file can no longer"), subcommand="apply"
    )

    assert type(error) is TerraformError
    assert error.message == "terraform apply failed: Saved plan is stale"
    assert error.remedy == "the state changed since the plan was made: run the plan again"


def test_anything_else_is_a_plain_terraform_error_with_the_tail_of_stderr() -> None:
    stderr = "\n".join(f"line {i}" for i in range(30))

    error = classify_failure(failed(stderr=stderr), subcommand="apply")

    assert type(error) is TerraformError
    assert error.message == "terraform apply failed: line 0"
    assert error.stderr_tail.splitlines() == [f"line {i}" for i in range(10, 30)]


def test_diagnostics_skip_lines_that_are_not_json() -> None:
    lines = ["Successfully configured the backend", "{not json", recorded("backend-auth.jsonl").strip()]

    diagnostics = parse_diagnostics(lines)

    assert [d.summary for d in diagnostics] == [
        "unable to build authorizer for Storage API: could not configure AzureCli Authorizer: could not parse "
        'Azure CLI version: launching Azure CLI: exec: "az": executable file not found in $PATH'
    ]
