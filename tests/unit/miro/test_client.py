"""The Miro client against the local Miro over HTTPS: paging, retries, and each refusal typed."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import requests

from deployer.config import Secret
from deployer.errors import MiroAccessDenied, MiroRateLimited, MiroTokenInvalid, MiroUnavailable
from deployer.miro.client import MiroClient, format_miro_time
from deployer.miro.token_check import check_token


def control(
    info: dict[str, Any], method: str, path: str, body: Any = None, params: dict[str, str] | None = None
) -> Any:
    response = requests.request(
        method,
        info["control_endpoint"] + path,
        json=body,
        params=params,
        headers={"Authorization": f"Bearer {info['control_token']}"},
        verify=info["ca_cert"],
        timeout=30,
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def client(info: dict[str, Any], token: str | None = None, **kwargs: Any) -> MiroClient:
    options: dict[str, Any] = {
        "verify": info["ca_cert"],
        "max_attempts": 3,
        "retry_budget": 5.0,
        "sleep": lambda _s: None,
    }
    options.update(kwargs)
    return MiroClient(info["miro_base_url"], Secret(token or info["miro_token"]), **options)


def token_with(info: dict[str, Any], preset: str) -> str:
    created = control(info, "POST", "/miro/tokens", {"preset": preset})
    return str(created["token"])


def window(info: dict[str, Any], hours: float) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.fromisoformat(control(info, "GET", "/clock")["now"]).replace(microsecond=0)
    return now - dt.timedelta(hours=hours), now


def test_format_is_miros_documented_form() -> None:
    assert format_miro_time(dt.datetime(2023, 3, 30, 17, 26, 50, 123456, tzinfo=dt.UTC)) == "2023-03-30T17:26:50.123Z"


def test_list_audit_logs_reads_every_page_once(emulator: dict[str, Any]) -> None:
    control(emulator, "PATCH", "/miro/settings", {"credits_per_minute": 1_000_000})
    after, before = window(emulator, hours=6)
    expected = control(
        emulator,
        "GET",
        "/miro/events",
        params={"createdAfter": format_miro_time(after), "createdBefore": format_miro_time(before)},
    )
    expected_ids = [e["id"] for e in expected["data"]]
    assert len(expected_ids) > 10
    with client(emulator) as miro:
        events = list(miro.list_audit_logs(created_after=after, created_before=before, limit=7))
        pages = miro.requests_made
    assert [e["id"] for e in events] == expected_ids
    assert pages >= len(expected_ids) // 7  # cursors with '#' went back URL-encoded, page after page


def test_token_info_reports_scopes_and_organisation(emulator: dict[str, Any]) -> None:
    with client(emulator) as miro:
        info = miro.get_token_info()
    assert info.scopes is not None and "auditlogs:read" in info.scopes
    assert info.organization_name


@pytest.mark.parametrize(
    ("preset", "error", "message"),
    [
        ("revoked", MiroTokenInvalid, "Miro refused the token (401 unauthorized"),
        ("no_audit_scope", MiroAccessDenied, "the Miro token lacks the auditlogs:read scope"),
        (
            "not_enterprise",
            MiroAccessDenied,
            "the organisation is not on the Enterprise plan, or the token was not issued by a Company Admin",
        ),
        (
            "not_company_admin",
            MiroAccessDenied,
            "the organisation is not on the Enterprise plan, or the token was not issued by a Company Admin",
        ),
    ],
)
def test_check_token_classifies_each_refusal(
    emulator: dict[str, Any], preset: str, error: type[Exception], message: str
) -> None:
    with client(emulator, token_with(emulator, preset)) as miro, pytest.raises(error) as exc:
        check_token(miro)
    assert message in str(exc.value)
    assert exc.value.exit_code == 3  # type: ignore[attr-defined]


def test_429_waits_until_the_rate_limit_reset_then_succeeds(emulator: dict[str, Any]) -> None:
    # Miro's Retry-After is unconfirmed, so without one the client waits for X-RateLimit-Reset.
    control(emulator, "POST", "/miro/faults", {"kind": "status", "status": 429, "operation": "token_info", "count": 1})
    waits: list[tuple[float, dt.datetime | None]] = []
    before = dt.datetime.now(dt.UTC)
    clients: list[MiroClient] = []
    # The reset that counts is the 429's, seen while waiting (the answer after it may fall in the next minute).
    sleep = lambda seconds: waits.append((seconds, clients[0].last_rate_limit.reset_at))  # noqa: E731
    with client(emulator, sleep=sleep, retry_budget=10**7) as miro:
        clients.append(miro)
        assert miro.get_token_info().organization_id
    after = dt.datetime.now(dt.UTC)
    assert len(waits) == 1
    wait, reset = waits[0]
    assert reset is not None

    # The reset is the start of the next minute on the local cloud's clock; the wait is until then, measured
    # from the server's Date, never over a minute. That Date lies between `before` and `after`, less its
    # whole-second rounding and the server's once-a-second refresh of it (so up to 2 s before `before`).
    def until_reset(instant: dt.datetime) -> float:
        return min(60.0, max(0.0, (reset - instant).total_seconds()))

    assert until_reset(after) - 0.5 <= wait <= until_reset(before - dt.timedelta(seconds=2)) + 0.2


def test_429_with_retry_after_waits_that_long(emulator: dict[str, Any]) -> None:
    control(
        emulator,
        "POST",
        "/miro/faults",
        {"kind": "status", "status": 429, "operation": "token_info", "count": 1, "retry_after": 3},
    )
    waits: list[float] = []
    with client(emulator, sleep=waits.append) as miro:
        assert miro.get_token_info().organization_id
    assert waits == [3.0]


def test_429_beyond_the_budget_is_rate_limited(emulator: dict[str, Any]) -> None:
    control(
        emulator,
        "POST",
        "/miro/faults",
        {"kind": "status", "status": 429, "operation": "token_info", "retry_after": 600},
    )
    with client(emulator, retry_budget=1.0) as miro, pytest.raises(MiroRateLimited) as exc:
        miro.get_token_info()
    assert exc.value.status_code == 429
    assert exc.value.error_code == "tooManyRequests"
    assert "beyond the retry budget" in exc.value.message


def test_a_rate_limit_that_outlasts_the_budget_over_several_waits_says_so(emulator: dict[str, Any]) -> None:
    # Each reset is within the budget, but Miro stays limited: the budget is spent, not too small.
    control(
        emulator,
        "POST",
        "/miro/faults",
        {"kind": "status", "status": 429, "operation": "token_info", "retry_after": 1},
    )
    with client(emulator, retry_budget=1.5, sleep=time.sleep) as miro, pytest.raises(MiroRateLimited) as exc:
        miro.get_token_info()
    assert exc.value.message.endswith("; still limited after 2 attempts; it resets in about 1 s")
    assert exc.value.remedy == (
        "wait about 1 s and run again; another integration may be spending the same token's budget"
    )


def test_5xx_is_retried_then_reported_as_unavailable(emulator: dict[str, Any]) -> None:
    control(emulator, "POST", "/miro/faults", {"kind": "status", "status": 502, "operation": "token_info"})
    with client(emulator) as miro, pytest.raises(MiroUnavailable) as exc:
        miro.get_token_info()
    assert exc.value.status_code == 502
    assert miro.requests_made == 3


def test_malformed_json_is_retried_then_unavailable(emulator: dict[str, Any]) -> None:
    control(emulator, "POST", "/miro/faults", {"kind": "malformed", "operation": "token_info"})
    with client(emulator) as miro, pytest.raises(MiroUnavailable, match="malformed JSON"):
        miro.get_token_info()


def test_a_cursor_that_repeats_stops_instead_of_looping(emulator: dict[str, Any]) -> None:
    control(emulator, "POST", "/miro/faults", {"kind": "repeat_cursor", "on": "next_page"})
    after, before = window(emulator, hours=6)
    with client(emulator) as miro, pytest.raises(MiroUnavailable, match="a cursor it had already returned"):
        list(miro.list_audit_logs(created_after=after, created_before=before, limit=5))


def test_unreachable_miro_is_unavailable() -> None:
    miro = MiroClient("https://127.0.0.1:9", Secret("x"), max_attempts=2, retry_budget=1, sleep=lambda _s: None)
    with pytest.raises(MiroUnavailable, match=r"cannot connect to Miro at https://127\.0\.0\.1:9"):
        miro.get_token_info()
    miro.close()


def test_the_token_never_appears_in_an_error(emulator: dict[str, Any]) -> None:
    secret = token_with(emulator, "revoked")
    with client(emulator, secret) as miro, pytest.raises(MiroTokenInvalid) as exc:
        miro.get_token_info()
    assert secret not in str(exc.value) and secret not in repr(exc.value.__dict__)


def test_a_token_requests_cannot_send_is_refused_without_quoting_it(emulator: dict[str, Any]) -> None:
    # Settings refuse such a token first; the client must not leak it should one reach it another way.
    with client(emulator, "canary-client\n-4242") as miro, pytest.raises(MiroUnavailable) as exc:
        miro.get_token_info()
    assert exc.value.message == f"cannot send the request to Miro at {emulator['miro_base_url']}: InvalidHeader"
    assert exc.value.__cause__ is None and exc.value.__context__ is not None
    assert "canary" not in str(exc.value) + exc.value.remedy


def test_a_rate_limit_reset_beyond_a_minute_is_waited_for_one_minute_at_most(emulator: dict[str, Any]) -> None:
    # The local cloud's clock may run far ahead; Miro's budget is per minute, so a minute always suffices.
    control(emulator, "POST", "/clock/advance", {"seconds": 17_000})
    control(emulator, "POST", "/miro/faults", {"kind": "status", "status": 429, "operation": "token_info"})
    waits: list[float] = []
    with (
        client(emulator, sleep=waits.append, retry_budget=10**7, max_attempts=2) as miro,
        pytest.raises(MiroRateLimited) as exc,
    ):
        miro.get_token_info()
    assert len(waits) == 1 and 0 < waits[0] <= 60.1
    assert exc.value.wait_seconds is not None and exc.value.wait_seconds <= 60.1
    seconds = round(exc.value.wait_seconds)
    assert exc.value.remedy.startswith(f"wait about {seconds} s and run again")


def test_the_rate_limit_wait_is_the_same_in_the_message_and_the_remedy(emulator: dict[str, Any]) -> None:
    control(
        emulator,
        "POST",
        "/miro/faults",
        {"kind": "status", "status": 429, "operation": "token_info", "retry_after": 42},
    )
    with client(emulator, retry_budget=5.0) as miro, pytest.raises(MiroRateLimited) as exc:
        miro.get_token_info()
    assert exc.value.message.endswith("; it resets in about 42 s, beyond the retry budget of 5 s")
    assert exc.value.remedy.startswith("wait about 42 s and run again")
