"""Sentinel's connector resources over ARM: onboarding, definitions, RestApiPoller connectors.

Through an azure-core pipeline with a real bearer token, against the session's local cloud.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from local_cloud import control_headers
from part2_cloud import (
    Clients,
    MiroPipeline,
    SentinelArm,
    deploy_pipeline,
    official_definition,
    project_connector,
    project_definition,
    session,
)

from tests.support import SHARED_DIR, requires_shared

DEFINITIONS, CONNECTORS = "dataConnectorDefinitions", "dataConnectors"
DEFINITION, CONNECTOR = "MiroSentinelAuditLogs", "MiroAuditLogsPoller"
OFFICIAL_DEFINITION = "MiroAuditLogsDataConnector"
CANARY = "eyJtaXJvLm9yaWdpbiI6ImV1MDEifQ_canary-token-never-shown"


@pytest.fixture
def sentinel(emulator: dict[str, Any]) -> Iterator[SentinelArm]:
    with Clients(emulator) as clients:
        yield clients.sentinel


@pytest.fixture
def pipeline(emulator: dict[str, Any], credential: ClientSecretCredential, sentinel: SentinelArm) -> MiroPipeline:
    deployed = deploy_pipeline(emulator, credential)
    assert sentinel.put(DEFINITIONS, DEFINITION, project_definition(emulator)).status_code == 201
    return deployed


@pytest.fixture
def connector(emulator: dict[str, Any], pipeline: MiroPipeline) -> dict[str, Any]:
    """The project's poller body, holding the canary token."""
    return project_connector(emulator, pipeline, CANARY)


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


# --- onboarding --------------------------------------------------------------------------------------


def test_the_seeded_workspace_is_onboarded(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    answer = sentinel.get("onboardingStates", "default")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["type"], body["properties"]) == (
        "default",
        "Microsoft.SecurityInsights/onboardingStates",
        {"customerManagedKey": False},
    )
    assert (
        body["id"]
        == f"{emulator['workspace_resource_id']}/providers/Microsoft.SecurityInsights/onboardingStates/default"
    )


def test_connectors_need_an_onboarded_workspace(sentinel: SentinelArm, connector: dict[str, Any]) -> None:
    assert sentinel.delete("onboardingStates", "default").status_code == 200
    status, code, message = error(sentinel.put(CONNECTORS, CONNECTOR, connector))
    assert (status, code) == (400, "BadRequest")
    assert message.startswith(
        "Workspace 'law-miro-sentinel-local' is not onboarded to Microsoft Sentinel. Please onboard through the portal"
    )
    assert sentinel.put("onboardingStates", "default", {"properties": {}}).status_code == 201
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201


# --- definitions -------------------------------------------------------------------------------------


def test_a_definition_is_created_and_read_back(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    sent = project_definition(emulator)
    created = sentinel.put(DEFINITIONS, DEFINITION, sent)
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["type"], body["kind"]) == (
        DEFINITION,
        "Microsoft.SecurityInsights/dataConnectorDefinitions",
        "Customizable",
    )
    assert body["properties"]["connectorUiConfig"] == sent["properties"]["connectorUiConfig"]
    assert body["properties"]["createdTimeUtc"] and body["etag"].startswith('"')
    assert sentinel.get(DEFINITIONS, DEFINITION).json() == body
    assert [d["name"] for d in sentinel.request("GET", sentinel.path(DEFINITIONS)).json()["value"]] == [DEFINITION]


