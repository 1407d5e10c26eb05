"""The poller's HTTP client: real requests over the network (the emulator's own Miro in tests).

One :class:`requests.Session` per poller, closed after each round of fetches (a connection is not
held open through the minutes between windows). The environment is ignored (no proxies, no
``REQUESTS_CA_BUNDLE``): the cloud's CA, or the system's, decides which servers are trusted.
"""

from __future__ import annotations

from pathlib import Path

import requests

from emulator.ccf.poller import HttpResult, TransportError

__all__ = ["RequestsSender"]


class RequestsSender:
    """An :data:`~emulator.ccf.poller.HttpSend` over ``requests``, trusting ``ca_cert`` (and no proxy)."""

    def __init__(self, ca_cert: Path | str | None) -> None:
        self._verify: str | bool = str(ca_cert) if ca_cert else True
        self._session: requests.Session | None = None

    def __call__(
        self, method: str, url: str, params: list[tuple[str, str]], headers: dict[str, str], timeout: float
    ) -> HttpResult:
        if self._session is None:
            self._session = requests.Session()
            self._session.trust_env = False
            self._session.verify = self._verify
        try:
            # params are URL-encoded by requests: a Miro cursor's '#' travels as %23.
            answer = self._session.request(
                method, url, params=params, headers=headers, timeout=timeout, allow_redirects=False
            )
        except requests.Timeout as exc:
            raise TransportError(f"no answer within {timeout:.1f} s", timeout=True) from exc
        except requests.RequestException as exc:
            raise TransportError(f"the request failed: {type(exc).__name__}") from exc
        return HttpResult(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.content)

    def close(self) -> None:
        """Close the connections (a later call opens new ones)."""
        if self._session is not None:
            self._session.close()
            self._session = None
