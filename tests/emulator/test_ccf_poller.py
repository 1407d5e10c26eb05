"""The poller as a plain class: the project's Miro settings (the official solution's) against the local Miro, in process.

The clock is manual (the poller's waits move it), the HTTP function hands requests to the Miro
backend, and the ingestor records what it is given. The HTTPS and ingestion paths are covered by
the end-to-end tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from ccf_support import InProcessMiro, poller_properties

from emulator.ccf.config import read_poller_config
from emulator.ccf.poller import (
    ConnectorIdentity,
    FetchReport,
    HttpResult,
    IngestFailed,
    PollState,
    TransportError,
    WindowPoller,
)
from emulator.extension import ManualClock, MemoryDocuments
from emulator.miro.models import MiroBackend
from emulator.miro.times import to_micros

CREATED = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=5)


class Ingestor:
    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail: str | None = None

    def ingest(self, events: list[dict[str, Any]]) -> None:
        if self.fail:
            raise IngestFailed(self.fail)
        self.calls.append(events)

    def destination_table(self) -> str | None:
        return "MiroAuditLogs_CL"

    @property
    def ids(self) -> list[str]:
        return [e["id"] for call in self.calls for e in call]


class Health:
    def __init__(self) -> None:
        self.reports: list[FetchReport] = []

    def record(self, connector: ConnectorIdentity, report: FetchReport, *, destination_table: str | None) -> None:
        self.reports.append(report)


class Rig:
    """A poller with the project's settings, the local Miro, a manual clock and recording sinks."""

    def __init__(
        self, *, rate: float = 60, token: str | None = None, send: Any = None, wall_second: float = 300.1
    ) -> None:
        self.clock = ManualClock(CREATED, time_scale=600)
        # Miro's rate-limit minutes follow the wall clock; here it stands still (by default at 12:05:00.1).
        self.wall = lambda: CREATED.timestamp() + wall_second
        self.miro = MiroBackend(clock=self.clock, documents=MemoryDocuments(), secret="s", wall=self.wall)
        self.miro.apply_settings({"events_per_minute": rate, "credits_per_minute": 10_000_000})
        self.http = InProcessMiro(self.miro)
        self.ingestor = Ingestor()
        self.health = Health()
        self.saved: list[dict[str, Any]] = []
        self.sleeps: list[float] = []
        self.token = token or self.miro.tokens.default_token
        self.poller = self.make(PollState(window_start_us=to_micros(CREATED), origin_us=to_micros(CREATED)), send=send)

    def make(self, state: PollState, *, send: Any = None, **changes: Any) -> WindowPoller:
        props = poller_properties(self.token)
        for section, values in changes.items():
            props[section].update(values)
        return WindowPoller(
            connector=ConnectorIdentity(
                "/subscriptions/s/.../dataConnectors/MiroAuditLogsPoller", "MiroAuditLogsPoller"
            ),
            config=read_poller_config(props),
            state=state,
            send=send or self.http,
            ingestor=self.ingestor,
            health=self.health,
            clock=self.clock,
            sleep=self.sleep,
            save=lambda s: self.saved.append(s.as_dict()),
            wall=self.wall,
        )

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)
        return True

    def run_windows(self, count: int) -> None:
        for _ in range(count):
            self.clock.advance(WINDOW.total_seconds())
            self.poller.poll_due()

    def expected(self) -> list[str]:
        end = self.poller.window_bounds()[0]
        return [e.body["id"] for e in self.miro.events(to_micros(CREATED), to_micros(end))]


def test_the_official_settings_collect_every_event_once_across_pages_and_windows() -> None:
    rig = Rig()
    edges = [CREATED + WINDOW * k for k in (1, 2, 3)]
    rig.miro.add_events([{"createdAt": e.isoformat(), "event": "on_a_window_edge"} for e in edges])
    rig.run_windows(6)
    assert rig.poller.state.windows_done == 6
    assert rig.ingestor.ids == rig.expected()
    assert len(rig.ingestor.ids) == len(set(rig.ingestor.ids)) > 1500
    assert sum(1 for call in rig.ingestor.calls for e in call if e.get("event") == "on_a_window_edge") == 3
    assert [r.status for r in rig.health.reports] == ["Success"] * 6
    assert all(r.pages >= 3 for r in rig.health.reports)


