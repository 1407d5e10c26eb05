"""Azure's and Miro's open questions as switches ("quirks").

Where the documentation does not settle what the real service does, the local cloud implements each
plausible behaviour as a variant of a named quirk. The default is the variant that is harder for a
client; the product must work under every variant (the integration suite runs under each). Set them
with ``emulator serve --quirk NAME=VARIANT`` or at run time with ``PATCH /_emulator/quirks``.
``emulator/COVERAGE.md`` says, for each, how a user with a tenant can find out which variant is real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["QUIRKS", "Quirk", "Quirks", "parse_quirk_options"]


@dataclass(frozen=True)
class Quirk:
    """One open question: its variants, the default (harder for a client) and what it is about."""

    name: str
    variants: tuple[str, ...]
    default: str
    doc: str


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        "todatetime_colonless_offset",
        ("null", "parsed"),
        "null",
        "todatetime() of a string ending in an offset without a colon ('+0000', as Miro sends): null, or the "
        "instant it names. Kusto documents ISO 8601 with 'Z'; the colon-less form is unconfirmed.",
    ),
    Quirk(
        "sentinel_health_resource_name",
        ("prefixed", "bare"),
        "prefixed",
        "How SentinelHealth names a codeless (RestApiPoller) connector: SentinelResourceName "
        "'ApiPolling-<name>' with SentinelResourceKind 'ApiPolling' (seen in public queries), or the bare "
        "connector name with kind 'RestApiPoller'.",
    ),
    Quirk(
        "connector_api_key_in_post_payload",
        ("present", "absent"),
        "present",
        "Whether a RestApiPoller connector's GET carries auth.isApiKeyInPostPayload (false) when the PUT did "
        "not send it. 'present' adds a field the client never wrote, which a naive comparison sees as a change.",
    ),
    Quirk(
        "table_column_type_casing",
        ("dateTime", "datetime"),
        "dateTime",
        "The spelling of a datetime column's type in a table GET: the Tables API's enum 'dateTime' (what the "
        "spec and SDK say), or the 'datetime' a client sent.",
    ),
    Quirk(
        "miro_credits_per_minute",
        ("10000", "100000"),
        "10000",
        "Miro's rate budget per token per minute: 10,000 credits (the v1 page) or 100,000 (other pages).",
    ),
    Quirk(
        "miro_retry_after_on_429",
        ("absent", "present"),
        "absent",
        "Whether Miro's 429 carries Retry-After; without it a client must wait for X-RateLimit-Reset.",
    ),
    Quirk(
        "miro_created_bounds",
        ("half_open", "closed", "open"),
        "half_open",
        "Which events createdAfter/createdBefore select (Miro documents neither edge): [after, before), "
        "[after, before] (an event on a shared edge is in both windows) or (after, before) (in neither).",
    ),
    Quirk(
        "dcr_metric_aggregations",
        ("strict", "lenient"),
        "strict",
        "Whether the metrics API refuses an aggregation a DCR metric does not support (e.g. Total of "
        "TransformationErrors_Count, which supports Count only) with 400, or answers it anyway.",
    ),
    Quirk(
        "connector_update_etag",
        ("required", "optional"),
        "required",
        "Whether updating a Sentinel data connector needs the current etag in the body (Learn says so; a "
        "spec issue says it no longer does).",
    ),
    Quirk(
        "transform_datatable",
        ("refused", "accepted"),
        "refused",
        "Whether a DCR transform may use the datatable operator: one version of Learn's page lists it, "
        "another says it is not supported.",
    ),
)

_BY_NAME = {q.name: q for q in QUIRKS}


def parse_quirk_options(options: Iterable[str]) -> dict[str, str]:
    """``NAME=VARIANT`` strings (the ``--quirk`` option) as a mapping; raises ``ValueError`` naming the bad one."""
    chosen: dict[str, str] = {}
    for option in options:
        name, sep, variant = option.partition("=")
        if not sep:
            raise ValueError(f"--quirk {option!r}: expected NAME=VARIANT")
        _check(name.strip(), variant.strip())
        chosen[name.strip()] = variant.strip()
    return chosen


def _check(name: str, variant: object) -> Quirk:
    quirk = _BY_NAME.get(name)
    if quirk is None:
        raise ValueError(f"unknown quirk {name!r}; known: {', '.join(sorted(_BY_NAME))}")
    if variant not in quirk.variants:
        raise ValueError(f"quirk {name}: variant {variant!r} is not one of {', '.join(quirk.variants)}")
    return quirk


class Quirks:
    """The variant of every quirk in force in one cloud; thread-safe.

    :param start: variants chosen at start (``--quirk``); the others are at their defaults. ``reset``
        goes back to these.
    """

    def __init__(self, start: Mapping[str, str] | None = None) -> None:
        for name, variant in (start or {}).items():
            _check(name, variant)
        self._start = {q.name: (start or {}).get(q.name, q.default) for q in QUIRKS}
        self._current = dict(self._start)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str, str], None]] = []

    def __getitem__(self, name: str) -> str:
        with self._lock:
            return self._current[name]

    def chosen(self, name: str, variant: str) -> bool:
        """Whether quirk ``name`` is at ``variant`` (a typo in either raises ``ValueError``)."""
        _check(name, variant)
        return self[name] == variant

    def update(self, changes: Mapping[str, object]) -> None:
        """Switch quirks (name -> variant), all or none; raises ``ValueError`` for an unknown name or variant."""
        for name, variant in changes.items():
            _check(name, variant)
        with self._lock:
            self._current.update({k: str(v) for k, v in changes.items()})
            listeners = list(self._listeners)
        for name, variant in changes.items():
            for listener in listeners:
                listener(name, str(variant))

    def reset(self) -> None:
        """Back to the variants chosen at start."""
        self.update(self._start)

    def on_change(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(name, variant)`` after every switch (also those that change nothing)."""
        with self._lock:
            self._listeners.append(listener)

    def describe(self) -> list[dict[str, object]]:
        """Every quirk with its variants, default, current variant and doc (the control API's answer)."""
        with self._lock:
            current = dict(self._current)
        return [
            {
                "name": q.name,
                "variants": list(q.variants),
                "default": q.default,
                "current": current[q.name],
                "doc": q.doc,
            }
            for q in QUIRKS
        ]
