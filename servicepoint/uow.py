"""The SQLite unit of work: one write transaction and the reads and writes use cases need.

``with uow:`` opens ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
kiosks never read the same counter value) and commits on success, rolls back on
error. The ticket row and its event are always written inside the same block.
Hot paths use raw SQL. :class:`SqliteUnitOfWork` implements the
:class:`servicepoint.ports.UnitOfWork` protocol.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from typing import Any, Callable, Iterable, Sequence

from . import report_store, wait_store
from .db import get_setting, immediate
from .domain.hours import Hours
from .domain.kpi import SERVICE_ENDS
from .domain.model import (
    PRIORITY_RANK,
    TERMINAL_STATES,
    Action,
    Counter,
    CounterState,
    Event,
    Kiosk,
    Outcome,
    Printer,
    Priority,
    Service,
    State,
    Ticket,
)
from .domain.printing import PrinterStatus
from .domain.waits import BranchQueue, CounterNow
from .ports import HELD_NOW, Clock, NotFound, Notify, Ports, PrintJobRecord
from .servicetimes import ServiceTimeCache
from .timeutil import from_db, to_db

TICKET_COLUMNS = _TICKET_COLUMNS = (
    "id, number, service_id, day, seq, state, priority, language, issued_at, queued_at, "
    "rank_at, front, counter_id, target_counter_id, called_at, recalls, outcome"
)


# Within one service every ticket has the same weight, so the routing order
# (domain.routing.rank_key) is this index order: front first, priority class,
# longest wait, then issue order.
QUEUE_ORDER = "front DESC, prank, rank_at, id"


# Open counters serving the service ``s.code`` of the enclosing query.
OPEN_COUNTERS_SQL = ("(SELECT count(*) FROM counter_services cs JOIN counters c ON c.code ="
                     " cs.counter_code WHERE cs.service_code = s.code AND c.state = 'open')")
_SERVICE_ENDS_SQL = ",".join(f"'{a.value}'" for a in sorted(SERVICE_ENDS))


def row_to_ticket(row: sqlite3.Row) -> Ticket:
    """Build a domain Ticket from a ``tickets`` row."""
    return Ticket(
        id=row["id"], number=row["number"], service=row["service_id"], day=row["day"],
        seq=row["seq"], state=State(row["state"]), priority=Priority(row["priority"]),
        language=row["language"], issued_at=from_db(row["issued_at"]),
        queued_at=from_db(row["queued_at"]), rank_at=from_db(row["rank_at"]),
        front=bool(row["front"]), counter=row["counter_id"],
        target_counter=row["target_counter_id"], called_at=from_db(row["called_at"]),
        recalls=row["recalls"], outcome=Outcome(row["outcome"]) if row["outcome"] else None,
    )


def _rowid(cur: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote."""
    if cur.lastrowid is None:
        raise RuntimeError("the INSERT wrote no row")
    return cur.lastrowid


def row_to_service(row: sqlite3.Row) -> Service:
    """Build a domain Service from a ``services`` row."""
    hours = row["hours"]
    return Service(code=row["code"], names=json.loads(row["names"]), active=bool(row["active"]),
                   default_service_s=row["default_service_s"], target_wait_s=row["target_wait_s"],
                   weight=row["weight"], sort=row["sort"],
                   hours=Hours.from_dict(json.loads(hours)) if hours != "{}" else Hours())


def row_to_counter(row: sqlite3.Row) -> Counter:
    """Build a domain Counter from a ``counters`` row."""
    return Counter(code=row["code"], name=row["name"], state=CounterState(row["state"]),
                   staff=row["staff_username"], enabled=bool(row["enabled"]),
                   location=row["location"])


def row_to_kiosk(row: sqlite3.Row) -> Kiosk:
    """Build a domain Kiosk from a ``devices`` row joined with its printer's ``p_*`` columns."""
    printer = None
    if row["p_id"] is not None:
        printer = Printer(id=row["p_id"], status=PrinterStatus.parse(row["p_status"]),
                          enabled=bool(row["p_enabled"]))
    asks = row["asks_priority"]  # the branch's priority_question setting (JSON), if saved
    return Kiosk(code=row["code"], language=row["language"], printer=printer,
                 services=frozenset(json.loads(row["services"])) if row["services"] else None,
                 asks_priority=True if asks is None else bool(json.loads(asks)),
                 rate_per_min=row["rate_per_min"])


KIOSK_SQL = ("SELECT d.*, p.id AS p_id, p.status AS p_status, p.enabled AS p_enabled,"
             " (SELECT value FROM settings WHERE key = 'priority_question') AS asks_priority"
             " FROM devices d LEFT JOIN printers p ON p.id = d.printer_id"
             " WHERE d.code = ? AND d.kind = 'kiosk'")


