"""A counter's working day on plain values and the in-memory unit of work: transfer from
Called, the recall countdown, break reasons, call by number, the counter's figures and
the facts a refusal carries for the clerk's words."""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint.domain import counters, kpi, lifecycle
from servicepoint.domain.branch import DEFAULT_BREAK_REASONS, InvalidSetup
from servicepoint.domain.branch_rules import parse_device, parse_settings
from servicepoint.domain.model import (
    Action,
    DomainError,
    Event,
    IllegalTransition,
    NotHolder,
    State,
)
from servicepoint.usecases import (
    act,
    call_next,
    call_number,
    call_ticket,
    issue_ticket,
    set_counter,
)
from tests.unit.fakes import FakeStore, fake_ports

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def called(counter="1"):
    t, _ = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=13, at=T0, ticket_id=1)
    t, _ = lifecycle.apply(t, Action.CALL, at(2), counter=counter)
    return t


# -- transfer from Called -----------------------------------------------------------

def test_a_called_ticket_can_be_transferred_without_being_served():
    new, ev = lifecycle.apply(called(), Action.TRANSFER, at(3), counter="1", service="C")
    assert (new.state, new.service, new.counter, new.number) == (State.WAITING, "C", None, "A013")
    assert new.queued_at == at(3)  # a new wait segment starts
    assert (ev.from_state, ev.to_state, ev.counter) == (State.CALLED, State.WAITING, "1")
    sent, _ = lifecycle.apply(called(), Action.TRANSFER, at(3), counter="1", target_counter="4")
    assert sent.target_counter == "4"


def test_transfer_from_called_has_no_service_time():
    """Service time is start → end: a customer sent on before being served adds none."""
    t, issue_ev = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=1, at=T0,
                                  ticket_id=1)
    t, call_ev = lifecycle.apply(t, Action.CALL, at(2), counter="1")
    _, transfer_ev = lifecycle.apply(t, Action.TRANSFER, at(3), counter="1", service="B")
    assert kpi.service_spans([issue_ev, call_ev, transfer_ev]) == []
    assert kpi.counter_day([issue_ev, call_ev, transfer_ev], "1").transferred == 1


# -- what a refusal carries ----------------------------------------------------------

def test_a_refusal_carries_the_facts_for_the_clerks_words():
    done, _ = lifecycle.apply(lifecycle.apply(called(), Action.START, at(3), counter="1")[0],
                              Action.FINISH, at(9), counter="1")
    with pytest.raises(IllegalTransition) as info:
        lifecycle.apply(done, Action.RECALL, at(10), counter="1")
    assert info.value.params == {"number": "A013", "state": "done", "action": "recall"}
    with pytest.raises(NotHolder) as info:
        lifecycle.apply(called("1"), Action.START, at(3), counter="2")
    assert info.value.params["holder"] == "1" and info.value.params["number"] == "A013"


# -- the recall countdown -------------------------------------------------------------

@pytest.mark.parametrize(("recalls", "limit", "left"),
                         [(0, 0, None), (5, 0, None), (0, 2, 2), (1, 2, 1), (2, 2, 0), (3, 2, 0)])
def test_recalls_left_before_the_automatic_no_show(recalls, limit, left):
    assert lifecycle.recalls_left(recalls, limit) == left


def test_the_countdown_agrees_with_the_rule():
    """When the countdown says 0, the next recall is the no-show; before, it is not."""
    t = called()
    while lifecycle.recalls_left(t.recalls, 2):
        t, ev = lifecycle.apply(t, Action.RECALL, at(3), counter="1", max_recalls=2)
        assert ev.action == Action.RECALL
    t, ev = lifecycle.apply(t, Action.RECALL, at(4), counter="1", max_recalls=2)
    assert ev.action == Action.NO_SHOW and t.state == State.NO_SHOW


# -- breaks ------------------------------------------------------------------------

def test_a_break_reason_comes_from_the_list():
    reasons = ["Lunch", "Training"]
    assert counters.break_reason("Lunch", reasons) == "Lunch"
    assert counters.break_reason(" Lunch ", reasons) == "Lunch"
    assert counters.break_reason(None, reasons) is None  # the API may pause without one
    with pytest.raises(DomainError) as info:
        counters.break_reason("Nap", reasons)
    assert info.value.code == "break_reason" and info.value.params["reasons"] == reasons
    assert counters.break_reason("Anything", []) == "Anything"  # no list: as typed
    with pytest.raises(DomainError) as info:
        counters.move("1", "break", [], reason="Nap", reasons=reasons)
    assert info.value.code == "break_reason"


