"""The scenarios that matter, written once: against the local cloud by default, against a real tenant
and Miro organisation with ``make acceptance ENV=NAME`` (see ``conftest.py``).

They run in order on one environment: preflight, deploy from scratch, a second deploy that changes nothing,
validate, health, the token checks, and destroy last.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.conftest import Target


def checks(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in document["health"]["checks"]}


def test_preflight_finds_every_prerequisite(target: Target) -> None:
    run = target.cli("preflight", "--env", target.env_name, "--output", "json")
    assert run.code == 0, run.stderr
    failed = [c for c in run.json()["preflight"] if c["status"] == "failed"]
    assert failed == []


def test_deploy_ends_healthy(target: Target) -> None:
    run = target.cli("deploy", "--env", target.env_name, "--yes", "--output", "json")
    assert run.code == 0, run.stderr
    document = run.json()
    assert document["status"] == "healthy"
    assert document["validation"]["accepted"] and document["validation"]["visible"]


def test_a_second_deploy_changes_nothing(target: Target) -> None:
    run = target.cli("deploy", "--env", target.env_name, "--yes", "--output", "json")
    assert run.code == 0, run.stderr
    assert run.json()["changes"] == {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}


def test_validate_sends_a_record_that_becomes_visible(target: Target) -> None:
    run = target.cli("validate", "--env", target.env_name, "--output", "json")
    assert run.code == 0, run.stderr
    assert run.json()["validation"]["visible"] is True


def test_health_reports_every_check_ok_or_skipped(target: Target) -> None:
    run = target.cli("health", "--env", target.env_name, "--output", "json")
    assert run.code == 0, run.stderr
    assert set(checks(run.json()).values()) <= {"OK", "SKIPPED", "WARN"}
    assert checks(run.json())["table"] == "OK" and checks(run.json())["dcr"] == "OK"


def test_check_token_accepts_the_environments_token(target: Target) -> None:
    run = target.cli("check-token", "--env", target.env_name, "--output", "json")
    assert run.code == 0, run.stderr
    assert "auditlogs:read" in run.json()["token"]["scopes"]


@pytest.mark.local_only
@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ("revoked", "error: Miro refused the token (401 unauthorized"),
        ("no_audit_scope", "error: the Miro token lacks the auditlogs:read scope"),
        ("not_enterprise", "error: Miro denied access to /v2/audit/logs (403"),
    ],
)
def test_a_token_of_each_bad_class_is_refused_before_azure(target: Target, preset: str, message: str) -> None:
    token = target.control("POST", "/miro/tokens", {"preset": preset, "label": f"acceptance-{preset}"})["token"]
    environ = dict(target.environ)
    target.environ["MIRO_ACCESS_TOKEN"] = token
    try:
        run = target.cli("check-token", "--env", target.env_name)
    finally:
        target.environ.clear()
        target.environ.update(environ)
    assert run.code == 3
    assert run.errors[0].startswith(message), run.stderr


def test_destroy_leaves_nothing_to_destroy(target: Target) -> None:
    run = target.cli("destroy", "--env", target.env_name, "--yes", "--output", "json")
    assert run.code == 0, run.stderr
    again = target.cli("destroy", "--env", target.env_name, "--yes", "--output", "json")
    assert again.code == 0, again.stderr
    assert again.json()["plan"] == []
