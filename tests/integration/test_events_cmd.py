"""`miro-sentinel events` lists the event and category values the table holds, to tune the rules' lists."""

from __future__ import annotations

from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import deploy


def test_events_lists_each_event_and_category_seen_with_counts_without_validation_records(local_env: LocalEnv) -> None:
    deploy(local_env)
    local_env.advance(30)
    local_env.control("POST", "/ccf/pause")

    run = local_env.cli("events", "--env", "local", "--since", "1d", "--output", "json")

    assert run.code == 0, run.stderr
    document = run.json()
    assert document["table"] == "MiroAuditLogs_CL" and document["since"] == "1d"
    pairs = {(e["event"], e["category"]) for e in document["events"]}
    assert ("sign_in_succeeded", "authentication") in pairs
    assert all(category != "miro-sentinel-validation" for _, category in pairs)
    counts = [e["count"] for e in document["events"]]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 1


def test_a_bad_since_is_refused_with_one_line_and_exit_2(local_env: LocalEnv) -> None:
    run = local_env.cli("events", "--env", "local", "--since", "1w")

    assert run.code == 2
    assert run.errors[0] == (
        "error: command line: --since: '1w' is not a span: use a whole number and m, h or d, such as 90m, 24h or 7d"
    )
