"""Realistic Miro audit events, generated deterministically for any span of time.

The history is never stored: Miro's 90 days hold ``events_per_minute * 129,600`` events (about 260,000 at
the default 2 a minute; set 12 through ``PATCH /_emulator/miro/settings`` for over 1.5 million), and any
minute of them is made again, identically, when asked for.

Time is cut into one-minute buckets. The events of a bucket depend only on the seed, the rate and the
bucket's index, so the events of any range can be computed at any moment, in any order, and a test
can ask for exactly the events a connector should have collected over the windows it polled.

People behave as people do: each has one or two usual IP addresses (one sign-in in ten comes from
elsewhere), and with ``office_hours`` nobody changes organisation settings outside 07-19 UTC on weekdays
(automation does), so the activity is a baseline the analytics rules can be quiet on.

The events have the v2 shape (``AuditEvent`` in Miro's OpenAPI spec): ``createdAt`` with a colon-less
``+0000`` offset, no top-level ``type``, ``context.team`` missing for organisation-wide events, some
without ``object`` or ``createdBy``, nested ``details`` and some non-ASCII names. To exercise paging
and window edges, some events fall on whole seconds, some exactly on a minute, and some share one
instant (a burst), which only the id's number breaks.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from emulator.miro.times import EventKey, format_created_at, format_key

__all__ = ["MAX_EVENTS_PER_MINUTE", "AuditEvent", "EventGenerator", "Organization"]

_MINUTE = 60_000_000
#: Event numbers are ``_NUMBER_BASE + bucket * _PER_BUCKET + index``: unique without bookkeeping.
_NUMBER_BASE = 3_458_764_500_000_000_000
_PER_BUCKET = 65_536
MAX_EVENTS_PER_MINUTE = 60_000
#: Generated events kept for the next request (a client paging through a window asks for them again).
_CACHED_EVENTS = 50_000


@dataclass(frozen=True)
class AuditEvent:
    """One event: its position in Miro's order and its wire body (``id`` and ``createdAt`` included)."""

    key: EventKey
    body: dict[str, Any] = field(compare=False)

    @property
    def created_ms(self) -> int:
        """The creation time in milliseconds, as ``createdAt`` shows it (and as filters compare it)."""
        return self.key[0] // 1000


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


_FIRST = ("Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farah", "Gustav", "Hana", "Iñigo", "Jonas", "Kai", "Łukasz")
_LAST = ("Smith", "Müller", "García", "Nowak", "Søndergaard", "Okafor", "Dubois", "Rossi", "Öztürk", "Kowalski")
_CJK = ("山田太郎", "김민준", "Zoë Ångström", "José Ñúñez")
_TEAMS = ("Product Design", "Platform Engineering", "Marketing — EMEA", "Équipe Ventes", "研究開発", "Customer Success")
_BOARDS = (
    "Q3 Roadmap",
    "Retro 🚀",
    "Customer Journey",
    "Architecture — v2",
    "Brainstorm",
    "Sprint Planning",
    "Café Layout",
)
_IP_PREFIXES = ("203.0.113.", "198.51.100.", "192.0.2.")


