"""One RestApiPoller connector, polled as Sentinel's codeless connector framework polls it.

Time is cut into consecutive windows of ``queryWindowInMin`` from the connector's creation (whole
seconds). A window is fetched once it has ended: its start and end are rendered with
``queryTimeFormat`` into ``queryParameters`` (``{_QueryWindowStartTime}``, ``{_QueryWindowEndTime}``)
and the start/end attribute names, the auth header and ``headers`` are added, and pages are followed
with the ``NextPageToken`` settings until a page has no token or no events. Events found at
``eventsJsonPaths`` are handed to the ingestion path page by page.

Nothing lost, nothing twice:

* 429, 5xx, timeouts, broken connections and unparsable bodies are retried ``retryCount`` times, waiting
  for ``Retry-After`` (real seconds) or ``X-RateLimit-Reset`` (a UNIX time on the wall clock), else
  backing off exponentially. Requests are spaced to respect ``rateLimitQPS``.
* Progress is saved after every ingested page (the window, the next page token, and whether the page at
  that token was already ingested). A window that still fails stays where it failed: the next cycle
  resumes from the failed page, never from the start of the window and never past it.
* A server that answers with the token it was sent would make the poller loop; that is a failure of
  the window, resumed later from that token without ingesting its page again.

Each fetch of a window writes one ``SentinelHealth`` row ("Data fetch status change", Success or
Failure) through :class:`HealthSink`. The HTTP function, clock, sleep, ingestion and health sink are
injected, so this class runs the same against the real server and in unit tests.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from emulator.ccf.config import PollerConfig
from emulator.extension import Clock

__all__ = [
    "ConnectorIdentity",
    "FetchReport",
    "HealthSink",
    "HttpResult",
    "HttpSend",
    "IngestFailed",
    "Ingestor",
    "PollState",
    "PollerSettings",
    "TransportError",
    "WindowPoller",
]

_log = logging.getLogger(__name__)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HttpResult:
    """An HTTP answer: status, headers (names lower-cased) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportError(Exception):
    """No HTTP answer: timeout, refused or dropped connection. ``timeout`` says which."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


#: ``send(method, url, params, headers, timeout_real_seconds) -> HttpResult``; raises :class:`TransportError`.
HttpSend = Callable[[str, str, list[tuple[str, str]], dict[str, str], float], HttpResult]


class IngestFailed(Exception):
    """The ingestion path refused the events (unknown DCR or stream, a transform that fails...)."""


class Ingestor(Protocol):
    def ingest(self, events: list[dict[str, Any]]) -> None:
        """Send events to the connector's DCR stream; raises :class:`IngestFailed`."""
        ...

    def destination_table(self) -> str | None:
        """The table the DCR writes the stream to (for SentinelHealth), if known."""
        ...


@dataclass(frozen=True)
class FetchReport:
    """The outcome of fetching one window: what a SentinelHealth row says about it."""

    status: str
    reason: str
    description: str
    window_start: dt.datetime
    window_end: dt.datetime
    events: int
    pages: int
    attempts: int
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None


class HealthSink(Protocol):
    def record(self, connector: ConnectorIdentity, report: FetchReport, *, destination_table: str | None) -> None:
        """Write one SentinelHealth row for ``report``."""
        ...


@dataclass(frozen=True)
class ConnectorIdentity:
    """Who the poller is polling for (the SentinelHealth resource columns)."""

    resource_id: str
    name: str
    kind: str = "RestApiPoller"


@dataclass
class PollerSettings:
    """The local cloud's knobs for every poller (control API ``/_emulator/ccf/settings``)."""

    #: Virtual seconds to wait after a window ends before fetching it (Sentinel polls a little late).
    poll_delay_seconds: float = 0.0
    #: First back-off between retries, in virtual seconds (doubles each retry, at most 60).
    backoff_seconds: float = 1.0
    #: The least real time a request may take before it times out (``timeoutInSeconds`` is virtual).
    min_timeout_seconds: float = 2.0


@dataclass
class PollState:
    """Where a connector stands; saved after every page so a restart resumes at the same page."""

    window_start_us: int
    #: Where the first window started (the connector's creation, on a whole second).
    origin_us: int | None = None
    token: str | None = None
    token_ingested: bool = False
    pages: int = 0
    events: int = 0
    windows_done: int = 0
    total_events: int = 0
    total_pages: int = 0
    failures: int = 0
    last_status: str | None = None
    #: After a failed fetch, the window is fetched again no earlier than this (the next poll).
    retry_at_us: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Page:
    events: list[dict[str, Any]]
    token: str | None


