"""The local cloud: Azure (Entra, ARM, Logs Ingestion, Log Analytics query) emulated for offline use.

Start it in-process with :class:`emulator.server.EmulatorServer` or from a shell with
``python -m emulator serve``. The services are split the way moto splits them: each has ``urls.py``
(routes), ``responses.py`` (parse and serialise), ``models.py`` (state and rules) and ``errors.py``
(Azure-shaped errors). ``emulator/COVERAGE.md`` lists what is emulated and what is not.
"""
