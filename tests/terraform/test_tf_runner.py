"""TerraformRunner against the real terraform binary, on provider-free fixture modules."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deployer.errors import TerraformConfigInvalid, TerraformProviderUnavailable, TerraformStateLocked
from deployer.terraform import OutputValue, TerraformRunner
from deployer.terraform.runner import VAR_FILE_NAME

pytestmark = pytest.mark.terraform


@pytest.fixture
def basic(copy_fixture: Callable[[str], Path]) -> Path:
    return copy_fixture("basic")


@pytest.fixture
def progress() -> list[str]:
    return []


@pytest.fixture
def runner(
    basic: Path, terraform_binary: str, child_env: dict[str, str], private_tempdir: Path, progress: list[str]
) -> Iterator[TerraformRunner]:
    with TerraformRunner(basic, binary=terraform_binary, env=child_env, on_output=progress.append) as runner:
        runner.init()
        yield runner


def test_version_is_read_and_checked(runner: TerraformRunner) -> None:
    version = runner.version()

    assert version.parts >= (1, 11, 0)
    assert version.text.startswith(".".join(str(p) for p in version.parts))


def test_init_streams_progress_lines_to_the_callback(runner: TerraformRunner, progress: list[str]) -> None:
    assert "Initializing the backend..." in progress
    assert "Terraform has been successfully initialized!" in progress


def test_plan_of_an_empty_state_creates_and_says_so(runner: TerraformRunner) -> None:
    plan = runner.plan({"name": "alpha"})

    assert plan.to_add == ("terraform_data.this",)
    assert plan.counts() == {"add": 1, "change": 0, "destroy": 0}
    assert plan.applyable and not plan.replaces
    assert plan.plan_file is not None and plan.plan_file.exists()
    runner.discard(plan)
    assert not plan.plan_file.exists()


def test_apply_then_plan_again_finds_no_changes(runner: TerraformRunner) -> None:
    runner.apply(runner.plan({"name": "alpha"}))

    again = runner.plan({"name": "alpha"})

    assert not again.has_changes
    assert not again.applyable
    assert again.counts() == {"add": 0, "change": 0, "destroy": 0}
    runner.discard(again)


def test_changed_input_is_an_update_and_a_changed_trigger_a_replacement(runner: TerraformRunner) -> None:
    runner.apply(runner.plan({"name": "alpha"}))

    update = runner.plan({"name": "beta"})
    replace = runner.plan({"name": "alpha", "generation": 2})

    assert update.to_change == ("terraform_data.this",) and not update.replaces
    assert replace.replaces
    assert replace.counts() == {"add": 1, "change": 0, "destroy": 1}
    assert replace.changes[0].replace_paths == ("triggers_replace",)
    assert replace.to_provision_plan().counts() == {"created": 1, "updated": 0, "deleted": 1, "adopted": 0}


def test_apply_deletes_the_saved_plan(runner: TerraformRunner) -> None:
    plan = runner.plan({"name": "alpha"})
    assert plan.plan_file is not None

    runner.apply(plan)

    assert not plan.plan_file.exists()


def test_outputs_keep_maps_lists_booleans_and_mark_sensitive_values(runner: TerraformRunner) -> None:
    runner.apply(runner.plan({"name": "alpha", "tags": {"env": "test"}, "items": ["a", "b"], "enabled": False}))

    outputs = runner.output()

    assert outputs["tags"] == OutputValue({"env": "test"}, False, ["map", "string"])
    assert outputs["items"].value == ["a", "b"]
    assert outputs["enabled"].value is False
    assert outputs["note"].sensitive is True
    assert outputs["note"].value == "marked sensitive, but not a secret"


def test_destroy_empties_the_state(runner: TerraformRunner) -> None:
    runner.apply(runner.plan({"name": "alpha"}))

    destroyed = runner.destroy({"name": "alpha"})

    assert destroyed.to_destroy == ("terraform_data.this",)
    assert runner.output() == {}
    assert not runner.plan({"name": "alpha"}, destroy=True).has_changes


def test_the_variables_file_is_removed_after_each_command(runner: TerraformRunner, basic: Path) -> None:
    runner.apply(runner.plan({"name": "alpha"}))

    assert not (basic / VAR_FILE_NAME).exists()


def test_a_value_failing_validation_is_a_config_error_naming_the_variable(runner: TerraformRunner) -> None:
    with pytest.raises(TerraformConfigInvalid) as caught:
        runner.plan({"name": "ab"})

    assert caught.value.message == (
        "terraform plan failed: Invalid value for variable var.name: name must be at least 3 characters."
    )
    assert caught.value.exit_status == 1
    assert caught.value.command[1] == "plan"
    assert "name must be at least 3 characters." in caught.value.stderr_tail


def test_a_value_of_the_wrong_type_is_a_config_error(runner: TerraformRunner) -> None:
    with pytest.raises(TerraformConfigInvalid) as caught:
        runner.plan({"name": "alpha", "tags": ["not", "a", "map"]})

    assert "Invalid value for input variable" in caught.value.message
    assert "var.tags" in caught.value.message


def test_an_undeclared_variable_is_refused(runner: TerraformRunner) -> None:
    with pytest.raises(TerraformConfigInvalid) as caught:
        runner.plan({"name": "alpha", "nmae": "typo"})

    assert caught.value.message.startswith("terraform plan was given a variable the configuration does not declare")
    assert '"nmae"' in caught.value.message
    assert caught.value.remedy == "remove or rename the variable so that it matches a variable block"


@contextlib.contextmanager
def lock_held_by_another_apply(
    basic: Path, terraform_binary: str, child_env: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Another terraform whose apply is blocked in a provisioner, holding the state lock; yields the lock info."""
    holder = subprocess.Popen(
        [terraform_binary, "apply", "-auto-approve", "-input=false", "-no-color"],
        cwd=basic,
        env={**child_env, "TF_VAR_name": "alpha", "TF_VAR_hold": "true"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (basic / "held").exists():
            assert holder.poll() is None, "the lock holder exited early"
            assert time.monotonic() < deadline, "the lock holder never started its provisioner"
            time.sleep(0.05)
        yield json.loads((basic / ".terraform.tfstate.lock.info").read_text())
    finally:
        (basic / "release").touch()
        try:
            holder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(holder.pid, signal.SIGKILL)
            raise
    assert holder.returncode == 0


def test_a_state_lock_held_by_another_process_is_reported_with_its_id_and_holder(
    runner: TerraformRunner, basic: Path, terraform_binary: str, child_env: dict[str, str]
) -> None:
    with (
        lock_held_by_another_apply(basic, terraform_binary, child_env) as lock_info,
        pytest.raises(TerraformStateLocked) as caught,
    ):
        runner.plan({"name": "alpha"})

    # The error names the lock and who holds it
    assert caught.value.lock_id == lock_info["ID"]
    assert caught.value.holder is not None
    assert caught.value.holder.startswith(f"{lock_info['Who']} (OperationTypeApply since ")
    assert lock_info["ID"] in caught.value.message
    assert f"terraform force-unlock {lock_info['ID']}" in caught.value.remedy


def test_a_plan_without_the_lock_plans_while_another_run_holds_it(
    runner: TerraformRunner, basic: Path, terraform_binary: str, child_env: dict[str, str]
) -> None:
    # What a principal that may only read the state can do (the azurerm backend's lock is a blob lease).
    with lock_held_by_another_apply(basic, terraform_binary, child_env) as lock_info:
        plan = runner.plan({"name": "alpha"}, lock=False)
        lock_after = json.loads((basic / ".terraform.tfstate.lock.info").read_text())

    assert plan.plan_file is not None and plan.plan_file.exists()
    assert lock_after == lock_info  # the other run's lock was neither waited for, taken nor broken


def test_init_without_registry_access_is_provider_unavailable(
    copy_fixture: Callable[[str], Path], terraform_binary: str, child_env: dict[str, str]
) -> None:
    module = copy_fixture("needs_provider")
    # Make "offline" certain on any machine: every HTTPS request goes to a closed local port.
    offline = {**child_env, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}

    with (
        TerraformRunner(module, binary=terraform_binary, env=offline) as runner,
        pytest.raises(TerraformProviderUnavailable) as caught,
    ):
        runner.init()

    assert caught.value.message.startswith("terraform init failed: Failed to query available provider packages: ")
    assert "hashicorp/random" in caught.value.message
    assert "hashicorp/random" in caught.value.stderr_tail
    assert "registry.terraform.io" in caught.value.stderr_tail
    assert "provider mirror" in caught.value.remedy
