"""The local cloud's control API (``/_emulator``), as the deployer uses it: register a Miro token, read the
clock, and wait for the connector's first poll. Every call carries the control token from the ready line."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests

from deployer.config import Secret
from deployer.errors import LocalEnvironmentError
from emulator.ready import ReadyInfo

__all__ = ["ControlClient"]

_CLOCK_ATTEMPTS = 3


class ControlClient:
    """A client of one running local cloud's control API."""

    def __init__(self, ready: ReadyInfo) -> None:
        self._ready = ready
        self._http = requests.Session()
        self._http.headers.update(ready.control_headers())
        # Passed on every call: a session's verify loses to REQUESTS_CA_BUNDLE from the environment.
        self._verify = ready.ca_cert

    def close(self) -> None:
        self._http.close()

    def register_miro_token(self, token: Secret) -> None:
        """Make the local Miro accept ``token`` as a valid Enterprise token, unless it already knows it."""
        url = f"{self._ready.control_endpoint}/miro/tokens"
        body = {"token": token.reveal(), "preset": "valid", "label": "MIRO_ACCESS_TOKEN"}
        try:
            response = self._http.post(url, json=body, timeout=30, verify=self._verify)
        except requests.RequestException as exc:
            raise LocalEnvironmentError(f"cannot reach the local cloud's control API: {type(exc).__name__}") from exc
        # A token the local Miro already knows keeps its rights (so a test can revoke one beforehand).
        if response.status_code == 400 and "already registered" in response.text:
            return
        if response.status_code not in (200, 201):
            raise LocalEnvironmentError(f"the local Miro refused to register the token ({response.status_code})")

    def now(self) -> dt.datetime:
        """The local cloud's clock: its Miro and its tables live in this (virtual) time."""
        try:
            response = self._clock()
            response.raise_for_status()
            return dt.datetime.fromisoformat(response.json()["now"]).astimezone(dt.UTC)
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise LocalEnvironmentError(f"cannot read the local cloud's clock: {type(exc).__name__}") from exc

    def _clock(self) -> requests.Response:
        url = f"{self._ready.control_endpoint}/clock"
        for _ in range(_CLOCK_ATTEMPTS - 1):
            try:
                return self._http.get(url, timeout=30, verify=self._verify)
            except requests.ConnectionError:
                continue  # after a long wait the server may close the idle connection just as it is reused
        return self._http.get(url, timeout=30, verify=self._verify)

    def poll_mark(self, connector_name: str) -> int:
        """How many fetches the local poller has made for the connector so far (0 before its first)."""
        return _fetches(self._poller_state(connector_name))

    def wait_for_first_poll(self, connector_name: str, *, after: int = 0, timeout: float = 60.0) -> str:
        """Wait until the connector has polled the local Miro, so the demo's report is complete.

        ``after`` is :meth:`poll_mark` taken when the deploy started: only a fetch made since then counts,
        so a failed fetch from before (a Miro fault that has since cleared) is not taken for the answer.
        In Azure the first poll takes 5-30 minutes and ``health`` reports it as it is; the local cloud
        polls within seconds. Its poller's own status says when (independent of query latency).
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self._poller_state(connector_name)
            if state.get("last_status") and _fetches(state) > after:
                return (
                    f"the connector polled the local Miro: {state.get('windows_done', 0)} window(s), "
                    f"{state.get('total_events', 0)} events so far (last fetch: {state['last_status']})"
                )
            if time.monotonic() > deadline:
                return f"the connector has not polled within {timeout:g} s"
            time.sleep(0.1)

    def _poller_state(self, connector_name: str) -> dict[str, Any]:
        try:
            response = self._http.get(f"{self._ready.control_endpoint}/ccf", timeout=30, verify=self._verify)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise LocalEnvironmentError(f"cannot read the local poller's status: {type(exc).__name__}") from exc
        for connector in response.json().get("connectors", []):
            if connector.get("name") == connector_name:
                return dict(connector.get("state") or {})
        return {}


def _fetches(state: dict[str, Any]) -> int:
    """Fetches the poller has finished: every page read, every window done, every failure."""
    return sum(int(state.get(k) or 0) for k in ("total_pages", "windows_done", "failures"))
