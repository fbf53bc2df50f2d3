"""Read model of the what-if staffing page: a weekday's hour profile from the branch's history.

The page (``/manager/staffing``) asks: on this weekday, over the last few weeks,
how many customers of each service came in each hour, and how long did a
counter spend on each? The answer feeds :mod:`servicepoint.domain.staffing`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import statistics

from .domain.staffing import ServiceGoal
from .timeutil import from_db, zone
from .wait_store import VISIT_ENDS_SQL


@dataclasses.dataclass(frozen=True)
class History:
    """What the branch did on the chosen weekdays.

    ``profile``: service → local hour → mean arrivals in that hour (over the days
    that had tickets); ``visits``: service → visit lengths in seconds.
    """

    days: tuple[str, ...]  # the weekdays looked at
    open_days: int  # of those, days with tickets
    profile: dict[str, dict[int, float]]
    visits: dict[str, list[float]]
    names: dict[str, dict[str, str]]
    goals: tuple[ServiceGoal, ...]


def weekdays_before(today: dt.date, weekday: int, weeks: int) -> list[str]:
    """The last ``weeks`` dates that fell on ``weekday`` (0 = Monday) before ``today``."""
    back = (today.weekday() - weekday) % 7 or 7
    first = today - dt.timedelta(days=back)
    return [(first - dt.timedelta(weeks=w)).isoformat() for w in range(weeks)]


def history(conn: sqlite3.Connection, days: list[str], tz: str) -> History:
    """The hour profile, visits and agreements of the active services on branch ``days``."""
    marks = ",".join("?" * len(days))
    local = zone(tz)
    counts: dict[str, dict[int, int]] = {}
    seen: set[str] = set()
    for service, day, issued in conn.execute(
            f"SELECT origin_service_id, day, issued_at FROM tickets WHERE day IN ({marks})", days):
        seen.add(day)
        hour = from_db(issued).astimezone(local).hour
        per = counts.setdefault(service, {})
        per[hour] = per.get(hour, 0) + 1
    open_days = len(seen)
    profile = {s: {h: n / open_days for h, n in per.items()} for s, per in counts.items()}
    visits: dict[str, list[float]] = {}
    for service, called, ended in conn.execute(
            "SELECT c.service_id, c.at, (SELECT e.at FROM ticket_events e WHERE"
            f" e.ticket_id = c.ticket_id AND e.id > c.id AND e.action IN ({VISIT_ENDS_SQL})"
            " ORDER BY e.id LIMIT 1) FROM ticket_events c JOIN tickets t ON t.id = c.ticket_id"
            f" WHERE t.day IN ({marks}) AND c.action = 'call'", days):
        if ended:
            visits.setdefault(service, []).append((from_db(ended) - from_db(called)).total_seconds())
    goals, names = [], {}
    for r in conn.execute("SELECT code, names, target_wait_s, service_level_goal, default_service_s"
                          " FROM services WHERE active ORDER BY sort, code"):
        seen_visits = visits.get(r["code"], [])
        # The mean visit, from history when there is enough of it, else the configured default.
        visit = statistics.fmean(seen_visits) if len(seen_visits) >= 20 else float(r["default_service_s"])
        goals.append(ServiceGoal(r["code"], float(r["target_wait_s"]), float(r["service_level_goal"]),
                                 visit))
        names[r["code"]] = json.loads(r["names"])
    return History(tuple(days), open_days, profile, visits, names, tuple(goals))