def service_durations(conn: sqlite3.Connection, service: str, limit: int) -> list[float]:
    """The last ``limit`` service times of ``service`` in seconds, oldest first (from ticket_events)."""
    rows = conn.execute(
        "SELECT s.at AS started, (SELECT e.at FROM ticket_events e WHERE e.ticket_id = s.ticket_id"
        f"  AND e.id > s.id AND e.action IN ({_SERVICE_ENDS_SQL})"
        "  ORDER BY e.id LIMIT 1) AS ended"
        " FROM ticket_events s WHERE s.service_id = ? AND s.action = 'start'"
        " ORDER BY s.id DESC LIMIT ?", (service, limit)).fetchall()
    return [(from_db(r["ended"]) - from_db(r["started"])).total_seconds()
            for r in reversed(rows) if r["ended"]]


def row_to_event(row: sqlite3.Row) -> Event:
    """Build a domain Event from a ``ticket_events`` row."""
    return Event(
        ticket_id=row["ticket_id"], action=Action(row["action"]), at=from_db(row["at"]),
        service=row["service_id"],
        from_state=State(row["from_state"]) if row["from_state"] else None,
        to_state=State(row["to_state"]), counter=row["counter_id"],
        staff=row["staff_username"], data=json.loads(row["data"] or "{}"),
    )


