"""The use cases on an in-memory unit of work: the main flows and the refusals.

No database: :mod:`tests.unit.fakes` stands in for SQLite, so these tests say what
the use cases decide and write, and run in milliseconds. The same flows run on
SQLite in tests/integration.
"""
from __future__ import annotations

import dataclasses

import pytest

from servicepoint.domain.model import (
    Action,
    CounterState,
    DomainError,
    IllegalTransition,
    NotHolder,
    Outcome,
    Priority,
    State,
)
from servicepoint.domain.printing import PrinterStatus
from servicepoint.ports import NotFound
from servicepoint.usecases import act, call_next, call_ticket, expire_day, issue_ticket, set_counter
from tests.unit.fakes import FakeStore, fake_ports


@pytest.fixture
def store() -> FakeStore:
    return FakeStore.demo()


@pytest.fixture
def notified() -> list[str]:
    return []


@pytest.fixture
def memory_ports(store, clock, notified):
    """Use-case ports on the in-memory ``store``, with the suite's fixed ``clock``."""
    return fake_ports(store, clock, notified=notified)


def refused(store: FakeStore, fn, memory_ports, error=DomainError, **kw) -> DomainError:
    """Run a use case that must be refused; assert it changed nothing and committed nothing."""
    before, commits = store.state(), store.commits
    with pytest.raises(error) as info:
        fn(memory_ports, **kw)
    assert store.state() == before and store.commits == commits
    return info.value


def serving(memory_ports, clock, counter="1", service="A"):
    """A ticket issued, called to ``counter`` and started there."""
    t = issue_ticket(memory_ports, service=service).ticket
    clock.advance(60)
    call_next(memory_ports, counter=counter)
    clock.advance(5)
    return act(memory_ports, ticket_id=t.id, action="start", counter=counter)


# -- issue ------------------------------------------------------------------------

def test_issue_numbers_per_service_and_writes_ticket_and_event(memory_ports, store, clock, notified):
    a1 = issue_ticket(memory_ports, service="A", language="es")
    clock.advance(30)
    a2 = issue_ticket(memory_ports, service="A")
    b1 = issue_ticket(memory_ports, service="B")
    assert [r.ticket.number for r in (a1, a2, b1)] == ["A001", "A002", "B001"]
    assert (a1.ticket.state, a1.ticket.language, a1.ticket.day) == (State.WAITING, "es",
                                                                    "2026-03-02")
    assert (a1.people_ahead, a2.people_ahead, b1.people_ahead) == (0, 1, 0)
    assert a1.service_name == "Consultas generales"
    assert [(e.action, e.ticket_id, e.to_state) for e in store.events] == [
        (Action.ISSUE, a1.ticket.id, State.WAITING), (Action.ISSUE, a2.ticket.id, State.WAITING),
        (Action.ISSUE, b1.ticket.id, State.WAITING)]
    assert store.commits == 3 and notified == ["queue"] * 3
    # No kiosk: nothing to print.
    assert (a1.print_state, a1.print_job_id, store.print_jobs) == ("none", None, [])


def test_issue_at_a_kiosk_queues_the_frozen_payload(memory_ports, store, notified):
    r = issue_ticket(memory_ports, service="C", device="K1", track_base="https://branch.example/")
    assert (r.print_state, r.print_reason, r.print_job_id) == ("queued", None, 1)
    job = store.print_jobs[0]
    assert (job["ticket_id"], job["printer_id"], job["state"]) == (r.ticket.id, 1, "pending")
    assert job["payload"]["number"] == "C001"
    assert job["payload"]["service_name"] == "Accounts and cards"
    assert job["payload"]["track_url"] == f"https://branch.example/t/{r.public_id}"
    assert job["payload"]["branch_name"] == "Fake Branch"
    assert notified == ["queue", "print"]