def test_requests_carry_the_window_in_the_official_time_format_and_the_query_parameters() -> None:
    rig = Rig()
    rig.run_windows(1)
    first, second = rig.http.requests[0], rig.http.requests[1]
    assert first == {
        "createdAfter": "2026-03-01T12:00:00.00Z",
        "createdBefore": "2026-03-01T12:05:00.00Z",
        "sorting": "ASC",
        "limit": "100",
    }
    assert second["cursor"].endswith("-DDB") and second["createdAfter"] == first["createdAfter"]


def test_a_window_is_fetched_only_once_it_has_ended() -> None:
    rig = Rig()
    rig.clock.advance(299)
    rig.poller.poll_due()
    assert rig.http.requests == []
    rig.clock.advance(1)
    rig.poller.poll_due()
    assert rig.http.requests


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_mid_window_lose_nothing_and_duplicate_nothing(status: int) -> None:
    rig = Rig(wall_second=359.999)  # a 429's minute ends at once
    rig.miro.faults.add({"kind": "status", "status": status, "on": "next_page", "count": 2})
    rig.miro.faults.add({"kind": "status", "status": status, "on": "next_page", "skip": 3, "count": 1})
    rig.run_windows(3)
    assert rig.ingestor.ids == rig.expected()
    assert len(set(rig.ingestor.ids)) == len(rig.ingestor.ids)
    assert [r.status for r in rig.health.reports] == ["Success"] * 3
    assert sum(r.attempts for r in rig.health.reports) == sum(r.pages + 1 for r in rig.health.reports) + 3


def test_a_429_waits_until_the_rate_limit_resets_on_the_wall_clock() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "status", "status": 429, "on": "next_page", "count": 1})
    rig.run_windows(1)
    # The 429 comes at 12:05:00.1 on the wall clock and the minute resets at 12:06: 59.95 real seconds,
    # which at 600 virtual seconds per real one is that many virtual seconds of sleep.
    assert rig.sleeps[:2] == [pytest.approx(0.1), pytest.approx((59.9 + 0.05) * 600)]


def test_retry_after_is_real_seconds_and_is_honoured_first() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "status", "status": 503, "retry_after": 2, "count": 1})
    rig.run_windows(1)
    assert rig.sleeps[0] == pytest.approx(2 * 600)  # 2 real seconds at 600 virtual seconds per real one


def test_a_window_that_still_fails_is_retried_later_from_the_failed_page() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "status", "status": 503, "on": "next_page", "skip": 1, "count": 4})
    rig.run_windows(1)
    [failure] = rig.health.reports
    assert (failure.status, failure.reason, failure.http_status, failure.attempts) == ("Failure", "ServerError", 503, 6)
    assert failure.pages == 2 and rig.poller.state.windows_done == 0
    failed_cursor = rig.http.requests[-1]["cursor"]
    before = len(rig.ingestor.calls)
    rig.poller.poll_due()
    assert len(rig.http.requests) == 6  # not again before the next poll, one window later
    rig.clock.advance(WINDOW.total_seconds())
    rig.poller.poll_due()
    assert rig.http.requests[6]["cursor"] == failed_cursor  # resumed at the failed page
    assert len(rig.ingestor.calls) > before
    assert rig.ingestor.ids == rig.expected()[: len(rig.ingestor.ids)]
    assert len(set(rig.ingestor.ids)) == len(rig.ingestor.ids)


def test_a_revoked_token_gives_failure_rows_with_mirors_message_and_no_data() -> None:
    rig = Rig()
    _, revoked = rig.miro.tokens.register({"preset": "revoked"})
    rig.token = revoked
    rig.poller = rig.make(rig.poller.state)
    rig.run_windows(3)
    assert rig.ingestor.calls == []
    assert [(r.status, r.reason, r.http_status) for r in rig.health.reports] == [("Failure", "Unauthorized", 401)] * 3
    report = rig.health.reports[0]
    assert report.error_message == "Authentication failed: the access token is missing, invalid or revoked."
    assert "HTTP 401: Authentication failed" in report.description
    assert revoked not in json.dumps([r.__dict__ for r in rig.health.reports], default=str)


