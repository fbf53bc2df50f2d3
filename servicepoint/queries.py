"""Read models: what the screens and the API show, read straight from SQLite.

The write side (use cases and their unit of work) changes the queue; this
module only reads it, for the kiosk, counter, display and manager faces, the
tracking page and the JSON API alike, so each screen-sized question is asked
in one place. Nothing here writes or decides a queue rule: the rules come from
``servicepoint.domain`` (estimates, the board's active calls).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sqlite3
from typing import Any, Mapping

from . import wait_store
from .db import get_setting
from .domain import estimate as est
from .domain import lifecycle, waits
from .domain.model import HELD_STATES, Counter, Kiosk, Service, State, Ticket
from .domain.printing import PrinterStatus
from .servicetimes import ServiceTimeCache
from .timeutil import from_db, to_db
from .uow import (
    KIOSK_SQL,
    OPEN_COUNTERS_SQL,
    SqliteUnitOfWork,
    row_to_counter,
    row_to_kiosk,
    row_to_service,
    row_to_ticket,
)
from .wait_store import visit_durations

_TICKETS = "SELECT * FROM tickets"


# -- reference data -------------------------------------------------------------

def setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """A branch setting (JSON-decoded), or ``default``."""
    return get_setting(conn, key, default)


def services(conn: sqlite3.Connection) -> list[Service]:
    """Every service, active or not, in display order."""
    return [row_to_service(r) for r in conn.execute("SELECT * FROM services ORDER BY sort, code")]


def service(conn: sqlite3.Connection, code: str) -> Service | None:
    """Service ``code``, or None."""
    row = conn.execute("SELECT * FROM services WHERE code = ?", (code,)).fetchone()
    return row_to_service(row) if row else None


def counter(conn: sqlite3.Connection, code: str) -> Counter | None:
    """Counter ``code``, or None."""
    row = conn.execute("SELECT * FROM counters WHERE code = ?", (code,)).fetchone()
    return row_to_counter(row) if row else None


def counters(conn: sqlite3.Connection) -> list[Counter]:
    """Every counter by code."""
    return [row_to_counter(r) for r in conn.execute("SELECT * FROM counters ORDER BY code")]


def counter_services(conn: sqlite3.Connection, code: str) -> list[str]:
    """The codes of the services counter ``code`` serves."""
    return SqliteUnitOfWork(conn).counter_services(code)


def kiosk(conn: sqlite3.Connection, code: str) -> Kiosk | None:
    """Paired kiosk ``code`` with its printer's last status, or None."""
    row = conn.execute(KIOSK_SQL, (code,)).fetchone()
    return row_to_kiosk(row) if row else None


def kiosk_rate(conn: sqlite3.Connection, code: str) -> int | None:
    """Kiosk ``code``'s own tickets-per-minute limit, or None for the server's default."""
    row = conn.execute("SELECT rate_per_min FROM devices WHERE code = ? AND kind = 'kiosk'",
                       (code,)).fetchone()
    return row[0] if row else None


@dataclasses.dataclass(frozen=True)
class Display:
    """A paired lobby display as configured in setup.

    ``services`` and ``counters`` it covers (None = all), ``languages`` in order
    (the first is the board's; announcements are made in each), ``orientation``
    (``landscape`` or ``portrait``) and the ``message`` line (empty = none).
    """

    code: str
    language: str
    services: frozenset[str] | None
    counters: frozenset[str] | None = None
    languages: tuple[str, ...] = ()
    orientation: str = "landscape"
    message: str = ""

    def lists(self, service: str) -> bool:
        """Whether the board lists ``service``'s queue and its calls."""
        return self.services is None or service in self.services

    def covers(self, counter: str | None) -> bool:
        """Whether the board shows calls to ``counter``."""
        return self.counters is None or counter in self.counters

    def shows_call(self, service: str, counter: str | None) -> bool:
        """Whether a call of a ``service`` ticket to ``counter`` appears on this board."""
        return self.lists(service) and self.covers(counter)


def display(conn: sqlite3.Connection, code: str) -> Display | None:
    """Paired display ``code``, or None."""
    row = conn.execute("SELECT * FROM devices WHERE code = ? AND kind = 'display'",
                       (code,)).fetchone()
    if row is None:
        return None
    languages = tuple(json.loads(row["languages"])) if row["languages"] else (row["language"],)
    return Display(row["code"], languages[0],
                   frozenset(json.loads(row["services"])) if row["services"] else None,
                   frozenset(json.loads(row["counters"])) if row["counters"] else None,
                   languages, row["orientation"] or "landscape", row["message"] or "")


# -- tickets --------------------------------------------------------------------