@pytest.mark.parametrize("status", [PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE])
def test_issue_with_a_broken_printer_records_a_failed_job(memory_ports, store, status):
    k1 = store.kiosks["K1"]
    store.kiosks["K1"] = dataclasses.replace(k1, printer=dataclasses.replace(k1.printer,
                                                                             status=status))
    r = issue_ticket(memory_ports, service="A", device="K1")
    assert (r.print_state, r.print_reason) == ("not_printed", status.value)
    assert store.print_jobs[0]["state"] == "failed"
    assert r.ticket.state == State.WAITING  # the ticket is never lost for a printer


def test_issue_refuses_a_service_the_kiosk_does_not_offer(memory_ports, store):
    store.kiosks["K1"] = dataclasses.replace(store.kiosks["K1"], services=frozenset("AB"))
    err = refused(store, issue_ticket, memory_ports, service="C", device="K1")
    assert err.code == "service_not_offered"
    assert issue_ticket(memory_ports, service="B", device="K1").ticket.number == "B001"


def test_issue_refuses_unknown_and_inactive(memory_ports, store):
    refused(store, issue_ticket, memory_ports, NotFound, service="Z")
    refused(store, issue_ticket, memory_ports, NotFound, service="A", device="K9")
    store.services["D"] = dataclasses.replace(store.services["D"], active=False)
    assert refused(store, issue_ticket, memory_ports, service="D").code == "service_inactive"


@pytest.mark.parametrize(("priority", "staff", "device", "allowed"), [
    ("normal", None, None, True),
    ("priority", None, None, False),
    ("appointment", None, None, False),
    ("priority", None, "K1", True),       # the kiosk asks the priority question
    ("appointment", None, "K1", False),   # an appointment is never self-declared
    ("appointment", "clerk", None, True),
    ("priority", "token:crm", "K1", True),
])
def test_priority_follows_who_asks(memory_ports, store, priority, staff, device, allowed):
    if allowed:
        t = issue_ticket(memory_ports, service="A", priority=priority, staff=staff, device=device).ticket
        assert t.priority == Priority(priority)
    else:
        err = refused(store, issue_ticket, memory_ports, service="A", priority=priority, staff=staff,
                      device=device)
        assert err.code == "priority_not_allowed"


def test_a_kiosk_that_does_not_ask_gives_normal_tickets_only(memory_ports, store):
    store.kiosks["K2"] = dataclasses.replace(store.kiosks["K2"], asks_priority=False)
    err = refused(store, issue_ticket, memory_ports, service="A", priority="priority", device="K2")
    assert err.code == "priority_not_allowed"


def test_idempotent_replay_returns_the_first_ticket_as_it_stands(memory_ports, store, clock):
    first = issue_ticket(memory_ports, service="B", idempotency_key="tap-1")
    clock.advance(10)
    again = issue_ticket(memory_ports, service="B", idempotency_key="tap-1")
    assert again.replayed and again.ticket == first.ticket and again.public_id == first.public_id
    assert len(store.tickets) == 1
    err = refused(store, issue_ticket, memory_ports, service="A", idempotency_key="tap-1")
    assert err.code == "idempotency_conflict"


def test_replay_of_a_ticket_whose_print_failed_says_not_printed(memory_ports, store):
    k1 = store.kiosks["K1"]
    store.kiosks["K1"] = dataclasses.replace(
        k1, printer=dataclasses.replace(k1.printer, status=PrinterStatus.PAPER_OUT))
    issue_ticket(memory_ports, service="A", device="K1", idempotency_key="tap-2")
    store.kiosks["K1"] = k1  # paper refilled meanwhile: the first print still failed
    again = issue_ticket(memory_ports, service="A", device="K1", idempotency_key="tap-2")
    assert again.replayed
    assert (again.print_state, again.print_reason) == ("not_printed", "printer paper_out at issue")
    assert len(store.print_jobs) == 1


# -- call next ----------------------------------------------------------------------

