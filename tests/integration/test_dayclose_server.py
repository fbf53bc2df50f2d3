"""A day close missed while the server was stopped runs when a real server process starts."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from servicepoint import setup
from servicepoint.db import connect
from servicepoint.setup_store import setup_ports
from servicepoint.timeutil import FixedClock, SystemClock
from servicepoint.uow import sqlite_ports
from servicepoint.usecases import issue_ticket
from tests.support.server import JsonClient, ServerProcess, run_init

pytestmark = pytest.mark.slow


def noon_zone(now: dt.datetime) -> str:
    """A fixed-offset zone in which it is now between 12:00 and 12:59, so that yesterday's
    18:00 close has passed and today's is hours away whenever the test runs."""
    offset = 12 - now.hour  # -11 … +12; the Etc/GMT names have the opposite sign
    return f"Etc/GMT{-offset:+d}"


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_a_missed_close_is_caught_up_on_start(tmp_path):
    db = tmp_path / "sp.db"
    run_init(db, demo=True)
    now = SystemClock().now()
    tz = noon_zone(now)
    conn = connect(str(db))
    try:
        setup.update_settings(setup_ports(conn, SystemClock(), "test"),
                              {"timezone": tz, "closing_time": "18:00"})
        # Yesterday morning the server issued two tickets, then it was stopped before 18:00.
        yesterday = sqlite_ports(conn, FixedClock(now - dt.timedelta(days=1)), timezone=tz)
        stale = [issue_ticket(yesterday, service=s).ticket for s in ("A", "B")]
    finally:
        conn.close()
    server = ServerProcess(db, init=False, log_dir=tmp_path)
    with server:
        client = JsonClient(server.url)
        try:
            fresh = client.post("/api/v1/tickets", {"service": "A"})
        finally:
            client.close()
        assert fresh.status == 201, fresh.text
        assert fresh.json["number"] == "A001"  # today's numbering, whatever yesterday had

        def expired():
            c = connect(str(db), readonly=True)
            try:
                return [r[0] for r in c.execute(
                    "SELECT state FROM tickets WHERE id IN (?, ?)", [t.id for t in stale])]
            finally:
                c.close()
        assert wait_for(lambda: expired() == ["expired", "expired"]), server.log_tail()
        c = connect(str(db), readonly=True)
        try:
            close = c.execute("SELECT day, expired, trigger FROM day_closes ORDER BY id DESC"
                              " LIMIT 1").fetchone()
            today = c.execute("SELECT state FROM tickets WHERE id = ?",
                              (fresh.json["id"],)).fetchone()[0]
        finally:
            c.close()
        assert (close["day"], close["expired"], close["trigger"]) == (stale[0].day, 2, "start-up")
        assert today == "waiting"  # today's close is hours away