@dataclass
class _Failure(Exception):
    reason: str
    message: str
    transient: bool
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    wait_real: float | None = None
    attempts: int = field(default=1)


class WindowPoller:
    """Polls one connector's due windows; :meth:`poll_due` is called by the scheduler.

    :param sleep: waits a number of *virtual* seconds; returns ``False`` when the poller must stop.
    :param save: keeps the state (called after every page and every window).
    """

    def __init__(
        self,
        *,
        connector: ConnectorIdentity,
        config: PollerConfig,
        state: PollState,
        send: HttpSend,
        ingestor: Ingestor,
        health: HealthSink,
        clock: Clock,
        sleep: Callable[[float], bool],
        save: Callable[[PollState], None],
        settings: PollerSettings | None = None,
        keep_going: Callable[[], bool] = lambda: True,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.connector = connector
        self.config = config
        self.state = state
        self._send = send
        self._ingestor = ingestor
        self._health = health
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._save = save
        self.settings = settings or PollerSettings()
        self._keep_going = keep_going
        self._last_request: dt.datetime | None = None
        self._secrets = [v for v in config.auth_headers.values() if v]

    # --- schedule ---------------------------------------------------------------------------------------

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.config.window_minutes)

    def window_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = _EPOCH + dt.timedelta(microseconds=self.state.window_start_us)
        return start, start + self.window

    def next_due(self) -> dt.datetime:
        """When the current window may be fetched: its end plus the poll delay, or the retry after a failure."""
        due = self.window_bounds()[1] + dt.timedelta(seconds=self.settings.poll_delay_seconds)
        if self.state.retry_at_us is not None:
            due = max(due, _EPOCH + dt.timedelta(microseconds=self.state.retry_at_us))
        return due

    def poll_due(self) -> int:
        """Fetch every window that has ended, in order, stopping at the first that fails.

        Returns the number of windows completed; a failure leaves the state at the failed page.
        ``keep_going`` is asked before each window, ``sleep`` may say stop: either way the poller
        returns at once, its state saved at the last page ingested and no health row written.
        """
        done = 0
        while self._keep_going() and self._clock.now() >= self.next_due():
            report = self._fetch_window()
            if report is None:
                return done  # asked to stop
            self._health.record(self.connector, report, destination_table=self._ingestor.destination_table())
            if report.status != "Success":
                return done
            done += 1
        return done

    # --- one window -------------------------------------------------------------------------------------

    def _fetch_window(self) -> FetchReport | None:
        start, end = self.window_bounds()
        attempts_total = 0
        try:
            while True:
                page, attempts = self._fetch_page_with_retries(start, end)
                attempts_total += attempts
                if page is None:
                    return None
                if page.events and not self.state.token_ingested:
                    self._ingest(page.events)
                    self.state.events += len(page.events)
                    self.state.total_events += len(page.events)
                    self.state.pages += 1
                    self.state.total_pages += 1
                    self.state.token_ingested = True
                if page.token is None or not page.events:
                    return self._complete(start, end, attempts_total)
                if page.token == self.state.token:
                    # The page at this token is in; the server sent the same token back and would loop.
                    self._save(self.state)
                    raise _Failure(
                        "PagingLoop",
                        "the server answered with the same next-page token it was sent; paging would never end",
                        transient=False,
                        attempts=0,
                    )
                # One save per page: the next token, its page not yet in.
                self.state.token = page.token
                self.state.token_ingested = False
                self._save(self.state)
        except _Failure as failure:
            self.state.failures += 1
            self.state.last_status = "Failure"
            # Like Sentinel, try again at the next scheduled poll: one window later.
            retry_at = self._clock.now() + self.window
            self.state.retry_at_us = (retry_at - _EPOCH) // dt.timedelta(microseconds=1)
            self._save(self.state)
            return self._failure_report(failure, start, end, attempts_total + failure.attempts)

    def _complete(self, start: dt.datetime, end: dt.datetime, attempts: int) -> FetchReport:
        report = FetchReport(
            status="Success",
            reason="Success",
            description=f"Data fetched successfully for {_span(start, end)}: {self.state.events} events in {self.state.pages} pages.",
            window_start=start,
            window_end=end,
            events=self.state.events,
            pages=self.state.pages,
            attempts=attempts,
            http_status=200,
        )
        self.state = PollState(
            window_start_us=self.state.window_start_us + int(self.window.total_seconds() * 1_000_000),
            origin_us=self.state.origin_us,
            windows_done=self.state.windows_done + 1,
            total_events=self.state.total_events,
            total_pages=self.state.total_pages,
            failures=self.state.failures,
            last_status="Success",
        )
        self._save(self.state)
        return report

    def _failure_report(self, failure: _Failure, start: dt.datetime, end: dt.datetime, attempts: int) -> FetchReport:
        where = self.config.api_endpoint
        status = f"HTTP {failure.http_status}" if failure.http_status else failure.reason
        description = f"Data fetch failed for {_span(start, end)} from {where}: {status}: {failure.message}"
        if failure.transient:
            description += f" (after {attempts} attempts; will retry from the same page)"
        else:
            description += " (will retry from the same page at the next poll)"
        return FetchReport(
            status="Failure",
            reason=failure.reason,
            description=self._scrub(description),
            window_start=start,
            window_end=end,
            events=self.state.events,
            pages=self.state.pages,
            attempts=attempts,
            http_status=failure.http_status,
            error_code=failure.error_code,
            error_message=self._scrub(failure.error_message) if failure.error_message else None,
        )

    def _ingest(self, events: list[dict[str, Any]]) -> None:
        if self.config.add_on_attributes:
            events = [{**event, **self.config.add_on_attributes} for event in events]
        try:
            self._ingestor.ingest(events)
        except IngestFailed as exc:
            raise _Failure("IngestionFailed", str(exc), transient=False) from exc

    # --- one page, with retries -------------------------------------------------------------------------

    def _fetch_page_with_retries(self, start: dt.datetime, end: dt.datetime) -> tuple[_Page | None, int]:
        """One page, retried while the failure is transient; raises the last :class:`_Failure`."""
        attempts = 0
        backoff = self.settings.backoff_seconds
        while True:
            attempts += 1
            if not self._pace():
                return None, attempts
            try:
                return self._fetch_page(start, end), attempts
            except _Failure as failure:
                failure.attempts = attempts
                if not failure.transient or attempts > self.config.retry_count:
                    raise
                if failure.wait_real is not None:
                    wait = failure.wait_real * self._scale()
                else:
                    wait = backoff
                    backoff = min(backoff * 2, 60.0)
                _log.info("%s: %s; retrying in %.1f virtual s", self.connector.name, failure.reason, wait)
                if wait > 0 and not self._sleep(wait):
                    return None, attempts

    def _scale(self) -> float:
        """Virtual seconds per real second (to turn a real ``Retry-After`` into a virtual wait)."""
        real = self._clock.real_seconds(1.0)
        return 1.0 / real if real > 0 else 1.0

    def _pace(self) -> bool:
        """Wait as ``rateLimitQPS`` requires since the last request; ``False`` when asked to stop."""
        qps = self.config.rate_limit_qps
        now = self._clock.now()
        if qps and self._last_request is not None:
            gap = 1.0 / qps - (now - self._last_request).total_seconds()
            if gap > 0 and not self._sleep(gap):
                return False
        self._last_request = self._clock.now()
        return True

    def _fetch_page(self, start: dt.datetime, end: dt.datetime) -> _Page:
        params, headers = self._request(start, end)
        timeout = max(self._clock.real_seconds(self.config.timeout_seconds), self.settings.min_timeout_seconds)
        try:
            answer = self._send("GET", self.config.api_endpoint, params, headers, timeout)
        except TransportError as exc:
            reason = "Timeout" if exc.timeout else "ConnectionFailed"
            raise _Failure(reason, self._scrub(str(exc)), transient=True) from exc
        if answer.status >= 400 or answer.status < 200:
            raise self._http_failure(answer)
        try:
            document = json.loads(answer.body)
        except ValueError:
            raise _Failure(
                "InvalidResponse", "the response body is not valid JSON", transient=True, http_status=answer.status
            ) from None
        if self.config.success_status_path is not None:
            value = self.config.success_status_path.first(document)
            if str(value) != str(self.config.success_status_value):
                raise _Failure(
                    "InvalidResponse",
                    f"{self.config.success_status_path.text} is {value!r}, not {self.config.success_status_value!r}",
                    transient=False,
                    http_status=answer.status,
                )
        return _Page(self._events(document), self._next_token(document, answer.headers))

    def _request(self, start: dt.datetime, end: dt.datetime) -> tuple[list[tuple[str, str]], dict[str, str]]:
        cfg = self.config
        start_text, end_text = cfg.render_time(start), cfg.render_time(end)
        params: list[tuple[str, str]] = []
        for name, value in cfg.query_parameters.items():
            value = value.replace("{_QueryWindowStartTime}", start_text).replace("{_QueryWindowEndTime}", end_text)
            params.append((name, value))
        names = {name for name, _ in params}
        if cfg.start_parameter and cfg.start_parameter not in names:
            params.append((cfg.start_parameter, start_text))
        if cfg.end_parameter and cfg.end_parameter not in names:
            params.append((cfg.end_parameter, end_text))
        headers = {**cfg.headers, **cfg.auth_headers}
        paging = cfg.paging
        if paging is not None:
            if paging.page_size and paging.page_size_parameter and paging.page_size_parameter not in names:
                params.append((paging.page_size_parameter, str(paging.page_size)))
            if self.state.token is not None:
                if paging.parameter:
                    params = [(n, v) for n, v in params if n != paging.parameter]
                    params.append((paging.parameter, self.state.token))
                else:
                    headers[paging.request_header or ""] = self.state.token
        return params, headers

    def _events(self, document: Any) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for path in self.config.events_paths:
            for found in path.find(document):
                items = found if isinstance(found, list) else [found]
                events.extend(item for item in items if isinstance(item, dict))
        return events

    def _next_token(self, document: Any, headers: Mapping[str, str]) -> str | None:
        paging = self.config.paging
        if paging is None:
            return None
        if paging.has_next_path is not None and not paging.has_next_path.first(document):
            return None
        value: Any = None
        if paging.token_path is not None:
            value = paging.token_path.first(document)
        if value is None and paging.token_header:
            value = headers.get(paging.token_header.lower())
        if value is None or value == "":
            return None
        return str(value)

    def _http_failure(self, answer: HttpResult) -> _Failure:
        code, message = _error_fields(answer.body)
        status = answer.status
        if status == 429:
            reason, transient = "Throttled", True
        elif status >= 500 or status == 408:
            reason, transient = "ServerError", True
        elif status == 401:
            reason, transient = "Unauthorized", False
        elif status == 403:
            reason, transient = "Forbidden", False
        else:
            reason, transient = "BadRequest" if status == 400 else "ClientError", False
        failure = _Failure(
            reason,
            message or f"the server answered {status}",
            transient,
            http_status=status,
            error_code=code,
            error_message=message,
        )
        retry_after = answer.headers.get("retry-after")
        reset = answer.headers.get("x-ratelimit-reset")
        if retry_after is not None and _number(retry_after) is not None:
            failure.wait_real = _number(retry_after)
        elif status == 429 and reset is not None and _number(reset) is not None:
            # Reset is a UNIX time on the wall clock (the API's, not our virtual one); a little margin so the
            # new minute has begun.
            failure.wait_real = max((_number(reset) or 0) - self._wall(), 0.0) + 0.05
        return failure

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
            for piece in secret.split():
                if len(piece) >= 8:
                    text = text.replace(piece, "***")
        return text


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    """``code`` and ``message`` from a JSON error body (Miro's, or Azure's ``error`` object)."""
    try:
        document = json.loads(body)
    except ValueError:
        text = body[:200].decode("utf-8", "replace").strip()
        return None, text or None
    if isinstance(document, dict):
        error = document.get("error")
        inner: dict[str, Any] = error if isinstance(error, dict) else document
        code, message = inner.get("code"), inner.get("message")
        return (str(code) if code is not None else None), (str(message) if message is not None else None)
    return None, None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _span(start: dt.datetime, end: dt.datetime) -> str:
    return f"the window {start.isoformat().replace('+00:00', 'Z')} to {end.isoformat().replace('+00:00', 'Z')}"
