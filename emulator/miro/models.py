"""The local Miro: tokens, audit events, credits and faults, and the rules of its two endpoints.

``GET /v2/audit/logs`` (``enterprise-get-audit-logs``) and ``GET /v1/oauth-token`` (``token-info``).
The order of checks: token (401), credits (429), injected faults, rights (403), parameters (400).
Every answer that names a token carries ``X-RateLimit-Limit/Remaining/Reset``.

Decisions where Miro's behaviour is unconfirmed are listed, with their reasons, in ``COVERAGE.md``:
half-open windows ``[createdAfter, createdBefore)``, the 500 maximum ``limit``, a cursor on every
non-empty page with an empty page (no ``cursor``) as the end, a cut cursor read as no cursor, and
``createdAfter`` older than 90 days refused.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.extension import Clock, Documents
from emulator.miro import errors
from emulator.miro.faults import MiroFaults
from emulator.miro.generator import AuditEvent, EventGenerator, Organization
from emulator.miro.ratelimit import LEVEL_CREDITS, CreditLimiter, Quota
from emulator.miro.times import (
    format_key,
    parse_created_at,
    parse_key,
    parse_query_time,
    to_micros,
)
from emulator.miro.tokens import AUDIT_SCOPE, MiroToken, TokenRegistry, fingerprint

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "RETENTION_DAYS", "MiroAnswer", "MiroBackend", "MiroSettings"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
RETENTION_DAYS = 90
_RETENTION_US = RETENTION_DAYS * 86_400 * 1_000_000
_ADDED_NUMBER_BASE = 9_000_000_000_000_000_000
_EVENTS = "miro.events"
_SETTINGS = "miro.settings"
_BOUNDS = ("half_open", "closed", "open")
#: The organisation of every token and event (one Enterprise organisation).
ORGANIZATION = Organization(id="3458764500000000000", name="Example Organization — Ørsted & Co")


@dataclass
class MiroSettings:
    """What tests tune through the control API (``PATCH /_emulator/miro/settings``)."""

    #: Budget of each token per (virtual) minute. Miro's v1 page says 10,000; see COVERAGE.md.
    credits_per_minute: int = 10_000
    #: Whether a 429 carries ``Retry-After`` (unconfirmed for Miro, so off: clients must use the reset time).
    retry_after_on_429: bool = False
    #: Average generated events per minute, and the seed that makes them.
    events_per_minute: float = 2.0
    seed: int = 0
    #: Which events createdAfter/createdBefore select: ``half_open`` [after, before), ``closed`` or ``open``.
    created_bounds: str = "half_open"
    #: An organisation that works 07-19 UTC, Monday to Friday: outside those hours no person changes
    #: organisation settings (automation still does). Off by default: events are spread evenly.
    office_hours: bool = False

    def updated(self, changes: Mapping[str, Any]) -> MiroSettings:
        """A copy with ``changes``; raises ``ValueError`` for unknown fields or bad values."""
        kinds: dict[str, type] = {
            "credits_per_minute": int,
            "retry_after_on_429": bool,
            "events_per_minute": float,
            "seed": int,
            "created_bounds": str,
            "office_hours": bool,
        }
        unknown = sorted(set(changes) - set(kinds))
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(kinds))}")
        values: dict[str, Any] = {}
        for name, value in changes.items():
            kind = kinds[name]
            if kind is str:
                if value not in _BOUNDS:
                    raise ValueError(f"{name} must be one of {', '.join(_BOUNDS)}")
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
            elif kind is int and value != int(value):
                raise ValueError(f"{name} must be a whole number")
            values[name] = kind(value)
        return dataclasses.replace(self, **values)


@dataclass
class MiroAnswer:
    """A successful answer: JSON body (or raw bytes for a malformed one), headers, and a delay to apply."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class MiroBackend:
    """State and rules of the local Miro.

    :param clock: the cloud's (virtual) clock.
    :param documents: where tokens, added events and settings are kept.
    :param secret: the cloud's secret, from which the default token is derived.
    :param base_url: where this Miro is served (``https://127.0.0.1:PORT/miro``), for the ready line.
    :param wall: the wall clock (UNIX seconds) that rate-limit minutes follow, whatever the time scale.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        documents: Documents,
        secret: str,
        base_url: str = "",
        settings: MiroSettings | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.base_url = base_url
        self._documents = documents
        self.initial_settings = settings or MiroSettings()
        kept = documents.documents(_SETTINGS).get("current")
        self.settings = self.initial_settings.updated(kept) if kept else dataclasses.replace(self.initial_settings)
        self.tokens = TokenRegistry(documents, secret=secret)
        self.faults = MiroFaults()
        self.limiter = CreditLimiter(self.settings.credits_per_minute)
        self.generator = self._make_generator()
        self._lock = threading.Lock()
        self._added: list[AuditEvent] = []
        for body in documents.documents(_EVENTS).values():
            self._added.append(AuditEvent((body["key"][0], body["key"][1]), body["body"]))
        self._added.sort(key=lambda e: e.key)

    def ready_info(self) -> dict[str, str]:
        """The ready line's Miro keys: where Miro is and a valid token."""
        return {"miro_base_url": self.base_url, "miro_token": self.tokens.default_token}

    # --- control -------------------------------------------------------------------------------------

    def apply_settings(self, changes: Mapping[str, Any]) -> MiroSettings:
        settings = self.settings.updated(changes)
        self.settings = settings
        self.limiter.credits_per_minute = settings.credits_per_minute
        self.generator = self._make_generator()
        self._documents.put_document(_SETTINGS, "current", dataclasses.asdict(settings))
        return settings

    def add_events(self, events: list[Any]) -> list[AuditEvent]:
        """Add events (each needs a ``createdAt``); raises ``ValueError`` naming the first bad one."""
        made = []
        with self._lock:
            seq = len(self._added)
            for i, raw in enumerate(events):
                if not isinstance(raw, dict):
                    raise ValueError(f"events[{i}] is not a JSON object")
                created = raw.get("createdAt")
                try:
                    micros = parse_created_at(created) if isinstance(created, str) else None
                except ValueError:
                    micros = None
                if micros is None:
                    raise ValueError(f"events[{i}].createdAt must be an ISO 8601 time with an offset")
                key = (micros, _ADDED_NUMBER_BASE + seq + i)
                made.append(AuditEvent(key, {"id": format_key(key), **raw}))
            for event in made:
                self._documents.put_document(
                    _EVENTS, format_key(event.key), {"key": list(event.key), "body": event.body}
                )
                bisect.insort(self._added, event, key=lambda e: e.key)
        return made

    def reset(self) -> None:
        """Fresh Miro: initial settings, the default token alone, no added events, faults or spent credits."""
        self._documents.clear_documents(_EVENTS)
        self._documents.clear_documents(_SETTINGS)
        self.settings = dataclasses.replace(self.initial_settings)
        self.limiter = CreditLimiter(self.settings.credits_per_minute)
        self.generator = self._make_generator()
        self.tokens.reset()
        self.faults.clear()
        with self._lock:
            self._added.clear()

    # --- events ----------------------------------------------------------------------------------------

    def events(self, start_us: int, end_us: int, *, descending: bool = False) -> Iterator[AuditEvent]:
        """Generated and added events with ``createdAt`` in ``[start_us, end_us)`` (no visibility rules)."""
        with self._lock:
            added = list(self._added)
        start_ms, end_ms = -(-start_us // 1000), -(-end_us // 1000)
        lo = bisect.bisect_left(added, start_ms * 1000, key=lambda e: e.key[0])
        hi = bisect.bisect_left(added, end_ms * 1000, key=lambda e: e.key[0])
        chosen = added[lo:hi]
        if descending:
            chosen.reverse()
        generated = self.generator.events(start_us, end_us, descending=descending)
        return heapq.merge(generated, chosen, key=lambda e: e.key, reverse=descending)

    def visible_range(self) -> tuple[int, int]:
        """``[oldest, newest)`` in microseconds that the API serves now: the last 90 days, up to this millisecond."""
        now_us = to_micros(self._clock.now())
        return now_us - _RETENTION_US, now_us // 1000 * 1000

    # --- the API ----------------------------------------------------------------------------------------

    def authorize(self, authorization: str | None) -> MiroToken:
        """The token in an ``Authorization: Bearer`` header; raises 401 (with rate-limit headers)."""
        scheme, _, value = (authorization or "").partition(" ")
        token = self.tokens.find(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
        if token is None or token.revoked:
            quota = self.limiter.peek(fingerprint(value.strip()), int(self._wall() * 1_000_000))
            error = errors.unauthorized()
            error.headers.update(quota.headers())
            raise error
        return token

    def charge(self, token: MiroToken, level: int) -> Quota:
        """Spend the credits of one call at ``level``; raises 429 when they do not fit."""
        # Budgets follow the wall clock whatever the time scale: X-RateLimit-Reset is a real UNIX time that a
        # real client (which knows nothing of virtual time) can wait for.
        quota = self.limiter.charge(token.sha256, LEVEL_CREDITS[level], int(self._wall() * 1_000_000))
        if not quota.allowed:
            headers = quota.headers()
            if self.settings.retry_after_on_429:
                wait = quota.reset - self._wall()
                headers["Retry-After"] = str(max(math.ceil(wait), 1))
            raise errors.too_many_requests(headers)
        return quota

    def token_info(self, authorization: str | None) -> MiroAnswer:
        """``GET /v1/oauth-token``: the token's type, organisation, team, user and scopes."""
        token = self.authorize(authorization)
        quota = self.charge(token, 1)
        fault = self.faults.take("token_info", has_cursor=False)
        answer = MiroAnswer(
            {
                "type": "oauth_token",
                "organization": {"type": "organization", "name": ORGANIZATION.name, "id": ORGANIZATION.id},
                "team": {"type": "team", **token.team},
                "createdBy": {"type": "user", **token.user},
                "user": {"type": "user", **token.user},
                "scopes": list(token.scopes),
            },
            quota.headers(),
        )
        return self._with_fault(answer, fault, quota, cursor=None)

    def audit_logs(self, authorization: str | None, query: Mapping[str, str]) -> MiroAnswer:
        """``GET /v2/audit/logs``: one page of events."""
        token = self.authorize(authorization)
        quota = self.charge(token, 2)
        cursor = query.get("cursor") or None
        fault = self.faults.take("audit_logs", has_cursor=cursor is not None)
        if fault is not None and fault.kind == "status":
            return self._with_fault(MiroAnswer(None), fault, quota, cursor=cursor)
        try:
            self._check_rights(token)
            page = self._page(query)
        except errors.MiroError as error:
            error.headers.update(quota.headers())
            raise
        if fault is None and cursor is not None and page["data"]:
            fault = self.faults.take("audit_logs", has_cursor=True, repeat=True)
        return self._with_fault(MiroAnswer(page, quota.headers()), fault, quota, cursor=cursor)

    def _check_rights(self, token: MiroToken) -> None:
        if AUDIT_SCOPE not in token.scopes:
            raise errors.forbidden_scope(AUDIT_SCOPE)
        if not token.enterprise:
            raise errors.forbidden_not_enterprise()
        if not token.company_admin:
            raise errors.forbidden_not_company_admin()

    def _page(self, query: Mapping[str, str]) -> dict[str, Any]:
        after = _time_param(query, "createdAfter")
        before = _time_param(query, "createdBefore")
        if after >= before:
            raise errors.bad_request("createdAfter must be earlier than createdBefore.", parameter="createdAfter")
        oldest, newest = self.visible_range()
        if after < oldest:
            raise errors.bad_request(
                f"createdAfter must be within the last {RETENTION_DAYS} days; use the CSV export for older audit logs.",
                parameter="createdAfter",
            )
        limit = _limit_param(query)
        sorting = query.get("sorting", "ASC")
        if sorting not in ("ASC", "DESC"):
            raise errors.bad_request("sorting must be ASC or DESC.", parameter="sorting")
        descending = sorting == "DESC"
        # A cursor cut short (e.g. at its '#' by a client that did not URL-encode it) is no cursor at all:
        # the first page comes back, with the same cursor, and such a client loops.
        position = parse_key(query.get("cursor") or "")
        # createdAt has millisecond precision, so an open edge is the closed one a millisecond further in.
        if self.settings.created_bounds == "open":
            after += 1000
        elif self.settings.created_bounds == "closed":
            before += 1000
        lo, hi = after, min(before, newest)
        if position is not None:
            if descending:
                hi = min(hi, (position[0] // 1000 + 1) * 1000)
            else:
                lo = max(lo, position[0] // 1000 * 1000)
        events = self.events(lo, hi, descending=descending) if lo < hi else iter(())
        if position is not None:
            events = (e for e in events if (e.key < position if descending else e.key > position))
        data = list(itertools.islice(events, limit))
        page: dict[str, Any] = {"type": "cursor-list", "limit": limit, "size": len(data)}
        if data:
            page["cursor"] = format_key(data[-1].key)
        page["data"] = [e.body for e in data]
        return page

    def _with_fault(self, answer: MiroAnswer, fault: Any, quota: Quota, *, cursor: str | None) -> MiroAnswer:
        if fault is None:
            return answer
        if fault.kind == "status":
            error = errors.server_error(fault.status) if fault.status != 429 else errors.too_many_requests({})
            error.headers.update(quota.headers())
            if fault.status == 429:
                error.headers["X-RateLimit-Remaining"] = "0"
            if fault.retry_after is not None:
                error.headers["Retry-After"] = _seconds(fault.retry_after)
            raise error
        if fault.kind == "slow":
            answer.delay = fault.delay
        elif fault.kind == "malformed":
            text = json.dumps(answer.body, ensure_ascii=False)
            answer.body = text[: max(len(text) // 2, 1)].encode("utf-8")
        elif fault.kind == "repeat_cursor" and isinstance(answer.body, dict):
            answer.body["cursor"] = cursor
        return answer

    def _make_generator(self) -> EventGenerator:
        return EventGenerator(
            seed=self.settings.seed,
            events_per_minute=self.settings.events_per_minute,
            organization=ORGANIZATION,
            office_hours=self.settings.office_hours,
        )


def _time_param(query: Mapping[str, str], name: str) -> int:
    value = query.get(name)
    if value is None or value == "":
        raise errors.bad_request(f"{name} is required.", parameter=name)
    try:
        return parse_query_time(value)
    except ValueError:
        raise errors.bad_request(
            f"{name} must be a UTC time in ISO 8601 with milliseconds and a trailing Z, e.g. 2023-03-30T17:26:50.000Z.",
            parameter=name,
        ) from None


def _limit_param(query: Mapping[str, str]) -> int:
    value = query.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise errors.bad_request(f"limit must be a whole number from 1 to {MAX_LIMIT}.", parameter="limit")
    return int(value)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