def _poisson(rng: random.Random, rate: float) -> int:
    if rate <= 0:
        return 0
    if rate > 30:
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, k, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class EventGenerator:
    """Events at ``events_per_minute`` on average, a pure function of ``seed``, rate and time.

    :param organization: the organisation every event belongs to (the tokens' organisation).
    """

    def __init__(
        self, *, seed: int, events_per_minute: float, organization: Organization, office_hours: bool = False
    ) -> None:
        if not 0 <= events_per_minute <= MAX_EVENTS_PER_MINUTE:
            raise ValueError(f"events_per_minute must be between 0 and {MAX_EVENTS_PER_MINUTE}")
        self.seed = seed
        self.events_per_minute = events_per_minute
        self.organization = organization
        self.office_hours = office_hours
        people = random.Random(f"{seed}:people")
        self._users = [self._person(people, i) for i in range(40)]
        places = random.Random(f"{seed}:places")
        self._usual_ips = {u["id"]: [self._ip(places) for _ in range(places.choice((1, 2)))] for u in self._users}
        self._teams = [
            {"id": str(_NUMBER_BASE + 1_000 + i), "name": name, "_kind": "team"} for i, name in enumerate(_TEAMS)
        ]
        self._cache: OrderedDict[int, list[AuditEvent]] = OrderedDict()
        self._cached_events = 0
        self._lock = threading.Lock()  # requests are served from several threads

    def events(self, start_us: int, end_us: int, *, descending: bool = False) -> Iterator[AuditEvent]:
        """The events whose ``createdAt`` (milliseconds) lies in ``[start_us, end_us)``, in key order."""
        if end_us <= start_us:
            return
        start_ms, end_ms = -(-start_us // 1000), -(-end_us // 1000)
        buckets = range(start_ms * 1000 // _MINUTE, (end_ms * 1000 - 1) // _MINUTE + 1)
        for bucket in reversed(buckets) if descending else buckets:
            events = self.bucket(bucket)
            for event in reversed(events) if descending else events:
                if start_ms <= event.created_ms < end_ms:
                    yield event

    def bucket(self, index: int) -> list[AuditEvent]:
        """The events of the minute starting at ``index * 60 s`` since the epoch, sorted by key."""
        with self._lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
        events = self._make_bucket(index)  # a pure function: two threads making it agree
        with self._lock:
            if index not in self._cache:
                self._cache[index] = events
                self._cached_events += len(events)
            # Bounded by events, not minutes: at a high rate a day of history would not fit in memory.
            while self._cached_events > _CACHED_EVENTS and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cached_events -= len(dropped)
        return events

    # --- one bucket ---------------------------------------------------------------------------------

    def _make_bucket(self, index: int) -> list[AuditEvent]:
        rng = random.Random(f"{self.seed}:{self.events_per_minute}:{index}")
        count = min(_poisson(rng, self.events_per_minute), _PER_BUCKET - 1)
        start = index * _MINUTE
        events: list[AuditEvent] = []
        previous = start
        for i in range(count):
            roll = rng.random()
            if roll < 0.02:
                offset = 0  # exactly on the minute: a likely window edge
            elif roll < 0.12:
                offset = rng.randrange(60) * 1_000_000  # a whole second
            elif roll < 0.17 and i:
                offset = previous - start  # a burst: same instant as the previous event
            else:
                offset = rng.randrange(_MINUTE)
            micros = start + offset
            previous = micros
            key = (micros, _NUMBER_BASE + (index % 10**12) * _PER_BUCKET + i)
            events.append(AuditEvent(key, self._body(rng, key)))
        events.sort(key=lambda e: e.key)
        return events

    def _body(self, rng: random.Random, key: EventKey) -> dict[str, Any]:
        category = rng.choices(
            ("authentication", "boards", "teams", "users", "administration"), weights=(45, 30, 8, 10, 7)
        )[0]
        actor = rng.choice(self._users)
        team = rng.choice(self._teams)
        body: dict[str, Any] = {"id": format_key(key)}
        usual = self._usual_ips[actor["id"]]
        ip = rng.choice(usual) if rng.random() < 0.9 else self._ip(rng)
        context: dict[str, Any] = {"ip": ip, "organization": self._org()}
        details: dict[str, Any]
        obj: dict[str, Any] | None
        created_by: dict[str, Any] | None = _public(actor)
        if category == "authentication":
            event = rng.choices(("sign_in_succeeded", "sign_in_failed", "sign_out_succeeded"), weights=(70, 15, 15))[0]
            # Since 2023-06 sign-in events are per organisation: no team.
            obj = {"id": actor["id"], "name": actor["name"]}
            details = {
                "authType": rng.choice(("SSO", "PASSWORD", "GOOGLE")),
                "mfaFactorType": rng.choice(("NONE", "TOTP")),
            }
            if event == "sign_in_failed":
                details["reason"] = rng.choice(("INVALID_PASSWORD", "SSO_ASSERTION_EXPIRED", "ACCOUNT_LOCKED"))
            if event == "sign_out_succeeded":
                details = {}
        elif category == "boards":
            event = rng.choice(("board_created", "board_opened", "board_deleted", "board_sharing_changed"))
            context["team"] = _public(team)
            obj = {"id": str(_NUMBER_BASE + 10_000 + rng.randrange(5_000)), "name": rng.choice(_BOARDS)}
            details = {"role": rng.choice(("OWNER", "EDITOR", "COMMENTER", "VIEWER"))}
            if event == "board_sharing_changed":
                details["sharing"] = {
                    "before": {"access": "private"},
                    "after": {"access": rng.choice(("team_edit", "public_view")), "domains": ["example.com"]},
                }
        elif category == "teams":
            event = rng.choice(("team_created", "team_deleted", "team_member_added", "team_member_removed"))
            context["team"] = _public(team)
            member = rng.choice(self._users)
            obj = {"id": team["id"], "name": team["name"]}
            details = {"member": {"id": member["id"], "email": member["email"]}, "roles": ["MEMBER"]}
        elif category == "users":
            event = rng.choice(("user_created", "user_deactivated", "user_reactivated", "user_role_changed"))
            subject = rng.choice(self._users)
            obj = {"id": subject["id"], "name": subject["name"]}
            details = {"effectiveRole": rng.choice(("ORGANIZATION_INTERNAL_USER", "ORGANIZATION_EXTERNAL_USER"))}
            if rng.random() < 0.4:
                created_by = {"type": "scim_provisioner", "id": "0", "name": "SCIM", "email": ""}
        else:
            event = rng.choice(
                ("sso_settings_changed", "scim_token_generated", "company_name_changed", "allowlist_changed")
            )
            obj = None  # organisation settings have no object
            details = {
                "setting": event.removesuffix("_changed"),
                "changes": [{"field": "enabled", "old": False, "new": True}],
            }
            roll = rng.random()
            if roll < 0.3:
                created_by = None  # system changes carry no actor
            elif roll < 0.5 or (self.office_hours and not _working_hours(key[0])):
                created_by = {"type": "miro_automation", "id": "0", "name": "Miro"}
        body["context"] = context
        if obj is not None:
            body["object"] = obj
        body["createdAt"] = format_created_at(key[0])
        body["details"] = details
        if created_by is not None:
            body["createdBy"] = created_by
        body["event"] = event
        body["category"] = category
        return body

    def _org(self) -> dict[str, str]:
        return {"id": self.organization.id, "name": self.organization.name}

    @staticmethod
    def _ip(rng: random.Random) -> str:
        if rng.random() < 0.1:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        return rng.choice(_IP_PREFIXES) + str(rng.randrange(1, 255))

    @staticmethod
    def _person(rng: random.Random, i: int) -> dict[str, Any]:
        name = _CJK[i % len(_CJK)] if i % 9 == 0 else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        user_id = str(_NUMBER_BASE + 100 + i)
        return {"type": "user", "id": user_id, "name": name, "email": f"user{i}@example.com"}


def _working_hours(micros: int) -> bool:
    """Whether the instant lies in 07:00-19:00 UTC, Monday to Friday."""
    at = dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)
    return at.weekday() < 5 and 7 <= at.hour < 19


def _public(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if not k.startswith("_")}
