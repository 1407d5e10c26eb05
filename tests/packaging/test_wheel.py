"""The tool as an operator installs it: a built wheel in a fresh virtual environment, run from an empty directory.

The wheel is built once per session (``pip wheel --no-build-isolation``, with the hatchling of the project's
environment) and installed with its ``[emulator]`` extra into a new virtual environment that does not see
the project's one (the project's pip installs into it with ``--python``), without a network: the pinned
dependencies come from ``.venv/wheelhouse``, which ``make setup`` fills. Every command then runs in an empty
directory, with no path leading back to the checkout, as it would after
``pipx install 'miro-sentinel[emulator]'``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployer import __version__
from deployer.scaffold import WORKFLOWS
from tests.support import REPO_ROOT

pytestmark = pytest.mark.slow

WHEELHOUSE = REPO_ROOT / ".venv" / "wheelhouse"


@dataclass(frozen=True)
class Installed:
    """A virtual environment with the wheel installed."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def run(self, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a program of the environment as an operator would: its bin/ first on PATH, nothing else set."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MIRO_SENTINEL_", "MIRO_ACCESS_TOKEN", "PYTHON", "VIRTUAL_ENV"))
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(
            list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from the checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), "."],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("miro_sentinel-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh virtual environment (no system site-packages) with ``miro-sentinel[emulator]`` from the wheel."""
    assert WHEELHOUSE.is_dir(), f"{WHEELHOUSE} is missing: run `make setup`, which downloads the pinned dependencies"
    root = tmp_path_factory.mktemp("venv")
    # Without pip of its own: the project's pip installs into it (--python), which saves seeding one.
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(root)
    target = Installed(root)
    done = target.run(
        sys.executable, "-m", "pip", "--python", str(target.bin / "python"), "install", "--quiet", "--no-index",
        "--no-compile", "--find-links", str(WHEELHOUSE), "--find-links", str(wheel.parent),
        "miro-sentinel[emulator]",
        cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture(scope="session")
def deployment(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory made a deployment repository by ``miro-sentinel init``."""
    root = tmp_path_factory.mktemp("deployment-repo")
    done = installed.run("miro-sentinel", "init", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_carries_dcr_terraform_settings_and_workflows(wheel: Path) -> None:
    names = wheel_names(wheel)

    assert "deployer/_shipped/dcr/transform.kql" in names
    assert "deployer/_shipped/dcr/samples/01-v2-sign-in-offset-without-colon.json" in names
    assert "deployer/_shipped/terraform/main.tf" in names
    assert "deployer/_shipped/content/workbook.json" in names
    assert "deployer/_shipped/terraform/modules/bodies/locals.tf" in names
    assert {"deployer/_shipped/envs/example.toml", "deployer/_shipped/envs/local.toml"} <= set(names)
    assert {f"deployer/_shipped/workflows/{name}" for name in WORKFLOWS} <= set(names)
    assert {"deployer/cli/main.py", "emulator/server.py", "kqlengine/adapter.py"} <= set(names)


def test_the_wheel_leaves_out_what_only_developers_need(wheel: Path) -> None:
    names = wheel_names(wheel)

    assert [n for n in names if "/tests/" in n or n.startswith("tests/")] == []
    assert [n for n in names if "/examples/" in n or "/checkov/" in n] == []
    assert "deployer/_shipped/workflows/ci.yml" not in names
    assert [n for n in names if n.endswith((".tfstate", ".terraform.lock.hcl")) or "/.terraform/" in n] == []


def test_the_installed_tool_is_the_wheel_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    done = installed.run(
        "python", "-c", "import deployer; from deployer.shipped import shipped_dir; print(deployer.__file__); "
        "print(shipped_dir('terraform'))",
        cwd=tmp_path,
    )  # fmt: skip

    module, terraform = done.stdout.splitlines()
    assert Path(module).is_relative_to(installed.root)
    assert Path(terraform) == Path(module).parent / "_shipped" / "terraform"
    assert not Path(module).is_relative_to(REPO_ROOT)


def test_init_writes_a_deployment_repository(installed: Installed, deployment: Path) -> None:
    written = sorted(
        str(p.relative_to(deployment))
        for p in deployment.rglob("*")
        if p.is_file() and p.relative_to(deployment).parts[0] != ".miro-sentinel"  # what deploy leaves
    )

    assert written == sorted(
        [".gitignore", "README.md", "envs/example.toml", "envs/local.toml"]
        + [f".github/workflows/{name}" for name in WORKFLOWS]
    )
    assert f'pipx install "miro-sentinel=={__version__}"' in (deployment / ".github/workflows/deploy.yml").read_text()


def test_dcr_test_passes_with_the_shipped_samples(installed: Installed, deployment: Path) -> None:
    done = installed.run("miro-sentinel", "dcr", "test", cwd=deployment)

    assert done.returncode == 0, done.stderr
    assert "OK: the transform is valid for a DCR and every row matches the table" in done.stdout


def test_config_check_reads_envs_of_the_current_directory(installed: Installed, deployment: Path) -> None:
    done = installed.run("miro-sentinel", "config", "check", "--env", "local", "--output", "json", cwd=deployment)

    assert done.returncode == 0, done.stderr
    assert '"source": "envs/local.toml"' in done.stdout


def test_deploy_into_the_local_cloud_is_healthy(installed: Installed, deployment: Path) -> None:
    done = installed.run("miro-sentinel", "deploy", "--env", "local", "--output", "json", cwd=deployment)

    assert done.returncode == 0, done.stderr
    assert '"status": "healthy"' in done.stdout
    assert (deployment / ".miro-sentinel" / "local").is_dir()
