"""The control API (``/_emulator/...``): reset, state, principals, settings, faults, request log."""
