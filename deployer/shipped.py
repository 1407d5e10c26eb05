"""Files the product ships beside its code: ``dcr/``, ``content/``, Terraform, example settings, workflows.

In a checkout (editable install) they are the repository's own directories; in an installed wheel they are
the copies packed under ``deployer/_shipped/`` (``pyproject.toml`` maps them there). Nothing else in the
product knows where they live, and no copy of them is kept in git.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

__all__ = ["ShippedData", "shipped_dir"]

#: What ships, and where each lives in the repository.
ShippedData = Literal["dcr", "content", "terraform", "envs", "workflows"]
_CHECKOUT_PATHS: dict[str, tuple[str, ...]] = {
    "dcr": ("dcr",),
    "content": ("content",),
    "terraform": ("terraform",),
    "envs": ("envs",),
    "workflows": (".github", "workflows"),
}
_PACKED = "_shipped"


def shipped_dir(name: ShippedData) -> Path:
    """The directory holding ``name``: the wheel's packed copy when installed, else the repository's."""
    package = Path(str(files("deployer")))
    packed = package / _PACKED / name
    if packed.is_dir():
        return packed
    return package.parent.joinpath(*_CHECKOUT_PATHS[name])
