"""The one redactor: every text the deployer shows (errors, reports, logs, tracebacks) passes through it.

It masks two kinds of secret:

- **known secrets**, registered when they are read (every :class:`~deployer.config.Secret` registers its
  value, and the local cloud registers its own client secret and tokens), in the forms they take on the way
  out: as they are, ``repr``- and JSON-escaped, URL-encoded, and base64-encoded (at each of the three byte
  alignments, so a token inside a longer encoded value is found too);
- **secret-shaped values**, whatever their origin: the value of an ``Authorization``,
  ``Ocp-Apim-Subscription-Key`` or API-key header (in ``Name: value`` form, in a repr'd or JSON header
  map, or as a query parameter), a ``Bearer``/``Basic``/``SharedKey`` credential, a client secret,
  password, access or refresh token, or a SAS signature.

Masked text reads ``********``, so an operator can still see *where* a secret was.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MASK", "Redactor", "redact", "redact_data", "register_secret"]

MASK = "********"

#: Known secrets shorter than this are not masked by value (they would mask ordinary words); the patterns
#: still mask them where they appear as header or field values.
MIN_SECRET_LENGTH = 6

_HEADER_NAMES = (
    r"authorization|proxy-authorization|ocp-apim-subscription-key|x-api-key|api[-_]?key|x-functions-key"
    r"|x-ms-(?:client-secret|token)"
)
_FIELD_NAMES = (
    r"client[-_]?secret|clientsecret|password|passwd|access[-_]?token|refresh[-_]?token|id[-_]?token"
    r"|client[-_]?assertion|assertion|secret|token|sig|apikey|api[-_]?key|subscription[-_]?key"
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 'Authorization': 'Bearer x'  /  "APIKey": "Bearer x"  (repr'd or JSON header maps, bodies)
    (
        re.compile(
            rf"""(?P<key>(?P<q>['"])(?:{_HEADER_NAMES}|{_FIELD_NAMES})(?P=q)\s*:\s*)(?P<vq>['"])(?:\\.|(?!(?P=vq)).)*(?P=vq)""",
            re.IGNORECASE,
        ),
        rf"\g<key>\g<vq>{MASK}\g<vq>",
    ),
    # Authorization: Bearer x   (header lines, to the end of the line)
    (re.compile(rf"(?P<key>\b(?:{_HEADER_NAMES})\s*[:=]\s*)(?P<value>[^\r\n]+)", re.IGNORECASE), rf"\g<key>{MASK}"),
    # client_secret=x&...  access_token=x  sig=x   (form bodies and query strings)
    (re.compile(rf"(?P<key>(?<![\w-])(?:{_FIELD_NAMES})=)(?P<value>[^&\s\"',;)]+)", re.IGNORECASE), rf"\g<key>{MASK}"),
    # Bearer x / Basic x / SharedKey account:x  (credentials outside a header line)
    (
        re.compile(r"(?P<key>\b(?:Bearer|Basic|SharedKey(?:\s+[\w-]+:)?)\s+)(?P<value>[^\s'\",;)\]}]+)", re.IGNORECASE),
        rf"\g<key>{MASK}",
    ),
)


def _forms(secret: str) -> set[str]:
    """The forms a secret takes when it travels: escaped, URL-encoded, base64-encoded."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    # surrogatepass: a variable with undecodable bytes arrives with lone surrogates in it.
    forms.add(urllib.parse.quote(secret, safe="", errors="surrogatepass"))
    forms.add(urllib.parse.quote_plus(secret, errors="surrogatepass"))
    raw = secret.encode("utf-8", "surrogatepass")
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw).decode("ascii")
            # Drop the characters the leading padding shares, and the last group, which the next byte shares.
            start = (shift * 8 + 5) // 6
            end = ((shift + len(raw)) // 3) * 4
            core = encoded[start:end]
            if len(core) >= MIN_SECRET_LENGTH + 2:
                forms.add(core)
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Redactor:
    """Masks registered secrets and secret-shaped values in text. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, secret: str) -> None:
        """Mask ``secret`` (and its escaped and encoded forms) from now on."""
        if not secret or len(secret.strip()) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            before = len(self._forms)
            self._forms |= _forms(secret)
            if len(self._forms) != before:
                # Longest first, so a form that contains another is masked whole.
                ordered = sorted(self._forms, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(f) for f in ordered))

    def forget_all(self) -> None:
        """Drop every registered secret (tests only)."""
        with self._lock:
            self._forms.clear()
            self._pattern = None

    def redact(self, text: str) -> str:
        """``text`` with every known secret and secret-shaped value replaced by ``********``."""
        if not text:
            return text
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for compiled, replacement in _PATTERNS:
            text = compiled.sub(replacement, text)
        return text

    def redact_data(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys included) redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self.redact_data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_data(v) for v in value]
        return value


#: The process's redactor.
REDACTOR = Redactor()


def register_secret(secret: str) -> None:
    """Register ``secret`` with the process's redactor."""
    REDACTOR.register(secret)


def register_secrets(secrets: Iterable[str]) -> None:
    for secret in secrets:
        REDACTOR.register(secret)


def redact(text: str) -> str:
    """``text`` through the process's redactor."""
    return REDACTOR.redact(text)


def redact_data(value: Any) -> Any:
    """A JSON-like value through the process's redactor."""
    return REDACTOR.redact_data(value)
