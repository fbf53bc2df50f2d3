"""Generic test-suite hooks and fixtures (keep this file small).

Face- or layer-specific fixtures live in the conftest.py of their folder
(e.g. tests/e2e/conftest.py starts Chromium and a live server).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# `tests.support` must import under `pytest` as well as `python -m pytest`.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.require import chromium_path, require_all, socat_path  # noqa: E402


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"servicepoint: chromium={chromium_path() or 'MISSING'} socat={socat_path() or 'MISSING'} "
        f"SERVICEPOINT_REQUIRE_ALL={'1 (missing tools fail)' if require_all() else '0 (missing tools skip)'}",
    ]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml is)."""
    return REPO_ROOT
