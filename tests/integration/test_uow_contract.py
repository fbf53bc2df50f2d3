"""The in-memory unit of work answers as the SQLite one does.

The use-case unit tests trust tests/unit/fakes.py; this plays one busy morning
through both and compares everything the use cases saw and returned, so a fake
that drifts from the real storage fails here.
"""
from __future__ import annotations

import dataclasses

from servicepoint.timeutil import FixedClock
from servicepoint.usecases import (
    act,
    call_next,
    call_number,
    call_ticket,
    expire_day,
    issue_ticket,
    set_counter,
)
from tests.fixtures import T0, make_ports
from tests.unit.fakes import FakeStore, fake_ports


def morning(ports, clock) -> list:
    """A scripted morning; returns what every step returned (ids, numbers, estimates)."""
    seen: list = []

    def note(value):
        seen.append(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value)
        return value

    tickets = []
    for k, (service, prio) in enumerate([("A", "normal"), ("B", "normal"), ("A", "priority"),
                                         ("C", "normal"), ("A", "appointment"), ("B", "normal"),
                                         ("A", "normal"), ("D", "normal")]):
        r = issue_ticket(ports, service=service, priority=prio, staff="clerk",
                         device="K1" if k % 2 else None, idempotency_key=f"k{k}")
        note((r.ticket, r.people_ahead, r.estimate, r.print_state))
        tickets.append(r.ticket)
        clock.advance(37)
    note(issue_ticket(ports, service="A", idempotency_key="k0").people_ahead)
    for counter in ("1", "3", "5"):
        note(call_next(ports, counter=counter, staff="clerk"))
        clock.advance(11)
    for counter in ("1", "3"):
        current = ports.uow().held_by(counter)[0]
        note(act(ports, ticket_id=current.id, action="start", counter=counter))
        clock.advance(180)
    held1 = ports.uow().held_by("1")[0]
    note(act(ports, ticket_id=held1.id, action="requeue", counter="1", position="front"))
    note(call_next(ports, counter="2"))
    held3 = ports.uow().held_by("3")[0]
    note(act(ports, ticket_id=held3.id, action="transfer", counter="3", target_counter="4"))
    note(call_next(ports, counter="4"))
    held5 = ports.uow().held_by("5")[0]
    note(act(ports, ticket_id=held5.id, action="start", counter="5"))
    clock.advance(300)
    note(act(ports, ticket_id=held5.id, action="park", counter="5"))
    note(call_ticket(ports, ticket_id=held5.id, counter="5"))
    note(set_counter(ports, counter="6", move="open"))
    note(set_counter(ports, counter="6", move="break", reason="Lunch"))
    late = issue_ticket(ports, service="D", staff="clerk").ticket
    note(call_number(ports, number=late.number.lower(), counter="6"))  # ends the break
    note(ports.uow().counter("6"))
    note(ports.uow().open_counters_of("clerk"))  # what one person, one counter reads
    for service in "ABCD":
        uow = ports.uow()
        note((service, uow.open_counters(service), uow.service_durations(service, 60)))
    for t in tickets:
        t = ports.uow().ticket(t.id)
        note((t, ports.uow().people_ahead(t)))
    clock.advance(86400)
    note(expire_day(ports))
    return seen


def test_the_fake_and_sqlite_agree(demo_db):
    sqlite_ports = make_ports(demo_db, FixedClock(T0))
    try:
        on_sqlite = morning(sqlite_ports, sqlite_ports.clock)
    finally:
        sqlite_ports.conn.close()
    clock = FixedClock(T0)
    on_fake = morning(fake_ports(FakeStore.demo(), clock), clock)
    assert len(on_fake) == len(on_sqlite) > 30
    for step, (fake, real) in enumerate(zip(on_fake, on_sqlite, strict=True)):
        assert fake == real, f"step {step}"
