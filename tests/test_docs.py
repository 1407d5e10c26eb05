"""The documents say what the code does: every health check has a troubleshooting section, links resolve."""

from __future__ import annotations

import re

import pytest

from deployer.health.checks import CHECK_IDS
from tests.support import REPO_ROOT

TROUBLESHOOTING = (REPO_ROOT / "TROUBLESHOOTING.md").read_text()
DOCUMENTS = [
    "README.md",
    "TROUBLESHOOTING.md",
    "dcr/README.md",
    "terraform/README.md",
    "emulator/COVERAGE.md",
    "docs/output-schema.md",
]


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_health_check_has_a_troubleshooting_section(check_id: str) -> None:
    assert f"\n## {check_id.replace('_', '-')}\n" in TROUBLESHOOTING


def test_the_json_document_lists_every_check_id() -> None:
    text = (REPO_ROOT / "docs/output-schema.md").read_text()
    for check_id in CHECK_IDS:
        assert f"`{check_id}`" in text


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links_resolve(document: str) -> None:
    path = REPO_ROOT / document
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", path.read_text()):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{document} links to {target}, which does not exist"


def test_the_readme_opens_with_the_two_commands() -> None:
    head = (REPO_ROOT / "README.md").read_text().splitlines()[:20]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_the_example_settings_say_github_actions_signs_in_through_azure_login_not_workload_identity() -> None:
    # azure-identity's WorkloadIdentityCredential needs AZURE_FEDERATED_TOKEN_FILE, which GitHub Actions lacks.
    lines = (REPO_ROOT / "envs/example.toml").read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("credential = "))
    start = max(i for i, line in enumerate(lines[:end]) if not line.startswith("#")) + 1
    comment = " ".join(line.removeprefix("#").strip() for line in lines[start:end])

    assert '"workload_identity" reads a federated token from the file named by AZURE_FEDERATED_TOKEN_FILE' in comment
    assert "GitHub Actions provides no such file: there the workflows sign in with azure/login" in comment
