"""The bounds helpers: how deeply KQL nests, and a time budget for pure-Python work."""

from __future__ import annotations

import pytest

from deployer.dcr import bounds


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("source | extend x = tostring(parse_json(tostring(details))[0])", 3),
        ("source | extend x = '((((' , y = @\"[[[\" // (((( a comment\n| project x", 0),
        ('source | where x == "\\")(("', 0),
        ("source | extend x = ```((\n((```", 0),
        ("source | extend x = " + "(" * 40 + "1" + ")" * 40, 40),
    ],
)
def test_nesting_counts_brackets_outside_strings_and_comments(text: str, depth: int) -> None:
    assert bounds.kql_nesting(text) == depth


def test_work_past_its_time_budget_is_interrupted() -> None:
    with pytest.raises(bounds.OverBudget, match=r"more than 0\.2 s"), bounds.time_budget(0.2):
        while True:
            pass


def test_work_within_its_time_budget_is_left_alone() -> None:
    with bounds.time_budget(5):
        total = sum(range(1000))
    assert total == 499_500
