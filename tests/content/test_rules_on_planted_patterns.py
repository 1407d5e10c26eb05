"""Each analytics rule and metric alert raises exactly its alert on its planted pattern, and nothing on normal activity.

Two runs of :mod:`tests.content.scenario` (30 hours of a generated Miro organisation from the same Monday,
collected by the connector as it would be): one with the patterns and failures of ``PLANTS`` on the second
day, one without. Slow: each run steps the local cloud through 120 quarter-hours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployer.content.spec import load_content
from tests.content import scenario
from tests.content.scenario import CONNECTOR, PLANTS, Outcome

# Each run steps through 30 hours; on a busy machine a run can take several minutes.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

#: Per rule file: the entity (type, identifier, value) its one alert must carry.
EXPECTED: dict[str, tuple[str, str, str]] = {
    "sign-in-failures-per-user": ("account", "FullName", "victim@example.com"),
    "sign-in-failures-per-ip": ("ip", "Address", "198.51.100.250"),
    "sign-ins-from-many-ips": ("account", "FullName", "roamer@example.com"),
    "activity-after-dormancy": ("account", "FullName", "dormant@example.com"),
    "off-hours-administration": ("account", "FullName", "nightowl@example.com"),
    "unusual-volume-per-user": ("account", "FullName", "user17@example.com"),
    "connector-fetch-failures": ("cloud-application", "Name", CONNECTOR),
    "miro-events-silent": ("cloud-application", "Name", CONNECTOR),
    "validation-record-missing": ("cloud-application", "Name", "MiroAuditLogs_CL"),
}
METRIC_ALERTS = ("dcr-transformation-errors", "dcr-rows-dropped")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return scenario.run(Path(tmp_path_factory.mktemp("planted")), planted=True)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return scenario.run(Path(tmp_path_factory.mktemp("baseline")), planted=False)


def entities(alert: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["Type"], k, v) for e in json.loads(alert["Entities"]) for k, v in e.items() if k not in ("$id", "Type")}


def test_every_rule_and_alert_of_content_has_a_planted_pattern() -> None:
    keys = set(load_content().rule_keys)

    assert keys == set(EXPECTED) | set(METRIC_ALERTS)
    assert {p.rule for p in PLANTS} == keys - {"dcr-rows-dropped"}  # the broken transform drops rows too


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_the_rule_raises_exactly_one_alert_with_the_expected_entity_on_its_pattern(planted: Outcome, rule: str) -> None:
    [alert] = planted.alerts.get(rule, [])

    assert EXPECTED[rule] in entities(alert)
    assert alert["ProviderName"] == "ASI Scheduled Alerts"
    assert alert["RemediationSteps"]


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_the_rule_raises_nothing_on_the_same_activity_without_the_pattern(baseline: Outcome, rule: str) -> None:
    assert baseline.alerts.get(rule, []) == []


@pytest.mark.parametrize("alert", METRIC_ALERTS)
def test_the_dcr_metric_alert_fires_once_when_the_transform_breaks(planted: Outcome, alert: str) -> None:
    [fired] = planted.fired.get(alert, [])

    assert fired["values"] and all(value > 0 for value in fired["values"].values())


@pytest.mark.parametrize("alert", METRIC_ALERTS)
def test_the_dcr_metric_alert_stays_quiet_on_normal_activity(baseline: Outcome, alert: str) -> None:
    assert baseline.fired.get(alert, []) == []


def test_no_alert_comes_from_anything_but_our_rules(planted: Outcome, baseline: Outcome) -> None:
    assert set(planted.alerts) <= set(EXPECTED) and set(baseline.alerts) <= set(EXPECTED)
