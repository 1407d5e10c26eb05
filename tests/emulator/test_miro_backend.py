"""The local Miro's rules, in process: paging, windows, tokens, credits and faults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from emulator.extension import ManualClock, MemoryDocuments
from emulator.miro import errors
from emulator.miro.models import MiroBackend
from emulator.miro.times import parse_query_time

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, 437_000, tzinfo=dt.UTC)
WINDOW = {"createdAfter": "2026-03-01T11:00:00.000Z", "createdBefore": "2026-03-01T11:05:00.00Z"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW, time_scale=10)


class Wall:
    """A wall clock that moves only when told to (Miro's rate-limit minutes follow it)."""

    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def miro(clock: ManualClock, wall: Wall) -> MiroBackend:
    backend = MiroBackend(clock=clock, documents=MemoryDocuments(), secret="secret", wall=wall)
    backend.apply_settings({"events_per_minute": 60, "credits_per_minute": 1_000_000})
    return backend


def bearer(miro: MiroBackend) -> str:
    return f"Bearer {miro.tokens.default_token}"


def all_pages(miro: MiroBackend, query: dict[str, str]) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        page = miro.audit_logs(bearer(miro), {**query, **({"cursor": cursor} if cursor else {})}).body
        pages.append(page)
        if not page["data"]:
            return pages
        cursor = page["cursor"]


def expected_ids(miro: MiroBackend, query: dict[str, str]) -> list[str]:
    after, before = parse_query_time(query["createdAfter"]), parse_query_time(query["createdBefore"])
    return [e.body["id"] for e in miro.events(after, before)]


def refusal(call: Any) -> errors.MiroError:
    with pytest.raises(errors.MiroError) as caught:
        call()
    return caught.value


# --- paging -------------------------------------------------------------------------------------------


def test_pages_in_ascending_order_hold_every_event_of_the_window_once(miro: MiroBackend) -> None:
    pages = all_pages(miro, WINDOW)
    ids = [e["id"] for p in pages for e in p["data"]]
    assert ids == expected_ids(miro, WINDOW)
    assert len(ids) > 250
    assert [p["size"] for p in pages[:-1]] == [100] * (len(pages) - 2) + [len(ids) % 100 or 100]


def test_descending_pages_hold_the_same_events_in_reverse(miro: MiroBackend) -> None:
    pages = all_pages(miro, {**WINDOW, "sorting": "DESC"})
    assert [e["id"] for p in pages for e in p["data"]] == expected_ids(miro, WINDOW)[::-1]


def test_a_page_has_the_audit_page_shape_and_its_cursor_is_its_last_event(miro: MiroBackend) -> None:
    page = miro.audit_logs(bearer(miro), {**WINDOW, "limit": "2"}).body
    assert list(page) == ["type", "limit", "size", "cursor", "data"]
    assert (page["type"], page["limit"], page["size"]) == ("cursor-list", 2, 2)
    assert page["cursor"] == page["data"][-1]["id"]
    assert "#" in page["cursor"] and page["cursor"].endswith("-DDB")


def test_the_end_is_an_empty_page_without_a_cursor(miro: MiroBackend) -> None:
    last = all_pages(miro, WINDOW)[-1]
    assert last == {"type": "cursor-list", "limit": 100, "size": 0, "data": []}


def test_a_partial_last_page_still_carries_a_cursor(miro: MiroBackend) -> None:
    pages = all_pages(miro, WINDOW)
    assert 0 < pages[-2]["size"] < 100 and "cursor" in pages[-2]


def test_consecutive_windows_see_every_event_exactly_once(miro: MiroBackend) -> None:
    miro.add_events([{"createdAt": "2026-03-01T11:02:30.000+0000", "event": "edge"}])
    first = {"createdAfter": "2026-03-01T11:00:00.00Z", "createdBefore": "2026-03-01T11:02:30.00Z"}
    second = {"createdAfter": "2026-03-01T11:02:30.00Z", "createdBefore": "2026-03-01T11:05:00.00Z"}
    ids = [e["id"] for q in (first, second) for p in all_pages(miro, q) for e in p["data"]]
    assert ids == expected_ids(miro, WINDOW)
    edge = [e for p in all_pages(miro, second) for e in p["data"] if e.get("event") == "edge"]
    assert len(edge) == 1  # createdAfter is inclusive, createdBefore exclusive


@pytest.mark.parametrize(("bounds", "in_first", "in_second"), [("closed", 1, 1), ("open", 0, 0)])
def test_the_other_readings_of_the_bounds_put_an_edge_event_in_both_windows_or_neither(
    miro: MiroBackend, bounds: str, in_first: int, in_second: int
) -> None:
    miro.apply_settings({"created_bounds": bounds})
    miro.add_events([{"createdAt": "2026-03-01T11:02:30.000+0000", "event": "edge"}])
    first = {"createdAfter": "2026-03-01T11:00:00.00Z", "createdBefore": "2026-03-01T11:02:30.00Z"}
    second = {"createdAfter": "2026-03-01T11:02:30.00Z", "createdBefore": "2026-03-01T11:05:00.00Z"}
    edges = [sum(e.get("event") == "edge" for p in all_pages(miro, q) for e in p["data"]) for q in (first, second)]
    assert edges == [in_first, in_second]


def test_a_cursor_cut_at_its_hash_brings_back_the_first_page(miro: MiroBackend) -> None:
    first = miro.audit_logs(bearer(miro), WINDOW).body
    cut = first["cursor"].split("#")[0]
    again = miro.audit_logs(bearer(miro), {**WINDOW, "cursor": cut}).body
    assert again == first  # a client that does not URL-encode the cursor loops for ever


def test_events_not_yet_happened_are_not_served(miro: MiroBackend, clock: ManualClock) -> None:
    miro.add_events([{"createdAt": "2026-03-01T12:00:01.000Z", "event": "future"}])
    window = {"createdAfter": "2026-03-01T11:59:00.000Z", "createdBefore": "2026-03-01T12:01:00.000Z"}
    assert not any(e.get("event") == "future" for p in all_pages(miro, window) for e in p["data"])
    clock.advance(2)
    assert any(e.get("event") == "future" for p in all_pages(miro, window) for e in p["data"])


def test_added_events_keep_their_fields_and_get_an_id(miro: MiroBackend) -> None:
    [added] = miro.add_events(
        [{"createdAt": "2026-03-01T11:01:00.123+0000", "event": "board_opened", "details": {"x": 1}}]
    )
    assert added.body["id"].startswith("2026-03-01T11:01:00.123000Z#") and added.body["details"] == {"x": 1}
    assert added.body in [e for p in all_pages(miro, WINDOW) for e in p["data"]]


# --- parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"createdBefore": "2026-03-01T11:05:00.000Z"}, "createdAfter is required."),
        ({**WINDOW, "createdAfter": "2026-03-01T11:00:00Z"}, "createdAfter must be a UTC time in ISO 8601"),
        ({**WINDOW, "createdBefore": "2026-03-01T11:05:00.000+00:00"}, "createdBefore must be a UTC time in ISO 8601"),
        ({**WINDOW, "createdBefore": WINDOW["createdAfter"]}, "createdAfter must be earlier than createdBefore."),
        ({**WINDOW, "limit": "501"}, "limit must be a whole number from 1 to 500."),
        ({**WINDOW, "limit": "0"}, "limit must be a whole number from 1 to 500."),
        ({**WINDOW, "sorting": "asc"}, "sorting must be ASC or DESC."),
        (
            {"createdAfter": "2025-11-30T11:00:00.000Z", "createdBefore": "2026-03-01T11:00:00.000Z"},
            "createdAfter must be within the last 90 days",
        ),
    ],
)
def test_bad_parameters_get_400_with_mirors_body(miro: MiroBackend, query: dict[str, str], message: str) -> None:
    error = refusal(lambda: miro.audit_logs(bearer(miro), query))
    assert (error.status, error.code) == (400, "badRequest")
    assert error.message.startswith(message)
    assert error.body()["type"] == "error" and error.body()["status"] == 400
    assert "X-RateLimit-Remaining" in error.headers


