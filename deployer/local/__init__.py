"""The local cloud, seen from the deployer: the only package that reaches the emulator.

:mod:`.process` supervises its process, :mod:`.control` talks to its control API, :mod:`.profile` makes
it a deployment target (:class:`deployer.profile.Profile`).
"""

from deployer.local.process import LocalCloud, serve

__all__ = ["LocalCloud", "serve"]
