"""Helpers for watching the lobby display speak in a real Chromium (e2e tests and bench).

The display dispatches a ``servicepoint:announce`` event for every step of an
announcement (``static/announce.js``); :data:`RECORDER` keeps them in
``window.__announce`` so a test can read what was chimed and spoken, in order.
"""
from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

from servicepoint.timeutil import SystemClock, to_db
from tests.support.server import servicepoint_cmd

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_LAUNCHER = REPO_ROOT / "deploy" / "kiosk-chromium.sh"

RECORDER = """
window.__announce = [];
document.addEventListener("servicepoint:announce", function (e) { window.__announce.push(e.detail); });
"""
WAV_URL = re.compile(r"/display/(?P<display>[^/]+)/announcements/(?P<event>\d+)/(?P<lang>[a-z]+)\.wav$")


def deploy_audio_flags() -> list[str]:
    """The autoplay flags deploy/kiosk-chromium.sh starts the display's Chromium with."""
    flags = re.findall(r"--autoplay-policy=[\w-]+", DEPLOY_LAUNCHER.read_text())
    if not flags:
        raise AssertionError(f"{DEPLOY_LAUNCHER} no longer allows autoplay")
    return flags


def staff_token(db_path: str | Path) -> str:
    """A fresh staff API token from ``servicepoint token create`` (the real CLI)."""
    out = subprocess.run(servicepoint_cmd("--db", str(db_path), "token", "create", "e2e-speech",
                                          "--role", "staff"),
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


def add_display(db_path: str | Path, code: str, language: str) -> None:
    """Pair one more lobby display speaking ``language`` (as the technician's setup does)."""
    conn = sqlite3.connect(str(db_path))
    try:
        with conn:
            conn.execute("INSERT OR IGNORE INTO devices (code, kind, name, language, created_at)"
                         " VALUES (?, 'display', ?, ?, ?)",
                         (code, f"Display {code}", language, to_db(SystemClock().now())))
    finally:
        conn.close()
