"""Comparing the body we would send with the resource ARM returns: which paths differ.

Shared by the arm engine (what to write), the health checks (what drifted) and the adoption survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["differences"]


def differences(desired: Any, current: Any, path: str = "") -> list[str]:
    """Paths where ``current`` does not match ``desired``; only keys present in ``desired`` count.

    ARM adds read-only fields and may change the case of keys and of a few values (``dateTime``,
    ``West Europe``), so keys match case-insensitively and those values are normalised.
    """
    if isinstance(desired, Mapping):
        if not isinstance(current, Mapping):
            return [path or "(resource)"]
        lowered = {str(k).lower(): v for k, v in current.items()}
        found: list[str] = []
        for key, value in desired.items():
            sub = f"{path}.{key}" if path else str(key)
            if str(key).lower() not in lowered:
                found.append(sub)
            else:
                found.extend(differences(value, lowered[str(key).lower()], sub))
        return found
    if isinstance(desired, list):
        if not isinstance(current, list) or len(current) != len(desired):
            return [path]
        return [
            d for i, (a, b) in enumerate(zip(desired, current, strict=True)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if _normalise(path, desired) != _normalise(path, current):
        return [path]
    return []


def _normalise(path: str, value: Any) -> Any:
    leaf = path.rsplit(".", 1)[-1].lower()
    if isinstance(value, str) and (
        leaf in ("type", "location", "roledefinitionid", "principaltype") or leaf.endswith("id")
    ):
        return value.replace(" ", "").lower()
    return value
