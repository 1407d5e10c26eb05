"""A canary token goes through a whole init/plan/apply/output/destroy cycle and is found nowhere.

Nowhere means: no file under the test's directory (working dir, data dir, state, saved plans with their
zip members decompressed, Terraform's and Python's temporary directories), no process command line
while Terraform runs, no progress line. A precondition in the fixture proves the token did arrive.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from deployer.errors import TerraformConfigInvalid
from deployer.terraform import TerraformRunner

pytestmark = pytest.mark.terraform


class CommandLineWatch:
    """Reads every process's command line over and over while Terraform runs."""

    def __init__(self, canary: str, binary: str) -> None:
        self._canary = canary.encode()
        self._binary = binary.encode()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.hits: list[str] = []
        self.terraform_seen = 0

    def __enter__(self) -> CommandLineWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    raw = cmdline.read_bytes()
                except OSError:
                    continue  # the process ended between listing and reading
                if self._canary in raw:
                    self.hits.append(raw.replace(b"\0", b" ").decode(errors="replace"))
                if self._binary in raw.split(b"\0")[:2]:  # the binary, or a script shim run by python
                    self.terraform_seen += 1
            self._stop.wait(0.002)


def files_containing(root: Path, needle: str) -> list[str]:
    """Files under ``root`` whose bytes, or whose zip members' bytes, contain ``needle``."""
    found = []
    data = needle.encode()
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        content = path.read_bytes()
        if data in content:
            found.append(str(path))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                found.extend(f"{path}!{m}" for m in archive.namelist() if data in archive.read(m))
    return found


@pytest.fixture
def basic(copy_fixture: Callable[[str], Path]) -> Path:
    return copy_fixture("basic")


def test_canary_token_reaches_terraform_and_is_left_nowhere(
    basic: Path, tmp_path: Path, terraform_binary: str, child_env: dict[str, str], private_tempdir: Path
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    variables = {"name": "alpha", "token_sha256": hashlib.sha256(canary.encode()).hexdigest()}
    secrets = {"token": canary}
    progress: list[str] = []
    plan_members: list[str] = []

    with (
        CommandLineWatch(canary, terraform_binary) as watch,
        TerraformRunner(basic, binary=terraform_binary, env=child_env, on_output=progress.append) as runner,
    ):
        runner.init()
        plan = runner.plan(variables, secrets=secrets)
        assert plan.plan_file is not None
        plan_members = files_containing(plan.plan_file.parent, canary)
        runner.apply(plan, secrets=secrets)
        outputs = runner.output()
        runner.destroy(variables, secrets=secrets)

    assert outputs["tags"].value == {}  # the cycle really ran
    assert watch.terraform_seen > 0, "the command-line watch never saw terraform running"
    assert watch.hits == []
    assert plan_members == []
    assert files_containing(tmp_path, canary) == []
    assert not any(canary in line for line in progress)


def test_without_the_token_the_fixture_refuses_to_plan(
    basic: Path, terraform_binary: str, child_env: dict[str, str], private_tempdir: Path
) -> None:
    # The control for the test above: its precondition does detect a token that did not arrive.
    variables = {"name": "alpha", "token_sha256": hashlib.sha256(b"canary").hexdigest()}

    with TerraformRunner(basic, binary=terraform_binary, env=child_env) as runner:
        runner.init()
        with pytest.raises(TerraformConfigInvalid) as caught:
            runner.plan(variables)

    assert caught.value.message == (
        "terraform plan failed: Resource precondition failed terraform_data.this: The token did not reach Terraform."
    )


def test_inherited_tf_var_of_the_same_name_does_not_replace_the_secret(
    basic: Path, terraform_binary: str, child_env: dict[str, str], private_tempdir: Path
) -> None:
    variables = {"name": "alpha", "token_sha256": hashlib.sha256(b"the-real-one").hexdigest()}
    env = {**child_env, "TF_VAR_token": "inherited-wrong-one", "TF_VAR_name": "x"}

    with TerraformRunner(basic, binary=terraform_binary, env=env) as runner:
        runner.init()
        plan = runner.plan(variables, secrets={"token": "the-real-one"})

    assert plan.to_add == ("terraform_data.this",)
