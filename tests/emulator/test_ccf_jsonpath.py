"""The JSONPath subset of eventsJsonPaths and nextPageTokenJsonPath."""

from __future__ import annotations

import pytest

from emulator.ccf.jsonpath import JsonPath

DOC = {"data": [{"id": 1}, {"id": 2}], "cursor": "c#1-DDB", "meta": {"next": {"token": "t"}}, "odd key": 3}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("$", [DOC]),
        ("$.data", [DOC["data"]]),
        ("$.cursor", ["c#1-DDB"]),
        ("$.meta.next.token", ["t"]),
        ("$['odd key']", [3]),
        ('$["meta"]["next"]', [{"token": "t"}]),
        ("$.data[1]", [{"id": 2}]),
        ("$.data[-1].id", [2]),
        ("$.data[*].id", [1, 2]),
        ("$.missing", []),
        ("$.data[5]", []),
    ],
)
def test_paths_find_what_they_name(path: str, found: list[object]) -> None:
    assert JsonPath(path).find(DOC) == found


@pytest.mark.parametrize("path", ["data", "$..id", "$.data[?(@.id>1)]", "$.data[0:1]"])
def test_other_syntax_is_refused(path: str) -> None:
    with pytest.raises(ValueError):
        JsonPath(path)