def test_call_next_follows_routing_and_opens_the_counter(memory_ports, store, clock):
    a = issue_ticket(memory_ports, service="A").ticket
    clock.advance(60)
    b = issue_ticket(memory_ports, service="B").ticket
    clock.advance(60)
    appointment = issue_ticket(memory_ports, service="A", priority="appointment", staff="clerk").ticket
    assert store.counters["1"].state == CounterState.CLOSED
    called = call_next(memory_ports, counter="1", staff="clerk")
    assert called.id == appointment.id and called.state == State.CALLED and called.counter == "1"
    assert (store.counters["1"].state, store.counters["1"].staff) == (CounterState.OPEN, "clerk")
    assert store.counter_events[-1][:2] == ("1", "open")
    # A waited 120 s; B 60 s × weight 1.5 = 90 s: A first.
    act(memory_ports, ticket_id=called.id, action="start", counter="1")
    assert call_next(memory_ports, counter="1", finish_current=True).id == a.id
    assert store.tickets[appointment.id].state == State.DONE
    act(memory_ports, ticket_id=a.id, action="no_show", counter="1")
    assert call_next(memory_ports, counter="1").id == b.id
    assert call_next(memory_ports, counter="6") is None  # nobody waits for D


def test_call_next_refuses_a_busy_counter(memory_ports, store, clock):
    issue_ticket(memory_ports, service="A")
    issue_ticket(memory_ports, service="A")
    call_next(memory_ports, counter="1")
    assert refused(store, call_next, memory_ports, counter="1").code == "counter_busy"
    refused(store, call_next, memory_ports, NotFound, counter="99")


def test_a_break_ends_with_the_next_call(memory_ports, store):
    set_counter(memory_ports, counter="2", move="open")
    assert set_counter(memory_ports, counter="2", move="break") == CounterState.BREAK
    issue_ticket(memory_ports, service="A")
    call_next(memory_ports, counter="2")
    assert store.counters["2"].state == CounterState.OPEN
    assert [e[1] for e in store.counter_events] == ["open", "break", "resume"]


# -- acting on a held ticket -------------------------------------------------------------

def test_start_and_finish(memory_ports, store, clock):
    t = serving(memory_ports, clock)
    assert (t.state, t.counter) == (State.SERVING, "1")
    clock.advance(240)
    done = act(memory_ports, ticket_id=t.id, action="finish", counter="1", outcome="follow_up")
    assert (done.state, done.outcome, done.counter) == (State.DONE, Outcome.FOLLOW_UP, None)
    assert [e.action for e in store.events] == [Action.ISSUE, Action.CALL, Action.START,
                                                Action.FINISH]
    assert store.events[-1].data == {"outcome": "follow_up"}
    # The service time feeds the next estimates.
    assert memory_ports.uow().service_durations("A", 10) == [240.0]


def test_recall_counts_and_no_show_ends(memory_ports, store, clock):
    t = issue_ticket(memory_ports, service="A").ticket
    call_next(memory_ports, counter="1")
    assert act(memory_ports, ticket_id=t.id, action="recall", counter="1").recalls == 1
    assert act(memory_ports, ticket_id=t.id, action="recall").recalls == 2  # its own counter
    gone = act(memory_ports, ticket_id=t.id, action="no_show", counter="1")
    assert (gone.state, gone.counter) == (State.NO_SHOW, None)
    refused(store, act, memory_ports, IllegalTransition, ticket_id=t.id, action="recall", counter="1")


def test_only_the_holder_acts(memory_ports, store, clock):
    t = issue_ticket(memory_ports, service="A").ticket
    call_next(memory_ports, counter="1")
    refused(store, act, memory_ports, NotHolder, ticket_id=t.id, action="start", counter="2")


