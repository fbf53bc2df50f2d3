"""``init --demo --history-days N``: the demo branch with a simulated past, played once."""
from __future__ import annotations

import datetime as dt
import sqlite3

from click.testing import CliRunner

from servicepoint.cli import cli
from servicepoint.sim.history import first_of_past_weekdays


def test_first_of_past_weekdays():
    wednesday = dt.date(2026, 3, 4)
    assert first_of_past_weekdays(wednesday, 2) == dt.date(2026, 3, 2)  # Mon, Tue
    assert first_of_past_weekdays(wednesday, 3) == dt.date(2026, 2, 27)  # Fri, Mon, Tue


def test_demo_with_history_then_a_quick_second_start(tmp_path):
    db = str(tmp_path / "demo.db")
    args = ["--db", db, "init", "--demo", "--history-days", "2", "--timezone", "Europe/Madrid",
            "--public-url", "https://q.example"]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Played 2 past weekdays" in first.output
    conn = sqlite3.connect(db)
    try:
        days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM tickets ORDER BY day")]
        states = {r[0] for r in conn.execute("SELECT DISTINCT state FROM tickets")}
        open_counters = conn.execute("SELECT count(*) FROM counters WHERE state != 'closed'").fetchone()[0]
    finally:
        conn.close()
    today = dt.date.today().isoformat()
    assert len(days) == 2 and all(d < today for d in days)
    assert states <= {"done", "no_show", "expired"} and "done" in states
    assert open_counters == 0  # every simulated day ended with its counters closed
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert again.exit_code == 0 and "no history played" in again.output
