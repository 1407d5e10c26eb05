"""No input reaches SQL as code: names are checked and quoted, and the store cannot touch any other file.

Every input of the control API, ARM, the Logs Ingestion API and the query API that ends up in SQL
(table, column, workspace and stream names, record fields, KQL text, metric filters) is tried with
injections that would read a file outside the store, write one, or drop the store's own tables.
Afterwards: the file's content is in no answer, no file was written, and the store is intact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest
import requests
from azure.monitor.ingestion import LogsIngestionClient
from local_cloud import EVENTS_STREAM, EVENTS_TABLE, LOGANALYTICS, MONITOR, Http, Pipeline, control_headers

from emulator.logstore import check_name, check_workspace

OUTSIDE_SECRET = f"outside-the-store-{uuid.uuid4().hex}"


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A file outside the store holding a secret, and a path nothing may create."""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(OUTSIDE_SECRET)
    yield {"read": secret_file, "write": tmp_path / "written.csv"}


def injections(files: dict[str, Path]) -> list[str]:
    read, write = files["read"], files["write"]
    return [
        f"x' AS \"Type\", content FROM read_text('{read}') --",
        f"x'; COPY (SELECT 1) TO '{write}'; --",
        'x"; DROP TABLE emu.documents; --',
        f"x') UNION ALL SELECT content FROM read_text('{read}') --",
        f"x_CL'; ATTACH '{write}' AS evil; --",
        "x\\'; DROP SCHEMA emu CASCADE; --",
    ]


class Probe:
    """Sends requests and keeps every answer, to check afterwards that none leaked the outside secret."""

    def __init__(self, emulator: dict[str, Any], http: Http) -> None:
        self.info = emulator
        self.http = http
        self.answers: list[requests.Response] = []

    def send(self, method: str, url: str, *, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        answer = self.http.session.request(method, url, headers=headers, timeout=60, **kwargs)
        self.answers.append(answer)
        assert answer.status_code < 500 or answer.status_code == 501, f"{method} {url}: {answer.text[:300]}"
        return answer

    def control(self, method: str, path: str, body: Any = None) -> requests.Response:
        url = self.info["control_endpoint"] + path
        return self.send(method, url, headers=control_headers(self.info), json=body)

    def arm(self, method: str, path: str, api_version: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.http.token()}"}
        url = self.info["arm_endpoint"] + path
        return self.send(method, url, headers=headers, params={"api-version": api_version}, json=body)

    def query(self, kql: str, workspace: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.http.token(LOGANALYTICS)}"}
        url = f"{self.info['query_endpoint']}/v1/workspaces/{workspace or self.info['workspace_customer_id']}/query"
        return self.send("POST", url, headers=headers, json={"query": kql})

    def ingest(self, immutable_id: str, stream: str, records: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.http.token(MONITOR)}"}
        url = f"{self.info['ingestion_endpoint']}/dataCollectionRules/{immutable_id}/streams/{quote(stream, safe='')}"
        return self.send("POST", url, headers=headers, params={"api-version": "2023-01-01"}, json=records)

    def leaked(self) -> list[str]:
        return [a.url for a in self.answers if OUTSIDE_SECRET in a.text]


def store_fingerprint(cloud: Any) -> dict[str, Any]:
    """What must not change: the store's own tables, and the documents that are not tests' doing."""
    cur = cloud.store.cursor()
    tables = sorted(
        (str(row[0]), str(row[1]), str(row[2]))
        for row in cur.execute("SELECT database_name, schema_name, table_name FROM duckdb_tables()").fetchall()
    )
    databases = sorted(str(row[0]) for row in cur.execute("SELECT database_name FROM duckdb_databases()").fetchall())
    identity = cloud.store.document("meta", "identity")
    return {"tables": tables, "databases": databases, "identity": identity}


def assert_untouched(probe: Probe, outside: dict[str, Path], cloud: Any, before: dict[str, Any]) -> None:
    assert probe.leaked() == []
    assert not outside["write"].exists()
    assert store_fingerprint(cloud) == before


def test_control_table_names_and_columns_cannot_inject(
    emulator: dict[str, Any], cloud: Any, http: Http, outside: dict[str, Path]
) -> None:
    probe = Probe(emulator, http)
    before = store_fingerprint(cloud)
    columns = [{"name": "TimeGenerated", "type": "datetime"}]

    for text in injections(outside):
        by_name = probe.control("POST", "/tables", {"name": text, "columns": columns})
        by_column = probe.control("POST", "/tables", {"name": "Seed", "columns": [{"name": text, "type": "string"}]})
        by_type = probe.control("POST", "/tables", {"name": "Seed", "columns": [{"name": "a", "type": text}]})
        by_workspace = probe.control("POST", "/tables", {"name": "Seed", "columns": columns, "workspace": text})
        rows = probe.control("POST", f"/tables/{quote(text, safe='')}/rows", {"rows": [{"a": text}]})
        assert (by_name.status_code, by_column.status_code, by_type.status_code) == (400, 400, 400), by_name.text
        assert "is not allowed" in by_name.json()["error"]["message"]
        assert by_workspace.status_code == 404
        assert rows.status_code in (404, 501)  # no such table; or, with a '/' in the text, no such route

    assert_untouched(probe, outside, cloud, before)


def test_the_issues_reproduction_reads_nothing(
    emulator: dict[str, Any], cloud: Any, http: Http, outside: dict[str, Path]
) -> None:
    """Issue 14, item 2: a table name closing the view's string literal read a root-only file."""
    probe = Probe(emulator, http)
    name = f'Evil\' AS "Type", content AS "Leak" FROM read_text(\'{outside["read"]}\') --'

    defined = probe.control(
        "POST", "/tables", {"name": name, "columns": [{"name": "TimeGenerated", "type": "datetime"}]}
    )
    queried = probe.query(f"['{name}']")

    assert defined.status_code == 400
    assert queried.status_code == 400
    assert probe.leaked() == []


def test_arm_table_names_and_columns_cannot_inject(
    emulator: dict[str, Any], cloud: Any, http: Http, outside: dict[str, Path]
) -> None:
    probe = Probe(emulator, http)
    before = store_fingerprint(cloud)
    workspace = (
        f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}"
        f"/providers/Microsoft.OperationalInsights/workspaces/{emulator['workspace_name']}"
    )

    for text in injections(outside):
        columns = [{"name": "TimeGenerated", "type": "datetime"}, {"name": text, "type": "string"}]
        by_name = probe.arm(
            "PUT",
            f"{workspace}/tables/{quote(text + '_CL', safe='')}",
            "2022-10-01",
            {"properties": {"schema": {"name": text + "_CL", "columns": columns[:1]}}},
        )
        by_column = probe.arm(
            "PUT", f"{workspace}/tables/Safe_CL", "2022-10-01", {"properties": {"schema": {"columns": columns}}}
        )
        assert by_name.status_code in (400, 501), by_name.text  # 501: a '/' in the text makes it no route
        assert by_column.status_code == 400, by_column.text

    assert_untouched(probe, outside, cloud, before)


