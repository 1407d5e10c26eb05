"""Conformance with the official specs' examples (``../shared/api-specs``): their request bodies replayed.

Ids in the examples (subscription, resource group, workspace) are replaced by the local cloud's; the
answers must have the examples' status codes and every key of the examples' response bodies (with
the same JSON types). Where an example is one Azure itself would refuse, or uses what the local cloud
does not emulate, the test says so and checks the refusal.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from local_cloud import MONITOR, Http

pytestmark = pytest.mark.shared

SPECS = Path(__file__).resolve().parents[2] / ".." / "shared" / "api-specs"


def example(relative: str) -> dict[str, Any]:
    return json.loads((SPECS / relative).read_text(encoding="utf-8"))


def assert_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """``actual`` has every key ``expected`` has, recursively, with values of the same JSON type."""
    if expected is None:
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing key '{key}'"
            assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        if expected and actual:
            assert_shape(actual[0], expected[0], f"{where}[0]")
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{where}: expected a boolean, got {actual!r}"
    elif isinstance(expected, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), (
            f"{where}: expected a number, got {actual!r}"
        )
    else:
        assert isinstance(actual, str), f"{where}: expected a string, got {actual!r}"


def group_path(info: dict[str, Any]) -> str:
    return f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"


def localized(body: Any, info: dict[str, Any]) -> Any:
    """``body`` with the example's workspace resource ids pointing at the local cloud's workspace."""
    text = json.dumps(body)
    for foreign in {w for w in _workspace_ids(body)}:
        text = text.replace(foreign, info["workspace_resource_id"])
    return json.loads(text)


def _workspace_ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "workspaceResourceId"] + [
            i for v in value.values() for i in _workspace_ids(v)
        ]
    if isinstance(value, list):
        return [i for v in value for i in _workspace_ids(v)]
    return []


# --- data collection endpoints ----------------------------------------------------------------------


def test_dce_create_get_delete_examples(emulator: dict[str, Any], http: Http) -> None:
    create = example("monitor-dcr/examples/DataCollectionEndpointsCreate.json")
    get = example("monitor-dcr/examples/DataCollectionEndpointsGet.json")
    delete = example("monitor-dcr/examples/DataCollectionEndpointsDelete.json")
    version = create["parameters"]["api-version"]
    path = f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionEndpoints/{create['parameters']['dataCollectionEndpointName']}"

    created = http.arm("PUT", path, api_version=version, body=create["parameters"]["body"])
    updated = http.arm("PUT", path, api_version=version, body=create["parameters"]["body"])
    got = http.arm("GET", path, api_version=get["parameters"]["api-version"])
    deleted = [http.arm("DELETE", path, api_version=delete["parameters"]["api-version"]).status_code for _ in range(2)]

    assert created.status_code == 201
    assert_shape(created.json(), create["responses"]["201"]["body"])
    assert updated.status_code == 200
    assert_shape(updated.json(), create["responses"]["200"]["body"])
    assert got.status_code == 200
    assert_shape(got.json(), get["responses"]["200"]["body"])
    assert deleted == [200, 204] and set(map(str, deleted)) <= set(delete["responses"])


# --- data collection rules ---------------------------------------------------------------------------


def _logs1_table(http: Http, info: dict[str, Any]) -> None:
    columns = [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "Computer", "type": "string"},
        {"name": "AdditionalContext", "type": "dynamic"},
        {"name": "CounterName", "type": "string"},
        {"name": "CounterValue", "type": "real"},
    ]
    response = http.arm(
        "PUT", f"{info['workspace_resource_id']}/tables/LOGS1_CL", api_version="2025-07-01",
        body={"properties": {"schema": {"name": "LOGS1_CL", "columns": columns}}},
    )  # fmt: skip
    assert response.status_code == 202


def test_dcr_with_embedded_endpoints_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("monitor-dcr/examples/DataCollectionRulesCreateEmbeddedDCE.json")
    body = localized(spec["parameters"]["body"], emulator)
    path = f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionRules/{spec['parameters']['dataCollectionRuleName']}"
    version = spec["parameters"]["api-version"]
    _logs1_table(http, emulator)

    # As published, the example's data flow names a destination ('myworkspace') the rule does not
    # declare ('centralWorkspace'): a typo Azure refuses.
    as_published = http.arm("PUT", path, api_version=version, body=body)
    fixed = copy.deepcopy(body)
    fixed["properties"]["dataFlows"][0]["destinations"] = ["centralWorkspace"]
    created = http.arm("PUT", path, api_version=version, body=fixed)

    assert as_published.status_code == 400
    assert [d["code"] for d in as_published.json()["error"]["details"]] == ["InvalidDestination"]
    assert created.status_code == 201
    assert_shape(created.json(), spec["responses"]["201"]["body"])
    assert created.json()["kind"] == "Direct"  # the example sends " Direct"


def test_dcr_agent_settings_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("monitor-dcr/examples/DataCollectionRulesCreateAgentSettings.json")
    path = f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionRules/{spec['parameters']['dataCollectionRuleName']}"

    created = http.arm("PUT", path, api_version=spec["parameters"]["api-version"], body=spec["parameters"]["body"])

    assert created.status_code == 201
    assert_shape(created.json(), spec["responses"]["201"]["body"])


def test_dcr_enrichment_example_is_not_emulated(emulator: dict[str, Any], http: Http) -> None:
    spec = example("monitor-dcr/examples/DataCollectionRulesCreateEnrichment.json")
    body = localized(spec["parameters"]["body"], emulator)
    path = f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionRules/{spec['parameters']['dataCollectionRuleName']}"

    response = http.arm("PUT", path, api_version=spec["parameters"]["api-version"], body=body)

    assert response.status_code == 501
    assert "'references' (enrichment data)" in response.json()["error"]["message"]


def test_dcr_get_and_delete_examples(emulator: dict[str, Any], http: Http) -> None:
    get = example("monitor-dcr/examples/DataCollectionRulesGet.json")
    delete = example("monitor-dcr/examples/DataCollectionRulesDelete.json")
    settings = example("monitor-dcr/examples/DataCollectionRulesCreateAgentSettings.json")
    path = f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionRules/{get['parameters']['dataCollectionRuleName']}"
    http.arm("PUT", path, api_version="2023-03-11", body=settings["parameters"]["body"])

    got = http.arm("GET", path, api_version=get["parameters"]["api-version"])
    deleted = [http.arm("DELETE", path, api_version=delete["parameters"]["api-version"]).status_code for _ in range(2)]

    assert got.status_code == 200
    expected = get["responses"]["200"]["body"]
    assert_shape(got.json(), {k: v for k, v in expected.items() if k not in ("properties", "tags")})  # tags are data
    assert_shape(got.json()["properties"], {"immutableId": "", "provisioningState": ""})
    assert deleted == [200, 204] and set(map(str, deleted)) <= set(delete["responses"])


# --- tables --------------------------------------------------------------------------------------------


def test_tables_upsert_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("loganalytics-tables/2025-02-01/examples/TablesUpsert.json")
    body = spec["parameters"]["parameters"]
    version = spec["parameters"]["api-version"]
    tables = f"{emulator['workspace_resource_id']}/tables"

    # The example adds a column to the Microsoft table AzureNetworkFlow, which this workspace does not have;
    # under its name the local cloud refuses it (custom tables end in _CL), and so it does as a custom table
    # without TimeGenerated. With both fixed, it is created.
    as_published = http.arm("PUT", f"{tables}/{spec['parameters']['tableName']}", api_version=version, body=body)
    custom = copy.deepcopy(body)
    custom["properties"]["schema"]["name"] = "AzureNetworkFlow_CL"
    without_time = http.arm("PUT", f"{tables}/AzureNetworkFlow_CL", api_version=version, body=custom)
    custom["properties"]["schema"]["columns"].insert(0, {"name": "TimeGenerated", "type": "dateTime"})
    accepted = http.arm("PUT", f"{tables}/AzureNetworkFlow_CL", api_version=version, body=custom)
    got = http.arm("GET", f"{tables}/AzureNetworkFlow_CL", api_version=version)

    assert as_published.status_code == 400
    assert without_time.status_code == 400
    assert "TimeGenerated" in without_time.json()["error"]["message"]
    assert accepted.status_code == 202
    assert set(spec["responses"]["202"]["headers"]) == {"azure-asyncoperation", "Location"}
    assert "Azure-AsyncOperation" in accepted.headers and "Location" in accepted.headers
    assert_shape(got.json(), spec["responses"]["200"]["body"])
    props, example_props = got.json()["properties"], spec["responses"]["200"]["body"]["properties"]
    for key in ("retentionInDays", "totalRetentionInDays", "archiveRetentionInDays", "plan", "provisioningState"):
        assert props[key] == example_props[key], key
    added = props["schema"]["columns"][1]
    assert {k: added[k] for k in ("name", "type", "isDefaultDisplay", "isHidden")} == example_props["schema"][
        "columns"
    ][0]


def test_tables_list_and_get_examples(emulator: dict[str, Any], http: Http) -> None:
    listed = example("loganalytics-tables/2025-02-01/examples/TablesList.json")
    get = example("loganalytics-tables/2025-02-01/examples/TablesGet.json")
    tables = f"{emulator['workspace_resource_id']}/tables"
    columns = [{"name": "TimeGenerated", "type": "dateTime"}, {"name": "Computer", "type": "string"}]
    http.arm(
        "PUT", f"{tables}/Shape_CL", api_version="2025-07-01", body={"properties": {"schema": {"columns": columns}}}
    )

    answer = http.arm("GET", tables, api_version=listed["parameters"]["api-version"])
    custom = http.arm("GET", f"{tables}/Shape_CL", api_version=get["parameters"]["api-version"])

    assert answer.status_code == 200
    assert_shape(answer.json(), listed["responses"]["200"]["body"])
    assert custom.status_code == 200
    # The example is a search-job table: its search results and statistics are not emulated.
    expected = get["responses"]["200"]["body"]
    search_only = {"resultStatistics", "searchResults"}
    assert_shape(
        custom.json(),
        {**expected, "properties": {k: v for k, v in expected["properties"].items() if k not in search_only}},
    )


def test_tables_delete_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("loganalytics-tables/2025-02-01/examples/TablesDelete.json")
    path = f"{emulator['workspace_resource_id']}/tables/{spec['parameters']['tableName']}"
    http.arm(
        "PUT",
        path,
        api_version="2025-07-01",
        body={"properties": {"schema": {"columns": [{"name": "TimeGenerated", "type": "dateTime"}]}}},
    )

    first = http.arm("DELETE", path, api_version=spec["parameters"]["api-version"])
    second = http.arm("DELETE", path, api_version=spec["parameters"]["api-version"])

    assert (first.status_code, second.status_code) == (202, 204)
    assert {str(first.status_code), str(second.status_code)} <= set(spec["responses"])
    assert "Azure-AsyncOperation" in first.headers and "Location" in first.headers


# --- logs ingestion --------------------------------------------------------------------------------


def test_logs_ingestion_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("logs-ingestion/examples/post_IngestUsingDataCollectionRule.json")
    stream = spec["parameters"]["stream"]
    columns = [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "Computer", "type": "string"},
        {"name": "AdditionalContext", "type": "dynamic"},
    ]
    http.arm(
        "PUT",
        f"{emulator['workspace_resource_id']}/tables/TestStream_CL",
        api_version="2025-07-01",
        body={"properties": {"schema": {"columns": columns}}},
    )
    rule = http.arm(
        "PUT",
        f"{group_path(emulator)}/providers/Microsoft.Insights/dataCollectionRules/dcr-example",
        api_version="2024-03-11",
        body={
            "location": emulator["location"],
            "properties": {
                "streamDeclarations": {
                    stream: {
                        "columns": [
                            {"name": "Time", "type": "datetime"},
                            {"name": "Computer", "type": "string"},
                            {"name": "AdditionalContext", "type": "dynamic"},
                        ]
                    }
                },
                "destinations": {
                    "logAnalytics": [{"workspaceResourceId": emulator["workspace_resource_id"], "name": "la"}]
                },
                "dataFlows": [
                    {
                        "streams": [stream],
                        "destinations": ["la"],
                        "transformKql": "source | extend TimeGenerated = Time | project TimeGenerated, Computer, AdditionalContext",
                        "outputStream": "Custom-TestStream_CL",
                    }
                ],
            },
        },
    ).json()
    http.grant_publisher(rule["id"], emulator["principal_object_id"]).raise_for_status()
    body = gzip.compress(json.dumps(spec["parameters"]["body"]).encode())

    response = http.session.post(
        f"{emulator['ingestion_endpoint']}/dataCollectionRules/{rule['properties']['immutableId']}/streams/{stream}",
        params={"api-version": spec["parameters"]["api-version"]},
        data=body,
        headers={
            "Authorization": f"Bearer {http.token(MONITOR)}",
            "Content-Type": spec["parameters"]["Content-Type"],
            "Content-Encoding": spec["parameters"]["Content-Encoding"],
        },
    )

    assert str(response.status_code) in spec["responses"]
    rows = {t["name"]: t["rows"] for t in http.control("GET", "/state")["tables"]}
    assert rows["TestStream_CL"] == len(spec["parameters"]["body"])


# --- query ----------------------------------------------------------------------------------------


def _usage_like(http: Http, example_body: dict[str, Any]) -> None:
    """The example's table, built-in style, with its rows (recent, so the examples' timespans include them)."""
    table = example_body["tables"][0]
    types = {"bool": "boolean"}
    http.control(
        "POST",
        "/tables",
        {
            "name": "Usage",
            "columns": [{"name": c["name"], "type": types.get(c["type"], c["type"])} for c in table["columns"]],
        },
    )
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    rows = [
        dict(zip([c["name"] for c in table["columns"]], row, strict=True)) | {"TimeGenerated": recent}
        for row in table["rows"]
    ]
    http.control("POST", "/tables/Usage/rows", {"rows": rows})


def test_query_post_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("loganalytics-query/examples/la-post-example.json")
    expected = spec["responses"]["200"]["body"]
    _usage_like(http, expected)

    response = http.session.post(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        json=spec["parameters"]["body"],
        headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
    )

    assert response.status_code == 200
    assert_shape(response.json(), {"tables": [{**expected["tables"][0], "rows": []}]})
    assert response.json()["tables"][0]["columns"] == expected["tables"][0]["columns"]
    assert len(response.json()["tables"][0]["rows"]) == len(expected["tables"][0]["rows"])


def test_query_get_example(emulator: dict[str, Any], http: Http) -> None:
    spec = example("loganalytics-query/examples/la-get-example.json")
    expected = spec["responses"]["200"]["body"]
    _usage_like(http, expected)

    response = http.session.get(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        params={"query": spec["parameters"]["query"], "timespan": spec["parameters"]["timespan"]},
        headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
    )

    assert response.status_code == 200
    assert response.json()["tables"][0]["columns"] == expected["tables"][0]["columns"]


def test_cross_workspace_and_batch_examples_are_not_emulated(emulator: dict[str, Any], http: Http) -> None:
    cross = example("loganalytics-query/examples/la-post-cross-workspace-example.json")
    batch = example("loganalytics-query/examples/batch-query-example.json")
    token = {"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"}

    across = http.session.post(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        json=cross["parameters"]["body"],
        headers=token,
    )
    batched = http.session.post(
        f"{emulator['query_endpoint']}/v1/$batch", json=batch["parameters"]["body"], headers=token
    )

    # 'draft-test' is not a workspace of this cloud; a batch is not an operation the local cloud serves.
    assert across.status_code == 404
    assert batched.status_code == 501
    assert "POST /v1/$batch is not implemented by the local cloud" in batched.json()["error"]["message"]
