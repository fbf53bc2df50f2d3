"""Queue rules that used to live in the faces, now in the domain."""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint.domain import counters, kpi, lifecycle
from servicepoint.domain.model import (
    Action,
    CounterState,
    DomainError,
    Kiosk,
    Printer,
    Priority,
    Service,
    State,
)
from servicepoint.domain.printing import PrinterStatus
from servicepoint.timeutil import UTC

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_action_lists_come_from_the_lifecycle_table():
    assert lifecycle.COUNTER_ACTIONS == {Action.CALL, Action.RECALL, Action.START, Action.FINISH,
                                         Action.NO_SHOW, Action.REQUEUE, Action.TRANSFER,
                                         Action.PARK}
    assert lifecycle.STAFF_ACTIONS == lifecycle.COUNTER_ACTIONS | {Action.CANCEL, Action.RATE}
    assert Action.EXPIRE not in lifecycle.STAFF_ACTIONS and Action.ISSUE not in lifecycle.STAFF_ACTIONS


@pytest.mark.parametrize(("staff", "asks", "allowed"), [
    (True, False, set(Priority)),
    (True, True, set(Priority)),
    (False, True, {Priority.NORMAL, Priority.PRIORITY}),
    (False, False, {Priority.NORMAL}),
])
def test_issuable_priorities(staff, asks, allowed):
    assert lifecycle.issuable_priorities(staff=staff, kiosk_asks_priority=asks) == allowed
    for p in Priority:
        if p in allowed:
            assert lifecycle.check_issuer(p.value, staff=staff, kiosk_asks_priority=asks) == p
        else:
            with pytest.raises(DomainError) as info:
                lifecycle.check_issuer(p.value, staff=staff, kiosk_asks_priority=asks)
            assert info.value.code == "priority_not_allowed"
    with pytest.raises(DomainError) as info:
        lifecycle.check_issuer("vip", staff=True)
    assert info.value.code == "bad_priority"


@pytest.mark.parametrize(("state", "holder", "called_to", "active"), [
    (State.CALLED, "1", "1", True), (State.SERVING, "1", "1", True),
    (State.CALLED, "2", "1", False),  # called again elsewhere since
    (State.PARKED, "1", "1", False), (State.DONE, None, "1", False),
    (State.NO_SHOW, None, "1", False), (State.WAITING, None, "1", False),
    (State.CALLED, None, None, False),
])
def test_a_call_on_the_board_is_active_while_the_customer_is_at_that_counter(
        state, holder, called_to, active):
    assert lifecycle.call_is_active(state, holder, called_to) is active


@pytest.mark.parametrize(("waiting", "longest", "target", "over"), [
    (3, 601, 600, True), (3, 600, 600, False), (0, 900, 600, False), (1, 0, 600, False)])
def test_over_target(waiting, longest, target, over):
    assert kpi.over_target(waiting, longest, target) is over


def test_waited_is_queue_entry_to_call():
    t, _ = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=1, at=T0)
    assert t.waited_s is None
    called, _ = lifecycle.apply(t, Action.CALL, T0 + dt.timedelta(seconds=125), counter="1")
    assert called.waited_s == 125
    recalled, _ = lifecycle.apply(called, Action.RECALL, T0 + dt.timedelta(seconds=300),
                                  counter="1")
    assert recalled.waited_s == 125  # a recall does not lengthen the wait


def test_counter_moves():
    assert counters.move("1", "open", []) == (CounterState.OPEN, "open")
    assert counters.move("1", "resume", []) == (CounterState.OPEN, "resume")
    t, _ = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=1, at=T0)
    for name in ("close", "break"):
        with pytest.raises(DomainError) as info:
            counters.move("1", name, [t])
        assert info.value.code == "counter_busy"
    assert counters.move("1", "open", [t]) == (CounterState.OPEN, "open")
    with pytest.raises(DomainError) as info:
        counters.parse_move("nap")
    assert info.value.code == "bad_action"
    assert counters.opening_for_call(CounterState.OPEN) is None
    assert counters.opening_for_call(CounterState.BREAK) == (CounterState.OPEN, "resume")
    assert counters.opening_for_call(CounterState.CLOSED) == (CounterState.OPEN, "open")


def test_kiosk_offers_and_printer_problem():
    every = Kiosk("K1")
    some = Kiosk("K2", services=frozenset({"A", "B"}))
    assert every.offers("C") and some.offers("A") and not some.offers("C")
    assert every.printer_problem is None and every.working_printer is None
    for status in PrinterStatus:
        k = Kiosk("K1", printer=Printer(1, status))
        assert k.printer_problem == (None if status.printable else status)
    off = Kiosk("K1", printer=Printer(1, PrinterStatus.PAPER_OUT, enabled=False))
    assert off.printer_problem is None and off.working_printer is None


def test_service_name_falls_back_to_english_then_code():
    s = Service("A", {"en": "General", "es": "General (es)"})
    assert (s.name("es"), s.name("fr")) == ("General (es)", "General")
    assert Service("B", {}).name("en") == "B"