@requires_shared
def test_the_official_definition_is_accepted(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    assert sentinel.put(DEFINITIONS, OFFICIAL_DEFINITION, official_definition(emulator)).status_code == 201


@requires_shared
def test_the_spec_example_definition_is_accepted_at_its_api_version(sentinel: SentinelArm) -> None:
    example = json.loads(
        (
            SHARED_DIR
            / "api-specs/sentinel-connectors/2025-03-01/examples/dataConnectorDefinitions/CreateCustomizableDataConnectorDefinition.json"
        ).read_text()
    )
    params = example["parameters"]
    body = {k: v for k, v in params["connectorDefinitionInput"].items() if k != "etag"}
    answer = sentinel.put(DEFINITIONS, params["dataConnectorDefinitionName"], body, api_version=params["api-version"])
    assert answer.status_code == 201
    assert set(example["responses"]["201"]["body"]) <= set(answer.json()) | {"systemData"}


def test_an_update_needs_the_current_etag(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    body = project_definition(emulator)
    etag = sentinel.put(DEFINITIONS, DEFINITION, body).json()["etag"]
    status, code, message = error(sentinel.put(DEFINITIONS, DEFINITION, body))
    assert (status, code) == (400, "BadRequest")
    assert message == f"'{DEFINITION}' already exists: an update must carry its current etag (read it with GET first)."
    status, code, _ = error(sentinel.put(DEFINITIONS, DEFINITION, {**body, "etag": '"stale"'}))
    assert (status, code) == (409, "Conflict")
    updated = sentinel.put(DEFINITIONS, DEFINITION, {**body, "etag": etag})
    assert updated.status_code == 200 and updated.json()["etag"] != etag


@pytest.mark.parametrize(
    ("change", "target", "message"),
    [
        (lambda b: b.pop("kind"), "kind", "is required"),
        (lambda b: b.update(kind="Static"), "kind", "must be 'Customizable', not 'Static'"),
        (
            lambda b: b["properties"]["connectorUiConfig"].pop("title"),
            "properties.connectorUiConfig.title",
            "is required",
        ),
        (
            lambda b: b["properties"]["connectorUiConfig"].pop("permissions"),
            "properties.connectorUiConfig.permissions",
            "is required and must be an object",
        ),
        (
            lambda b: b["properties"]["connectorUiConfig"]["graphQueries"][0].pop("baseQuery"),
            "properties.connectorUiConfig.graphQueries[0].baseQuery",
            "is required",
        ),
        (
            lambda b: b["properties"]["connectorUiConfig"]["dataTypes"][0].pop("lastDataReceivedQuery"),
            "properties.connectorUiConfig.dataTypes[0].lastDataReceivedQuery",
            "is required",
        ),
        (
            lambda b: b["properties"]["connectorUiConfig"]["connectivityCriteria"][0].update(type="Sometimes"),
            "properties.connectorUiConfig.connectivityCriteria[0].type",
            "must be one of IsConnectedQuery, HasDataConnectors, SentinelKindsV2, SentinelKinds",
        ),
    ],
)
def test_an_invalid_definition_is_refused_naming_the_field(
    emulator: dict[str, Any], sentinel: SentinelArm, change: Any, target: str, message: str
) -> None:
    body = copy.deepcopy(project_definition(emulator))
    change(body)
    answer = sentinel.put(DEFINITIONS, DEFINITION, body)
    status, code, text = error(answer)
    assert (status, code, text) == (400, "BadRequest", f"The request body is invalid: {target}: {message}")
    assert answer.json()["error"]["details"] == [{"code": "InvalidParameter", "target": target, "message": message}]


def test_a_definition_name_with_other_characters_is_refused(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    status, code, message = error(sentinel.put(DEFINITIONS, "Miro.Audit", project_definition(emulator)))
    assert (status, code, message) == (
        400,
        "BadRequest",
        "The data connector definition name 'Miro.Audit' is invalid: use letters, digits, '-' and '_'.",
    )


@pytest.mark.parametrize(
    ("version", "code", "message"),
    [
        (
            None,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ),
        (
            "2024-01-01-preview",
            "InvalidApiVersionParameter",
            "The api-version '2024-01-01-preview' is invalid. The supported versions are '2025-09-01,2025-03-01'.",
        ),
    ],
)
def test_api_versions_are_checked(
    emulator: dict[str, Any], sentinel: SentinelArm, version: str | None, code: str, message: str
) -> None:
    answer = sentinel.put(DEFINITIONS, DEFINITION, project_definition(emulator), api_version=version)
    assert error(answer) == (400, code, message)
    assert answer.headers["x-ms-request-id"]


def test_an_unauthenticated_call_gets_arms_401(emulator: dict[str, Any], sentinel: SentinelArm) -> None:
    answer = session(emulator).get(
        emulator["arm_endpoint"] + sentinel.path(DEFINITIONS), params={"api-version": "2025-09-01"}, timeout=30
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "AuthenticationFailed"


def test_a_definition_in_use_cannot_be_deleted(sentinel: SentinelArm, connector: dict[str, Any]) -> None:
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201
    status, code, message = error(sentinel.delete(DEFINITIONS, DEFINITION))
    assert (status, code) == (409, "Conflict")
    assert (
        message
        == f"The data connector definition '{DEFINITION}' is used by the data connector(s) {CONNECTOR}; delete them first."
    )
    assert sentinel.delete(CONNECTORS, CONNECTOR).status_code == 200
    assert sentinel.delete(DEFINITIONS, DEFINITION).status_code == 200
    assert sentinel.delete(DEFINITIONS, DEFINITION).status_code == 204


# --- connectors --------------------------------------------------------------------------------------


def test_the_poller_is_created_and_its_key_never_comes_back(sentinel: SentinelArm, connector: dict[str, Any]) -> None:
    created = sentinel.put(CONNECTORS, CONNECTOR, connector)
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["kind"], body["type"]) == (
        CONNECTOR,
        "RestApiPoller",
        "Microsoft.SecurityInsights/dataConnectors",
    )
    assert body["properties"]["auth"] == {
        "type": "APIKey",
        "ApiKeyName": "Authorization",
        "IsAPIKeyInPostPayload": False,
    }
    assert body["properties"]["request"] == connector["properties"]["request"]
    got = sentinel.get(CONNECTORS, CONNECTOR)
    listed = sentinel.request("GET", sentinel.path(CONNECTORS))
    for answer in (created, got, listed):
        assert CANARY not in answer.text() and "canary" not in answer.text()
    assert got.json() == body


@pytest.mark.parametrize("name", ["APIKey", "ApiKey", "apiKey"])
def test_the_key_field_is_accepted_in_any_case(sentinel: SentinelArm, connector: dict[str, Any], name: str) -> None:
    connector["properties"]["auth"][name] = connector["properties"]["auth"].pop("APIKey")
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201


def test_a_put_without_the_key_is_refused_on_create_and_on_update(
    sentinel: SentinelArm, connector: dict[str, Any]
) -> None:
    without = copy.deepcopy(connector)
    without["properties"]["auth"].pop("APIKey")
    expected = (400, "BadRequest", "The request body is invalid: properties.auth.apiKey: is required")
    assert error(sentinel.put(CONNECTORS, CONNECTOR, without)) == expected
    etag = sentinel.put(CONNECTORS, CONNECTOR, connector).json()["etag"]
    assert error(sentinel.put(CONNECTORS, CONNECTOR, {**without, "etag": etag})) == expected
    assert sentinel.put(CONNECTORS, CONNECTOR, {**connector, "etag": etag}).status_code == 200


@pytest.mark.parametrize(
    ("change", "target", "message"),
    [
        (
            lambda b, p: b["properties"].update(connectorDefinitionName="Nope"),
            "properties.connectorDefinitionName",
            "The data connector definition 'Nope' (connectorDefinitionName) does not exist in workspace 'law-miro-sentinel-local'. Create the definition first.",
        ),
        (
            lambda b, p: b["properties"]["dcrConfig"].update(
                dataCollectionEndpoint="https://elsewhere.ingest.monitor.azure.com"
            ),
            "properties.dcrConfig.dataCollectionEndpoint",
            "The request body is invalid: properties.dcrConfig.dataCollectionEndpoint: 'https://elsewhere.ingest.monitor.azure.com' is not the logs ingestion endpoint of any data collection endpoint",
        ),
        (
            lambda b, p: b["properties"]["dcrConfig"].update(
                dataCollectionRuleImmutableId="dcr-00000000000000000000000000000000"
            ),
            "properties.dcrConfig.dataCollectionRuleImmutableId",
            "The request body is invalid: properties.dcrConfig.dataCollectionRuleImmutableId: no data collection rule has the immutable id 'dcr-00000000000000000000000000000000'",
        ),
        (
            lambda b, p: b["properties"]["dcrConfig"].update(streamName="Custom-Other_CL"),
            "properties.dcrConfig.streamName",
            "The request body is invalid: properties.dcrConfig.streamName: the data collection rule 'dcr-miro' does not declare the stream 'Custom-Other_CL'",
        ),
        (
            lambda b, p: b["properties"]["request"].update(retryCount=9),
            "properties.request.retryCount",
            "The request body is invalid: properties.request.retryCount: must be from 1 to 6, not 9",
        ),
        (
            lambda b, p: b["properties"]["response"].pop("eventsJsonPaths"),
            "properties.response.eventsJsonPaths",
            "The request body is invalid: properties.response.eventsJsonPaths: is required: a non-empty list of JSON paths",
        ),
        (
            lambda b, p: b.update(name="Another"),
            "name",
            "The request body is invalid: name: must be the data connector id in the URL ('MiroAuditLogsPoller')",
        ),
    ],
)
def test_an_invalid_connector_is_refused_as_azure_refuses_it(
    sentinel: SentinelArm, pipeline: MiroPipeline, connector: dict[str, Any], change: Any, target: str, message: str
) -> None:
    change(connector, pipeline)
    answer = sentinel.put(CONNECTORS, CONNECTOR, connector)
    assert error(answer) == (400, "BadRequest", message)
    assert target in json.dumps(answer.json()["error"])
    assert sentinel.get(CONNECTORS, CONNECTOR).status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b.update(kind="Office365"),
            "kind: data connectors of kind Office365 are not emulated (only RestApiPoller)",
        ),
        (
            lambda b: b["properties"]["paging"].update(pagingType="LinkHeader"),
            "properties.paging.pagingType: LinkHeader paging is not emulated (only NextPageToken)",
        ),
        (
            lambda b: b["properties"]["auth"].update(type="OAuth2"),
            "properties.auth.type: OAuth2 authentication is not emulated (only APIKey, Basic and None)",
        ),
    ],
)
def test_valid_connectors_the_local_cloud_does_not_emulate_get_501(
    sentinel: SentinelArm, connector: dict[str, Any], change: Any, message: str
) -> None:
    change(connector)
    assert error(sentinel.put(CONNECTORS, CONNECTOR, connector)) == (
        501,
        "NotImplemented",
        f"Not implemented by the local cloud (see emulator/COVERAGE.md): {message}",
    )


