"""The DCR source of truth: loader, KQL engine adapter, transform check and ARM body builders."""
