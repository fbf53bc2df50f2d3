"""The waiting queue kept between reads (queue revision, m014) and the arrivals counted
per minute: both must give exactly what reading every row gives (servicepoint.wait_store)."""
from __future__ import annotations

import datetime as dt
import random
import sqlite3

from servicepoint import wait_store
from servicepoint.db import connect
from servicepoint.domain import waits
from servicepoint.timeutil import from_db, to_db
from servicepoint.uow import TICKET_COLUMNS, row_to_ticket
from servicepoint.usecases import act, call_next, issue_ticket, set_counter
from servicepoint.usecases.issuing import branch_context
from tests.fixtures import T0


def fresh_waiting(conn: sqlite3.Connection) -> list:
    """The waiting tickets, by id, as their rows give them."""
    return [row_to_ticket(r) for r in conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'waiting' ORDER BY id")]


def by_id(tickets) -> list:
    return sorted(tickets, key=lambda t: t.id)


def serve_next(ports):
    """Counter 1 finishes whom it serves, calls the next ticket and starts serving it."""
    called = call_next(ports, counter="1", finish_current=True)
    assert called is not None
    return act(ports, ticket_id=called.id, action="start", counter="1")


def test_arrivals_per_minute_match_a_count_of_the_tickets(ports, clock):
    rng = random.Random(8)
    start = T0.replace(hour=9, minute=0, second=0, microsecond=0)
    moments = sorted(start + dt.timedelta(seconds=rng.uniform(0, 5400)) for _ in range(120))
    for moment in moments:
        clock.set(moment)
        issue_ticket(ports, service=rng.choice("ABC"), staff="reception",
                     priority=rng.choice(["normal", "normal", "priority"]))
    conn = ports.conn
    rows = conn.execute("SELECT issued_at, origin_service_id, priority FROM tickets"
                        " WHERE issued_at >= ?", (to_db(start),)).fetchall()
    assert len(rows) == 120
    for _ in range(60):
        until = moments[-1] + dt.timedelta(seconds=rng.uniform(0, 120))
        since = until - dt.timedelta(seconds=rng.uniform(30, 5400))
        expected: dict[str, tuple[int, int]] = {}
        for issued, service, priority in rows:
            if since <= from_db(issued) <= until:
                n, p = expected.get(service, (0, 0))
                expected[service] = (n + 1, p + (priority != "normal"))
        assert wait_store.arrivals_between(conn, since, until) == expected


def test_the_kept_queue_follows_every_change(ports, clock):
    conn = ports.conn
    clock.set(T0.replace(hour=10, minute=0))
    set_counter(ports, counter="1", move="open")
    issued = []
    steps = (["issue"] * 6 + ["call", "issue", "cancel", "issue", "requeue", "issue",
                              "transfer", "issue", "other_connection", "issue", "call"])
    for n, step in enumerate(steps):
        clock.set(T0.replace(hour=10, minute=1 + n))
        if step == "issue":
            result = issue_ticket(ports, service="AB"[n % 2], staff="reception",
                                  priority="priority" if n % 3 == 2 else "normal")
            issued.append(result.ticket)
            # What the new ticket was shown equals the estimate over a full read.
            full = branch_context(ports, ports.uow())
            assert by_id(full.waiting) == fresh_waiting(conn)
            assert result.estimate == waits.estimate(full, result.ticket)
        elif step == "call":
            serve_next(ports)
        elif step == "cancel":
            act(ports, ticket_id=issued[-1].id, action="cancel")
        elif step == "requeue":
            act(ports, ticket_id=serve_next(ports).id, action="requeue", counter="1")
        elif step == "transfer":
            act(ports, ticket_id=serve_next(ports).id, action="transfer", counter="1",
                service="C")
        else:
            # Another writer (the CLI, a technician's SQL) changes a waiting ticket.
            other = connect(wait_store.database_file(conn))
            with other:
                other.execute("UPDATE tickets SET priority = 'priority', prank = 0"
                              " WHERE id = ?", (issued[0].id,))
            other.close()
        # Whatever changed, the queue given out is the one the rows hold.
        assert by_id(wait_store.waiting_tickets(conn)) == fresh_waiting(conn)
        with ports.uow() as uow:
            assert by_id(uow.waiting()) == fresh_waiting(conn)
    assert wait_store.mirror(wait_store.database_file(conn)) is not None


def test_an_issue_rolled_back_leaves_no_ticket_in_the_kept_queue(ports, clock):
    conn = ports.conn
    clock.set(T0.replace(hour=10, minute=0))
    issue_ticket(ports, service="A", staff="reception")
    before = wait_store.waiting_tickets(conn)
    try:
        with ports.uow() as uow:
            seq = uow.next_seq("A", "2026-03-02")
            ticket = before[0].replace(id=0, seq=seq, number=f"A{seq:03d}")
            uow.add_ticket(ticket, public_id="rolled-back", device=None, idempotency_key=None)
            assert len(uow.waiting()) == len(before) + 1
            # A change to a waiting ticket inside the transaction is seen too.
            uow.conn.execute("UPDATE tickets SET state = 'cancelled' WHERE id = ?",
                             (before[0].id,))
            assert before[0].id not in {t.id for t in uow.waiting()}
            raise RuntimeError("the request failed after the ticket was written")
    except RuntimeError:
        pass
    assert by_id(wait_store.waiting_tickets(conn)) == by_id(before) == fresh_waiting(conn)
    with ports.uow() as uow:
        assert by_id(uow.waiting()) == by_id(before)


def test_issues_in_a_row_read_the_queue_once(ports, clock, monkeypatch):
    reads = []
    real = wait_store.read_waiting
    monkeypatch.setattr(wait_store, "read_waiting", lambda conn: reads.append(1) or real(conn))
    clock.set(T0.replace(hour=10, minute=0))
    set_counter(ports, counter="1", move="open")
    for n in range(8):
        issue_ticket(ports, service="AB"[n % 2], staff="reception")
    # The first issue reads the rows; every later one plays the kept queue plus its ticket.
    assert len(reads) == 1
    assert by_id(wait_store.waiting_tickets(ports.conn)) == fresh_waiting(ports.conn)
    assert len(fresh_waiting(ports.conn)) == len(wait_store.waiting_tickets(ports.conn))
    assert len(reads) == 1
