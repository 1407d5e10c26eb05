"""Backend settings: validated on construction, written as a partial config or a local-state override."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.errors import ConfigError
from deployer.terraform.backend import BACKEND_CONFIG_FILE, BACKEND_OVERRIDE_FILE, BackendSettings


def test_azurerm_backend_is_written_as_a_partial_configuration_without_secrets(tmp_path: Path) -> None:
    settings = BackendSettings(
        kind="azurerm",
        storage_account_name="stmirotfstate",
        container_name="tfstate",
        key="prod.terraform.tfstate",
        tenant_id="00000000-0000-0000-0000-000000000001",
        client_id="00000000-0000-0000-0000-000000000002",
        use_oidc=True,
    )

    path = settings.write(tmp_path, state_path="../state/terraform.tfstate")

    assert path == tmp_path / BACKEND_CONFIG_FILE
    assert path.read_text().splitlines() == [
        'storage_account_name = "stmirotfstate"',
        'container_name = "tfstate"',
        'key = "prod.terraform.tfstate"',
        'tenant_id = "00000000-0000-0000-0000-000000000001"',
        'client_id = "00000000-0000-0000-0000-000000000002"',
        "use_oidc = true",
        "use_azuread_auth = true",
    ]
    assert not (tmp_path / BACKEND_OVERRIDE_FILE).exists()


def test_local_backend_overrides_the_azurerm_block(tmp_path: Path) -> None:
    (tmp_path / BACKEND_OVERRIDE_FILE).write_text("stale")

    path = BackendSettings(kind="local").write(tmp_path, state_path="../state/terraform.tfstate")

    assert path is None
    assert (
        'backend "local" {\n    path = "../state/terraform.tfstate"\n  }'
        in (tmp_path / BACKEND_OVERRIDE_FILE).read_text()
    )


def test_switching_to_azurerm_removes_a_local_override(tmp_path: Path) -> None:
    BackendSettings(kind="local").write(tmp_path, state_path="s")

    BackendSettings(kind="azurerm", storage_account_name="st1", container_name="tf1", key="k").write(
        tmp_path, state_path="s"
    )

    assert not (tmp_path / BACKEND_OVERRIDE_FILE).exists()


def test_azurerm_backend_needs_account_container_and_key() -> None:
    with pytest.raises(ConfigError) as caught:
        BackendSettings(kind="azurerm", storage_account_name="stmirotfstate")

    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("container_name", "is required for the azurerm backend"),
        ("key", "is required for the azurerm backend"),
    ]


def test_values_that_could_break_the_file_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        BackendSettings(kind="azurerm", storage_account_name='st"x', container_name="tfstate", key="k", tenant_id="t")

    assert str(caught.value).splitlines() == [
        "backend: storage_account_name: must be 3-24 lower-case letters and digits, not 'st\"x'",
        "backend: tenant_id: must be a GUID, not 't'",
    ]
