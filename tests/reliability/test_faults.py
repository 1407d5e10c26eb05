"""Every fault class of the local cloud against every command: a named cause or success, then convergence.

Each fault is injected through the control API (Azure-side faults in ``/_emulator/faults``, Miro's own in
``/_emulator/miro/faults``) and left in force for the whole run: the command must succeed despite it or
stop with exit 3 naming the external cause (never "bug", never a traceback). Then the fault is cleared and
the same command runs again: it must succeed (``converged after re-run``). Quirks (Azure's open questions)
are switched one variant at a time: deploy must be healthy under each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability.cloud import Cloud, commands_of_the_cli, watched_cloud
from tests.reliability.harness import TALLY, Outcome, record

#: Fault classes of ``/_emulator/faults`` (any service unless one is named).
AZURE_FAULTS: dict[str, dict[str, Any]] = {
    "dropped connections": {"drop": True},
    "5xx": {"status": 503},
    "429 with Retry-After": {"status": 429, "retry_after": 1},
    "malformed bodies": {"malformed": True},
    "slow answers": {"delay": 2, "count": 3},
}

#: Fault classes of the local Miro (``/_emulator/miro/faults``), on both of its operations.
MIRO_FAULTS: dict[str, dict[str, Any]] = {
    "Miro 500": {"kind": "status", "status": 500},
    "Miro 429": {"kind": "status", "status": 429, "retry_after": 1},
    "Miro slow": {"kind": "slow", "delay": 2, "count": 2},
    "Miro malformed": {"kind": "malformed"},
    "Miro repeated cursor": {"kind": "repeat_cursor"},
}

#: Each command with its arguments, and the services it talks to.
COMMANDS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "deploy": (
        ("deploy", "--env", "local", "--output", "json"),
        frozenset({"entra", "arm", "ingestion", "query", "miro"}),
    ),
    "plan": (("plan", "--env", "local", "--output", "json"), frozenset({"entra", "arm"})),
    "preflight": (("preflight", "--env", "local", "--output", "json"), frozenset({"entra", "arm"})),
    "validate": (("validate", "--env", "local", "--output", "json"), frozenset({"entra", "arm", "ingestion", "query"})),
    "health": (("health", "--env", "local", "--output", "json"), frozenset({"entra", "arm", "query", "miro"})),
    "check-token": (("check-token", "--env", "local", "--output", "json"), frozenset({"miro"})),
    "destroy": (("destroy", "--env", "local", "--yes", "--output", "json"), frozenset({"entra", "arm"})),
    "backfill": (
        ("backfill", "--env", "local", "--since", "2h", "--output", "json"),
        frozenset({"entra", "arm", "ingestion", "query", "miro"}),
    ),
}

#: Fast part (make test): one Azure-side and one Miro fault.
FAST = {("deploy", "dropped connections"), ("check-token", "Miro 500")}


#: Miro's per-minute credits for this cloud: dozens of runs a minute against one token would spend a real
#: budget too, and an honest 429 on a re-run would hide whether the fault's effects cleared (the budget's own
#: behaviour is tested in tests/integration/test_backfill.py).
MATRIX_MIRO_SETTINGS = {"credits_per_minute": 10_000_000}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    watched = watched_cloud(tmp_path_factory.mktemp("faults"))
    found = next(watched)
    found.control("PATCH", "/miro/settings", MATRIX_MIRO_SETTINGS)
    first = found.cli("deploy", "--env", "local", "--output", "json")
    assert first.code == 0, first.stderr[-2000:]
    yield found
    found.count_events()
    yield from watched


def matrix() -> list[object]:
    cases = []
    for command, (_args, services) in COMMANDS.items():
        for fault in AZURE_FAULTS:
            if services - {"miro"}:
                marks = [] if (command, fault) in FAST else [pytest.mark.full_only]
                cases.append(pytest.param(command, fault, id=f"{command}-{fault}", marks=marks))
        for fault in MIRO_FAULTS:
            if "miro" in services:
                marks = [] if (command, fault) in FAST else [pytest.mark.full_only]
                cases.append(pytest.param(command, fault, id=f"{command}-{fault}", marks=marks))
    return cases


def inject(cloud: Cloud, fault: str, services: frozenset[str]) -> None:
    """The fault on every Azure service the command uses (Miro keeps answering), or on the local Miro."""
    if fault in AZURE_FAULTS:
        for service in sorted(services - {"miro"}):
            cloud.control("POST", "/faults", {**AZURE_FAULTS[fault], "service": service})
    else:
        for operation in ("audit_logs", "token_info"):
            spec = {**MIRO_FAULTS[fault], "operation": operation}
            if spec["kind"] == "repeat_cursor" and operation == "token_info":
                continue
            cloud.control("POST", "/miro/faults", spec)


#: What a health report may still say after a Miro fault cleared: the failed fetches, truthfully, until they age
#: out of its window (health.lookback_hours).
HISTORY_CHECKS = {"fetch_failures", "freshness"}


def only_the_faults_history(outcome: Outcome) -> list[str]:
    """For an unhealthy re-run: the checks that fail besides those that report the fault's past."""
    if outcome.code != 1:
        return []
    health = (outcome.document() or {}).get("health") or {}
    failed = (
        {c["id"] for c in health.get("checks", []) if c.get("status") == "FAIL"} if isinstance(health, dict) else set()
    )
    others = failed - HISTORY_CHECKS
    return [f"still failing after the fault cleared: {sorted(others)}"] if others or not failed else []


