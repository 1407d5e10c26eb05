"""Secrets at rest: what the local cloud must keep (a connector's API key) is stored encrypted.

Azure keeps connector secrets encrypted; so does the local cloud, with a Fernet key in the state
directory (``secrets.key``, owner-only). The DuckDB store then never holds a token in clear, and a
scan of the state directory for a token finds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from emulator.statedir import write_private

__all__ = ["SecretBox"]


class SecretBox:
    """Seals JSON values with a key kept at ``key_path`` (created on first use)."""

    def __init__(self, key_path: Path) -> None:
        if not key_path.is_file():
            key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(key_path, Fernet.generate_key())
        self._fernet = Fernet(key_path.read_bytes().strip())

    def seal(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> Any:
        """The value; raises ``ValueError`` when it was sealed with another key or altered."""
        try:
            return json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except InvalidToken as exc:
            raise ValueError("a sealed secret cannot be opened with this state directory's key") from exc
