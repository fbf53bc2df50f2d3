"""Writes of the report summaries (docs/architecture.md, *Reports*).

``ticket_events`` stays the one record of facts; ``report_hours`` and
``report_hist`` are sums derived from it. :func:`record_ticket` adds a ticket in
the transaction that ends it, :func:`record_rating` adds a later rating, and
:func:`rebuild` recomputes everything from the events.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict

from . import uow
from .db import get_setting
from .domain.model import Event
from .domain.summary import (
    FIELDS,
    MAXIMA,
    TicketSummary,
    Totals,
    add_rating,
    bucket_of,
    rating_key,
    summarise_ticket,
)
from .timeutil import zone

_COLS = ", ".join(FIELDS)
_UPSERT_HOURS = (
    f"INSERT INTO report_hours (day, hour, service, counter, staff, {_COLS}) VALUES"
    f" (?, ?, ?, ?, ?, {', '.join('?' * len(FIELDS))})"
    " ON CONFLICT (day, hour, service, counter, staff) DO UPDATE SET "
    + ", ".join(f"{f} = max({f}, excluded.{f})" if f in MAXIMA else f"{f} = {f} + excluded.{f}"
                for f in FIELDS))
_UPSERT_HIST = (
    "INSERT INTO report_hist (period, kind, service, counter, staff, bucket, n, total)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (period, kind, service, counter, staff, bucket)"
    " DO UPDATE SET n = n + excluded.n, total = total + excluded.total")

HourKey = tuple[str, int, str, str, str]
# The counter and staff of a histogram row that sums every counter and staff member.
ALL = "*"
HistKey = tuple[str, str, str, str, str, int]


class Batch:
    """Ticket summaries added up in memory, then written with one upsert per row."""

    def __init__(self, timezone: str):
        self.tz = zone(timezone)
        self.hours: dict[HourKey, Totals] = defaultdict(Totals)
        self.hist: dict[HistKey, list[float]] = {}
        self.tickets = 0

    def add(self, s: TicketSummary) -> None:
        """Add one ticket's summary at its local day and hour of issue."""
        local = s.issued_at.astimezone(self.tz)
        day, hour = local.date().isoformat(), local.hour
        month = day[:7]
        for key, t in s.totals.items():
            self.hours[(day, hour, *key)].add(t)
        for kind, values in (("wait", s.waits), ("service", s.services)):
            for key, seconds in values:
                seconds = max(0.0, seconds)
                b = bucket_of(seconds)
                # Each value also counts in its service's "*" row (every counter and
                # staff member), which reports without those filters read alone.
                for period in (day, month):
                    for counter, staff in ((key[1], key[2]), (ALL, ALL)):
                        cell = self.hist.setdefault((period, kind, key[0], counter, staff, b),
                                                    [0, 0.0])
                        cell[0] += 1
                        cell[1] += seconds
        self.tickets += 1

    def write(self, conn: sqlite3.Connection) -> None:
        """Add the batch into the summary tables (inside the caller's transaction) and empty it."""
        conn.executemany(_UPSERT_HOURS, ((*k, *t.values()) for k, t in self.hours.items()))
        conn.executemany(_UPSERT_HIST, ((*k, int(v[0]), v[1]) for k, v in self.hist.items()))
        self.hours.clear()
        self.hist.clear()


def targets(conn: sqlite3.Connection) -> dict[str, float]:
    """Each service's target wait in seconds."""
    return {r[0]: r[1] for r in conn.execute("SELECT code, target_wait_s FROM services")}


def ticket_events(conn: sqlite3.Connection, ticket_id: int) -> list[Event]:
    """One ticket's events, oldest first."""
    return [uow.row_to_event(r) for r in conn.execute(
        "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,))]


def record_ticket(conn: sqlite3.Connection, ticket_id: int, timezone: str) -> None:
    """Add a ticket that just reached its end state (call inside the ending transaction)."""
    summary = summarise_ticket(ticket_events(conn, ticket_id), targets(conn))
    if summary is not None:
        batch = Batch(timezone)
        batch.add(summary)
        batch.write(conn)


def record_rating(conn: sqlite3.Connection, event: Event, timezone: str) -> None:
    """Add a rating given after the visit ended (call inside the rating's transaction)."""
    events = ticket_events(conn, event.ticket_id or 0)
    if not events:
        return
    t = Totals()
    add_rating(t, event.data)
    summary = TicketSummary(event.ticket_id, events[0].at, {rating_key(events): t}, [], [])
    batch = Batch(timezone)
    batch.add(summary)
    batch.write(conn)


def rebuild(conn: sqlite3.Connection, *, database: str | None = None, workers: int = 1) -> int:
    """Recompute every summary from ``ticket_events``; returns how many tickets it read.

    Runs inside the caller's transaction (the CLI's ``BEGIN IMMEDIATE``, or a migration's),
    in SQL (``report_rebuild``) with the same rules as :func:`record_ticket`; with the
    database's path, ``workers`` processes compute the months side by side.
    """
    from .report_rebuild import rebuild_sql

    return rebuild_sql(conn, get_setting(conn, "timezone", "UTC") or "UTC",
                       database=database, workers=workers)