def test_limit_500_is_accepted(miro: MiroBackend) -> None:
    assert miro.audit_logs(bearer(miro), {**WINDOW, "limit": "500"}).body["limit"] == 500


# --- tokens ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer ", "Basic abc", "Bearer not-a-token"])
def test_a_missing_or_unknown_token_gets_401(miro: MiroBackend, header: str | None) -> None:
    error = refusal(lambda: miro.audit_logs(header, WINDOW))
    assert (error.status, error.code) == (401, "unauthorized")
    assert error.message == "Authentication failed: the access token is missing, invalid or revoked."
    assert set(error.headers) >= {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


@pytest.mark.parametrize(
    ("preset", "status", "message"),
    [
        ("revoked", 401, "Authentication failed: the access token is missing, invalid or revoked."),
        ("no_audit_scope", 403, "The access token does not have the required scope: auditlogs:read."),
        ("not_enterprise", 403, "Audit logs are available only for organizations on the Enterprise plan."),
        ("not_company_admin", 403, "Only Company Admins can access audit logs."),
    ],
)
def test_tokens_without_the_rights_are_refused_each_with_its_own_message(
    miro: MiroBackend, preset: str, status: int, message: str
) -> None:
    _, value = miro.tokens.register({"preset": preset})
    error = refusal(lambda: miro.audit_logs(f"Bearer {value}", WINDOW))
    assert (error.status, error.message) == (status, message)
    assert value not in error.message


def test_revoking_the_default_token_takes_effect_at_once(miro: MiroBackend) -> None:
    miro.tokens.change("default", {"revoked": True})
    assert refusal(lambda: miro.audit_logs(bearer(miro), WINDOW)).status == 401


def test_token_info_shows_type_organization_team_user_and_scopes(miro: MiroBackend) -> None:
    _, value = miro.tokens.register({"scopes": ["boards:read"]})
    info = miro.token_info(f"Bearer {value}").body
    assert set(info) == {"type", "organization", "team", "createdBy", "user", "scopes"}
    assert info["scopes"] == ["boards:read"]
    assert info["organization"]["type"] == "organization" and info["organization"]["id"]


def test_token_info_of_a_revoked_token_is_401(miro: MiroBackend) -> None:
    _, value = miro.tokens.register({"preset": "revoked"})
    assert refusal(lambda: miro.token_info(f"Bearer {value}")).status == 401


def test_the_default_token_is_the_same_for_the_same_secret() -> None:
    clock = ManualClock(NOW)
    one = MiroBackend(clock=clock, documents=MemoryDocuments(), secret="s").tokens.default_token
    two = MiroBackend(clock=clock, documents=MemoryDocuments(), secret="s").tokens.default_token
    assert one == two and len(one) > 40


def test_tokens_and_added_events_survive_a_restart(clock: ManualClock) -> None:
    documents = MemoryDocuments()
    first = MiroBackend(clock=clock, documents=documents, secret="s")
    token, value = first.tokens.register({"preset": "not_enterprise"})
    first.add_events([{"createdAt": "2026-03-01T11:01:00.000Z"}])
    again = MiroBackend(clock=clock, documents=documents, secret="s")
    assert again.tokens.find(value) == token
    assert (
        len(
            list(
                again.events(parse_query_time("2026-03-01T11:01:00.000Z"), parse_query_time("2026-03-01T11:01:00.001Z"))
            )
        )
        >= 1
    )


# --- credits --------------------------------------------------------------------------------------------


def test_every_answer_reports_the_credits_left(miro: MiroBackend) -> None:
    miro.apply_settings({"credits_per_minute": 1000})
    answer = miro.audit_logs(bearer(miro), WINDOW)
    assert answer.headers["X-RateLimit-Limit"] == "1000"
    assert answer.headers["X-RateLimit-Remaining"] == "900"
    assert int(answer.headers["X-RateLimit-Reset"]) == int(NOW.timestamp()) // 60 * 60 + 60


def test_a_spent_budget_gets_429_without_retry_after_until_the_next_minute_of_the_wall_clock(
    miro: MiroBackend, clock: ManualClock, wall: Wall
) -> None:
    miro.apply_settings({"credits_per_minute": 250})
    miro.audit_logs(bearer(miro), WINDOW)
    miro.audit_logs(bearer(miro), WINDOW)
    error = refusal(lambda: miro.audit_logs(bearer(miro), WINDOW))
    assert (error.status, error.code, error.body()["message"]) == (
        429,
        "tooManyRequests",
        "Too many requests: the credit limit for this minute is spent.",
    )
    assert error.headers["X-RateLimit-Remaining"] == "50" and "Retry-After" not in error.headers
    clock.advance(600)  # virtual time does not refill a real budget
    assert refusal(lambda: miro.audit_logs(bearer(miro), WINDOW)).status == 429
    wall.now += 60
    assert miro.audit_logs(bearer(miro), WINDOW).headers["X-RateLimit-Remaining"] == "150"


def test_retry_after_can_be_switched_on_in_real_seconds(miro: MiroBackend) -> None:
    miro.apply_settings({"credits_per_minute": 100, "retry_after_on_429": True})
    miro.audit_logs(bearer(miro), WINDOW)
    error = refusal(lambda: miro.audit_logs(bearer(miro), WINDOW))
    # 59.563 real seconds to the next minute of the wall clock, whatever the time scale.
    assert error.headers["Retry-After"] == "60"


def test_budgets_are_per_token(miro: MiroBackend) -> None:
    miro.apply_settings({"credits_per_minute": 100})
    _, other = miro.tokens.register({})
    miro.audit_logs(bearer(miro), WINDOW)
    assert miro.audit_logs(f"Bearer {other}", WINDOW).headers["X-RateLimit-Remaining"] == "0"


def test_token_info_costs_level_1_credits(miro: MiroBackend) -> None:
    miro.apply_settings({"credits_per_minute": 1000})
    assert miro.token_info(bearer(miro)).headers["X-RateLimit-Remaining"] == "950"


# --- faults ---------------------------------------------------------------------------------------------


def test_a_status_fault_answers_mirors_error_and_counts_its_hits(miro: MiroBackend) -> None:
    fault = miro.faults.add({"kind": "status", "status": 503, "count": 2})
    for _ in range(2):
        error = refusal(lambda: miro.audit_logs(bearer(miro), WINDOW))
        assert (error.status, error.code) == (503, "serviceUnavailable")
        assert "X-RateLimit-Remaining" in error.headers
    assert miro.audit_logs(bearer(miro), WINDOW).body["data"]
    assert fault.hits == 2


def test_a_fault_on_next_pages_spares_first_pages(miro: MiroBackend) -> None:
    miro.faults.add({"kind": "status", "status": 500, "on": "next_page"})
    first = miro.audit_logs(bearer(miro), WINDOW).body
    assert refusal(lambda: miro.audit_logs(bearer(miro), {**WINDOW, "cursor": first["cursor"]})).status == 500


def test_skip_lets_requests_through_before_the_fault(miro: MiroBackend) -> None:
    miro.faults.add({"kind": "status", "status": 502, "skip": 1, "count": 1})
    miro.audit_logs(bearer(miro), WINDOW)
    assert refusal(lambda: miro.audit_logs(bearer(miro), WINDOW)).status == 502


def test_a_malformed_fault_cuts_the_json(miro: MiroBackend) -> None:
    miro.faults.add({"kind": "malformed", "count": 1})
    body = miro.audit_logs(bearer(miro), WINDOW).body
    assert isinstance(body, bytes) and body.startswith(b'{"type": "cursor-list"')


def test_a_repeat_cursor_fault_sends_back_the_cursor_it_got(miro: MiroBackend) -> None:
    miro.faults.add({"kind": "repeat_cursor", "count": 1})
    first = miro.audit_logs(bearer(miro), WINDOW).body
    second = miro.audit_logs(bearer(miro), {**WINDOW, "cursor": first["cursor"]}).body
    assert second["cursor"] == first["cursor"] and second["data"][0]["id"] != first["data"][0]["id"]


def test_a_repeat_cursor_fault_waits_for_a_next_page_that_holds_events(miro: MiroBackend) -> None:
    # An empty page ends a listing: it has no cursor to repeat, so the fault is kept for a page that has one.
    miro.faults.add({"kind": "repeat_cursor", "count": 1})
    miro.faults.add({"kind": "status", "status": 503, "on": "next_page", "count": 1})
    page = miro.audit_logs(bearer(miro), {**WINDOW, "limit": "500"}).body
    assert page["data"] and page["cursor"]
    assert refusal(lambda: miro.audit_logs(bearer(miro), {**WINDOW, "cursor": page["cursor"]})).status == 503
    last = miro.audit_logs(bearer(miro), {**WINDOW, "cursor": page["cursor"]}).body
    assert last["data"] == [] and "cursor" not in last
    fault = miro.faults.all()[0]
    assert (fault.kind, fault.hits) == ("repeat_cursor", 0)


def test_a_slow_fault_asks_for_a_delay(miro: MiroBackend) -> None:
    miro.faults.add({"kind": "slow", "delay": 1.5, "count": 1})
    assert miro.audit_logs(bearer(miro), WINDOW).delay == 1.5


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "explode"}, "kind must be one of status, slow, malformed, repeat_cursor"),
        ({"kind": "status"}, "a status fault needs a status between 400 and 599"),
        ({"kind": "slow"}, "a slow fault needs a delay in seconds"),
        ({"kind": "status", "status": 500, "colour": "red"}, "unknown fault field(s): colour"),
    ],
)
def test_bad_faults_are_refused(miro: MiroBackend, spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        miro.faults.add(spec)


def test_reset_brings_back_a_fresh_miro(miro: MiroBackend) -> None:
    miro.tokens.change("default", {"revoked": True})
    miro.faults.add({"kind": "status", "status": 500})
    miro.add_events([{"createdAt": "2026-03-01T11:01:00.000Z", "event": "added"}])
    miro.reset()
    page = miro.audit_logs(bearer(miro), WINDOW).body
    assert page["size"] > 0 and not any(e.get("event") == "added" for e in page["data"])
    assert miro.settings.events_per_minute == 2.0
