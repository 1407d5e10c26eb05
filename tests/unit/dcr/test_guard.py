"""The DCR-transform subset guard: what Azure refuses is named with its line and column."""

from __future__ import annotations

import pytest

from deployer.dcr.guard import check_transform_subset
from deployer.dcr.spec import load_spec


def messages(text: str) -> list[str]:
    return [str(v) for v in check_transform_subset(text)]


def test_the_shipped_transform_is_within_the_subset() -> None:
    assert check_transform_subset(load_spec().transform) == []


@pytest.mark.parametrize("operator", ["summarize count() by id", "sort by id", "take 1", "distinct id", "top 1 by id"])
def test_multi_row_operators_are_refused(operator: str) -> None:
    [message] = messages(f"source\n| {operator}")
    name = operator.split()[0]
    assert message.startswith(f"line 2, column 3: operator '{name}' is not allowed in a DCR transform")
    assert "allowed: extend, parse, project, project-away, project-rename, where" in message


def test_join_is_refused() -> None:
    assert messages("source | join (OtherTable | where x == 1) on id") == [
        "line 1, column 10: operator 'join' is not allowed in a DCR transform (Azure applies a transform to one record "
        "at a time; allowed: extend, parse, project, project-away, project-rename, where)",
        "line 1, column 16: 'OtherTable' cannot be a data source in a DCR transform; only `source` (the incoming record) "
        "or `print` may start the query",
    ]


def test_functions_outside_the_list_are_refused() -> None:
    assert messages('source | extend x = replace_string(id, "a", "b")') == [
        "line 1, column 21: function 'replace_string()' is not in the list Azure allows in DCR transforms"
    ]


def test_iff_is_accepted_as_the_synonym_of_iif() -> None:
    assert messages('source | extend x = iff(isnull(id), "", id), y = iif(true, 1, 2)') == []


def test_string_operators_outside_the_list_are_refused() -> None:
    assert messages('source | where id has_any ("a", "b")') == [
        "line 1, column 19: operator 'has_any' is not allowed in a DCR transform"
    ]


def test_datatable_is_refused_as_a_source() -> None:
    [message] = messages("datatable(a:int)[1] | extend b = 1")
    assert message.startswith("line 1, column 1: 'datatable' cannot be a data source")


def test_datatable_in_a_let_is_refused() -> None:
    [message] = messages('let t = datatable(a:string)["x"];\nsource | project a = "1"')
    assert message == (
        "line 1, column 9: 'datatable' is not allowed in a DCR transform; the only data is `source` "
        "(the incoming record)"
    )


def test_datatable_piped_in_a_let_is_named_once() -> None:
    [message] = messages('let t = datatable(a:string)["x"] | where a == "x";\nsource | project a = "1"')
    assert message.startswith("line 1, column 9: 'datatable' cannot be a data source")


def test_print_and_let_functions_are_allowed() -> None:
    assert messages("print x = 1") == []
    assert messages("let clean = (s:string) { tolower(s) };\nsource | extend x = clean(id)") == []


def test_parse_is_limited_to_ten_columns() -> None:
    pattern = ' "," '.join(f"c{i}" for i in range(11))
    [message] = messages(f"source | parse id with {pattern}")
    assert message == (
        "line 1, column 10: parse extracts 11 columns; Azure allows at most 10 per parse in a transform "
        "(split it into several parse operators)"
    )


def test_text_that_does_not_parse_yields_no_violations() -> None:
    assert check_transform_subset("source | where") == []
