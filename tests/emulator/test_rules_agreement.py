"""The product's ``dcr test`` and the local cloud judge the same transforms and tables, each by its own rules.

Every case goes through ``miro-sentinel dcr test`` (the real command, in process) and through the local
cloud's ARM API (PUT of the table, then of a DCR with the project's stream declaration and the case's
transform). Where their verdicts differ, ``emulator/COVERAGE.md`` must list the case, with both verdicts
and the reason, in its "Rules agreement" table; a listed case that now agrees must be removed from it.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from local_cloud import Http

from deployer.cli.main import main as miro_sentinel
from deployer.dcr.spec import DEFAULT_DCR_DIR
from tests.support import REPO_ROOT

TABLE = "Corpus_CL"
COLUMNS = [("TimeGenerated", "datetime"), ("Event", "string"), ("Ip", "string"), ("Details", "dynamic")]
#: Produces every column of the corpus table from the project's stream declaration.
BASE = "source | project TimeGenerated = now(), Event = event, Ip = tostring(context.ip), Details = details"
PROJECT = "| project TimeGenerated = now(), Event = event, Ip = tostring(context.ip), Details = details"


@dataclass(frozen=True)
class Case:
    name: str
    transform: str = BASE
    columns: tuple[tuple[str, str], ...] = tuple(COLUMNS)
    table: str = TABLE
    #: What Azure does with it, by its documentation (and the quirks' defaults).
    azure_accepts: bool = True


def refused(
    name: str, transform: str = BASE, columns: tuple[tuple[str, str], ...] = tuple(COLUMNS), table: str = TABLE
) -> Case:
    """A case Azure refuses, by its documentation."""
    return Case(name, transform, columns, table, azure_accepts=False)


CASES = [
    # --- accepted by both ----------------------------------------------------------------------------
    Case("base projection"),
    Case("where filter", 'source | where event == "sign_in_succeeded" ' + PROJECT),
    Case("extend then project-away", "source | extend x = 1 | project-away x " + PROJECT),
    Case("project-rename", "source | project-rename Kind = category " + PROJECT),
    Case("parse with two columns", 'source | parse id with * "T" Rest:string "#" Number:string ' + PROJECT),
    Case("iif", 'source | extend Event2 = iif(isempty(event), "none", event) ' + PROJECT),
    Case("iff as the official solution uses it", 'source | extend e = iff(isnull(type), "event", type) ' + PROJECT),
    Case("case", 'source | extend c = case(category == "a", 1, 2) ' + PROJECT),
    Case("string functions", 'source | extend s = strcat(substring(id, 0, 4), tolower(event), toupper("x")) ' + PROJECT),
    Case("extract and matches regex", 'source | where createdAt matches regex "[0-9]" | extend y = extract("^([0-9]{4})", 1, createdAt) ' + PROJECT),
    Case("let scalar function", "let clean = (s:string) { tolower(s) }; source | extend c = clean(event) " + PROJECT),
    Case("let scalar value", 'let marker = "x"; source | extend m = marker ' + PROJECT),
    Case("print as the source", 'print TimeGenerated = now(), Event = "x", Ip = "", Details = dynamic({"a": 1})'),
    Case("has contains startswith", 'source | where event has "sign" or event contains "in" or event startswith "s" ' + PROJECT),
    Case("in and !in", 'source | where category in ("authentication", "boards") and event !in ("x") ' + PROJECT),
    Case("parse_json and member access", "source | extend j = parse_json(tostring(details)) | extend k = tostring(j.a) " + PROJECT),
    Case("datetime functions", "source | extend t = datetime_add('hour', 1, now()), b = bin(now(), 1h) " + PROJECT),
    Case("hash_sha256", "source | extend h = hash_sha256(id) " + PROJECT),
    Case("arithmetic and comparison", "source | extend n = strlen(id) * 2 + 1 | where n > 3 " + PROJECT),
    Case("the project's transform on the project's table", (DEFAULT_DCR_DIR / "transform.kql").read_text(), (), "MiroAuditLogs_CL"),
    Case("guid column from a string", BASE.replace("Details = details", "Details = details, Key = id"), (*COLUMNS, ("Key", "guid"))),
    Case("a column named id (as the official table)", BASE + ", id", (*COLUMNS, ("id", "string"))),
    # --- refused by both -----------------------------------------------------------------------------
    refused("summarize", "source | summarize count() by event " + PROJECT),
    refused("join", "source | join (source) on id " + PROJECT),
    refused("take", "source | take 1 " + PROJECT),
    refused("sort", "source | sort by id " + PROJECT),
    refused("mv-expand", "source | mv-expand details " + PROJECT),
    refused("union", "union source, source " + PROJECT),
    refused("distinct", "source | distinct id"),
    refused("another table as source", "MiroAuditLogs_CL " + PROJECT),
    refused("trim is not listed", 'source | extend t = trim(" ", event) ' + PROJECT),
    refused("todynamic is not listed", "source | extend d = todynamic(details) " + PROJECT),
    refused("replace_string is not listed", 'source | extend r = replace_string(id, "a", "b") ' + PROJECT),
    refused("coalesce is not listed", 'source | extend c = coalesce(event, "x") ' + PROJECT),
    refused("column_ifexists spelling", 'source | extend c = column_ifexists("event", "") ' + PROJECT),
    refused("has_any", 'source | where event has_any ("a", "b") ' + PROJECT),
    refused("in~", 'source | where event in~ ("a") ' + PROJECT),
    refused("not() is not listed", 'source | where not(event == "x") ' + PROJECT),
    refused("an output column typed int for a long column", BASE + ", Size = toint(strlen(id))", (*COLUMNS, ("Size", "long"))),
    refused(
        "parse with eleven columns",
        'source | parse id with A "1" B "2" C "3" D "4" E "5" F "6" G "7" H "8" I "9" J "0" K ' + PROJECT,
    ),
    refused("output column the table lacks", BASE + ", Extra = 1"),
    refused("output type differs from the table", BASE.replace("Event = event", "Event = strlen(event)")),
    refused("TimeGenerated as a string", BASE.replace("TimeGenerated = now()", "TimeGenerated = createdAt")),
    refused("syntax error", "source | extend = "),
    refused("unknown column", "source | extend x = nosuchcolumn " + PROJECT),
    refused("table without TimeGenerated", BASE.replace("TimeGenerated = now(), ", ""), tuple(COLUMNS[1:])),
    refused("table name without _CL", table="Corpus"),
    refused("reserved column TenantId", BASE + ", TenantId = id", (*COLUMNS, ("TenantId", "string"))),
    refused("column name of 46 characters", BASE + ", " + "C" * 46 + " = id", (*COLUMNS, ("C" * 46, "string"))),
    refused("column name starting with a digit", BASE + ", ['1st'] = id", (*COLUMNS, ("1st", "string"))),
    refused("TimeGenerated of type string", BASE.replace("TimeGenerated = now()", "TimeGenerated = createdAt"), (("TimeGenerated", "string"), *COLUMNS[1:])),
    # --- judged differently (listed in COVERAGE.md) ----------------------------------------------------
    Case("a table column the transform leaves empty", BASE, (*COLUMNS, ("Unused", "string"))),
    Case("datatable in a let statement", 'let t = datatable(a:string)["x"]; source ' + PROJECT, azure_accepts=False),
]  # fmt: skip


def product_accepts(case: Case, tmp_path: Path) -> bool:
    """``miro-sentinel dcr test`` with the case's transform and table, on one sample event; exit 0 accepts."""
    transform = tmp_path / "transform.kql"
    transform.write_text(case.transform)
    args = ["dcr", "test", "--transform", str(transform)]
    if case.columns:
        table = tmp_path / "table.json"
        table.write_text(json.dumps({"name": case.table, "columns": [{"name": n, "type": t} for n, t in case.columns]}))
        args += ["--table", str(table)]
    sample = json.loads(next(iter(sorted((DEFAULT_DCR_DIR / "samples").glob("*.json")))).read_text())
    events = tmp_path / "events.json"
    events.write_text(json.dumps(sample["events"][:1]))
    args += ["--events", str(events)]
    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with quiet[0], quiet[1], pytest.raises(SystemExit) as ended:
        miro_sentinel(args)
    return ended.value.code == 0


