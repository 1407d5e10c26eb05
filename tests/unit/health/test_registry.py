"""The health-check registry: each check declared once, its results carrying its id and title."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from deployer.errors import ResourceNotFound
from deployer.health.checks import CHECK_IDS, CHECKS
from deployer.health.model import CheckResult, Status
from deployer.health.registry import Check, Needs, check


def context(**given: Any) -> Any:
    return SimpleNamespace(**{"arm": None, "query": None, "outputs_error": None, **given})


@check("sample", "A sample check", needs=Needs.ARM)
def sample(ctx: Any, this: Check) -> CheckResult:
    return this.result(ctx.status, "as planted")


@check("lookup", "A query check", needs=Needs.QUERY)
def lookup(ctx: Any, this: Check) -> CheckResult:
    raise ResourceNotFound("the DCR dcr-miro-audit")


def test_every_check_is_declared_once_with_a_unique_id_and_title() -> None:
    assert len(set(CHECK_IDS)) == len(CHECKS)
    assert len({c.title for c in CHECKS}) == len(CHECKS)
    assert CHECK_IDS[-2:] == ("content", "rule_runs")


def test_a_result_carries_the_declared_id_and_title_and_a_warning_points_to_its_troubleshooting_section() -> None:
    result = sample.run(context(arm=object(), status=Status.WARN))

    assert (result.id, result.title, result.status, result.detail) == (
        "sample",
        "A sample check",
        Status.WARN,
        "as planted",
    )
    assert result.remedy == "see TROUBLESHOOTING.md#sample"


def test_a_check_that_needs_azure_is_skipped_as_an_external_error_without_it() -> None:
    result = sample.run(context(status=Status.OK))

    assert (result.status, result.detail, result.external_error) == (Status.SKIPPED, "Azure could not be reached", True)


def test_a_check_that_needs_the_workspace_query_is_skipped_naming_why_it_is_unavailable() -> None:
    result = lookup.run(context())

    assert result.status is Status.SKIPPED
    assert result.detail == "cannot query the workspace: the pipeline is not deployed"
    assert result.remedy == "run `miro-sentinel deploy`"


def test_a_missing_resource_fails_the_check_with_the_remedy_to_deploy() -> None:
    result = lookup.run(context(query=object()))

    assert result.status is Status.FAIL
    assert result.detail == "missing: the DCR dcr-miro-audit"
    assert result.remedy == "run `miro-sentinel deploy` to create it"
