"""call_next through SQLite picks exactly whom the pure routing rule picks."""
from __future__ import annotations

import pytest

from servicepoint.domain import routing
from servicepoint.uow import SqliteUnitOfWork, row_to_ticket
from servicepoint.usecases import act, call_next, issue_ticket


def waiting(ports):
    return [row_to_ticket(r) for r in ports.conn.execute(
        "SELECT * FROM tickets WHERE state='waiting'")]


def weights(ports):
    return dict(ports.conn.execute("SELECT code, weight FROM services").fetchall())


def expected_next(ports, counter):
    services = [r[0] for r in ports.conn.execute(
        "SELECT service_code FROM counter_services WHERE counter_code=?", (counter,))]
    t = routing.pick_next(waiting(ports), counter, services, ports.clock.now(), weights(ports))
    return t.id if t else None


def serve(ports, counter):
    """Call the next ticket at ``counter`` and start serving it; returns the ticket."""
    t = call_next(ports, counter=counter)
    act(ports, ticket_id=t.id, action="start", counter=counter)
    return t


@pytest.mark.parametrize("b_waited_s, first", [
    (45, "B"),  # 45 s × 1.5 = 67.5 beats A's 60 s × 1.0, though A has waited longer
    (39, "A"),  # 39 s × 1.5 = 58.5 does not
])
def test_weighted_wait_across_services(ports, clock, b_waited_s, first):
    assert weights(ports)["A"] == 1.0 and weights(ports)["B"] == 1.5  # the demo branch's
    a = issue_ticket(ports, service="A").ticket
    clock.advance(60 - b_waited_s)
    b = issue_ticket(ports, service="B").ticket
    clock.advance(b_waited_s)
    # Counter 1 serves A and B; A has waited 60 s, B ``b_waited_s``.
    want, other = (b, a) if first == "B" else (a, b)
    assert expected_next(ports, "1") == want.id
    assert call_next(ports, counter="1").id == want.id
    assert [t.id for t in waiting(ports)] == [other.id]


def test_priority_class_beats_weight_and_wait(ports, clock):
    b = issue_ticket(ports, service="B").ticket
    clock.advance(600)
    a = issue_ticket(ports, service="A", priority="appointment", staff="clerk").ticket
    assert expected_next(ports, "1") == a.id == call_next(ports, counter="1").id
    assert call_next(ports, counter="2").id == b.id


def test_requeue_to_front(ports, clock):
    first = issue_ticket(ports, service="A").ticket
    clock.advance(10)
    second = issue_ticket(ports, service="A").ticket
    clock.advance(10)
    assert call_next(ports, counter="1").id == first.id
    act(ports, ticket_id=first.id, action="requeue", counter="1", position="back")
    clock.advance(10)
    assert call_next(ports, counter="2").id == second.id
    act(ports, ticket_id=second.id, action="requeue", counter="2", position="front")
    assert expected_next(ports, "1") == second.id == call_next(ports, counter="1").id


def test_targeted_ticket_competes_with_the_queue(ports, clock):
    a1 = issue_ticket(ports, service="A").ticket
    serve(ports, "1")
    clock.advance(5)
    a2 = issue_ticket(ports, service="A").ticket
    clock.advance(60)
    act(ports, ticket_id=a1.id, action="transfer", counter="1", target_counter="2",
        position="time")
    # a1 ranks by its issue time, ahead of a2 — at counter 2 only.
    assert call_next(ports, counter="5").id == a2.id
    assert expected_next(ports, "2") == a1.id == call_next(ports, counter="2").id


def test_tickets_sent_to_one_counter_from_weighted_services(ports, clock):
    a = issue_ticket(ports, service="A").ticket  # weight 1.0
    clock.advance(10)
    d = issue_ticket(ports, service="D").ticket  # weight 1.2
    serve(ports, "1")  # A001 at counter 1
    serve(ports, "6")  # D001 at counter 6
    act(ports, ticket_id=a.id, action="transfer", counter="1", target_counter="5")
    act(ports, ticket_id=d.id, action="transfer", counter="6", target_counter="5")
    clock.advance(90)
    # effective waits by issue time: A 100 s × 1.0 = 100; D 90 s × 1.2 = 108 → D first
    assert expected_next(ports, "5") == d.id
    assert call_next(ports, counter="5").id == d.id


def test_people_ahead_matches_routing_positions(ports, clock):
    issued = []
    for prio in ["normal", "normal", "priority", "normal", "appointment"]:
        issued.append(issue_ticket(ports, service="C", priority=prio, staff="clerk"))
        clock.advance(7)
    serve(ports, "3")  # takes the appointment
    uow = SqliteUnitOfWork(ports.conn)
    queue = waiting(ports)
    for t in queue:
        assert uow.people_ahead(t) == routing.position_in_service(t, queue, clock.now())
    # What each customer was told at issue time never counts people who came later.
    assert [r.people_ahead for r in issued] == [0, 1, 0, 3, 0]


def test_people_ahead_in_sql_and_in_memory_agree(ports, clock):
    """The phone streams count people ahead from the queue in memory
    (routing.positions_in_service); the pages count them in SQL: the same numbers."""
    import random

    rng = random.Random(5)
    for i in range(40):
        issue_ticket(ports, service=rng.choice("AB"), staff="clerk",
                     priority=rng.choice(["normal"] * 4 + ["priority", "appointment"]))
        clock.advance(rng.choice([0, 1, 7]))
        if i % 9 == 8:
            served = serve(ports, "1")
            act(ports, ticket_id=served.id, action="finish", counter="1")
    tickets = waiting(ports)
    uow = SqliteUnitOfWork(ports.conn)
    assert routing.positions_in_service(tickets, tickets) == {
        t.id: uow.people_ahead(t) for t in tickets}