def test_a_deleted_connector_is_gone(sentinel: SentinelArm, connector: dict[str, Any]) -> None:
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201
    assert sentinel.delete(CONNECTORS, CONNECTOR).status_code == 200
    assert error(sentinel.get(CONNECTORS, CONNECTOR)) == (
        404,
        "NotFound",
        f"The data connector '{CONNECTOR}' was not found in workspace 'law-miro-sentinel-local'.",
    )
    assert sentinel.delete(CONNECTORS, CONNECTOR).status_code == 204


def test_the_key_is_not_in_the_state_dump_or_the_request_log(
    emulator: dict[str, Any], sentinel: SentinelArm, connector: dict[str, Any]
) -> None:
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201
    s = session(emulator)
    for path in ("/state", "/requests", "/ccf"):
        text = s.get(emulator["control_endpoint"] + path, headers=control_headers(emulator), timeout=30).text
        assert CANARY not in text and "canary" not in text, path


@requires_shared
def test_the_get_answer_has_the_shape_of_the_spec_example(sentinel: SentinelArm, connector: dict[str, Any]) -> None:
    example = json.loads(
        (
            SHARED_DIR / "api-specs/sentinel-connectors/2025-09-01/examples/dataConnectors/GetRestApiPollerById.json"
        ).read_text()
    )
    expected = example["responses"]["200"]["body"]
    assert sentinel.put(CONNECTORS, CONNECTOR, connector).status_code == 201
    got = sentinel.get(CONNECTORS, CONNECTOR).json()
    assert set(expected) <= set(got)
    assert set(expected["properties"]) - {"auth"} <= {k[0].lower() + k[1:] for k in got["properties"]} | set(
        got["properties"]
    )
