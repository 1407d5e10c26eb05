"""The local Miro over HTTPS, as any client meets it: paging, cursor encoding, errors, credits, faults.

Real ``requests`` against the session's local cloud (clock at real speed, so a Miro minute is a minute).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from part2_cloud import Control, session

HOUR_AGO = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)
WINDOW = {
    "createdAfter": HOUR_AGO.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    "createdBefore": (HOUR_AGO + dt.timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%S.00Z"),
}


@pytest.fixture
def miro(emulator: dict[str, Any]) -> Iterator[requests.Session]:
    s = session(emulator)
    s.headers["Authorization"] = f"Bearer {emulator['miro_token']}"
    yield s
    s.close()


@pytest.fixture
def control(emulator: dict[str, Any]) -> Iterator[Control]:
    control = Control(emulator)
    yield control
    control.close()


def logs_url(info: dict[str, Any]) -> str:
    return info["miro_base_url"] + "/v2/audit/logs"


def miro_error(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["status"] == response.status_code and body["type"] == "error"
    return response.status_code, body["code"], body["message"]


def test_the_ready_line_names_miro_and_a_valid_token(emulator: dict[str, Any], miro: requests.Session) -> None:
    assert emulator["miro_base_url"] == emulator["arm_endpoint"] + "/miro"
    assert miro.get(emulator["miro_base_url"] + "/v1/oauth-token", timeout=30).status_code == 200


def test_a_client_that_encodes_the_cursor_gets_every_event_once(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    ids, cursor, calls = [], None, 0
    while True:
        params = {**WINDOW, "limit": "25", **({"cursor": cursor} if cursor else {})}
        page = miro.get(logs_url(emulator), params=params, timeout=30).json()
        calls += 1
        if not page["data"]:
            break
        ids += [e["id"] for e in page["data"]]
        cursor = page["cursor"]
    expected = [e["id"] for e in control.miro_events(WINDOW["createdAfter"], WINDOW["createdBefore"])]
    assert ids == expected and len(expected) > 50
    assert calls == -(-len(expected) // 25) + 1  # the last page with events still has a cursor; an empty one ends


def test_a_client_that_does_not_encode_the_cursor_gets_the_first_page_again(
    emulator: dict[str, Any], miro: requests.Session
) -> None:
    first = miro.get(logs_url(emulator), params={**WINDOW, "limit": "25"}, timeout=30).json()
    assert "#" in first["cursor"]
    # The '#' starts a fragment: the HTTP client never sends what follows it.
    raw = f"{logs_url(emulator)}?createdAfter={WINDOW['createdAfter']}&createdBefore={WINDOW['createdBefore']}&limit=25&cursor={first['cursor']}"
    again = miro.get(raw, timeout=30).json()
    assert again == first


def test_a_parameter_after_an_unencoded_cursor_is_lost(emulator: dict[str, Any], miro: requests.Session) -> None:
    first = miro.get(logs_url(emulator), params={**WINDOW, "limit": "25"}, timeout=30).json()
    raw = f"{logs_url(emulator)}?createdAfter={WINDOW['createdAfter']}&cursor={first['cursor']}&createdBefore={WINDOW['createdBefore']}"
    assert miro_error(miro.get(raw, timeout=30)) == (400, "badRequest", "createdBefore is required.")


def test_every_answer_naming_a_token_reports_the_credits(emulator: dict[str, Any], miro: requests.Session) -> None:
    ok = miro.get(logs_url(emulator), params=WINDOW, timeout=30)
    bad = miro.get(logs_url(emulator), params={**WINDOW, "sorting": "up"}, timeout=30)
    unknown = session(emulator).get(
        logs_url(emulator), params=WINDOW, headers={"Authorization": "Bearer nope"}, timeout=30
    )
    for answer in (ok, bad, unknown):
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(answer.headers.keys())
    assert ok.headers["x-ratelimit-limit"] == "10000"
    assert int(ok.headers["x-ratelimit-remaining"]) - int(bad.headers["x-ratelimit-remaining"]) == 100
    assert miro_error(bad) == (400, "badRequest", "sorting must be ASC or DESC.")
    assert bad.json()["context"] == {"error": "Invalid parameter: sorting"}


def test_a_spent_budget_answers_429_and_no_retry_after_by_default(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    control.call("PATCH", "/miro/settings", {"credits_per_minute": 200})
    for _ in range(2):
        assert miro.get(logs_url(emulator), params=WINDOW, timeout=30).status_code == 200
    refused = miro.get(logs_url(emulator), params=WINDOW, timeout=30)
    assert miro_error(refused) == (
        429,
        "tooManyRequests",
        "Too many requests: the credit limit for this minute is spent.",
    )
    assert refused.headers["x-ratelimit-remaining"] == "0" and "retry-after" not in refused.headers
    assert int(refused.headers["x-ratelimit-reset"]) % 60 == 0
    control.call("PATCH", "/miro/settings", {"retry_after_on_429": True})
    assert 1 <= int(miro.get(logs_url(emulator), params=WINDOW, timeout=30).headers["retry-after"]) <= 60


@pytest.mark.parametrize(
    ("preset", "status", "code", "message"),
    [
        ("revoked", 401, "unauthorized", "Authentication failed: the access token is missing, invalid or revoked."),
        ("no_audit_scope", 403, "forbidden", "The access token does not have the required scope: auditlogs:read."),
        ("not_enterprise", 403, "forbidden", "Audit logs are available only for organizations on the Enterprise plan."),
        ("not_company_admin", 403, "forbidden", "Only Company Admins can access audit logs."),
    ],
)
def test_tokens_registered_without_rights_are_refused_over_https(
    emulator: dict[str, Any], control: Control, preset: str, status: int, code: str, message: str
) -> None:
    token = control.call("POST", "/miro/tokens", {"preset": preset}, expect=201)["token"]
    answer = session(emulator).get(
        logs_url(emulator), params=WINDOW, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert miro_error(answer) == (status, code, message)


def test_token_info_of_a_token_without_the_audit_scope_shows_its_scopes(
    emulator: dict[str, Any], control: Control
) -> None:
    token = control.call("POST", "/miro/tokens", {"preset": "no_audit_scope"}, expect=201)["token"]
    info = session(emulator).get(
        emulator["miro_base_url"] + "/v1/oauth-token", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert info.status_code == 200
    assert info.json()["scopes"] == ["boards:read", "boards:write"]
    assert info.json()["organization"]["name"] == "Example Organization — Ørsted & Co"


def test_a_slow_answer_trips_a_clients_timeout(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    fault = control.call("POST", "/miro/faults", {"kind": "slow", "delay": 1.0, "count": 1}, expect=201)
    with pytest.raises(requests.Timeout):
        miro.get(logs_url(emulator), params=WINDOW, timeout=0.3)
    assert control.call("GET", f"/miro/faults/{fault['id']}")["hits"] == 1


def test_a_malformed_answer_is_200_with_broken_json(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    control.call("POST", "/miro/faults", {"kind": "malformed", "count": 1}, expect=201)
    answer = miro.get(logs_url(emulator), params=WINDOW, timeout=30)
    assert answer.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        answer.json()


def test_a_fault_injected_through_the_core_control_api_answers_in_miros_shape(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    control.call("POST", "/faults", {"service": "miro", "status": 503, "count": 1}, expect=201)
    answer = miro.get(logs_url(emulator), params=WINDOW, timeout=30)
    status, code, _ = miro_error(answer)
    assert (status, code) == (503, "serviceUnavailable")


def test_an_unknown_miro_path_is_501_in_miros_shape(emulator: dict[str, Any], miro: requests.Session) -> None:
    answer = miro.get(emulator["miro_base_url"] + "/v2/boards", timeout=30)
    assert miro_error(answer) == (
        501,
        "notImplemented",
        "GET /miro/v2/boards is not implemented by the local Miro; see emulator/COVERAGE.md",
    )


def test_added_events_are_served_with_the_generated_ones(
    emulator: dict[str, Any], miro: requests.Session, control: Control
) -> None:
    when = (HOUR_AGO + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.123+0000")
    added = control.call(
        "POST",
        "/miro/events",
        {"events": [{"createdAt": when, "event": "board_exported", "category": "boards"}]},
        expect=201,
    )
    pages = miro.get(logs_url(emulator), params={**WINDOW, "limit": "500"}, timeout=30).json()
    assert added["ids"][0] in [e["id"] for e in pages["data"]]


def test_tokens_never_reach_the_request_log(emulator: dict[str, Any], miro: requests.Session, control: Control) -> None:
    miro.get(logs_url(emulator), params=WINDOW, timeout=30)
    records = control.call("GET", "/requests?service=miro")["value"]
    assert ("GET", "/miro/v2/audit/logs", "enterprise-get-audit-logs", 200) in [
        (r["method"], r["path"], r["operation"], r["status"]) for r in records
    ]
    assert emulator["miro_token"] not in str(control.call("GET", "/requests"))


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        (
            "POST",
            "/miro/tokens",
            {"preset": "superuser"},
            "unknown preset 'superuser'; known: valid, revoked, no_audit_scope, not_enterprise, not_company_admin",
        ),
        ("PATCH", "/miro/settings", {"credits_per_minute": -1}, "credits_per_minute must be a number >= 0"),
        (
            "PATCH",
            "/miro/settings",
            {"speed": 2},
            "unknown setting(s): speed; known: created_bounds, credits_per_minute, events_per_minute, office_hours, retry_after_on_429, seed",
        ),
        (
            "POST",
            "/miro/events",
            {"events": [{"event": "no time"}]},
            "events[0].createdAt must be an ISO 8601 time with an offset",
        ),
        (
            "POST",
            "/miro/faults",
            {"kind": "status", "status": 200},
            "a status fault needs a status between 400 and 599",
        ),
    ],
)
def test_the_miro_control_api_refuses_bad_input(
    control: Control, method: str, path: str, body: Any, message: str
) -> None:
    answer = control.session.request(method, control.base + path, json=body, timeout=30)
    assert answer.status_code == 400 and answer.json()["error"]["message"] == message
