"""Runner behaviour that needs no real Terraform: a stand-in binary records what it was given."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from deployer.errors import TerraformError, TerraformNotFound, TerraformVersionTooOld
from deployer.terraform import PlanResult, TerraformRunner, Timeouts
from deployer.terraform._environment import child_environment
from deployer.terraform._process import run_command
from deployer.terraform.runner import VAR_FILE_NAME

SECRET = "s3cr3t-token-value"

# Records argv, the environment and the variables file, then plans "one creation".
RECORDING_PLAN = """
record = os.environ["FAKE_TF_RECORD"]
if args[0] == "plan":
    var_file = os.path.join(os.getcwd(), "miro-sentinel.auto.tfvars.json")
    with open(record, "w") as out:
        json.dump({
            "argv": sys.argv[1:],
            "env": dict(os.environ),
            "var_file": open(var_file).read(),
            "var_file_mode": os.stat(var_file).st_mode & 0o777,
        }, out)
    out_path = next(a for a in args if a.startswith("-out="))[5:]
    open(out_path, "w").write("plan")
    sys.exit(2)
if args[0] == "show":
    print(json.dumps({"applyable": True, "resource_changes": [
        {"address": "terraform_data.this", "mode": "managed", "type": "terraform_data",
         "change": {"actions": ["create"]}}]}))
    sys.exit(0)
sys.exit(0)
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def test_missing_binary_is_terraform_not_found(workdir: Path) -> None:
    with pytest.raises(TerraformNotFound) as caught:
        TerraformRunner(workdir, binary="no-such-terraform-binary", env={"PATH": "/nonexistent"}).version()

    assert caught.value.message == "terraform binary 'no-such-terraform-binary' not found"
    assert "scripts/install-terraform" in caught.value.remedy


def test_an_old_binary_is_refused_with_its_version(workdir: Path, fake_terraform: Callable[..., Path]) -> None:
    binary = fake_terraform("sys.exit(0)\n")

    with pytest.raises(TerraformVersionTooOld) as caught:
        TerraformRunner(workdir, binary=str(binary), env={"PATH": "/usr/bin:/bin", "FAKE_TF_VERSION": "1.10.5"}).init()

    assert caught.value.message == f"Terraform 1.10.5 at {binary} is older than 1.11.0"
    assert caught.value.command == (str(binary), "version", "-json")


def test_a_binary_that_does_not_answer_version_is_an_error(workdir: Path, tmp_path: Path) -> None:
    binary = tmp_path / "terraform"
    binary.write_text("#!/bin/sh\necho 'Terraform v1.11.4'\n")
    binary.chmod(0o755)

    with pytest.raises(TerraformError) as caught:
        TerraformRunner(workdir, binary=str(binary), env={"PATH": "/usr/bin:/bin"}).version()

    assert type(caught.value) is TerraformError
    assert caught.value.message == f"{binary} did not answer `terraform version -json` with a version"


def test_secrets_go_only_into_the_environment_and_inputs_only_into_a_private_file(
    workdir: Path, tmp_path: Path, fake_terraform: Callable[..., Path]
) -> None:
    record = tmp_path / "record.json"
    binary = fake_terraform(RECORDING_PLAN)
    inherited = {
        "PATH": "/usr/bin:/bin",
        "FAKE_TF_RECORD": str(record),
        "TF_VAR_location": "inherited",
        "TF_CLI_ARGS_plan": "-refresh=false",
        "TF_LOG_PATH": str(tmp_path / "trace.log"),
    }

    with TerraformRunner(workdir, binary=str(binary), env=inherited) as runner:
        plan = runner.plan({"location": "westeurope", "tags": {"a": "b"}}, secrets={"miro_token": SECRET})
        seen = json.loads(record.read_text())

    assert plan.to_add == ("terraform_data.this",)
    assert seen["argv"][:6] == ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", "-lock-timeout=0s"]
    assert not any(SECRET in arg for arg in seen["argv"])
    assert seen["env"]["TF_VAR_miro_token"] == SECRET
    assert seen["env"]["TF_IN_AUTOMATION"] == "1" and seen["env"]["TF_INPUT"] == "0"
    assert {"TF_VAR_location", "TF_CLI_ARGS_plan", "TF_LOG_PATH"}.isdisjoint(seen["env"])
    assert json.loads(seen["var_file"]) == {"location": "westeurope", "tags": {"a": "b"}}
    assert seen["var_file"].count("\n") > 3, "one value per line, so an error echo shows one input"
    assert SECRET not in seen["var_file"]
    assert seen["var_file_mode"] == 0o600
    assert not (workdir / VAR_FILE_NAME).exists()


