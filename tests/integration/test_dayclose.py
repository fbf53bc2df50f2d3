"""The day close with the fixed clock: tickets expire at closing time, numbers restart next day."""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint import setup, setup_queries
from servicepoint.dayclose import DayCloseScheduler, close_day
from servicepoint.retention import RetentionResult
from servicepoint.setup_store import setup_ports
from servicepoint.usecases import act, call_next, issue_ticket
from tests.fixtures import T0, make_ports

# T0 is Monday 2 March 2026, 10:00 in Madrid; the branch closes at 20:00 (19:00 UTC).
CLOSING = T0.replace(hour=19)


@pytest.fixture
def branch(ports, clock):
    setup.update_settings(setup_ports(ports.conn, clock, "manager"), {"closing_time": "20:00"})
    return ports


def states(conn) -> dict[str, str]:
    return {r["number"]: r["state"] for r in conn.execute("SELECT number, state FROM tickets")}


def open_day(ports) -> None:
    """Tickets in every state a day can end with: waiting, called, parked, serving, done."""
    for _ in range(6):
        issue_ticket(ports, service="A")
    called = call_next(ports, counter="1")                        # A001 called
    parked = call_next(ports, counter="2")                        # A002 parked
    act(ports, ticket_id=parked.id, action="start")
    act(ports, ticket_id=parked.id, action="park")
    serving = call_next(ports, counter="5")                       # A003 serving
    act(ports, ticket_id=serving.id, action="start")
    done = call_next(ports, counter="2")                          # A004 done
    act(ports, ticket_id=done.id, action="start")
    act(ports, ticket_id=done.id, action="finish")
    assert called.number == "A001"


def test_tickets_expire_at_closing_time_and_numbers_restart_the_next_day(branch, demo_db, clock):
    open_day(branch)
    scheduler = DayCloseScheduler(lambda: make_ports(demo_db, clock))
    scheduler.tick()  # the morning round: the previous day is closed, nothing of today
    assert states(branch.conn) == {"A001": "called", "A002": "parked", "A003": "serving",
                                   "A004": "done", "A005": "waiting", "A006": "waiting"}
    clock.set(CLOSING - dt.timedelta(seconds=1))
    assert [r for r in scheduler.tick() if not isinstance(r, RetentionResult)] == []
    assert states(branch.conn)["A005"] == "waiting"
    clock.set(CLOSING)
    (result,) = scheduler.tick()
    assert (result.day, result.expired, result.trigger) == ("2026-03-02", 4, "schedule")
    assert states(branch.conn) == {"A001": "expired", "A002": "expired", "A003": "serving",
                                   "A004": "done", "A005": "expired", "A006": "expired"}
    events = branch.conn.execute("SELECT count(*) FROM ticket_events WHERE action = 'expire'"
                                 " AND at = ?", (CLOSING.isoformat(timespec="microseconds"),))
    assert events.fetchone()[0] == 4
    # The counter that held the called ticket is free again.
    assert branch.conn.execute("SELECT count(*) FROM tickets WHERE counter_id = '1'"
                               " AND state IN ('called','serving','parked')").fetchone()[0] == 0
    # Closing twice is harmless: the scheduler does nothing, a manual close expires nothing.
    clock.advance(minutes=5)
    assert scheduler.tick() == []
    assert close_day(branch, trigger="manual").expired == 0
    # Tuesday: numbers start again at 1.
    clock.set(T0 + dt.timedelta(days=1))
    assert issue_ticket(branch, service="A").ticket.number == "A001"
    assert issue_ticket(branch, service="B").ticket.number == "B001"


def test_a_close_missed_while_the_server_was_off_is_caught_up_at_start(branch, demo_db, clock):
    issue_ticket(branch, service="B")
    issue_ticket(branch, service="C")
    # The server stopped before closing time and starts again two days later at 09:00.
    clock.set(T0 + dt.timedelta(days=2, hours=-1))
    scheduler = DayCloseScheduler(lambda: make_ports(demo_db, clock))
    results = scheduler.tick("start-up")
    assert (results[0].day, results[0].expired, results[0].trigger) == ("2026-03-03", 2, "start-up")
    assert set(states(branch.conn).values()) == {"expired"}
    assert setup_queries.last_closes(branch.conn)[0]["trigger"] == "start-up"
    assert issue_ticket(branch, service="B").ticket.number == "B001"


def test_a_ticket_issued_after_the_close_does_not_survive_midnight(branch, demo_db, clock):
    clock.set(CLOSING)
    scheduler = DayCloseScheduler(lambda: make_ports(demo_db, clock))
    scheduler.tick()
    clock.advance(hours=1)  # 21:00: a late ticket (no opening hours configured)
    late = issue_ticket(branch, service="A").ticket
    assert scheduler.tick() == []
    clock.set(T0.replace(hour=23, minute=0, second=1))  # 00:00:01 in Madrid
    results = scheduler.tick()
    assert (results[0].day, results[0].expired, results[0].trigger) == ("2026-03-02", 1, "midnight")
    assert states(branch.conn)[late.number] == "expired"


def test_without_a_closing_time_the_day_closes_at_midnight(ports, demo_db, clock):
    issue_ticket(ports, service="A")
    scheduler = DayCloseScheduler(lambda: make_ports(demo_db, clock))
    scheduler.tick()
    clock.set(T0.replace(hour=22, minute=59))  # 23:59 in Madrid
    assert [r for r in scheduler.tick() if not isinstance(r, RetentionResult)] == []
    clock.set(T0.replace(hour=23))
    assert scheduler.tick()[0].expired == 1


def test_a_manual_close_is_audited_with_who_closed(ports, clock):
    issue_ticket(ports, service="A")
    result = close_day(ports, trigger="manual", actor="manager")
    assert (result.day, result.expired) == ("2026-03-02", 1)
    entry = setup_queries.audit_entries(ports.conn, entity="day", limit=1)[0]
    assert (entry.actor, entry.action, entry.key, entry.after) == (
        "manager", "close", "2026-03-02", {"expired": 1, "trigger": "manual"})


def test_an_early_close_by_hand_does_not_cancel_the_closing_time(branch, demo_db, clock):
    issue_ticket(branch, service="A")
    assert close_day(branch, trigger="manual", actor="manager").expired == 1  # at 10:00
    clock.advance(hours=2)
    late = issue_ticket(branch, service="A").ticket
    scheduler = DayCloseScheduler(lambda: make_ports(demo_db, clock))
    scheduler.tick()
    assert states(branch.conn)[late.number] == "waiting"
    clock.set(CLOSING)
    (result,) = scheduler.tick()
    assert (result.day, result.expired) == ("2026-03-02", 1)
