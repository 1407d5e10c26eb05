"""``MiroClient``: Miro's token-info and audit-log endpoints, with timeouts and bounded retries.

Retries: 429 waits for ``Retry-After`` when Miro sends it, otherwise until ``X-RateLimit-Reset``; 5xx,
timeouts and dropped connections back off exponentially. Every wait is bounded by a total retry
budget, and every request by ``max_attempts``. Cursor paging is hidden in :meth:`MiroClient.list_audit_logs`;
cursors contain ``#`` and are always sent URL-encoded (a raw ``#`` would cut the URL and loop forever).

The token is sent only in the ``Authorization`` header and never appears in an exception or log line.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from deployer import __version__
from deployer.config import Secret
from deployer.errors import MiroAccessDenied, MiroError, MiroRateLimited, MiroTokenInvalid, MiroUnavailable
from deployer.retry import backoff_delay, transport_reason

__all__ = ["CREDITS", "AuditPage", "MiroClient", "Pacer", "RateLimit", "TokenInfo", "format_miro_time"]

_LOG = logging.getLogger(__name__)

USER_AGENT = f"miro-sentinel/{__version__} (+https://github.com/miro-sentinel)"

#: Miro's credit budget is per minute (developers.miro.com, "Rate limiting"): no reset is further away.
RATE_LIMIT_WINDOW = 60.0


@dataclass(frozen=True)
class RateLimit:
    """Miro's credit budget as of the last response (``X-RateLimit-*``); None when not sent."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: dt.datetime | None = None


#: Credits each call spends by its rate-limit level (developers.miro.com, "Rate limiting"): Level 1 costs 50,
#: Level 2 100. Token info is Level 1; the audit log is Level 2 (Miro's OpenAPI spec).
LEVEL_2_CREDITS = 100
CREDITS = {"/v1/oauth-token": 50, "/v2/audit/logs": LEVEL_2_CREDITS}


class Pacer(Protocol):
    """Spaces a client's requests (e.g. to a share of Miro's budget); shared by clients in several threads."""

    def before_request(self, credits: int) -> None:
        """Return when a request costing ``credits`` may go (it may wait, or raise to abandon the request)."""
        ...

    def after_response(self, credits: int, status: int | None, rate_limit: RateLimit, pause: float | None) -> None:
        """The request ended: ``status`` None when no answer came; ``pause`` the wait a 429 asked for."""
        ...


@dataclass(frozen=True)
class TokenInfo:
    """What Miro says about a token (``GET /v1/oauth-token``)."""

    token_type: str
    scopes: tuple[str, ...] | None
    organization_id: str
    organization_name: str
    team_id: str
    team_name: str
    user_id: str
    user_name: str


@dataclass(frozen=True)
class AuditPage:
    """One page of ``GET /v2/audit/logs``."""

    events: list[dict[str, Any]]
    cursor: str | None
    size: int
    rate_limit: RateLimit = field(default_factory=RateLimit)