def ticket(conn: sqlite3.Connection, ticket_id: int) -> Ticket:
    """Ticket ``ticket_id``; raises :class:`~servicepoint.ports.NotFound`."""
    return SqliteUnitOfWork(conn).ticket(ticket_id)


def ticket_by_public_id(conn: sqlite3.Connection, public_id: str) -> Ticket | None:
    """The ticket behind a tracking link, or None."""
    return SqliteUnitOfWork(conn).ticket_by_public_id(public_id)


def idempotency_key_used(conn: sqlite3.Connection, key: str | None) -> bool:
    """True when ``key`` already issued a ticket (a double tap or a resubmitted form)."""
    return key is not None and conn.execute("SELECT 1 FROM tickets WHERE idempotency_key = ?",
                                            (key,)).fetchone() is not None


def public_id(conn: sqlite3.Connection, ticket_id: int) -> str:
    """The unguessable id in a ticket's tracking link."""
    return SqliteUnitOfWork(conn).public_id(ticket_id)


def people_ahead(conn: sqlite3.Connection, ticket: Ticket) -> int:
    """Waiting tickets routing would call before ``ticket`` in its service."""
    return SqliteUnitOfWork(conn).people_ahead(ticket)


def branch_queue(conn: sqlite3.Connection, stats: ServiceTimeCache,
                 now: dt.datetime) -> waits.BranchQueue:
    """The branch's queue at ``now`` as the wait estimate reads it (recent visits cached)."""
    load = functools.partial(visit_durations, conn)
    return wait_store.branch_queue(conn, now, lambda s: stats.recent(s, now, load))


def waiting_view(conn: sqlite3.Connection, stats: ServiceTimeCache, now: dt.datetime,
                 ticket: Ticket, queue: waits.BranchQueue | None = None,
                 ) -> tuple[int | None, est.WaitEstimate | None]:
    """People ahead of a waiting ticket and the wait it is shown; (None, None) otherwise.

    ``queue``: the branch queue already read for this moment (the live streams read it
    once for every tracked ticket)."""
    if ticket.state != State.WAITING:
        return None, None
    ahead = SqliteUnitOfWork(conn).people_ahead(ticket)
    return ahead, waits.estimate(queue or branch_queue(conn, stats, now), ticket)


