"""What the wait estimate reads from SQLite: the branch's queue now and recent visits.

:func:`branch_queue` builds the :class:`~servicepoint.domain.waits.BranchQueue`
the estimate plays forward; the unit of work (for the use cases) and the
screens' read models (:mod:`servicepoint.queries`) both call it.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from typing import Callable, Sequence

from .domain.waits import DEFAULT_BREAK_S, BranchQueue, CounterNow
from .timeutil import from_db, to_db

# (service, how many) -> the most recent visit lengths in seconds, oldest first
VisitLoader = Callable[[str, int], Sequence[float]]
VISIT_ENDS_SQL = "'finish','transfer','park','requeue','no_show'"


def visit_durations(conn: sqlite3.Connection, service: str, limit: int) -> list[float]:
    """The last ``limit`` visits of ``service`` (call to finish, transfer, park, requeue or
    no-show: how long a counter was taken up), in seconds, oldest first."""
    rows = conn.execute(
        "SELECT c.at AS called, (SELECT e.at FROM ticket_events e WHERE e.ticket_id = c.ticket_id"
        f"  AND e.id > c.id AND e.action IN ({VISIT_ENDS_SQL}) ORDER BY e.id LIMIT 1) AS ended"
        " FROM ticket_events c WHERE c.service_id = ? AND c.action = 'call'"
        " ORDER BY c.id DESC LIMIT ?", (service, limit)).fetchall()
    return [(from_db(r["ended"]) - from_db(r["called"])).total_seconds()
            for r in reversed(rows) if r["ended"]]


def branch_queue(conn: sqlite3.Connection, now: dt.datetime,
                 visits: Callable[[str], Sequence[float]]) -> BranchQueue:
    """The whole branch's queue at ``now``: waiting tickets, open counters and what they
    hold, each active service's recent visits (through ``visits``), weights and defaults,
    and the last hour's priority arrivals per service."""
    from .uow import TICKET_COLUMNS, row_to_ticket  # the unit of work imports this module

    waiting = tuple(row_to_ticket(r) for r in conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'waiting'"))
    served: dict[str, list[str]] = {}
    resting: dict[str, dt.datetime] = {}
    for code, service, state, changed in conn.execute(
            "SELECT cs.counter_code, cs.service_code, c.state, c.changed_at FROM counter_services cs"
            " JOIN counters c ON c.code = cs.counter_code WHERE c.state IN ('open', 'break')"
            " ORDER BY cs.counter_code, cs.position"):
        served.setdefault(code, []).append(service)
        if state == "break" and changed:
            resting[code] = from_db(changed)
    holding = {r[0]: (r[1], from_db(r[2])) for r in conn.execute(
        "SELECT counter_id, service_id, called_at FROM tickets"
        " WHERE state IN ('called', 'serving') AND counter_id IS NOT NULL")}
    counters = tuple(
        CounterNow(code, tuple(services), None, resting[code], on_break=True) if code in resting
        else CounterNow(code, tuple(services), *holding.get(code, (None, None)))
        for code, services in served.items())
    services = conn.execute("SELECT code, default_service_s, weight FROM services WHERE active"
                            ).fetchall()
    hour_ago = now - dt.timedelta(hours=1)
    # Branch days are local dates within a day of the UTC date: the day range lets
    # SQLite use the (day, number) index before it looks at the exact times.
    days = ((hour_ago - dt.timedelta(days=1)).date().isoformat(),
            (now + dt.timedelta(days=1)).date().isoformat())
    # A rising queue is seen in the last 20 minutes before the last hour shows it.
    recent = to_db(now - dt.timedelta(minutes=20))
    arrivals = [(r[0], max(r[1], 3 * r[3]), max(r[2], 3 * r[4])) for r in conn.execute(
        "SELECT origin_service_id, count(*), sum(priority != 'normal'), sum(issued_at >= ?),"
        " sum(issued_at >= ? AND priority != 'normal') FROM tickets"
        " WHERE day BETWEEN ? AND ? AND issued_at >= ? AND issued_at <= ?"
        " GROUP BY origin_service_id", (recent, recent, *days, to_db(hour_ago), to_db(now)))]
    return BranchQueue(
        now=now, waiting=waiting, counters=counters,
        visits={r[0]: tuple(visits(r[0])) for r in services},
        defaults={r[0]: float(r[1]) for r in services},
        weights={r[0]: float(r[2]) for r in services},
        priority_per_hour={r[0]: float(r[2]) for r in arrivals},
        arrivals_per_hour={r[0]: float(r[1]) for r in arrivals},
        break_s=typical_break(conn))


def typical_break(conn: sqlite3.Connection, sample: int = 20) -> float:
    """The median length of the branch's last ``sample`` breaks (break to resume), in seconds."""
    lengths = [(from_db(r[1]) - from_db(r[0])).total_seconds() for r in conn.execute(
        "SELECT b.at, (SELECT e.at FROM counter_events e WHERE e.counter_code = b.counter_code"
        "  AND e.id > b.id AND e.action IN ('resume', 'open', 'close') ORDER BY e.id LIMIT 1)"
        " FROM counter_events b WHERE b.action = 'break' ORDER BY b.id DESC LIMIT ?", (sample,))
        if r[1]]
    return statistics.median(lengths) if lengths else DEFAULT_BREAK_S
