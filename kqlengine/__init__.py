"""The KQL engine adapter, shared by the deployer (``dcr test``) and the local cloud (ingestion, query).

A neutral package: it imports neither ``deployer`` nor ``emulator``, so both can use one engine while each
keeps its own rules about what is acceptable (see ``tests/test_architecture.py``).
"""

from kqlengine.adapter import *  # noqa: F403  (the adapter's __all__ is this package's surface)
from kqlengine.adapter import __all__ as __all__
