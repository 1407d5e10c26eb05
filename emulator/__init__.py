"""The local cloud: Azure Monitor, Log Analytics, Sentinel and Miro, emulated for offline use."""