@pytest.mark.parametrize(("command", "fault"), matrix())
def test_a_fault_ends_in_success_or_a_named_cause_and_a_rerun_converges(cloud: Cloud, command: str, fault: str) -> None:
    args, services = COMMANDS[command]
    inject(cloud, fault, services)
    try:
        faulted = cloud.cli(*args)
    finally:
        cloud.clear_faults()
    problems = record(faulted, {0, 1, 3}, f"{command} under {fault}")

    rerun = cloud.cli(*args)
    if command == "destroy":  # the environment stays deployed for whatever runs next on this cloud (any order)
        ready = cloud.cli("deploy", "--env", "local", "--output", "json")
        assert ready.code == 0, ready.stderr[-2000:]
    rerun_problems = record(rerun, {0, 1} if fault in MIRO_FAULTS else {0}, f"{command} after {fault} cleared")
    rerun_problems += only_the_faults_history(rerun)
    if not rerun_problems:
        TALLY.add("converged after re-run")
    assert problems == [], f"{command} under {fault}: {problems}\n{faulted.stderr[-1500:]}"
    assert rerun_problems == [], f"{command} after {fault}: {rerun_problems}\n{rerun.stderr[-1500:]}"


#: Every quirk switched to the variant that is not the default (the integration suite takes them one by one).
OTHER_VARIANTS = {
    "todatetime_colonless_offset": "parsed",
    "sentinel_health_resource_name": "bare",
    "connector_api_key_in_post_payload": "absent",
    "table_column_type_casing": "datetime",
    "miro_credits_per_minute": "100000",
    "miro_retry_after_on_429": "present",
    "miro_created_bounds": "closed",
    "dcr_metric_aggregations": "lenient",
    "connector_update_etag": "optional",
    "transform_datatable": "accepted",
}


@pytest.mark.full_only
@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "destroy"])
def test_every_command_succeeds_with_every_quirk_switched(cloud: Cloud, command: str) -> None:
    known = {q["name"]: q["default"] for q in cloud.control("GET", "/quirks")["quirks"]}
    assert set(OTHER_VARIANTS) == set(known), "a quirk was added or removed: switch it here too"
    cloud.control("PATCH", "/quirks", OTHER_VARIANTS)
    try:
        outcome = cloud.cli(*COMMANDS[command][0])
    finally:
        cloud.control("PATCH", "/quirks", known)
        cloud.control("PATCH", "/miro/settings", MATRIX_MIRO_SETTINGS)  # the quirk's default reset the budget
    problems = record(outcome, {0}, f"{command} with every quirk switched")
    assert problems == [], outcome.stderr[-1500:]


def test_the_matrix_covers_every_command_that_changes_or_reads_the_environment() -> None:
    # init writes starter files into the working directory only; it asks neither Azure nor Miro anything.
    reads_or_changes = set(commands_of_the_cli()) - {"config", "dcr", "emulator", "events", "init"}
    assert reads_or_changes <= set(COMMANDS), sorted(reads_or_changes - set(COMMANDS))
