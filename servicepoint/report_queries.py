"""Reads behind the reports: summed summaries, the tickets not summarised yet, counter
openings, and the raw exports (docs/architecture.md, *Reports*).

Summaries are read with ``GROUP BY`` in SQLite, so a year arrives as a few
hundred rows; only the raw exports walk ``ticket_events``, as a stream.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Iterator

from .domain.model import Event
from .domain.report import Filters
from .domain.summary import FIELDS, MAXIMA, Hist, Totals
from .timeutil import from_db, to_db
from .uow import row_to_event

_SUMS = ", ".join(f"max({f})" if f in MAXIMA else f"sum({f})" for f in FIELDS)
ACTIVE_STATES = "('waiting', 'called', 'serving', 'parked')"


def _where(filters: Filters) -> tuple[str, list]:
    sql, args = "", []
    for column, value in (("service", filters.service), ("counter", filters.counter),
                          ("staff", filters.staff)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    return sql, args


def totals_by(conn: sqlite3.Connection, first_day: str, last_day: str, filters: Filters,
              group: str) -> list[tuple[tuple, Totals]]:
    """Summed summaries of local days [first_day, last_day], grouped by ``group``:
    ``key`` (service, counter, staff), ``day`` or ``slot`` (weekday 0=Monday, hour)."""
    columns, width = {"key": ("service, counter, staff", 3),
                      "day": ("day", 1),
                      "slot": ("(CAST(strftime('%w', day) AS INTEGER) + 6) % 7, hour", 2)}[group]
    where, args = _where(filters)
    rows = conn.execute(
        f"SELECT {columns}, {_SUMS} FROM report_hours WHERE day BETWEEN ? AND ?{where}"
        f" GROUP BY {columns}", (first_day, last_day, *args)).fetchall()
    return [(tuple(r[:width]), Totals.from_values(r[width:])) for r in rows]


def _months_inside(first_day: str, last_day: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Whole months within [first_day, last_day], and the day ranges left around them."""
    first, last = dt.date.fromisoformat(first_day), dt.date.fromisoformat(last_day)
    months, ranges = [], []
    cursor = first
    while cursor <= last:
        month_end = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if cursor.day == 1 and month_end - dt.timedelta(days=1) <= last:
            months.append(cursor.isoformat()[:7])
        else:
            end = min(last, month_end - dt.timedelta(days=1))
            ranges.append((cursor.isoformat(), end.isoformat()))
        cursor = month_end
    return months, ranges


def hists(conn: sqlite3.Connection, first_day: str, last_day: str, filters: Filters,
          services: list[str]) -> dict[tuple[str, str], Hist]:
    """(kind, service) → histogram over local days [first_day, last_day]: whole months
    from the monthly rows, the days around them from the daily ones. Without a counter
    or staff filter only each service's "*" rows (every counter and staff member) are
    read, found by primary key."""
    months, ranges = _months_inside(first_day, last_day)
    where, args = _where(filters)
    if filters.counter is None and filters.staff is None:
        wanted = [filters.service] if filters.service else services
        where = (f" AND kind IN ('wait', 'service') AND service IN ({','.join('?' * len(wanted))})"
                 " AND counter = '*' AND staff = '*'")
        args = list(wanted)
    # One SELECT per piece, so each reads its own range of the primary key (an OR of
    # them made SQLite scan every day of the table).
    parts, params = [], []
    if months:
        parts.append(f"SELECT kind, service, bucket, n, total FROM report_hist"
                     f" WHERE period IN ({','.join('?' * len(months))}){where}")
        params += [*months, *args]
    for lo, hi in ranges:
        parts.append("SELECT kind, service, bucket, n, total FROM report_hist"
                     f" WHERE period BETWEEN ? AND ? AND length(period) = 10{where}")
        params += [lo, hi, *args]
    out: dict[tuple[str, str], Hist] = {}
    if not parts:
        return out
    for kind, service, bucket, n, total in conn.execute(
            f"SELECT kind, service, bucket, sum(n), sum(total) FROM ({' UNION ALL '.join(parts)})"
            " GROUP BY kind, service, bucket", params):
        out.setdefault((kind, service), Hist()).add_bucket(bucket, n, total)
    return out


def _grouped(rows) -> Iterator[list[Event]]:
    current: list[Event] = []
    for row in rows:
        ev = row_to_event(row)
        if current and current[0].ticket_id != ev.ticket_id:
            yield current
            current = []
        current.append(ev)
    if current:
        yield current


