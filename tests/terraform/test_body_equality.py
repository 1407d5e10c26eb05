"""One body, two engines: for the same settings, terraform/modules/bodies renders exactly what the arm engine sends.

Each case is a settings file a user could write (every ``envs/*.toml``, one holding only the required keys, and
edge values): it is loaded as the CLI loads it, turned into a :class:`Target` as ``deploy`` does, and into the
variables the terraform engine writes (``target_variables``). The real terraform binary applies the
provider-free module with those variables (a temporary copy, beside a copy of ``dcr/``) and ``terraform output
-json`` gives its bodies; each must serialise to the same canonical JSON as the body ``deployer.dcr.bodies``
builds for the arm engine (same keys, values and JSON types: ``true`` is not ``1``, ``10`` is not ``10.0``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from deployer.config import Settings
from deployer.dcr import bodies
from deployer.dcr.spec import DcrSpec
from deployer.provision import Target
from deployer.terraform import TerraformRunner, target_variables
from tests.terraform.settings_cases import CASES, ENDPOINT, IMMUTABLE_ID, REPO, Case, python_bodies, resolve

pytestmark = pytest.mark.terraform


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def terraform_inputs(case: Case, settings: Settings, spec: DcrSpec, target: Target) -> dict[str, Any]:
    """The bodies module's inputs: the ``target`` object the terraform engine writes, and the two ids it computes."""
    written = target_variables(target, table_name=spec.table.name, create_resource_group=settings.workspace.create)
    if case.required_attributes_only:
        required = ("location", "resource_group", "subscription_id", "validation_principal_id", "workspace_name")
        written = {"target": {name: written["target"][name] for name in required}}
    return {**written, "dce_logs_ingestion_endpoint": ENDPOINT, "dcr_immutable_id": IMMUTABLE_ID}


@pytest.fixture(scope="module")
def render(
    tmp_path_factory: pytest.TempPathFactory, terraform_binary: str
) -> Callable[[DcrSpec, Mapping[str, Any]], dict[str, Any]]:
    """Applies the bodies module with the real terraform and returns its outputs."""

    def run(spec: DcrSpec, inputs: Mapping[str, Any]) -> dict[str, Any]:
        root = tmp_path_factory.mktemp("bodies")
        module = root / "terraform" / "modules" / "bodies"
        shutil.copytree(REPO / "terraform" / "modules" / "bodies", module, ignore=shutil.ignore_patterns("tests"))
        shutil.copytree(spec.root, root / "dcr")  # where the module looks by default, as in the engine's copy
        shutil.copytree(REPO / "content", root / "content")
        with TerraformRunner(module, binary=terraform_binary, env=dict(os.environ)) as runner:
            runner.init()
            runner.apply(runner.plan(inputs))
            return {name: output.value for name, output in runner.output().items()}

    return run


@pytest.fixture(scope="module", params=sorted(CASES))
def both(
    request: pytest.FixtureRequest,
    render: Callable[[DcrSpec, Mapping[str, Any]], dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], dict[str, Any]]:
    case = CASES[request.param]
    settings, spec, target = resolve(case, tmp_path_factory.mktemp("envs"))
    return render(spec, terraform_inputs(case, settings, spec, target)), python_bodies(spec, target)


@pytest.mark.parametrize(
    "body",
    [
        "table_body",
        "dce_body",
        "dcr_body",
        "connector_definition_body",
        "connector_body",
        "role_assignment_body",
        "role_assignment_name",
        "table_name",
        "stream_name",
        "table_resource_id",
        "dce_resource_id",
        "dcr_resource_id",
        "workspace_resource_id",
        "content_alert_rules",
        "content_hunting_queries",
        "content_metric_alerts",
        "content_workbook",
    ],
)
def test_terraform_and_python_build_the_same_body(body: str, both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    terraform, python = both

    assert canonical(terraform[body]) == canonical(python[body])


def test_the_secret_path_points_where_python_puts_the_token(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    terraform, _ = both
    secret: Any = bodies.connector_secret("token-value")

    for step in terraform["connector_secret_path"].split("."):
        secret = secret[step]

    assert secret == "Bearer token-value"