@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ("no_audit_scope", "The access token does not have the required scope: auditlogs:read."),
        ("not_enterprise", "Audit logs are available only for organizations on the Enterprise plan."),
        ("not_company_admin", "Only Company Admins can access audit logs."),
    ],
)
def test_a_token_without_rights_gives_forbidden_rows_saying_why(preset: str, message: str) -> None:
    rig = Rig()
    _, rig.token = rig.miro.tokens.register({"preset": preset})
    rig.poller = rig.make(rig.poller.state)
    rig.run_windows(1)
    [report] = rig.health.reports
    assert (report.reason, report.http_status, report.error_message) == ("Forbidden", 403, message)


def test_a_token_fixed_after_failures_collects_the_missed_windows() -> None:
    rig = Rig()
    rig.miro.tokens.change("default", {"revoked": True})
    rig.run_windows(4)
    rig.miro.tokens.change("default", {"revoked": False})
    rig.run_windows(1)
    assert rig.poller.state.windows_done == 5
    assert rig.ingestor.ids == rig.expected()


def test_a_repeated_cursor_stops_the_window_and_resumes_without_duplicates() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "repeat_cursor", "count": 1})
    rig.run_windows(1)
    [loop] = rig.health.reports
    assert (loop.status, loop.reason) == ("Failure", "PagingLoop")
    rig.run_windows(1)
    assert [r.status for r in rig.health.reports] == ["Failure", "Success", "Success"]
    assert rig.ingestor.ids == rig.expected() and len(set(rig.ingestor.ids)) == len(rig.ingestor.ids)


def test_malformed_json_is_retried() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "malformed", "on": "next_page", "count": 2})
    rig.run_windows(1)
    assert rig.health.reports[0].status == "Success" and rig.ingestor.ids == rig.expected()


def test_timeouts_are_retried_then_reported() -> None:
    rig = Rig()
    calls = []

    def send(*args: Any) -> HttpResult:
        calls.append(args)
        raise TransportError("no answer within 2.0 s", timeout=True)

    rig.poller = rig.make(rig.poller.state, send=send)
    rig.run_windows(1)
    [report] = rig.health.reports
    assert (report.reason, report.attempts, len(calls)) == ("Timeout", 4, 4)
    assert report.description.endswith(
        "Timeout: no answer within 2.0 s (after 4 attempts; will retry from the same page)"
    )


def test_requests_are_spaced_by_the_rate_limit_qps() -> None:
    rig = Rig(rate=300)
    times: list[dt.datetime] = []

    def send(*args: Any) -> HttpResult:
        times.append(rig.clock.now())
        return rig.http(*args)

    rig.poller = rig.make(rig.poller.state, send=send, request={"rateLimitQPS": 2})
    rig.run_windows(1)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert len(gaps) > 10 and min(gaps) >= 0.5


def test_a_restarted_poller_resumes_at_the_saved_page() -> None:
    rig = Rig()
    rig.miro.faults.add({"kind": "status", "status": 500, "on": "next_page", "skip": 2, "count": 10})
    rig.run_windows(1)
    kept = PollState(**rig.saved[-1])
    assert kept.token is not None and kept.pages == 3
    rig.miro.faults.clear()
    rig.poller = rig.make(kept)
    rig.clock.advance(WINDOW.total_seconds())
    rig.poller.poll_due()
    assert rig.ingestor.ids == rig.expected() and len(set(rig.ingestor.ids)) == len(rig.ingestor.ids)


def test_an_ingestion_failure_keeps_the_page_for_later() -> None:
    rig = Rig()
    rig.ingestor.fail = "the Logs Ingestion API answered 404 NotFound"
    rig.run_windows(1)
    [report] = rig.health.reports
    assert (report.status, report.reason, report.pages) == ("Failure", "IngestionFailed", 0)
    rig.ingestor.fail = None
    rig.run_windows(1)
    assert rig.ingestor.ids == rig.expected()


def test_add_on_attributes_are_added_to_every_event() -> None:
    rig = Rig(rate=5)
    rig.poller = rig.make(rig.poller.state)
    rig.poller.config.add_on_attributes.update({"OrganizationId": "42"})
    rig.run_windows(1)
    assert rig.ingestor.calls and all(e["OrganizationId"] == "42" for call in rig.ingestor.calls for e in call)
