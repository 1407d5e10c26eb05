"""The control API of the local CCF, under ``/_emulator/ccf``.

* ``GET /_emulator/ccf``: the pollers' settings, whether they are paused, and per connector: its id
  and name, whether it is active, ``collected_from`` / ``collected_until`` (every window in between
  is in the table), the next due time, and its saved progress (window, page token, counters).
* ``PATCH /_emulator/ccf/settings``: ``poll_delay_seconds``, ``backoff_seconds`` (virtual),
  ``min_timeout_seconds`` (real).
* ``POST /_emulator/ccf/pause``: stop fetching; returns once no fetch is in flight, so the progress
  read next is exact. ``POST /_emulator/ccf/resume``: carry on.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from emulator.ccf.runtime import CcfBackend
from emulator.control.responses import _bad as bad_request
from emulator.control.responses import _json as json_object
from emulator.core.http import Call, Reply, Service
from emulator.extension import control_service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["PREFIX", "backend", "service"]

PREFIX = "/_emulator/ccf"


def backend(cloud: Cloud) -> CcfBackend:
    """The cloud's pollers (created on first use; they start with the cloud)."""
    return cloud.backend("ccf", CcfBackend)


class CcfControl:
    def __init__(self, ccf: CcfBackend) -> None:
        self.ccf = ccf

    def overview(self, call: Call) -> Reply:
        return Reply(
            200,
            {
                "settings": dataclasses.asdict(self.ccf.settings),
                "paused": self.ccf.paused.is_set(),
                "connectors": self.ccf.status(),
            },
        )

    def patch_settings(self, call: Call) -> Reply:
        try:
            settings = self.ccf.apply_settings(json_object(call))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return Reply(200, dataclasses.asdict(settings))

    def pause(self, call: Call) -> Reply:
        self.ccf.pause()
        return Reply(200, {"paused": True})

    def resume(self, call: Call) -> Reply:
        self.ccf.resume()
        return Reply(200, {"paused": False})


def service(cloud: Cloud) -> Service:
    r = CcfControl(backend(cloud))
    routes = (
        ("GET", "", r.overview),
        ("PATCH", "/settings", r.patch_settings),
        ("POST", "/pause", r.pause),
        ("POST", "/resume", r.resume),
    )
    return control_service(PREFIX, routes, label="ccf")
