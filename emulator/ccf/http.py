"""The poller's HTTP client: real requests over the network (the emulator's own Miro in tests).

One :class:`requests.Session` per poller. The environment is ignored (no proxies, no
``REQUESTS_CA_BUNDLE``): the cloud's CA, or the system's, decides which servers are trusted.
"""

from __future__ import annotations

from pathlib import Path

import requests

from emulator.ccf.poller import HttpResult, HttpSend, TransportError

__all__ = ["requests_sender"]


def requests_sender(ca_cert: Path | str | None) -> HttpSend:
    """An :data:`~emulator.ccf.poller.HttpSend` over ``requests``, trusting ``ca_cert`` (and no proxy)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_cert) if ca_cert else True

    def send(
        method: str, url: str, params: list[tuple[str, str]], headers: dict[str, str], timeout: float
    ) -> HttpResult:
        try:
            # params are URL-encoded by requests: a Miro cursor's '#' travels as %23.
            answer = session.request(
                method, url, params=params, headers=headers, timeout=timeout, allow_redirects=False
            )
        except requests.Timeout as exc:
            raise TransportError(f"no answer within {timeout:.1f} s", timeout=True) from exc
        except requests.RequestException as exc:
            raise TransportError(f"the request failed: {type(exc).__name__}") from exc
        return HttpResult(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.content)

    return send
