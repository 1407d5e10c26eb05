"""The JSONPath subset connector settings use: ``$``, ``.name``, ``['name']``, ``[index]`` and ``[*]``.

``eventsJsonPaths`` (``$.data``, ``$``, ``$.result.items``), ``nextPageTokenJsonPath`` (``$.cursor``),
``hasNextFlagJsonPath``. Anything else (filters, recursive descent, slices) is refused when the
connector is created, so the poller never meets a path it cannot follow.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["JsonPath"]

_STEP = re.compile(
    r"\.([A-Za-z_$@][\w$@-]*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(-?\d+)\s*\]|\[\s*\*\s*\]|\.\*"
)
_WILD = object()


class JsonPath:
    """A compiled path; :meth:`find` returns every value it reaches (possibly none)."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.startswith("$"):
            raise ValueError(f"JSON path {text!r} must start with '$'")
        self.text = text
        self._steps: list[Any] = []
        i = 1
        while i < len(text):
            match = _STEP.match(text, i)
            if not match:
                raise ValueError(f"JSON path {text!r}: unsupported syntax at position {i}")
            name, quoted, dquoted, index = match.groups()
            if name is not None:
                self._steps.append(name)
            elif quoted is not None:
                self._steps.append(quoted)
            elif dquoted is not None:
                self._steps.append(dquoted)
            elif index is not None:
                self._steps.append(int(index))
            else:
                self._steps.append(_WILD)
            i = match.end()

    def find(self, document: Any) -> list[Any]:
        values = [document]
        for step in self._steps:
            found: list[Any] = []
            for value in values:
                if step is _WILD:
                    if isinstance(value, list):
                        found.extend(value)
                    elif isinstance(value, dict):
                        found.extend(value.values())
                elif isinstance(step, int):
                    if isinstance(value, list) and -len(value) <= step < len(value):
                        found.append(value[step])
                elif isinstance(value, dict) and step in value:
                    found.append(value[step])
            values = found
        return values

    def first(self, document: Any) -> Any:
        """The first value reached, or ``None``."""
        found = self.find(document)
        return found[0] if found else None

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"