def test_break_reasons_are_a_branch_setting():
    assert parse_settings({}).break_reasons == DEFAULT_BREAK_REASONS
    settings = parse_settings({"break_reasons": "Lunch\n\n  Doctor \nTraining"})
    assert settings.break_reasons == ("Lunch", "Doctor", "Training")
    assert parse_settings({"break_reasons": []}).break_reasons == ()
    for bad, key in (("Lunch\nlunch", "setup.duplicate"), ("x" * 41, "setup.too_long"),
                     ("\n".join(f"r{i}" for i in range(13)), "setup.too_many"),
                     (42, "setup.not_list")):
        with pytest.raises(InvalidSetup) as info:
            parse_settings({"break_reasons": bad})
        assert info.value.errors[0].key == key, bad


# -- a display's setup ----------------------------------------------------------------

def test_a_display_says_what_it_covers_and_how():
    spec = parse_device({"code": "D2", "kind": "display", "name": "First floor",
                         "languages": ["es", "en"], "counters": ["5", "6"],
                         "orientation": "portrait", "message": "  Mostradores 5 y 6 "},
                        known_counters="123456", known_services="ABCD")
    assert (spec.language, spec.languages, spec.counters) == ("es", ("es", "en"), ("5", "6"))
    assert (spec.orientation, spec.message) == ("portrait", "Mostradores 5 y 6")
    plain = parse_device({"code": "D1", "kind": "display", "name": "Lobby"})
    assert (plain.counters, plain.languages, plain.orientation, plain.message) == (None,) * 4


@pytest.mark.parametrize(("raw", "field", "key"), [
    ({"counters": ["9"]}, "counters[0]", "setup.unknown_counter"),
    ({"languages": ["en", "en"]}, "languages", "setup.duplicate"),
    ({"languages": []}, "languages", "setup.required"),
    ({"languages": ["english"]}, "languages[0]", "setup.bad_language"),
    ({"orientation": "upside-down"}, "orientation", "setup.bad_orientation"),
    ({"message": "x" * 121}, "message", "setup.too_long"),
])
def test_bad_display_setup_is_refused_by_field(raw, field, key):
    with pytest.raises(InvalidSetup) as info:
        parse_device({"code": "D1", "kind": "display", "name": "Lobby", **raw},
                     known_counters="123456")
    assert [(e.field, e.key) for e in info.value.errors] == [(field, key)]


def test_a_kiosk_has_no_display_fields():
    with pytest.raises(InvalidSetup) as info:
        parse_device({"code": "K1", "kind": "kiosk", "name": "Door", "message": "Hi",
                      "orientation": "portrait"})
    assert {e.field for e in info.value.errors} == {"message", "orientation"}
    assert {e.key for e in info.value.errors} == {"setup.display_only"}


# -- the counter's figures ---------------------------------------------------------------

def test_counter_day_counts_what_happened_here():
    def ev(tid, action, minute, counter=None, service="A"):
        return Event(ticket_id=tid, action=action, at=at(minute), service=service,
                     from_state=None, to_state=State.WAITING, counter=counter)
    events = [
        ev(1, Action.ISSUE, 0), ev(1, Action.CALL, 4, "1"), ev(1, Action.START, 5, "1"),
        ev(1, Action.FINISH, 11, "1"),
        ev(2, Action.ISSUE, 1), ev(2, Action.CALL, 9, "2"), ev(2, Action.START, 10, "2"),
        ev(2, Action.TRANSFER, 12, "2"), ev(2, Action.CALL, 14, "1"),  # waited 2 min for 1
        ev(2, Action.NO_SHOW, 20, "1"),
        ev(3, Action.ISSUE, 2), ev(3, Action.CALL, 12, "1"), ev(3, Action.TRANSFER, 13, "1"),
    ]
    day = kpi.counter_day(events, "1")
    assert (day.called, day.served, day.no_shows, day.transferred) == (3, 1, 1, 1)
    assert day.mean_wait_s == round((4 + 2 + 10) * 60 / 3, 1)
    assert day.mean_service_s == 6 * 60.0
    other = kpi.counter_day(events, "2")
    assert (other.called, other.served, other.transferred, other.mean_service_s) == (1, 0, 1, 120.0)
    assert kpi.counter_day([], "1") == kpi.CounterDay()


# -- use cases: call by number and breaks -----------------------------------------------

@pytest.fixture
def store() -> FakeStore:
    return FakeStore.demo()


@pytest.fixture
def memory_ports(store, clock):
    return fake_ports(store, clock)


def test_call_by_number_calls_that_ticket_and_opens_the_counter(store, memory_ports, clock):
    first, second = (issue_ticket(memory_ports, service="A").ticket for _ in range(2))
    clock.advance(30)
    got = call_number(memory_ports, number=" a002 ", counter="1", staff="clerk")
    assert (got.id, got.state, got.counter) == (second.id, State.CALLED, "1")
    assert store.counters["1"].state == "open"
    assert store.tickets[first.id].state == State.WAITING  # the head of the queue waits on