def active_tickets(conn: sqlite3.Connection, first_day: str, last_day: str) -> Iterator[list[Event]]:
    """Events of the tickets of branch days [first_day, last_day] that have not ended yet."""
    return _grouped(conn.execute(
        "SELECT e.* FROM ticket_events e WHERE e.ticket_id IN (SELECT id FROM tickets"
        f" WHERE state IN {ACTIVE_STATES} AND day BETWEEN ? AND ?) ORDER BY e.ticket_id, e.id",
        (first_day, last_day)))


def tickets_issued(conn: sqlite3.Connection, start: dt.datetime,
                   end: dt.datetime) -> Iterator[list[Event]]:
    """Events of the tickets issued in [start, end), one ticket at a time."""
    # Branch days are local dates within a day of the UTC dates; the day range lets
    # SQLite use the (day, number) index before checking the exact instants.
    first = (start - dt.timedelta(days=1)).date().isoformat()
    last = (end + dt.timedelta(days=1)).date().isoformat()
    return _grouped(conn.execute(
        "SELECT e.* FROM ticket_events e WHERE e.ticket_id IN (SELECT id FROM tickets"
        " WHERE day BETWEEN ? AND ? AND issued_at >= ? AND issued_at < ?) ORDER BY e.ticket_id, e.id",
        (first, last, to_db(start), to_db(end))))


def counter_events(conn: sqlite3.Connection, end: dt.datetime):
    """(counter, action, at, staff) of every counter event before ``end``, oldest first."""
    return [(r[0], r[1], from_db(r[2]), r[3]) for r in conn.execute(
        "SELECT counter_code, action, at, staff_username FROM counter_events WHERE at < ?"
        " ORDER BY id", (to_db(end),))]


def services(conn: sqlite3.Connection) -> dict[str, dict]:
    """Every service's target wait, service-level goal and names."""
    return {r[0]: {"target_wait_s": r[1], "service_level_goal": r[2], "names": json.loads(r[3])}
            for r in conn.execute("SELECT code, target_wait_s, service_level_goal, names"
                                  " FROM services ORDER BY sort, code")}


def choices(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """What the report filters offer: service, counter and staff codes with their names."""
    return {"service": {r[0]: r[0] for r in conn.execute(
                "SELECT code FROM services ORDER BY sort, code")},
            "counter": {r[0]: r[1] for r in conn.execute(
                "SELECT code, name FROM counters ORDER BY code")},
            "staff": {r[0]: r[1] for r in conn.execute(
                "SELECT username, display_name FROM staff ORDER BY display_name")}}


RAW_TICKET_COLUMNS = ["id", "number", "day", "origin_service", "service", "state", "priority",
                      "language", "issued_at", "called_at", "counter", "recalls", "outcome"]
RAW_EVENT_COLUMNS = ["id", "ticket_id", "number", "action", "at", "service", "counter", "staff",
                     "from_state", "to_state", "data"]


def _days(start: dt.datetime, end: dt.datetime) -> Iterator[str]:
    """Every date that may hold a branch day of [start, end) (a day either side of UTC)."""
    day, last = (start - dt.timedelta(days=1)).date(), (end + dt.timedelta(days=1)).date()
    while day <= last:
        yield day.isoformat()
        day += dt.timedelta(days=1)


def raw_tickets(conn: sqlite3.Connection, start: dt.datetime, end: dt.datetime) -> Iterator[tuple]:
    """Tickets issued in [start, end), one row at a time (for a streamed export).

    One branch day per query: each sorts only its own day, so memory stays flat over a year.
    """
    for day in _days(start, end):
        yield from conn.execute(
            "SELECT id, number, day, origin_service_id, service_id, state, priority, language,"
            " issued_at, called_at, counter_id, recalls, outcome FROM tickets"
            " WHERE day = ? AND issued_at >= ? AND issued_at < ? ORDER BY id",
            (day, to_db(start), to_db(end)))


def raw_events(conn: sqlite3.Connection, start: dt.datetime, end: dt.datetime) -> Iterator[tuple]:
    """Events of the tickets issued in [start, end), one row at a time, in ticket order
    (a day per query, like :func:`raw_tickets`)."""
    for day in _days(start, end):
        yield from conn.execute(
            "SELECT e.id, e.ticket_id, t.number, e.action, e.at, e.service_id, e.counter_id,"
            " e.staff_username, e.from_state, e.to_state, e.data FROM tickets t"
            " JOIN ticket_events e ON e.ticket_id = t.id"
            " WHERE t.day = ? AND t.issued_at >= ? AND t.issued_at < ? ORDER BY t.id, e.id",
            (day, to_db(start), to_db(end)))
