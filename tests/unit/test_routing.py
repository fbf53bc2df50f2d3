"""Who is next for a counter: priority classes, weighted longest wait, front, targets."""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint.domain import routing
from servicepoint.domain.model import Priority, State, Ticket

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket(tid, service="A", waited_s=0.0, now=T0, priority=Priority.NORMAL, front=False,
           target=None, state=State.WAITING) -> Ticket:
    """A ticket whose effective wait at ``now`` is ``waited_s`` (before weights)."""
    since = now - dt.timedelta(seconds=waited_s)
    return Ticket(id=tid, number=f"{service}{tid:03d}", service=service, day="2026-03-02",
                  seq=tid, state=state, priority=priority, language="en", issued_at=since,
                  queued_at=since, rank_at=since, front=front, target_counter=target)


def ids(tickets):
    return [t.id for t in tickets]


def test_priority_classes_come_first_whatever_the_wait():
    tickets = [ticket(1, waited_s=900), ticket(2, waited_s=10, priority=Priority.PRIORITY),
               ticket(3, waited_s=5, priority=Priority.APPOINTMENT),
               ticket(4, waited_s=600, priority=Priority.PRIORITY)]
    assert ids(routing.order(tickets, T0)) == [3, 4, 2, 1]
    assert routing.pick_next(tickets, "1", ["A"], T0).id == 3


def test_longest_wait_first_within_a_class():
    tickets = [ticket(1, waited_s=60), ticket(2, waited_s=300), ticket(3, waited_s=120)]
    assert ids(routing.order(tickets, T0)) == [2, 3, 1]


def test_service_weight_multiplies_the_wait():
    a = ticket(1, service="A", waited_s=100)  # effective 100
    b = ticket(2, service="B", waited_s=60)  # effective 120 with weight 2
    weights = {"A": 1.0, "B": 2.0}
    assert routing.pick_next([a, b], "1", ["A", "B"], T0, weights).id == 2
    # Without the weight the longer-waiting A ticket wins.
    assert routing.pick_next([a, b], "1", ["A", "B"], T0).id == 1
    # Weight 2 is not enough when B's effective wait is still shorter: 2 × 40 < 100.
    b_short = ticket(3, service="B", waited_s=40)
    assert routing.pick_next([a, b_short], "1", ["A", "B"], T0, weights).id == 1


def test_weights_do_not_override_priority_classes():
    a = ticket(1, service="A", waited_s=10, priority=Priority.PRIORITY)
    b = ticket(2, service="B", waited_s=1000)
    assert routing.pick_next([a, b], "1", ["A", "B"], T0, {"B": 5.0}).id == 1


def test_effective_wait_is_never_negative():
    future = ticket(1, waited_s=-30)  # clock stepped back
    assert routing.effective_wait(future, T0) == 0.0
    assert routing.effective_wait(ticket(2, waited_s=90), T0, 1.5) == 135.0


def test_front_tickets_go_first():
    old = ticket(1, waited_s=900)
    fronted = ticket(2, waited_s=5, front=True)
    appointment = ticket(3, waited_s=600, priority=Priority.APPOINTMENT)
    # "tickets put at the front first, then the highest priority class" (routing docstring)
    assert ids(routing.order([old, fronted, appointment], T0)) == [2, 3, 1]


def test_ties_go_to_the_lower_id():
    tickets = [ticket(5, waited_s=60), ticket(3, waited_s=60), ticket(4, waited_s=60)]
    assert ids(routing.order(tickets, T0)) == [3, 4, 5]


def test_counter_only_sees_its_services():
    tickets = [ticket(1, service="C", waited_s=999), ticket(2, service="A", waited_s=1)]
    assert routing.pick_next(tickets, "1", ["A", "B"], T0).id == 2
    assert routing.pick_next(tickets, "6", ["D"], T0) is None


def test_targeted_ticket_is_only_callable_by_its_counter():
    sent = ticket(1, service="A", waited_s=999, target="4")
    plain = ticket(2, service="A", waited_s=1)
    assert routing.pick_next([sent, plain], "2", ["A"], T0).id == 2
    # Counter 4 does not serve A but the ticket was sent to it by name.
    assert routing.pick_next([sent, plain], "4", ["C", "D"], T0).id == 1
    assert routing.callable_by(sent, "4", [])
    assert not routing.callable_by(sent, "2", ["A"])


@pytest.mark.parametrize("state", [s for s in State if s != State.WAITING])
def test_only_waiting_tickets_are_callable(state):
    t = ticket(1, waited_s=100, state=state)
    assert not routing.callable_by(t, "1", ["A"])
    assert routing.pick_next([t], "1", ["A"], T0) is None


def test_pick_next_on_an_empty_queue():
    assert routing.pick_next([], "1", ["A"], T0) is None


def test_position_in_service_counts_who_is_ahead():
    tickets = [ticket(1, waited_s=300), ticket(2, waited_s=200),
               ticket(3, waited_s=100, priority=Priority.PRIORITY),
               ticket(4, service="B", waited_s=999), ticket(5, waited_s=999, target="3"),
               ticket(6, waited_s=50)]
    by_id = {t.id: t for t in tickets}
    assert routing.position_in_service(by_id[3], tickets, T0) == 0
    assert routing.position_in_service(by_id[1], tickets, T0) == 1
    assert routing.position_in_service(by_id[2], tickets, T0) == 2
    assert routing.position_in_service(by_id[6], tickets, T0) == 3