def test_secrets_echoed_by_terraform_are_redacted_everywhere(
    workdir: Path, fake_terraform: Callable[..., Path]
) -> None:
    binary = fake_terraform(
        "token = os.environ['TF_VAR_miro_token']\n"
        "print(json.dumps({'@message': 'Error: Bad ' + token, 'type': 'diagnostic',"
        " 'diagnostic': {'severity': 'error', 'summary': 'Bad ' + token, 'detail': token}}))\n"
        "print('echo ' + token, file=sys.stderr)\n"
        "sys.exit(1)\n"
    )
    progress: list[str] = []

    with (
        TerraformRunner(workdir, binary=str(binary), env={"PATH": "/usr/bin:/bin"}, on_output=progress.append) as r,
        pytest.raises(TerraformError) as caught,
    ):
        r.plan({}, secrets={"miro_token": SECRET})

    assert caught.value.message == "terraform plan failed: Bad ********: ********"
    assert "echo ********" in caught.value.stderr_tail
    assert SECRET not in caught.value.stderr_tail
    assert sorted(progress) == ["  ********", "Error: Bad ********", "echo ********"]  # streams interleave freely


def test_a_command_past_its_timeout_is_interrupted_then_killed(
    workdir: Path, tmp_path: Path, fake_terraform: Callable[..., Path]
) -> None:
    pid_file = tmp_path / "pid"
    binary = fake_terraform(
        f"import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    runner = TerraformRunner(
        workdir,
        binary=str(binary),
        env={"PATH": "/usr/bin:/bin"},
        timeouts=Timeouts(plan=1, interrupt_grace=0.5),
    )
    started = time.monotonic()

    with pytest.raises(TerraformError) as caught:
        runner.plan({"location": "westeurope"})

    assert time.monotonic() - started < 10
    assert type(caught.value) is TerraformError
    assert caught.value.message == "terraform plan timed out after 1 s and was interrupted"
    assert "force-unlock" in caught.value.remedy
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert not (workdir / VAR_FILE_NAME).exists()
    assert runner._plan_dir is not None and list(runner._plan_dir.iterdir()) == []
    runner.close()


def test_close_deletes_saved_plans(workdir: Path, tmp_path: Path, fake_terraform: Callable[..., Path]) -> None:
    binary = fake_terraform(RECORDING_PLAN)
    runner = TerraformRunner(workdir, binary=str(binary), env={"PATH": "/usr/bin:/bin", "FAKE_TF_RECORD": "/dev/null"})
    plan = runner.plan({})
    assert plan.plan_file is not None and plan.plan_file.exists()
    assert plan.plan_file.parent.stat().st_mode & 0o777 == 0o700

    runner.close()

    assert not plan.plan_file.parent.exists()


def test_applying_a_plan_without_its_file_is_refused(workdir: Path) -> None:
    with pytest.raises(TerraformError) as caught:
        TerraformRunner(workdir, env={}).apply(PlanResult(changes=()))

    assert caught.value.message == "this plan has no saved plan file (already applied or discarded)"


def test_child_environment_strips_inherited_inputs_and_adds_automation_settings() -> None:
    env = child_environment(
        {"HOME": "/h", "TF_VAR_x": "1", "TF_CLI_ARGS": "-x", "TF_CLI_ARGS_apply": "-y", "TF_DATA_DIR": "/d"},
        secrets={"miro_token": SECRET},
        data_dir=Path("/data"),
    )

    assert env == {
        "HOME": "/h",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_DATA_DIR": "/data",
        "TF_VAR_miro_token": SECRET,
    }


def test_a_secret_name_that_is_not_a_variable_name_is_refused() -> None:
    with pytest.raises(ValueError, match="'miro token' is not a Terraform variable name"):
        child_environment({}, secrets={"miro token": SECRET})


def test_saved_plans_go_when_a_runner_is_forgotten_without_close(
    workdir: Path, fake_terraform: Callable[..., Path]
) -> None:
    binary = fake_terraform(RECORDING_PLAN)
    runner = TerraformRunner(workdir, binary=str(binary), env={"PATH": "/usr/bin:/bin", "FAKE_TF_RECORD": "/dev/null"})
    plan = runner.plan({})
    assert plan.plan_file is not None
    plan_dir = plan.plan_file.parent

    del runner
    gc.collect()

    assert not plan_dir.exists()


def test_each_command_is_logged_with_its_exit_status_and_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="deployer.terraform._process")
    argv = [sys.executable, "-c", "import sys; sys.exit(3)"]
    result = run_command(argv, cwd=tmp_path, env=dict(os.environ), timeout=60)
    assert result.exit_status == 3
    said = [r.getMessage() for r in caplog.records if r.name == "deployer.terraform._process"]
    assert said[0] == f"running {' '.join(argv)} in {tmp_path} (deadline 60 s)"
    assert re.fullmatch(rf"{re.escape(sys.executable)} -c -> exit 3 in \d+\.\d s", said[-1])
