"""The control API is closed: every route under /_emulator needs the control token from the ready line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from local_cloud import control_headers

from emulator.app import build_app


def control_routes(cloud: Any) -> list[tuple[str, str]]:
    """Every (method, path) a control service serves, path parameters filled with a placeholder."""
    app = build_app(cloud)
    return sorted(
        (route.method, re.sub(r"\{[^}]+\}", "x", route.template))
        for service in app.services
        if service.name == "control"
        for route in service.routes
    )


@pytest.fixture
def anonymous(emulator: dict[str, Any]) -> Iterator[requests.Session]:
    session = requests.Session()
    session.verify = emulator["ca_cert"]
    session.trust_env = False
    yield session
    session.close()


def test_every_control_route_is_under_the_control_prefix(emulator_server: Any) -> None:
    routes = control_routes(emulator_server.cloud)

    assert len(routes) > 30
    assert all(path.startswith("/_emulator") for _, path in routes)


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer", "token-alone"])
def test_every_control_route_answers_401_without_the_token(
    emulator_server: Any, emulator: dict[str, Any], anonymous: requests.Session, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    answers = {
        (method, path): anonymous.request(method, emulator["arm_endpoint"] + path, headers=headers, json={}, timeout=30)
        for method, path in control_routes(emulator_server.cloud)
    }

    refused = {key: r.status_code for key, r in answers.items() if r.status_code != 401}
    assert refused == {}
    sample = answers[("GET", "/_emulator/info")]
    assert sample.json()["error"]["code"] == "AuthenticationFailed"
    assert "control_token" in sample.json()["error"]["message"]
    assert sample.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert sample.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_info_route_does_not_give_secrets_without_the_token(
    emulator: dict[str, Any], anonymous: requests.Session
) -> None:
    answer = anonymous.get(emulator["control_endpoint"] + "/info", timeout=30)

    assert answer.status_code == 401
    for secret in ("client_secret", "miro_token", "control_token"):
        assert emulator[secret] not in answer.text


@pytest.mark.parametrize("path", ["/_EMULATOR/info", "/_emulator", "/_emulator/no-such-route", "//_emulator/info"])
def test_unknown_or_oddly_spelled_control_paths_need_the_token_too(
    emulator: dict[str, Any], anonymous: requests.Session, path: str
) -> None:
    answer = anonymous.get(emulator["arm_endpoint"] + path, timeout=30)

    assert answer.status_code == 401


def test_a_refused_call_changes_nothing(emulator: dict[str, Any], anonymous: requests.Session) -> None:
    with_token = control_headers(emulator)
    fault = anonymous.post(
        emulator["control_endpoint"] + "/faults", json={"path": "/nothing", "status": 500}, headers=with_token
    ).json()

    refused = [
        anonymous.delete(emulator["control_endpoint"] + "/faults", timeout=30),
        anonymous.post(emulator["control_endpoint"] + "/reset", timeout=30),
        anonymous.post(emulator["control_endpoint"] + "/tokens", json={"audience": "https://management.azure.com"}),
        anonymous.post(emulator["control_endpoint"] + "/miro/tokens", json={"token": "mine", "preset": "valid"}),
    ]

    assert [r.status_code for r in refused] == [401, 401, 401, 401]
    kept = anonymous.get(emulator["control_endpoint"] + "/faults", headers=with_token, timeout=30).json()["value"]
    assert [f["id"] for f in kept] == [fault["id"]]
    tokens = anonymous.get(emulator["control_endpoint"] + "/miro/tokens", headers=with_token, timeout=30).json()
    assert [t["label"] for t in tokens["value"]] == ["ready line"]


def test_with_the_token_the_control_api_answers(emulator: dict[str, Any], anonymous: requests.Session) -> None:
    answer = anonymous.get(emulator["control_endpoint"] + "/info", headers=control_headers(emulator), timeout=30)

    assert answer.status_code == 200
    assert answer.json() == emulator


def test_the_token_is_new_at_every_start(tmp_path: Any) -> None:
    from emulator.server import EmulatorServer

    with EmulatorServer(tmp_path) as first:
        token = first.info["control_token"]
    with EmulatorServer(tmp_path) as second:
        assert second.info["control_token"] != token
        assert second.info["client_secret"] == first.info["client_secret"]


def test_other_services_do_not_accept_the_control_token(emulator: dict[str, Any], anonymous: requests.Session) -> None:
    path = f"/subscriptions/{emulator['subscription_id']}"
    answer = anonymous.get(
        emulator["arm_endpoint"] + path, params={"api-version": "2022-12-01"}, headers=control_headers(emulator)
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