class SqliteUnitOfWork:
    """A write transaction on ``conn`` plus the reads and writes of the queue."""

    def __init__(self, conn: sqlite3.Connection, timezone: str | None = None):
        self.conn = conn
        self._tx: Any = None
        self._timezone = timezone
        self._queue = wait_store.TransactionQueue(conn)  # the waiting queue it plays

    @property
    def timezone(self) -> str:
        """The branch's time zone (the ports' own, else the stored setting)."""
        if self._timezone is None:
            self._timezone = get_setting(self.conn, "timezone", "UTC") or "UTC"
        return self._timezone

    def __enter__(self) -> "SqliteUnitOfWork":
        if self._tx is not None:
            raise RuntimeError("a unit of work is not re-entrant")
        self._tx = immediate(self.conn, on_commit=self._queue.commit)
        self._tx.__enter__()
        try:
            self._queue.begin()
        except BaseException:
            self.__exit__(*sys.exc_info())  # roll back and let the write lock go
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        tx, self._tx = self._tx, None
        try:
            tx.__exit__(exc_type, exc, tb)
        finally:
            self._queue.end()

    # -- reference data -------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        return get_setting(self.conn, key, default)

    def service(self, code: str) -> Service:
        row = self.conn.execute("SELECT * FROM services WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise NotFound("service", code)
        return row_to_service(row)

    def open_counters(self, service: str) -> int:
        """How many open counters serve ``service`` now."""
        return self.conn.execute(f"SELECT {OPEN_COUNTERS_SQL} FROM services s WHERE s.code = ?",
                                 (service,)).fetchone()[0]

    def service_durations(self, service: str, limit: int) -> list[float]:
        return service_durations(self.conn, service, limit)

    def visit_durations(self, service: str, limit: int) -> list[float]:
        return wait_store.visit_durations(self.conn, service, limit)

    def branch_queue(self, now: dt.datetime, visits: Callable[[str], Sequence[float]],
                     with_waiting: bool = True) -> BranchQueue:
        return wait_store.branch_queue(self.conn, now, visits,
                                       self.waiting() if with_waiting else ())

    def counters_now(self, breaks: dict[str, float]) -> tuple[CounterNow, ...]:
        return wait_store.counters_now(self.conn, breaks)

    def waiting(self) -> tuple[Ticket, ...]:
        """The waiting tickets now: inside a transaction as it sees them (see
        :class:`wait_store.TransactionQueue`), else :func:`wait_store.waiting_tickets`."""
        if self._tx is None:
            return wait_store.waiting_tickets(self.conn)
        return self._queue.waiting()

    def kiosk(self, code: str) -> Kiosk | None:
        """A paired kiosk (with its printer) by its code, or None."""
        row = self.conn.execute(KIOSK_SQL, (code,)).fetchone()
        return row_to_kiosk(row) if row else None

    def counter(self, code: str) -> Counter:
        row = self.conn.execute("SELECT * FROM counters WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise NotFound("counter", code)
        return row_to_counter(row)

    def open_counters_of(self, staff: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT code FROM counters WHERE staff_username = ? AND state = 'open' ORDER BY code",
            (staff,))]

    def counter_services(self, code: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT service_code FROM counter_services WHERE counter_code = ?"
            " ORDER BY position, service_code",
            (code,))]

    def weights(self) -> dict[str, float]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT code, weight FROM services")}

    # -- tickets --------------------------------------------------------
    def next_seq(self, service: str, day: str) -> int:
        """Allocate the next per-service, per-day number (gap-free inside this transaction)."""
        return self.conn.execute(
            "INSERT INTO day_counters (service_code, day, last) VALUES (?, ?, 1) "
            "ON CONFLICT (service_code, day) DO UPDATE SET last = last + 1 RETURNING last",
            (service, day),
        ).fetchone()[0]

    def add_ticket(self, ticket: Ticket, *, public_id: str, device: str | None,
                   idempotency_key: str | None) -> Ticket:
        cur = self.conn.execute(
            "INSERT INTO tickets (public_id, number, origin_service_id, service_id, day, seq, state,"
            " priority, prank, language, issued_at, queued_at, rank_at, front, device_code,"
            " idempotency_key, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)",
            (public_id, ticket.number, ticket.service, ticket.service, ticket.day, ticket.seq,
             ticket.state.value, ticket.priority.value, PRIORITY_RANK[ticket.priority],
             ticket.language, to_db(ticket.issued_at), to_db(ticket.queued_at),
             to_db(ticket.rank_at), device, idempotency_key, to_db(ticket.issued_at)),
        )
        ticket_id = _rowid(cur)
        if ticket.state is State.WAITING:
            # As a read of its row gives it (times as stored), for the mirrored queue.
            self._queue.added(self.ticket(ticket_id))
        return ticket.replace(id=ticket_id)

    def ticket(self, ticket_id: int) -> Ticket:
        if not 0 < ticket_id < 2**63:  # SQLite integers are 64-bit; larger ids cannot exist
            raise NotFound("ticket", ticket_id)
        row = self.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = ?",
                                (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("ticket", ticket_id)
        return row_to_ticket(row)

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        row = self.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE day = ? AND number = ?",
                                (day, number)).fetchone()
        return row_to_ticket(row) if row else None

    def public_id(self, ticket_id: int) -> str:
        """The unguessable id in a ticket's tracking link."""
        row = self.conn.execute("SELECT public_id FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("ticket", ticket_id)
        return row[0]

    def ticket_by_public_id(self, public_id: str) -> Ticket | None:
        row = self.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE public_id = ?",
                                (public_id,)).fetchone()
        return row_to_ticket(row) if row else None

    def ticket_by_idempotency_key(self, key: str) -> Ticket | None:
        row = self.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE idempotency_key = ?",
                                (key,)).fetchone()
        return row_to_ticket(row) if row else None

    def origin_service(self, ticket_id: int) -> str:
        row = self.conn.execute("SELECT origin_service_id FROM tickets WHERE id = ?",
                                (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("ticket", ticket_id)
        return row[0]

    def has_event(self, ticket_id: int, action: str) -> bool:
        """Whether ``ticket_id``'s history holds an ``action`` event."""
        return self.conn.execute("SELECT 1 FROM ticket_events WHERE ticket_id = ? AND action = ?",
                                 (ticket_id, action)).fetchone() is not None

    def save_ticket(self, ticket: Ticket, expected_state: State, at: dt.datetime) -> None:
        """Write the ticket's new state; refuses (RuntimeError) if someone changed it meanwhile."""
        cur = self.conn.execute(
            "UPDATE tickets SET service_id=?, state=?, front=?, counter_id=?, target_counter_id=?,"
            " called_at=?, recalls=?, outcome=?, queued_at=?, rank_at=?, updated_at=?"
            " WHERE id=? AND state=?",
            (ticket.service, ticket.state.value, int(ticket.front), ticket.counter,
             ticket.target_counter, to_db(ticket.called_at), ticket.recalls,
             ticket.outcome.value if ticket.outcome else None, to_db(ticket.queued_at),
             to_db(ticket.rank_at), to_db(at), ticket.id, expected_state.value),
        )
        if cur.rowcount != 1:
            raise RuntimeError(f"ticket {ticket.id} changed concurrently")

    def add_event(self, event: Event) -> int:
        """Append an event; one that ends a ticket (or rates it) also updates the report
        summaries, in the same transaction (docs/architecture.md, *Reports*)."""
        event_id = _rowid(self.conn.execute(
            "INSERT INTO ticket_events (ticket_id, action, at, service_id, counter_id,"
            " staff_username, from_state, to_state, data) VALUES (?,?,?,?,?,?,?,?,?)",
            (event.ticket_id, event.action.value, to_db(event.at), event.service, event.counter,
             event.staff, event.from_state.value if event.from_state else None,
             event.to_state.value, json.dumps(event.data, separators=(",", ":"))),
        ))
        if event.action == Action.RATE:
            report_store.record_rating(self.conn, event, self.timezone)
        elif event.to_state in TERMINAL_STATES and event.ticket_id is not None:
            report_store.record_ticket(self.conn, event.ticket_id, self.timezone)
        return event_id

    def head_of_queues(self, services: Iterable[str], counter: str) -> list[Ticket]:
        """The first waiting ticket of each service plus the first one sent to ``counter``.

        Within one service every ticket has the same weight, so the routing order
        equals the index order and only each queue's head can win.
        """
        heads = []
        for svc in services:
            row = self.conn.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE state='waiting' AND service_id=?"
                f" AND target_counter_id IS NULL ORDER BY {QUEUE_ORDER} LIMIT 1",
                (svc,)).fetchone()
            if row:
                heads.append(row_to_ticket(row))
        # Tickets sent to this counter: the head of each service among them, so that
        # routing can weigh services against each other here too.
        seen = set()
        for row in self.conn.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE state='waiting' AND target_counter_id=?"
                f" ORDER BY service_id, {QUEUE_ORDER}", (counter,)):
            if row["service_id"] not in seen:
                seen.add(row["service_id"])
                heads.append(row_to_ticket(row))
        return heads

    def held_by(self, counter: str, states: Iterable[State] = HELD_NOW) -> list[Ticket]:
        values = [s.value for s in states]
        marks = ",".join("?" * len(values))
        return [row_to_ticket(r) for r in self.conn.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE counter_id=? AND state IN ({marks})"
            " ORDER BY called_at", (counter, *values))]

    def people_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int:
        """Waiting tickets of the same service that routing would call before ``ticket``.

        ``just_issued``: the ticket was inserted in this transaction, so for a normal
        one every other ticket in its open queue is ahead of it (they all waited
        longer or rank higher) and the maintained queue count answers at once.
        """
        if just_issued and ticket.priority == Priority.NORMAL and not ticket.front:
            row = self.conn.execute("SELECT waiting FROM queue_counts WHERE service_id = ?",
                                    (ticket.service,)).fetchone()
            if row is not None:
                return max(0, row[0] - 1)
        prank = PRIORITY_RANK[ticket.priority]
        return self.conn.execute(
            "SELECT count(*) FROM tickets WHERE state='waiting' AND service_id=?"
            " AND target_counter_id IS NULL AND id != ? AND ("
            "  front > ? OR (front = ? AND (prank < ? OR (prank = ? AND"
            "  (rank_at < ? OR (rank_at = ? AND id < ?))))))",
            (ticket.service, ticket.id, int(ticket.front), int(ticket.front), prank, prank,
             to_db(ticket.rank_at), to_db(ticket.rank_at), ticket.id),
        ).fetchone()[0]

    def open_tickets_before(self, day: str) -> list[Ticket]:
        """Waiting, called or parked tickets of branch days before ``day``."""
        return [row_to_ticket(r) for r in self.conn.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE state IN ('waiting','called','parked')"
            " AND day < ?", (day,))]

    # -- counters -------------------------------------------------------
    def set_counter_state(self, code: str, state: CounterState, at: dt.datetime,
                          staff: str | None, action: str, reason: str | None = None) -> None:
        self.conn.execute("UPDATE counters SET state=?, staff_username=?, changed_at=? WHERE code=?",
                          (CounterState(state).value, staff, to_db(at), code))
        self.conn.execute(
            "INSERT INTO counter_events (counter_code, action, at, staff_username, reason)"
            " VALUES (?,?,?,?,?)", (code, action, to_db(at), staff, reason))

    # -- printing -------------------------------------------------------
    def add_print_job(self, *, ticket_id: int | None, printer_id: int, payload: dict,
                      at: dt.datetime, kind: str = "ticket", state: str = "pending",
                      error: str | None = None) -> int:
        return _rowid(self.conn.execute(
            "INSERT INTO print_jobs (ticket_id, printer_id, kind, state, payload, error,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (ticket_id, printer_id, kind, state, json.dumps(payload, default=str), error,
             to_db(at), to_db(at)),
        ))

    def first_print_job(self, ticket_id: int) -> PrintJobRecord | None:
        """The print job queued when the ticket was issued, or None."""
        row = self.conn.execute("SELECT id, state, error FROM print_jobs WHERE ticket_id = ?"
                                " ORDER BY id LIMIT 1", (ticket_id,)).fetchone()
        return PrintJobRecord(row["id"], row["state"], row["error"]) if row else None


def sqlite_ports(conn: sqlite3.Connection, clock: Clock, *, notify: Notify | None = None,
                 stats: ServiceTimeCache | None = None, timezone: str = "UTC") -> Ports:
    """Use-case ports whose units of work run on ``conn``."""
    return Ports(uow=lambda: SqliteUnitOfWork(conn, timezone), clock=clock,
                 **({"notify": notify} if notify is not None else {}),
                 stats=stats if stats is not None else ServiceTimeCache(), timezone=timezone)


__all__ = ["NotFound", "SqliteUnitOfWork", "sqlite_ports", "row_to_ticket", "row_to_event",
           "OPEN_COUNTERS_SQL", "QUEUE_ORDER"]