def test_stream_names_columns_records_and_transforms_cannot_inject(
    emulator: dict[str, Any], cloud: Any, http: Http, pipeline: Pipeline, outside: dict[str, Path]
) -> None:
    probe = Probe(emulator, http)
    before = store_fingerprint(cloud)

    for index, text in enumerate(injections(outside)):
        stream = "Custom-" + text
        rule = {
            "location": emulator["location"],
            "properties": {
                "dataCollectionEndpointId": _dce_of(probe, pipeline),
                "streamDeclarations": {
                    stream: {"columns": [{"name": text, "type": "string"}, {"name": "id", "type": "string"}]},
                    EVENTS_STREAM: {
                        "columns": [{"name": "id", "type": "string"}, {"name": "createdAt", "type": "string"}]
                    },
                },
                "destinations": {
                    "logAnalytics": [{"workspaceResourceId": emulator["workspace_resource_id"], "name": "la"}]
                },
                "dataFlows": [
                    {
                        "streams": [EVENTS_STREAM],
                        "destinations": ["la"],
                        "transformKql": f"source | extend TimeGenerated = now(), id = strcat(id, {_kql_string(text)})"
                        " | project TimeGenerated, id",
                        "outputStream": f"Custom-{EVENTS_TABLE}",
                    }
                ],
            },
        }
        rule_id = pipeline.rule_id.rsplit("/", 1)[0] + f"/dcr-inject-{index}"
        created = probe.arm("PUT", rule_id, "2023-03-11", rule)
        assert created.status_code in (200, 201, 400), created.text
        immutable = created.json()["properties"]["immutableId"] if created.status_code < 300 else pipeline.immutable_id
        if created.status_code < 300:
            assert http.grant_publisher(rule_id, emulator["principal_object_id"]).status_code == 201
        probe.ingest(immutable, stream, [{text: text, "id": text}])
        probe.ingest(immutable, EVENTS_STREAM, [{"id": text, "createdAt": text, text: text}])
        probe.ingest(pipeline.immutable_id, EVENTS_STREAM, [{"id": text, "seq": 1, "props": {text: text}, text: 1}])
        metrics = pipeline.rule_id + "/providers/Microsoft.Insights/metrics"
        probe.send(
            "GET",
            emulator["arm_endpoint"] + metrics,
            headers={"Authorization": f"Bearer {http.token()}"},
            params={
                "api-version": "2023-10-01",
                "metricnames": "RowsReceived_Count",
                "$filter": f"InputStreamId eq '{text}' and {text} eq '*'",
            },
        )
    cloud.pipeline.flush()

    rows = probe.query(f"{EVENTS_TABLE} | project id")
    assert rows.status_code == 200
    stored = {row[0] for row in rows.json()["tables"][0]["rows"]}
    texts = set(injections(outside))
    assert stored <= texts | {t + t for t in texts}  # the injected text came back as data, nothing else
    assert_untouched(probe, outside, cloud, before)