def format_miro_time(value: dt.datetime) -> str:
    """Miro's documented form: UTC, ISO 8601, milliseconds, ``Z`` (``2023-03-30T17:26:50.000Z``)."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class MiroClient:
    """Client for Miro's REST API.

    :param base_url: ``https://api.miro.com`` (or the local cloud's Miro).
    :param token: the access token; sent as ``Authorization: Bearer``.
    :keyword timeout: seconds per request.
    :keyword max_attempts: attempts per request, retries included.
    :keyword retry_budget: total seconds this client may spend waiting before retries.
    :keyword verify: TLS verification: True, or a CA bundle path (the local cloud's CA).
    :keyword pacer: told before every request and after every answer, so it can space requests to share the
        credit budget (retries included); its waits do not count against ``retry_budget``.
    """

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        retry_budget: float = 120.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._budget = retry_budget
        self._verify = verify
        self._session = session or requests.Session()
        self._sleep = sleep
        self._pacer = pacer
        self.last_rate_limit = RateLimit()
        self.requests_made = 0

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> MiroClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- operations -------------------------------------------------------------------------------------

    def get_token_info(self) -> TokenInfo:
        """Scopes, organisation, team and user of the token.

        :raises MiroTokenInvalid: 401. :raises MiroAccessDenied: 403.
        :raises MiroRateLimited: 429 beyond the retry budget. :raises MiroUnavailable: 5xx, timeout, bad JSON.
        """
        body = self._get("/v1/oauth-token", {})
        if not isinstance(body, dict):
            raise MiroUnavailable("Miro's token info was not a JSON object", status_code=200)
        scopes = body.get("scopes")

        def part(name: str, key: str) -> str:
            value = body.get(name)
            return str(value.get(key, "")) if isinstance(value, dict) else ""

        return TokenInfo(
            token_type=str(body.get("type", "")),
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
            organization_id=part("organization", "id"),
            organization_name=part("organization", "name"),
            team_id=part("team", "id"),
            team_name=part("team", "name"),
            user_id=part("user", "id"),
            user_name=part("user", "name"),
        )

    def get_audit_logs_page(
        self,
        *,
        created_after: dt.datetime,
        created_before: dt.datetime,
        limit: int = 100,
        sorting: str = "ASC",
        cursor: str | None = None,
    ) -> AuditPage:
        """One page of audit events created in ``[created_after, created_before)``.

        :raises MiroError: as :meth:`get_token_info`.
        """
        params: dict[str, str] = {
            "createdAfter": format_miro_time(created_after),
            "createdBefore": format_miro_time(created_before),
            "limit": str(limit),
            "sorting": sorting,
        }
        if cursor:
            params["cursor"] = cursor
        body = self._get("/v2/audit/logs", params)
        if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
            raise MiroUnavailable("Miro's audit log page has no 'data' list", status_code=200)
        events = [e for e in body.get("data", []) if isinstance(e, dict)]
        next_cursor = body.get("cursor")
        size = body.get("size")
        return AuditPage(
            events=events,
            cursor=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
            size=size if isinstance(size, int) else len(events),
            rate_limit=self.last_rate_limit,
        )

    def list_audit_logs(
        self, *, created_after: dt.datetime, created_before: dt.datetime, limit: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every audit event in the window, oldest first, across pages.

        Stops on an empty page, a page without a cursor, or ``size`` 0; a cursor that comes back
        unchanged raises rather than loop forever.
        """
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = self.get_audit_logs_page(
                created_after=created_after, created_before=created_before, limit=limit, cursor=cursor
            )
            yield from page.events
            if not page.events or page.size == 0 or page.cursor is None:
                return
            if page.cursor in seen:
                raise MiroUnavailable(
                    "Miro returned a cursor it had already returned; stopping instead of reading the same pages again",
                    remedy="run again later; if it persists, report it to Miro support with the time window",
                )
            seen.add(page.cursor)
            cursor = page.cursor

    # --- transport --------------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        url = self._base + path
        headers = {
            "Authorization": f"Bearer {self._token.reveal()}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        deadline = time.monotonic() + self._budget
        credits = CREDITS.get(path, LEVEL_2_CREDITS)
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            if self._pacer is not None:
                paced = time.monotonic()
                self._pacer.before_request(credits)
                deadline += time.monotonic() - paced  # waiting for our turn is not waiting on Miro
            status: int | None = None
            pause: float | None = None
            try:
                started = time.monotonic()
                try:
                    response = self._session.get(
                        url, params=params, headers=headers, timeout=self._timeout, verify=self._verify
                    )
                except requests.Timeout as exc:
                    error: MiroError = MiroUnavailable(f"Miro did not answer {path} within {self._timeout:g} s")
                    cause: BaseException = exc
                    wait = self._backoff(attempt)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                    # Refused, reset or dropped connections, and answers cut short: a second try may pass.
                    error = MiroUnavailable(
                        f"cannot connect to Miro at {self._base} ({transport_reason(exc, type(exc).__name__)})"
                    )
                    cause = exc
                    wait = self._backoff(attempt)
                except requests.RequestException as exc:
                    # Anything else requests refuses (a URL or header it cannot send) will not pass on a retry.
                    # Its text may quote the request's headers, so only its type is kept.
                    raise MiroUnavailable(
                        f"cannot send the request to Miro at {self._base}: {type(exc).__name__}",
                        remedy="check miro.api_base_url and the token (run `miro-sentinel config check`)",
                    ) from None
                else:
                    status = response.status_code
                    self.last_rate_limit = _rate_limit(response.headers)
                    _LOG.debug(
                        "GET %s%s -> %d in %.0f ms (rate-limit credits left: %s)",
                        url,
                        _shown_params(params),
                        response.status_code,
                        (time.monotonic() - started) * 1000,
                        self.last_rate_limit.remaining,
                    )
                    if response.status_code == 200:
                        try:
                            return response.json()
                        except ValueError as exc:
                            error, cause, wait = (
                                MiroUnavailable(f"Miro answered {path} with malformed JSON", status_code=200),
                                exc,
                                self._backoff(attempt),
                            )
                    else:
                        error = _error_for(response, path)
                        cause = error
                        if response.status_code == 429:
                            wait = pause = self._rate_limit_wait(response)
                        elif response.status_code >= 500:
                            wait = self._backoff(attempt)
                        else:
                            raise error
            finally:
                if self._pacer is not None:
                    seen = self.last_rate_limit if status is not None else RateLimit()
                    self._pacer.after_response(credits, status, seen, pause)
            remaining = deadline - time.monotonic()
            if attempt >= self._max_attempts or wait > remaining:
                if isinstance(error, MiroRateLimited):
                    _explain_rate_limit(error, wait, budget=self._budget, attempts=attempt)
                _LOG.debug("Miro %s: %s; giving up after %d attempt(s)", path, error.message, attempt)
                if error is cause:
                    raise error
                raise error from cause
            _LOG.info(
                "Miro %s: %s; retrying in %.1f s (attempt %d of %d)",
                path,
                error.message,
                wait,
                attempt + 1,
                self._max_attempts,
            )
            self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=0.5, cap=30.0)

    def _rate_limit_wait(self, response: requests.Response) -> float:
        """How long until the budget is back: ``Retry-After``, else ``X-RateLimit-Reset``, at most a minute.

        Miro's budget is per minute, so a reset further away than that means the two clocks disagree (the
        reset is measured against Miro's ``Date`` when it sends one); a minute then always suffices.
        """
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            return retry_after
        reset = self.last_rate_limit.reset_at
        if reset is None:
            return RATE_LIMIT_WINDOW
        now = _server_time(response.headers.get("Date")) or dt.datetime.now(dt.UTC)
        return min(RATE_LIMIT_WINDOW, max(0.0, (reset - now).total_seconds())) + 0.1


def _explain_rate_limit(error: MiroRateLimited, wait: float, *, budget: float, attempts: int) -> None:
    """One wait, said the same way in the message and the remedy, and why the deployer did not wait it out.

    Either the reset alone is further away than the whole budget (a bigger budget would help), or Miro was
    still limited after every wait we could afford: then someone else is spending the token's credits.
    """
    seconds = max(1, round(wait))
    error.wait_seconds = wait
    if wait > budget:
        error.with_message(f"{error.message}; it resets in about {seconds} s, beyond the retry budget of {budget:g} s")
        raise_budget = f" (or raise miro.retry_budget_seconds above {seconds} to let the deployer wait)"
    else:
        error.with_message(f"{error.message}; still limited after {attempts} attempts; it resets in about {seconds} s")
        raise_budget = ""
    error.remedy = (
        f"wait about {seconds} s and run again{raise_budget}; another integration may be spending the same "
        "token's budget"
    )


def _shown_params(params: Mapping[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


def _server_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def _rate_limit(headers: Mapping[str, str]) -> RateLimit:
    reset = _int_header(headers, "X-RateLimit-Reset")
    return RateLimit(
        limit=_int_header(headers, "X-RateLimit-Limit"),
        remaining=_int_header(headers, "X-RateLimit-Remaining"),
        reset_at=dt.datetime.fromtimestamp(reset, dt.UTC) if reset is not None else None,
    )


def _error_for(response: requests.Response, path: str) -> MiroError:
    """The typed error for a non-200 answer, with Miro's own code and message when it sent them."""
    status = response.status_code
    code, message = None, None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body["code"]) if "code" in body else None
        message = str(body["message"]) if "message" in body else None
        context = body.get("context")
        if isinstance(context, dict) and context.get("error"):
            message = f"{message}: {context['error']}" if message else str(context["error"])
    request_id = response.headers.get("X-Request-Id") or response.headers.get("x-request-id")
    said = f": {message}" if message else ""
    fields: dict[str, Any] = {"status_code": status, "error_code": code, "request_id": request_id}
    if status == 401:
        return MiroTokenInvalid(
            f"Miro refused the token (401 {code or 'unauthorized'}{said}): it is wrong, revoked or expired", **fields
        )
    if status == 403:
        return MiroAccessDenied(f"Miro denied access to {path} (403 {code or 'forbidden'}{said})", **fields)
    if status == 429:
        return MiroRateLimited(f"Miro's rate limit is spent (429 {code or 'tooManyRequests'}{said})", **fields)
    if status >= 500:
        return MiroUnavailable(f"Miro failed with {status} on {path}{said}", **fields)
    return MiroError(
        f"Miro refused the request to {path} ({status} {code or ''}{said})",
        remedy=(
            "check miro.api_base_url (Miro's REST API, https://api.miro.com); if it is right, run again with "
            "--debug and report what it shows"
        ),
        **fields,
    )
