"""Fixtures for the Terraform tests: the real binary (or a skip that says why), fixture copies, fake binaries."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deployer.provision import Target
from deployer.terraform.runner import MIN_TERRAFORM_VERSION
from tests.support import sample_target, skip_or_fail

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TERRAFORM_DIR = REPO / "terraform"


def _find_terraform() -> tuple[str | None, str]:
    """The terraform to test with, or why there is none: TERRAFORM_BINARY, PATH, then .venv/bin."""
    candidates = [os.environ.get("TERRAFORM_BINARY"), shutil.which("terraform"), str(REPO / ".venv/bin/terraform")]
    binary = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if binary is None:
        return None, "terraform not found (TERRAFORM_BINARY, PATH, .venv/bin); see terraform/README.md to get one"
    try:
        answer = subprocess.run(
            [binary, "version", "-json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            stdin=subprocess.DEVNULL,
        )
        version = json.loads(answer.stdout)["terraform_version"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        return None, f"{binary} does not answer `terraform version -json`: {exc}"
    parts = tuple(int(p) for p in version.split("-")[0].split(".")[:3])
    if parts < MIN_TERRAFORM_VERSION:
        return None, f"terraform {version} at {binary} is older than 1.11.0"
    return binary, ""


_BINARY, _WHY_NOT = _find_terraform()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``terraform`` are skipped, with the reason, where no suitable binary exists (CI: fail)."""
    if _BINARY is not None:
        return
    needing = [item for item in items if item.get_closest_marker("terraform") is not None]
    if needing:
        skip = skip_or_fail("terraform", _WHY_NOT)
        for item in needing:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    if _BINARY is None:
        skip_or_fail("terraform", _WHY_NOT)
        pytest.skip(_WHY_NOT)
    return _BINARY


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """A small, explicit environment for terraform children: no inherited TF_* settings, a private TMPDIR."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("", encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp),
        "TF_CLI_CONFIG_FILE": str(cli_config),
    }


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make Python's temporary files (the runner's saved plans) land under tmp_path, where tests scan."""
    tmp = tmp_path / "python-tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    yield tmp


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    """Returns a function giving a fresh copy of ``fixtures/<name>`` (terraform writes state next to it)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def fake_terraform(tmp_path: Path) -> Callable[[str], Path]:
    """Returns a function writing a stand-in ``terraform`` in Python; ``body`` runs with ``args = sys.argv[1:]``.

    ``version -json`` answers ``$FAKE_TF_VERSION`` (default 1.11.4) before ``body`` runs.
    """

    def write(body: str, name: str = "terraform") -> Path:
        path = tmp_path / "bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f"#!{sys.executable}\nimport json, os, sys, time\nargs = sys.argv[1:]\n"
            "if args[:1] == ['version']:\n"
            "    print(json.dumps({'terraform_version': os.environ.get('FAKE_TF_VERSION', '1.11.4')}))\n"
            "    sys.exit(0)\n" + body,
            encoding="utf-8",
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    return write


@pytest.fixture
def target() -> Target:
    """A deployment target with every field set (names as the tests' fixtures expect)."""
    return sample_target()
