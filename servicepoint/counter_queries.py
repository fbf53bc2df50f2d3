"""Reads for the counter screen: who this counter may call, its day so far, its break.

Like :mod:`servicepoint.queries` (whose queue counts these build on) it only
reads; the order of the waiting list is routing's (``servicepoint.domain.routing``),
and the figures are the domain's KPIs (``servicepoint.domain.kpi.counter_day``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

from .domain import kpi, routing
from .domain.model import Ticket
from .queries import counter_services, queue_counts
from .timeutil import from_db
from .uow import QUEUE_ORDER, TICKET_COLUMNS, SqliteUnitOfWork, row_to_event, row_to_ticket


@dataclasses.dataclass(frozen=True)
class WaitingList:
    """The first ``tickets`` this counter may call, in the order call-next would take them.

    ``total`` is how many it may call in all (open queues of its services plus
    tickets sent to it by name); ``elsewhere`` how many of its services' tickets
    were sent to other counters by name (shown apart: it cannot call them).
    """

    tickets: list[Ticket]
    total: int
    elsewhere: int


def waiting_list(conn: sqlite3.Connection, code: str, now: dt.datetime,
                 limit: int = 8) -> WaitingList:
    """What counter ``code`` may call, routing's order first (at most ``limit`` tickets).

    Within one service the routing order is the index order, so reading the
    first ``limit`` of each open queue and of the tickets sent here is enough.
    """
    services = counter_services(conn, code)
    candidates: list[Ticket] = []
    for svc in services:
        candidates += [row_to_ticket(r) for r in conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'waiting' AND service_id = ?"
            f" AND target_counter_id IS NULL ORDER BY {QUEUE_ORDER} LIMIT ?", (svc, limit))]
    candidates += [row_to_ticket(r) for r in conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'waiting'"
        f" AND target_counter_id = ? ORDER BY {QUEUE_ORDER} LIMIT ?", (code, limit))]
    weights = SqliteUnitOfWork(conn).weights()
    ordered = routing.order(candidates, now, weights)[:limit]
    counts = queue_counts(conn).values()
    served = set(services)
    return WaitingList(
        tickets=ordered,
        total=sum(q.for_counter(code, q.service in served) for q in counts),
        elsewhere=sum(n for q in counts if q.service in served
                      for c, n in q.reserved.items() if c != code))


def counter_day(conn: sqlite3.Connection, code: str, day: str) -> kpi.CounterDay:
    """Counter ``code``'s figures for branch day ``day`` (tickets issued that day)."""
    rows = conn.execute(
        "SELECT e.* FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id"
        " WHERE t.day = ? ORDER BY e.id", (day,)).fetchall()
    return kpi.counter_day([row_to_event(r) for r in rows], code)


@dataclasses.dataclass(frozen=True)
class CounterMove:
    """The counter's last move (``open``, ``close``, ``break``, ``resume``): when, by whom, why."""

    action: str
    at: dt.datetime
    staff: str | None
    reason: str | None


def last_move(conn: sqlite3.Connection, code: str) -> CounterMove | None:
    """Counter ``code``'s latest open/close/break/resume, or None if it never moved."""
    row = conn.execute("SELECT action, at, staff_username, reason FROM counter_events"
                       " WHERE counter_code = ? ORDER BY id DESC LIMIT 1", (code,)).fetchone()
    if row is None:
        return None
    return CounterMove(row["action"], from_db(row["at"]), row["staff_username"], row["reason"])


@dataclasses.dataclass(frozen=True)
class TicketWhere:
    """Where a ticket is now and who last acted on it, to explain a refusal in plain words."""

    number: str
    state: str
    counter: str | None  # the counter holding it now, or the one that last acted on it
    target: str | None  # a waiting ticket sent to a named counter


def ticket_where(conn: sqlite3.Connection, ticket_id: int) -> TicketWhere | None:
    """Ticket ``ticket_id``'s state and the counter it is with (or was last with), or None."""
    row = conn.execute(
        "SELECT t.number, t.state, t.counter_id, t.target_counter_id,"
        " (SELECT e.counter_id FROM ticket_events e WHERE e.ticket_id = t.id"
        "  AND e.counter_id IS NOT NULL ORDER BY e.id DESC LIMIT 1) AS last_counter"
        " FROM tickets t WHERE t.id = ?", (ticket_id,)).fetchone()
    if row is None:
        return None
    return TicketWhere(row["number"], row["state"], row["counter_id"] or row["last_counter"],
                       row["target_counter_id"])


def ticket_id_by_number(conn: sqlite3.Connection, day: str, number: str) -> int | None:
    """The id of today's ticket ``number``, or None."""
    row = conn.execute("SELECT id FROM tickets WHERE day = ? AND number = ?",
                       (day, number.strip().upper())).fetchone()
    return row[0] if row else None


def live_version(conn: sqlite3.Connection) -> int:
    """A number that grows with every ticket or counter event: how new a counter screen is.

    Read before the rest of a screen, so whatever the screen shows is at least this new;
    the page then refuses a slower refresh that is older than what it already shows.
    """
    return conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM ticket_events)"
                        " + (SELECT coalesce(max(id), 0) FROM counter_events)").fetchone()[0]
