"""A past month for the demo branch: ``init --demo --history-days N`` plays it with the simulator.

The demo's dashboard, reports and staffing page then have a branch's own
history to show. It runs once: a branch that already has tickets is left alone.
"""
from __future__ import annotations

import datetime as dt
import sqlite3

from .run import Options, simulate


def first_of_past_weekdays(today: dt.date, days: int) -> dt.date:
    """The first of the ``days`` weekdays that end the day before ``today``."""
    day, found = today, 0
    while found < days:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            found += 1
    return day


def seed_history(path: str, days: int, today: dt.date, seed: int = 7) -> dict | None:
    """Play ``days`` past weekdays on the branch at ``path``; None when it already has tickets.

    Returns the run's summary (see :func:`servicepoint.sim.run.summary`).
    """
    conn = sqlite3.connect(path)
    try:
        if conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone():
            return None
    finally:
        conn.close()
    return simulate(path, Options(days=days, first_day=first_of_past_weekdays(today, days),
                                  seed=seed, profile="peaks"))
