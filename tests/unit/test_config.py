"""Settings: precedence, validation (one line per problem, naming the source and field), secrets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from deployer.config import Secret, describe, load_settings
from deployer.errors import EXIT_USAGE, ConfigError

VALID_AZURE = """
cloud = "azure"
engine = "arm"
[azure]
tenant_id = "11111111-2222-3333-4444-555555555555"
subscription_id = "66666666-7777-8888-9999-000000000000"
resource_group = "rg-sentinel"
location = "westeurope"
[workspace]
name = "law-sentinel-prod"
"""


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    (tmp_path / "prod.toml").write_text(VALID_AZURE)
    return tmp_path


def problems_of(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_shipped_local_environment_is_valid_with_no_edits() -> None:
    settings = load_settings("local", envs_dir=Path("envs"), environ={})
    assert settings.is_local
    assert settings.engine == "arm"
    assert settings.local.state_dir == ".miro-sentinel/local"


def test_shipped_example_documents_every_key_and_is_valid() -> None:
    settings = load_settings("example", envs_dir=Path("envs"), environ={})
    keys = {row[0] for row in describe(settings)}
    text = Path("envs/example.toml").read_text()
    for key in keys - {"env", "cloud", "engine", "miro.token"}:
        assert f"\n{key.split('.', 1)[1]} = " in text, f"envs/example.toml does not document {key}"


def test_file_values_are_used_and_defaults_fill_the_rest(envs: Path) -> None:
    settings = load_settings("prod", envs_dir=envs, environ={})
    assert settings.azure.location == "westeurope"
    assert settings.table.name == "MiroAuditLogs_CL"
    assert settings.sources["azure.location"] == str(envs / "prod.toml")


def test_environment_variable_beats_the_file(envs: Path) -> None:
    settings = load_settings("prod", envs_dir=envs, environ={"MIRO_SENTINEL_AZURE_LOCATION": "northeurope"})
    assert settings.azure.location == "northeurope"
    assert settings.sources["azure.location"] == "MIRO_SENTINEL_AZURE_LOCATION"


def test_flag_beats_the_environment_variable(envs: Path) -> None:
    settings = load_settings(
        "prod",
        envs_dir=envs,
        environ={"MIRO_SENTINEL_AZURE_LOCATION": "northeurope"},
        overrides=["azure.location=swedencentral"],
    )
    assert settings.azure.location == "swedencentral"
    assert settings.sources["azure.location"] == "--set"


def test_typed_values_from_environment_are_converted(envs: Path) -> None:
    settings = load_settings(
        "prod",
        envs_dir=envs,
        environ={
            "MIRO_SENTINEL_TABLE_RETENTION_IN_DAYS": "90",
            "MIRO_SENTINEL_RESOURCES_TAGS": "owner=secops,env=prod",
            "MIRO_SENTINEL_VALIDATION_POLL_INTERVAL_SECONDS": "2.5",
        },
    )
    assert settings.table.retention_in_days == 90
    assert dict(settings.resources.tags) == {"owner": "secops", "env": "prod"}
    assert settings.validation.poll_interval_seconds == 2.5


def test_settings_are_frozen(envs: Path) -> None:
    settings = load_settings("prod", envs_dir=envs, environ={})
    with pytest.raises(AttributeError):
        settings.azure.location = "eastus"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('tenant_id = "not-a-guid"', "azure.tenant_id", "'not-a-guid' is not a GUID"),
        ('location = "west europe"', "azure.location", "did you mean 'westeurope'?"),
        ('resource_group = "rg."', "azure.resource_group", "not ending with '.'"),
    ],
)
def test_bad_azure_values_name_the_file_and_field(tmp_path: Path, line: str, field: str, message: str) -> None:
    key = line.split(" = ")[0]
    text = "\n".join(line if row.startswith(f"{key} = ") else row for row in VALID_AZURE.splitlines())
    (tmp_path / "prod.toml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert exc.value.exit_code == EXIT_USAGE
    [problem] = problems_of(exc)
    assert problem.startswith(f"{tmp_path / 'prod.toml'}: {field}: ")
    assert message in problem


def test_more_tags_than_azure_allows_on_the_dcr_are_refused(envs: Path) -> None:
    tags = ", ".join(f'"t{i}" = "v"' for i in range(49))
    (envs / "prod.toml").write_text(VALID_AZURE + f"\n[resources]\ntags = {{ {tags} }}\n")

    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={})

    assert exc.value.exit_code == EXIT_USAGE
    assert problems_of(exc) == [
        f"{envs / 'prod.toml'}: resources.tags: 49 tags are too many: at most 48 (Azure allows 50 on a resource, "
        "and miro-sentinel adds managed-by and the token version)"
    ]


def test_every_problem_is_reported_at_once_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(
        VALID_AZURE.replace('name = "law-sentinel-prod"', 'name = "-bad"')
        + '\n[table]\nname = "MiroAuditLogs"\nretention_in_days = 1000\n'
    )
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    lines = problems_of(exc)
    assert len(lines) == 3
    assert any("workspace.name: '-bad' is not valid" in line for line in lines)
    assert any("table.name: 'MiroAuditLogs' is not valid" in line and "ending with _CL" in line for line in lines)
    assert any("table.retention_in_days: 1000 is out of range: 4 to 730 (or -1)" in line for line in lines)
    assert str(exc.value).count("\n") == 2


def test_unknown_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(VALID_AZURE + "\n[health]\nfreshness_warn_minute = 10\n")
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert problems_of(exc) == [
        f"{tmp_path / 'prod.toml'}: health.freshness_warn_minute: unknown key; did you mean 'health.freshness_warn_minutes'?"
    ]


def test_unknown_section_gets_a_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(VALID_AZURE + '\n[terrafrom]\nbinary = "tf"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert problems_of(exc) == [f"{tmp_path / 'prod.toml'}: terrafrom: unknown section; did you mean 'terraform'?"]


def test_unknown_environment_variable_is_refused(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={"MIRO_SENTINEL_AZURE_SUBSCRIPTON_ID": "x"})
    assert problems_of(exc) == [
        "MIRO_SENTINEL_AZURE_SUBSCRIPTON_ID: (environment): unknown setting; did you mean 'MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID'?"
    ]


def test_wrong_type_in_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(VALID_AZURE + '\n[table]\nretention_in_days = "ninety"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert problems_of(exc) == [
        f"{tmp_path / 'prod.toml'}: table.retention_in_days: must be a whole number, not str 'ninety'"
    ]


def test_invalid_toml_is_one_clear_problem(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text("[azure\nlocation = 1\n")
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    [problem] = problems_of(exc)
    assert problem.startswith(f"{tmp_path / 'prod.toml'}: (file): not valid TOML: ")
    assert "line 1" in problem


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a = " * 2000 + "1" + "}" * 2000])
def test_a_settings_file_nested_too_deeply_is_one_clear_problem(tmp_path: Path, value: str) -> None:
    (tmp_path / "prod.toml").write_text(f"x = {value}\n")
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert problems_of(exc) == [
        f"{tmp_path / 'prod.toml'}: (file): nested too deeply to read (settings are sections of keys, a value at most a table of strings)"
    ]


def test_missing_environment_file_lists_the_available_ones(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("prd", envs_dir=envs, environ={})
    assert problems_of(exc) == [f"{envs / 'prd.toml'}: (file): no such environment file; did you mean 'prod'?"]
    assert "envs/example.toml" in exc.value.remedy


def test_required_azure_fields_are_checked(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text('cloud = "azure"\nengine = "arm"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    fields = [p.field for p in exc.value.problems]
    assert fields == [
        "azure.tenant_id",
        "azure.subscription_id",
        "azure.resource_group",
        "azure.location",
        "workspace.name",
    ]
    assert all(p.message == "is required for an Azure environment" for p in exc.value.problems)


def test_terraform_azurerm_backend_needs_a_state_account(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(VALID_AZURE.replace('engine = "arm"', 'engine = "terraform"'))
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    assert [p.field for p in exc.value.problems] == [
        "terraform.state_resource_group",
        "terraform.state_storage_account",
    ]


def test_cross_field_rules(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(
        VALID_AZURE
        + "\n[table]\nretention_in_days = 90\ntotal_retention_in_days = 30\n"
        + "[health]\nfreshness_warn_minutes = 60\nfreshness_fail_minutes = 30\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=tmp_path, environ={})
    messages = [f"{p.field}: {p.message}" for p in exc.value.problems]
    assert messages == [
        "table.total_retention_in_days: 30 is less than table.retention_in_days (90)",
        "health.freshness_warn_minutes: 60 must be less than health.freshness_fail_minutes (30)",
    ]


def test_local_cloud_refuses_the_terraform_engine() -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("local", envs_dir=Path("envs"), environ={}, overrides=["engine=terraform"])
    [problem] = exc.value.problems
    assert (problem.source, problem.field) == ("--set", "engine")
    assert "the local cloud runs the arm engine" in problem.message


def test_malformed_flag_is_refused(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={}, overrides=["azure.location"])
    assert problems_of(exc) == ["--set: azure.location: expected section.key=value"]


def test_bad_environment_name_is_refused(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("../etc/passwd", envs_dir=envs, environ={})
    assert problems_of(exc) == ["--env: env: '../etc/passwd' is not an environment name (letters, digits, '-', '_')"]


def test_token_comes_from_the_environment_and_hides_itself(envs: Path) -> None:
    settings = load_settings("prod", envs_dir=envs, environ={"MIRO_ACCESS_TOKEN": "canary-token-123"})
    assert isinstance(settings.miro_token, Secret)
    assert settings.miro_token.reveal() == "canary-token-123"
    assert "canary-token-123" not in repr(settings)
    assert "canary-token-123" not in str(settings.miro_token)
    assert all("canary-token-123" not in value for _, value, _ in describe(settings))


def test_missing_token_is_an_error_only_when_needed(envs: Path) -> None:
    assert load_settings("prod", envs_dir=envs, environ={}).miro_token is None
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={}, need_token=True)
    assert problems_of(exc) == [
        "MIRO_ACCESS_TOKEN: miro.token: is not set; export MIRO_ACCESS_TOKEN (the SIEM or OAuth token with auditlogs:read)"
    ]


def test_token_from_standard_input(envs: Path) -> None:
    settings = load_settings(
        "prod",
        envs_dir=envs,
        environ={"MIRO_SENTINEL_MIRO_TOKEN_SOURCE": "stdin"},
        stdin=io.StringIO("piped-token\n"),
        need_token=True,
    )
    assert settings.miro_token == Secret("piped-token")


def test_empty_standard_input_is_refused(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(
            "prod",
            envs_dir=envs,
            environ={"MIRO_SENTINEL_MIRO_TOKEN_SOURCE": "stdin"},
            stdin=io.StringIO(""),
            need_token=True,
        )
    assert problems_of(exc) == ["stdin: miro.token: standard input was empty"]


def test_keyvault_source_needs_a_secret_id(envs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={}, overrides=["miro.token_source=keyvault"])
    assert problems_of(exc) == [
        f'{envs / "prod.toml"}: miro.keyvault_secret_id: is required with token_source = "keyvault"'
    ]