def cloud_accepts(case: Case, emulator: dict[str, Any], http: Http) -> bool:
    """PUT the table, then a DCR into it with the project's stream and the case's transform; 2xx accepts."""
    group = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}"
    columns = case.columns or tuple(
        (c["name"], c["type"]) for c in json.loads((DEFAULT_DCR_DIR / "table.json").read_text())["columns"]
    )
    table = http.arm(
        "PUT",
        f"{emulator['workspace_resource_id']}/tables/{case.table}",
        api_version="2022-10-01",
        body={"properties": {"schema": {"name": case.table, "columns": [{"name": n, "type": t} for n, t in columns]}}},
    )
    if table.status_code >= 400:
        return False
    stream = json.loads((DEFAULT_DCR_DIR / "stream.json").read_text())
    dce = http.arm(
        "PUT",
        f"{group}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-corpus",
        api_version="2023-03-11",
        body={"location": emulator["location"], "properties": {}},
    )
    assert dce.status_code < 300, dce.text
    rule = http.arm(
        "PUT",
        f"{group}/providers/Microsoft.Insights/dataCollectionRules/dcr-corpus-{uuid.uuid4().hex[:8]}",
        api_version="2023-03-11",
        body={
            "location": emulator["location"],
            "properties": {
                "dataCollectionEndpointId": dce.json()["id"],
                "streamDeclarations": {stream["name"]: {"columns": stream["columns"]}},
                "destinations": {
                    "logAnalytics": [{"workspaceResourceId": emulator["workspace_resource_id"], "name": "la"}]
                },
                "dataFlows": [
                    {
                        "streams": [stream["name"]],
                        "destinations": ["la"],
                        "transformKql": case.transform,
                        "outputStream": f"Custom-{case.table}",
                    }
                ],
            },
        },
    )
    assert rule.status_code in (200, 201, 400), rule.text
    return rule.status_code < 300


