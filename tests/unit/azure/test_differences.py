"""The arm engine's comparison: only what we set counts, with ARM's case and spelling changes tolerated."""

from __future__ import annotations

from deployer.drift import differences


def test_equal_when_the_current_resource_has_extra_read_only_fields() -> None:
    desired = {"properties": {"a": 1}}
    current = {"id": "/x", "properties": {"a": 1, "provisioningState": "Succeeded"}}
    assert differences(desired, current) == []


def test_changed_value_is_named_by_path() -> None:
    desired = {"properties": {"dataFlows": [{"transformKql": "source"}]}}
    current = {"properties": {"dataFlows": [{"transformKql": "source | where false"}]}}
    assert differences(desired, current) == ["properties.dataFlows[0].transformKql"]


def test_missing_key_is_a_difference() -> None:
    assert differences({"properties": {"description": "d"}}, {"properties": {}}) == ["properties.description"]


def test_keys_match_case_insensitively() -> None:
    assert (
        differences({"properties": {"ApiKeyName": "Authorization"}}, {"properties": {"apiKeyName": "Authorization"}})
        == []
    )


def test_arm_spellings_of_types_and_locations_are_equal() -> None:
    desired = {"location": "westeurope", "columns": [{"name": "T", "type": "datetime"}]}
    current = {"location": "West Europe", "columns": [{"name": "T", "type": "dateTime"}]}
    assert differences(desired, current) == []


def test_a_column_added_or_removed_changes_the_list() -> None:
    assert differences({"columns": [1, 2]}, {"columns": [1]}) == ["columns"]


def test_missing_resource_is_one_difference() -> None:
    assert differences({"properties": {}}, None) == ["(resource)"]
