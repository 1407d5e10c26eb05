"""Paths and markers shared by the test suites."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
OFFICIAL_MIRO_DIR = SHARED_DIR / "api-specs" / "sentinel-miro-solution" / "Data Connectors" / "MiroAuditLogs_CCF"

#: Tests that read ../shared carry this marker; tests/conftest.py skips them, saying why, where it is absent.
requires_shared = pytest.mark.shared