def tickets_by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[Ticket]:
    """The tickets with these ids (unknown ids are left out), in one query."""
    from .uow import TICKET_COLUMNS

    marks = ",".join("?" * len(ids))
    return [row_to_ticket(r) for r in conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({marks})", ids)] if ids else []


def held_tickets(conn: sqlite3.Connection, code: str) -> list[Ticket]:
    """The tickets counter ``code`` holds (called, serving, parked), in call order."""
    return SqliteUnitOfWork(conn).held_by(code, HELD_STATES)


# -- counters overview -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CounterOverview:
    """A counter as the dashboards show it: state, staff, services and the tickets it holds."""

    counter: Counter
    services: list[str]
    tickets: list[Ticket]  # called, serving and parked, in call order

    @property
    def current(self) -> Ticket | None:
        """The called or serving ticket, if any."""
        return next((t for t in self.tickets if t.state in (State.CALLED, State.SERVING)), None)

    @property
    def parked(self) -> list[Ticket]:
        return [t for t in self.tickets if t.state == State.PARKED]


def counters_overview(conn: sqlite3.Connection) -> list[CounterOverview]:
    """Every counter with its services and held tickets (three queries, whatever the count)."""
    served: dict[str, list[str]] = {}
    for c, s in conn.execute("SELECT counter_code, service_code FROM counter_services"
                             " ORDER BY counter_code, service_code"):
        served.setdefault(c, []).append(s)
    held: dict[str, list[Ticket]] = {}
    marks = ",".join("?" * len(HELD_STATES))
    for row in conn.execute(f"{_TICKETS} WHERE counter_id IS NOT NULL AND state IN ({marks})"
                            " ORDER BY called_at", [s.value for s in sorted(HELD_STATES)]):
        held.setdefault(row["counter_id"], []).append(row_to_ticket(row))
    return [CounterOverview(c, served.get(c.code, []), held.get(c.code, []))
            for c in counters(conn)]


# -- queues -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class QueueCount:
    """How many wait in one service, counted the way routing calls them.

    ``waiting`` are in the service's open queue: any counter serving it may call
    them, and a new arrival lines up behind them. ``reserved`` are waiting tickets
    transferred to a named counter (by counter): only that counter may call them,
    so they are never in the open count (docs/architecture.md, *The ticket lifecycle*).
    ``oldest_at`` is when the open queue's longest wait began.
    """

    service: str
    waiting: int = 0
    reserved: Mapping[str, int] = dataclasses.field(default_factory=dict)
    oldest_at: dt.datetime | None = None

    @property
    def reserved_total(self) -> int:
        return sum(self.reserved.values())

    def for_counter(self, code: str, serves: bool) -> int:
        """What counter ``code`` may call of this service: the open queue when it serves
        the service, plus what was sent to it by name."""
        return (self.waiting if serves else 0) + self.reserved.get(code, 0)


def queue_counts(conn: sqlite3.Connection) -> dict[str, QueueCount]:
    """Every service's :class:`QueueCount` — the one count every screen and the API show.

    The open count is the trigger-maintained ``queue_counts`` row; reserved
    tickets are read through their own small index.
    """
    reserved: dict[str, dict[str, int]] = {}
    for service, counter_code, n in conn.execute(
            "SELECT service_id, target_counter_id, count(*) FROM tickets"
            " WHERE state = 'waiting' AND target_counter_id IS NOT NULL"
            " GROUP BY service_id, target_counter_id"):
        reserved.setdefault(service, {})[counter_code] = n
    out = {}
    for r in conn.execute(
            "SELECT s.code, coalesce(q.waiting, 0) AS waiting, (SELECT min(t.queued_at)"
            " FROM tickets t WHERE t.state = 'waiting' AND t.service_id = s.code"
            " AND t.target_counter_id IS NULL) AS oldest"
            " FROM services s LEFT JOIN queue_counts q ON q.service_id = s.code"):
        out[r["code"]] = QueueCount(r["code"], r["waiting"], reserved.get(r["code"], {}),
                                    from_db(r["oldest"]))
    return out


def waiting_for_counter(conn: sqlite3.Connection, code: str) -> int:
    """How many waiting tickets counter ``code`` may call now (what call-next chooses from)."""
    served = set(counter_services(conn, code))
    return sum(q.for_counter(code, q.service in served) for q in queue_counts(conn).values())


def queue_overview(conn: sqlite3.Connection, stats: ServiceTimeCache, now: dt.datetime,
                   language: str = "en", queue: waits.BranchQueue | None = None) -> list[dict]:
    """Per active service (the API's ``/queue`` items): ``waiting`` in the open queue,
    ``reserved`` for named counters (apart, see :class:`QueueCount`), the wait a new
    arrival would be shown, open counters, the longest wait now and the target."""
    counts = queue_counts(conn)
    rows = conn.execute(f"SELECT s.*, {OPEN_COUNTERS_SQL} AS open_counters FROM services s"
                        " WHERE s.active ORDER BY s.sort, s.code").fetchall()
    queue = queue or branch_queue(conn, stats, now)
    out = []
    for r in rows:
        svc = row_to_service(r)
        count = counts.get(svc.code, QueueCount(svc.code))
        estimate = waits.estimate(queue, waits.newcomer(svc.code, now))
        oldest = count.oldest_at
        out.append({
            "service": svc.code,
            "name": svc.name(language),
            "waiting": count.waiting,
            "reserved": count.reserved_total,
            "open_counters": r["open_counters"],
            "longest_wait_s": max(0, int((now - oldest).total_seconds())) if oldest else 0,
            "target_wait_s": svc.target_wait_s,
            **estimate.as_dict(),
        })
    return out


# -- the lobby board ---------------------------------------------------------------

def recent_calls(conn: sqlite3.Connection, since: dt.datetime, limit: int = 6,
                 board: Display | None = None, language: str = "en") -> list[dict]:
    """The last ``limit`` tickets called or recalled since ``since``, newest call first.

    Only calls ``board`` shows (its services and counters; every call without a
    board). Each has ``key`` (the event id, so a recall is a new announcement),
    ``number``, ``counter``, ``counter_name``, ``location`` (the counter's location
    text), ``service``, ``service_name`` (in ``language``), ``language``,
    ``action``, ``at`` and ``active`` (the domain's
    :func:`~servicepoint.domain.lifecycle.call_is_active`). Only numbers, services
    and counters leave here — never personal data.
    """
    where, args = ["e.action IN ('call', 'recall')", "e.at >= ?"], [to_db(since)]
    limits = ((("e.service_id", board.services), ("e.counter_id", board.counters))
              if board is not None else ())
    for column, allowed in limits:
        if allowed is not None:
            where.append(f"{column} IN ({','.join('?' * len(allowed))})")
            args.extend(sorted(allowed))
    rows = conn.execute(
        "SELECT e.id, e.action, e.at, e.counter_id, e.service_id, t.id AS ticket_id, t.number,"
        " t.language, t.state, t.counter_id AS holder, c.name AS counter_name,"
        " c.location, s.names AS service_names"
        " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
        " LEFT JOIN counters c ON c.code = e.counter_id"
        " LEFT JOIN services s ON s.code = e.service_id"
        f" WHERE {' AND '.join(where)} ORDER BY e.id DESC LIMIT ?",
        (*args, limit * 8)).fetchall()
    seen: set[int] = set()
    calls = []
    for r in rows:
        if r["ticket_id"] in seen:
            continue
        seen.add(r["ticket_id"])
        names = json.loads(r["service_names"]) if r["service_names"] else {}
        calls.append({
            "key": r["id"], "number": r["number"], "counter": r["counter_id"],
            "counter_name": r["counter_name"] or r["counter_id"],
            "location": r["location"] or "", "service": r["service_id"],
            "service_name": names.get(language) or names.get("en") or r["service_id"],
            "language": r["language"], "action": r["action"], "at": from_db(r["at"]),
            "active": lifecycle.call_is_active(State(r["state"]), r["holder"], r["counter_id"]),
        })
        if len(calls) >= limit:
            break
    return calls


# Calls the displays announce. Each call and each recall is one event with its own
# id, so a recall is a new announcement and the ids (AUTOINCREMENT, so they only
# grow) are a cursor a display resumes from without missing or repeating one.
_CALL_EVENTS = ("SELECT e.id, e.action, e.at, e.service_id, e.counter_id, t.number, c.spoken"
                " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
                " LEFT JOIN counters c ON c.code = e.counter_id"
                " WHERE e.action IN ('call', 'recall')")


@dataclasses.dataclass(frozen=True)
class CallEvent:
    """One call (or recall) of ticket ``number`` to ``counter``: no personal data."""

    id: int
    action: str
    at: dt.datetime
    number: str
    service: str
    counter: str
    # The counter's spoken name per language, from setup (may be empty).
    spoken: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _call_event(row: sqlite3.Row) -> CallEvent:
    at = from_db(row["at"])
    assert at is not None  # ticket_events.at is NOT NULL
    return CallEvent(row["id"], row["action"], at, row["number"], row["service_id"],
                     row["counter_id"] or "", json.loads(row["spoken"] or "{}"))


def latest_event_id(conn: sqlite3.Connection) -> int:
    """The newest event id of any kind (0 when there is none): where a new display starts."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM ticket_events").fetchone()[0]


def calls_after(conn: sqlite3.Connection, after: int, since: dt.datetime,
                limit: int) -> list[CallEvent]:
    """Calls and recalls with an id above ``after`` made at or after ``since``, oldest first;
    at most ``limit`` (ask again from the last id for more)."""
    rows = conn.execute(_CALL_EVENTS + " AND e.id > ? AND e.at >= ? ORDER BY e.id LIMIT ?",
                        (after, to_db(since), limit)).fetchall()
    return [_call_event(r) for r in rows]


def call_event(conn: sqlite3.Connection, event_id: int) -> CallEvent | None:
    """Call or recall event ``event_id``, or None when there is no such call."""
    row = conn.execute(_CALL_EVENTS + " AND e.id = ?", (event_id,)).fetchone()
    return _call_event(row) if row else None


# -- printers and operations ----------------------------------------------------------

def printers(conn: sqlite3.Connection) -> list[dict]:
    """Enabled printers with their last status (``id``, ``name``, ``status``, ``status_detail``,
    ``status_at``), in the order they were added."""
    return [dict(r) for r in conn.execute(
        "SELECT id, name, status, status_detail, status_at FROM printers WHERE enabled"
        " ORDER BY id")]


def printer_problems(rows: list[dict]) -> list[str]:
    """Names of the printers among ``rows`` that cannot print a ticket now."""
    return [p["name"] for p in rows if not PrinterStatus.parse(p["status"]).printable]


def counts_for_metrics(conn: sqlite3.Connection, day: str) -> dict[str, Any]:
    """What ``/metrics`` reports: services, tickets issued on ``day``, waiting per service
    (the open queue) and reserved for a named counter (apart; see :class:`QueueCount`),
    print jobs per state."""
    counts = queue_counts(conn)
    return {
        "services": [r[0] for r in conn.execute("SELECT code FROM services ORDER BY code")],
        "issued": dict(conn.execute("SELECT origin_service_id, count(*) FROM tickets WHERE day = ?"
                                    " GROUP BY origin_service_id", (day,)).fetchall()),
        "waiting": {code: q.waiting for code, q in counts.items()},
        "reserved": {code: q.reserved_total for code, q in counts.items()},
        "jobs": dict(conn.execute("SELECT state, count(*) FROM print_jobs GROUP BY state").fetchall()),
    }


def database_check(conn: sqlite3.Connection) -> str:
    """Reads the tickets table (raises if the database is unusable); returns the journal mode."""
    conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchall()
    return conn.execute("PRAGMA journal_mode").fetchone()[0]