def test_transfer_keeps_the_number_and_goes_to_the_new_queue(memory_ports, store, clock):
    t = serving(memory_ports, clock)
    moved = act(memory_ports, ticket_id=t.id, action="transfer", counter="1", service="C")
    assert (moved.number, moved.service, moved.state, moved.counter) == ("A001", "C",
                                                                         State.WAITING, None)
    assert call_next(memory_ports, counter="4").id == t.id  # counter 4 serves C and D


def test_transfer_to_an_inactive_service_is_refused(memory_ports, store, clock):
    t = serving(memory_ports, clock)
    store.services["D"] = dataclasses.replace(store.services["D"], active=False)
    err = refused(store, act, memory_ports, ticket_id=t.id, action="transfer", counter="1", service="D")
    assert err.code == "service_inactive"
    refused(store, act, memory_ports, NotFound, ticket_id=t.id, action="transfer", counter="1",
            service="Z")
    refused(store, act, memory_ports, NotFound, ticket_id=t.id, action="transfer", counter="1",
            target_counter="99")


@pytest.mark.parametrize(("position", "next_is_requeued"), [("front", True), ("time", True),
                                                             ("back", False)])
def test_requeue_position(memory_ports, store, clock, position, next_is_requeued):
    first = issue_ticket(memory_ports, service="A").ticket
    clock.advance(10)
    second = issue_ticket(memory_ports, service="A").ticket
    call_next(memory_ports, counter="1")
    clock.advance(10)
    act(memory_ports, ticket_id=first.id, action="requeue", counter="1", position=position)
    expected = first.id if next_is_requeued else second.id
    assert call_next(memory_ports, counter="1").id == expected


def test_cancel_only_while_waiting(memory_ports, store, clock):
    t = issue_ticket(memory_ports, service="A").ticket
    gone = act(memory_ports, ticket_id=t.id, action="cancel", staff="customer")
    assert gone.state == State.CANCELLED and store.events[-1].staff == "customer"
    refused(store, act, memory_ports, IllegalTransition, ticket_id=t.id, action="cancel")
    refused(store, act, memory_ports, NotFound, ticket_id=999, action="cancel")
    refused(store, act, memory_ports, ticket_id=t.id, action="teleport")


def test_park_and_call_back(memory_ports, store, clock):
    t = serving(memory_ports, clock)
    act(memory_ports, ticket_id=t.id, action="park", counter="1")
    assert set_counter(memory_ports, counter="1", move="close") == CounterState.CLOSED  # parked ≠ busy
    refused(store, call_ticket, memory_ports, NotHolder, ticket_id=t.id, counter="2")
    back = call_ticket(memory_ports, ticket_id=t.id, counter="1")
    assert (back.state, back.counter) == (State.CALLED, "1")


def test_closing_a_counter_with_a_customer_is_refused(memory_ports, store, clock):
    serving(memory_ports, clock)
    assert refused(store, set_counter, memory_ports, counter="1", move="close").code == "counter_busy"
    assert refused(store, set_counter, memory_ports, counter="1", move="nap").code == "bad_action"


def test_rating_once(memory_ports, store, clock):
    t = serving(memory_ports, clock)
    act(memory_ports, ticket_id=t.id, action="finish", counter="1")
    act(memory_ports, ticket_id=t.id, action="rate", rating={"csat": 5})
    err = refused(store, act, memory_ports, ticket_id=t.id, action="rate", rating={"csat": 1})
    assert err.code == "already_rated"


def test_expire_day_ends_yesterdays_open_tickets(memory_ports, store, clock, notified):
    waiting = issue_ticket(memory_ports, service="A").ticket
    called = issue_ticket(memory_ports, service="B").ticket
    call_next(memory_ports, counter="3")
    clock.advance(86400)
    today = issue_ticket(memory_ports, service="A").ticket
    assert expire_day(memory_ports) == 2
    assert {store.tickets[t.id].state for t in (waiting, called)} == {State.EXPIRED}
    assert store.tickets[today.id].state == State.WAITING
    assert expire_day(memory_ports) == 0 and notified[-1] == "queue"