def test_call_by_number_refusals(store, memory_ports, clock):
    issue_ticket(memory_ports, service="C")
    with pytest.raises(DomainError) as info:
        call_number(memory_ports, number="A099", counter="1")
    assert (info.value.code, info.value.params) == ("no_such_number", {"number": "A099"})
    with pytest.raises(DomainError) as info:  # counter 1 serves A and B
        call_number(memory_ports, number="C001", counter="1")
    assert info.value.code == "not_served_here" and info.value.params["service"] == "C"
    call_number(memory_ports, number="C001", counter="3")
    with pytest.raises(IllegalTransition) as info:  # two counters never get the same ticket
        call_number(memory_ports, number="C001", counter="4")
    assert info.value.params["state"] == "called"
    assert store.tickets[1].counter == "3"


def test_a_ticket_sent_to_a_counter_is_called_by_number_only_there(store, memory_ports, clock):
    t = issue_ticket(memory_ports, service="A").ticket
    call_next(memory_ports, counter="1")
    act(memory_ports, ticket_id=t.id, action="transfer", counter="1", target_counter="6")
    with pytest.raises(DomainError) as info:
        call_number(memory_ports, number="A001", counter="2")
    assert info.value.code == "not_served_here" and info.value.params["target"] == "6"
    assert call_ticket(memory_ports, ticket_id=t.id, counter="6").counter == "6"


def test_a_break_records_its_reason(store, memory_ports, clock):
    set_counter(memory_ports, counter="2", move="open")
    set_counter(memory_ports, counter="2", move="break", reason="Lunch", staff="clerk")
    assert store.counter_events[-1] == ("2", "break", clock.now(), "clerk", "Lunch")
    set_counter(memory_ports, counter="2", move="break", reason="Training")  # another break
    assert store.counter_events[-1][4] == "Training"
    with pytest.raises(DomainError) as info:
        set_counter(memory_ports, counter="2", move="break", reason="Siesta")
    assert info.value.code == "break_reason"
    store.settings["break_reasons"] = ["Siesta"]  # the manager's own list
    set_counter(memory_ports, counter="2", move="break", reason="Siesta")
    assert store.counter_events[-1][4] == "Siesta"
    set_counter(memory_ports, counter="2", move="resume")
    assert store.counter_events[-1][1:] == ("resume", clock.now(), None, None)


# -- one person, one counter -----------------------------------------------------------

def test_a_person_opening_a_second_counter_puts_the_first_on_a_break(store, memory_ports, clock):
    set_counter(memory_ports, counter="2", move="open", staff="clerk", exclusive=True)
    set_counter(memory_ports, counter="3", move="open", staff="clerk", exclusive=True)
    assert store.counters["2"].state.value == "break" and store.counters["3"].state.value == "open"
    assert store.counter_events[-2:] == [("2", "break", clock.now(), "clerk", None),
                                         ("3", "open", clock.now(), "clerk", None)]
    set_counter(memory_ports, counter="2", move="resume", staff="clerk", exclusive=True)
    assert (store.counters["2"].state.value, store.counters["3"].state.value) == ("open", "break")


def test_a_person_with_a_customer_at_one_counter_cannot_open_another(store, memory_ports):
    set_counter(memory_ports, counter="1", move="open", staff="clerk", exclusive=True)
    ticket = issue_ticket(memory_ports, service="A").ticket
    call_next(memory_ports, counter="1", staff="clerk")
    before = store.state()
    with pytest.raises(DomainError) as info:
        set_counter(memory_ports, counter="2", move="open", staff="clerk", exclusive=True)
    assert info.value.code == "holds_other_counter"
    assert info.value.params == {"number": ticket.number, "state": "called", "counter": "1"}
    assert store.state() == before  # nothing paused, nothing opened


def test_scripts_and_other_people_still_open_many_counters(store, memory_ports):
    set_counter(memory_ports, counter="2", move="open", staff="sim")
    set_counter(memory_ports, counter="3", move="open", staff="sim")  # not exclusive
    set_counter(memory_ports, counter="4", move="open", staff="ana", exclusive=True)
    assert [store.counters[c].state.value for c in "234"] == ["open", "open", "open"]


def test_leaving_other_counters_is_a_plain_rule():
    assert counters.leave_others("3", [("2", []), ("3", []), ("5", [])]) == ["2", "5"]
    with pytest.raises(DomainError) as info:
        counters.leave_others("3", [("2", []), ("5", [called("5")])])
    assert info.value.code == "holds_other_counter" and info.value.params["counter"] == "5"
