"""The product works whichever way Azure's open questions turn out: deploy, a no-op redeploy and health
under every variant of every quirk of the local cloud (``emulator/quirks.py``).

Every quirk starts at its default (the variant harder for a client), so one scenario covers all the
defaults and one more per other variant covers the rest.
"""

from __future__ import annotations

import pytest

from emulator.quirks import QUIRKS
from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import CONTENT, WRITES, checks, deploy

VARIANTS = [pytest.param({}, id="all-defaults")] + [
    pytest.param({q.name: v}, id=f"{q.name}={v}") for q in QUIRKS for v in q.variants if v != q.default
]


@pytest.mark.parametrize("quirks", VARIANTS)
def test_deploy_redeploy_and_health_pass_under_the_variant(local_env: LocalEnv, quirks: dict[str, str]) -> None:
    if quirks:
        local_env.control("PATCH", "/quirks", quirks)

    first = deploy(local_env)
    assert first["status"] == "healthy", first["health"]
    assert first["changes"]["created"] == 6 + CONTENT

    local_env.clear_requests()
    second = deploy(local_env)
    assert second["changes"] == {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}
    writes = [r for r in local_env.requests_log() if r["service"] in ("arm", "sentinel") and r["method"] in WRITES]
    assert writes == []

    run = local_env.cli("health", "--env", "local", "--output", "json")
    assert run.code == 0, run.stderr
    assert {c["status"] for c in checks(run.json()).values()} <= {"OK", "SKIPPED"}
    assert checks(run.json())["fetch_failures"]["status"] == "OK"