def listed_disagreements() -> dict[str, tuple[str, str, str]]:
    """COVERAGE.md's "Rules agreement" table: case -> (dcr test verdict, local cloud verdict, reason)."""
    text = (REPO_ROOT / "emulator" / "COVERAGE.md").read_text(encoding="utf-8")
    section = text.split("### Rules agreement with `dcr test`", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (accepts|refuses) \| (accepts|refuses) \| ([^|]+?) \|$", section, re.M)
    return {name: (product, cloud, reason) for name, product, cloud, reason in rows}


def verdict(accepted: bool) -> str:
    return "accepts" if accepted else "refuses"


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    assert set(listed_disagreements()) <= {c.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_local_cloud_judges_as_azure_and_dcr_test_agrees_or_the_difference_is_explained(
    case: Case, emulator: dict[str, Any], http: Http, tmp_path: Path
) -> None:
    cloud_verdict = cloud_accepts(case, emulator, http)
    assert cloud_verdict == case.azure_accepts, f"{case.name!r}: the local cloud does not judge it as Azure documents"
    product, cloud = verdict(product_accepts(case, tmp_path)), verdict(cloud_verdict)
    listed = listed_disagreements().get(case.name)
    if product == cloud:
        assert listed is None, f"{case.name!r}: both {product} now; remove it from COVERAGE.md's table"
    else:
        assert listed is not None, f"{case.name!r}: dcr test {product}, the local cloud {cloud}; not in COVERAGE.md"
        assert listed[:2] == (product, cloud) and listed[2].strip()
