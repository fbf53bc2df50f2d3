"""What the wait estimate learns from past days: each counter's usual break and the
arrivals the coming hour usually brings (servicepoint.wait_store)."""
from __future__ import annotations

import datetime as dt

from servicepoint import wait_store
from servicepoint.timeutil import zone
from servicepoint.usecases import issue_ticket, set_counter
from tests.fixtures import TIMEZONE

TZ = zone(TIMEZONE)


def at(day: int, hh: int, mm: int) -> dt.datetime:
    """Local hh:mm on 2026-03-<day> (weekdays 2-6 and 9) as the aware instant."""
    return dt.datetime(2026, 3, day, hh, mm, tzinfo=TZ)


def test_usual_breaks_and_arrivals_from_past_days(ports, clock):
    for day, break_at in ((2, (12, 20)), (3, (12, 30)), (4, (12, 40))):
        clock.set(at(day, 9, 0))
        set_counter(ports, counter="1", move="open")
        for minute in (5, 15, 25):  # three A tickets between 12:05 and 12:25 every day
            clock.set(at(day, 12, minute))
            issue_ticket(ports, service="A", staff="reception",
                         priority="priority" if minute == 5 else "normal")
        clock.set(at(day, *break_at))
        set_counter(ports, counter="1", move="break", reason=_reason(ports))
        clock.set(at(day, 13, 0))
        set_counter(ports, counter="1", move="resume")
    conn = ports.conn
    # Today at noon: counter 1 usually leaves at 12:30 (the median day); nobody else has
    # breaks on record.
    assert wait_store.breaks_due(conn, at(5, 12, 0), TZ) == {"1": 1800.0}
    # Overdue: at once when next free; an hour late it is no longer expected today.
    assert wait_store.breaks_due(conn, at(5, 12, 45), TZ) == {"1": 0.0}
    assert wait_store.breaks_due(conn, at(5, 13, 31), TZ) == {}
    # Once it has had today's break, none is due.
    clock.set(at(5, 11, 0))
    set_counter(ports, counter="1", move="open")
    set_counter(ports, counter="1", move="break", reason=_reason(ports))
    assert wait_store.breaks_due(conn, at(5, 11, 30), TZ) == {}
    # The hour after 12:00 brought three A tickets a day, one of them a priority one.
    assert wait_store.usual_arrivals(conn, at(5, 12, 0), TZ) == {"A": (3.0, 1.0)}
    assert wait_store.usual_arrivals(conn, at(5, 12, 20), TZ) == {"A": (1.0, 0.0)}
    assert wait_store.usual_arrivals(conn, at(5, 14, 0), TZ) == {}
    # Without past days there is nothing usual yet.
    assert wait_store.usual_arrivals(conn, at(2, 12, 0), TZ) == {}
    assert wait_store.breaks_due(conn, at(2, 12, 0), TZ) == {}


def _reason(ports) -> str | None:
    reasons = ports.uow().setting("break_reasons", None)
    return reasons[0] if reasons else None