def _dce_of(probe: Probe, pipeline: Pipeline) -> str:
    rule = probe.arm("GET", pipeline.rule_id, "2023-03-11").json()
    return str(rule["properties"]["dataCollectionEndpointId"])


def _kql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_kql_text_cannot_reach_files_or_the_stores_own_tables(
    emulator: dict[str, Any], cloud: Any, http: Http, outside: dict[str, Path]
) -> None:
    probe = Probe(emulator, http)
    before = store_fingerprint(cloud)
    read, write = outside["read"], outside["write"]
    queries = [
        *(f"print x = {_kql_string(text)}" for text in injections(outside)),
        *(f"SentinelHealth | where Status == {_kql_string(text)}" for text in injections(outside)),
        *(f"SentinelHealth | extend [{_kql_string(text)}] = 1" for text in injections(outside)),
        *(f"[{_kql_string(text)}]" for text in injections(outside)),
        f"print x = read_text('{read}')",
        f"externaldata (line: string) [@'{read}']",
        f"print x = 1 | evaluate python(typeof(*), 'open(\"{read}\").read()')",
        'database("staging").staged',
        'database("cloud").documents',
        'database("emu").documents',
        "database('system').duckdb_settings",
        f"print x = strcat(\"'); COPY (SELECT 1) TO '{write}'; --\", 'a')",
    ]

    answers = [probe.query(kql) for kql in queries]
    by_workspace = [probe.query("SentinelHealth", workspace=quote(text, safe="")) for text in injections(outside)]

    assert {a.status_code for a in answers} <= {200, 400, 501}
    assert {a.status_code for a in by_workspace} <= {400, 404, 501}  # 501: a "/" makes it no route
    printed = [a.json()["tables"][0]["rows"] for a in answers[: len(injections(outside))]]
    assert printed == [[[text]] for text in injections(outside)]  # a string stays a string
    assert_untouched(probe, outside, cloud, before)


# --- the last lines of defence, directly ----------------------------------------------------------


def test_the_store_reads_no_file_outside_its_scratch_directory(cloud: Any, outside: dict[str, Path]) -> None:
    cur = cloud.store.cursor()

    for sql in (
        f"SELECT * FROM read_text('{outside['read']}')",
        "SELECT * FROM read_text('/proc/self/environ')",
        f"COPY (SELECT 1) TO '{outside['write']}'",
        f"ATTACH '{outside['write']}' AS evil",
    ):
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            cur.execute(sql)
    assert not outside["write"].exists()


def test_the_sandbox_cannot_be_switched_off(cloud: Any) -> None:
    with pytest.raises(duckdb.InvalidInputException, match="locked"):
        cloud.store.cursor().execute("SET enable_external_access = true")


@pytest.mark.parametrize("name", ["Events_CL", "SentinelHealth", "_ResourceId", "a1"])
def test_plain_identifiers_pass_the_name_check(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "a'b", 'a"b', "a;b", "ä", "a" * 257, "a\nb"])
def test_anything_else_is_refused_by_the_name_check(name: str) -> None:
    with pytest.raises(ValueError, match="is not allowed"):
        check_name(name)


def test_a_workspace_id_must_be_a_guid() -> None:
    assert check_workspace("0b7e7f4e-2a55-4d4e-8f0b-1c2d3e4f5a6b")
    with pytest.raises(ValueError, match="is not a GUID"):
        check_workspace("0b7e7f4e-2a55-4d4e-8f0b-1c2d3e4f5a6b'; --")


def test_an_ingested_record_keeps_the_injection_as_data(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, http: Http, cloud: Any
) -> None:
    text = "x'); DROP TABLE emu.documents; --"
    ingestion.upload(
        pipeline.immutable_id, EVENTS_STREAM, [{"id": text, "seq": 1, "createdAt": "2026-01-01T00:00:00Z"}]
    )
    cloud.pipeline.flush()

    rows = cloud.logs.query(emulator["workspace_customer_id"], f"{EVENTS_TABLE} | project id", now=cloud.clock.now())

    assert rows.rows == [(text,)]
    assert cloud.store.document("meta", "identity") is not None
