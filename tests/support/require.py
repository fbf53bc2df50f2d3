"""Skip loudly when a system tool is missing — or fail when CI demands everything.

Tests that need Debian's ``chromium``, ``socat`` or ``promtool`` call
:func:`require_chromium` / :func:`require_socat` / :func:`require_promtool` (or
the generic :func:`require`). On a developer machine
without the tool the test is skipped with a reason that says how to install it;
with ``SERVICEPOINT_REQUIRE_ALL=1`` (set by ``.ci/run``) it fails instead, so a
CI machine that lost a tool can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL_ENV = "SERVICEPOINT_REQUIRE_ALL"

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


def require_all() -> bool:
    """True when missing tools must fail the test run (CI)."""
    return os.environ.get(REQUIRE_ALL_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def require(tool_ok: bool, reason: str) -> None:
    """Skip (or fail under ``SERVICEPOINT_REQUIRE_ALL=1``) unless ``tool_ok``."""
    if tool_ok:
        return
    if require_all():
        pytest.fail(f"{reason} [{REQUIRE_ALL_ENV}=1: missing tools are failures]", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {reason}")


def chromium_path() -> str | None:
    """Path of Debian's Chromium, or None. ``SERVICEPOINT_CHROMIUM`` overrides."""
    override = os.environ.get("SERVICEPOINT_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Return the Chromium executable path, or skip/fail."""
    path = chromium_path()
    require(
        path is not None,
        "Debian's chromium is not installed (apt-get install chromium); "
        "the e2e tests drive it through Playwright and never download a browser",
    )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - the [test] extra installs it
        require(False, "the playwright Python package is missing (pip install -e '.[test]')")
    assert path is not None
    return path


def socat_path() -> str | None:
    return shutil.which("socat")


def require_socat() -> str:
    """Return the socat executable path, or skip/fail."""
    path = socat_path()
    require(
        path is not None,
        "socat is not installed (apt-get install socat); "
        "the serial printer tests need its pseudo-terminals",
    )
    assert path is not None
    return path


def require_promtool() -> str:
    """Return the promtool executable path (Debian's ``prometheus`` package), or skip/fail."""
    path = shutil.which("promtool")
    require(path is not None, "promtool is not installed (apt-get install prometheus); "
                              "the metrics test lints /metrics with `promtool check metrics`")
    assert path is not None
    return path


def require_espeak() -> str:
    """Return the espeak-ng executable path, or skip/fail."""
    path = shutil.which("espeak-ng")
    require(path is not None, "espeak-ng is not installed (apt-get install espeak-ng)")
    assert path is not None
    return path
