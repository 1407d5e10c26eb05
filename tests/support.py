"""Paths and markers shared by the test suites."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
OFFICIAL_MIRO_DIR = SHARED_DIR / "api-specs" / "sentinel-miro-solution" / "Data Connectors" / "MiroAuditLogs_CCF"

requires_shared = pytest.mark.skipif(
    not SHARED_DIR.is_dir(),
    reason=f"../shared (official specs and the Miro solution) is not beside the repository at {SHARED_DIR}",
)
