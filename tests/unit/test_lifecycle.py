"""The ticket lifecycle table and the rules around it (docs/architecture.md, *The ticket lifecycle*), on plain values."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from servicepoint.domain import lifecycle, routing
from servicepoint.domain.model import (
    HELD_STATES,
    TERMINAL_STATES,
    Action,
    DomainError,
    Event,
    IllegalTransition,
    NotHolder,
    Outcome,
    Position,
    Priority,
    State,
    Ticket,
    format_number,
)

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
W, C, S, P = State.WAITING, State.CALLED, State.SERVING, State.PARKED

# The table of docs/architecture.md, *The ticket lifecycle*, written out independently of the code's table. ``rate`` annotates a
# finished visit (CSAT/NPS, §7) and leaves it done.
EXPECTED = {
    (W, Action.CALL): C,
    (P, Action.CALL): C,
    (C, Action.RECALL): C,
    (C, Action.START): S,
    (C, Action.NO_SHOW): State.NO_SHOW,
    (C, Action.REQUEUE): W,
    (S, Action.REQUEUE): W,
    (C, Action.TRANSFER): W,
    (S, Action.TRANSFER): W,
    (S, Action.PARK): P,
    (S, Action.FINISH): State.DONE,
    (W, Action.CANCEL): State.CANCELLED,
    (W, Action.EXPIRE): State.EXPIRED,
    (C, Action.EXPIRE): State.EXPIRED,
    (P, Action.EXPIRE): State.EXPIRED,
    (State.DONE, Action.RATE): State.DONE,
}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def new_ticket(service="A", seq=1, minutes=0, priority=Priority.NORMAL, ticket_id=1) -> Ticket:
    ticket, _ = lifecycle.issue(service=service, prefix=service, day="2026-03-02", seq=seq,
                                at=at(minutes), priority=priority, ticket_id=ticket_id)
    return ticket


def ticket_in(state: State, counter: str = "1") -> Ticket:
    """A ticket sitting in ``state``; held states are held by ``counter``."""
    t = new_ticket()
    return t.replace(state=state, counter=counter if state in HELD_STATES else None,
                     called_at=at(1) if state in HELD_STATES else None)


def params_for(action: Action) -> dict:
    """The extra arguments an otherwise-legal ``action`` needs."""
    return {
        Action.TRANSFER: {"service": "B"},
        Action.RATE: {"rating": {"csat": 5}},
        Action.FINISH: {"outcome": "resolved"},
    }.get(action, {})


def test_the_code_table_is_the_designed_table():
    assert dict(lifecycle.TRANSITIONS) == EXPECTED


ALL_PAIRS = list(itertools.product(State, Action))


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS,
                         ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_state_action_pair(state, action):
    ticket = ticket_in(state)
    if (state, action) in EXPECTED:
        new, event = lifecycle.apply(ticket, action, at(5), counter="1", **params_for(action))
        assert new.state == EXPECTED[(state, action)]
        assert new.number == ticket.number
        assert (event.action, event.from_state, event.to_state) == (
            action, state, EXPECTED[(state, action)])
        assert event.ticket_id == ticket.id and event.at == at(5)
    else:
        with pytest.raises(IllegalTransition) as info:
            lifecycle.apply(ticket, action, at(5), counter="1", **params_for(action))
        assert info.value.code == "illegal_transition"
        if action != Action.ISSUE:  # "issued only once" needs no state
            assert state.value in info.value.message and action.value in info.value.message


def test_refusal_names_the_allowed_actions():
    with pytest.raises(IllegalTransition, match=r"allowed: .*call.*cancel"):
        lifecycle.apply(ticket_in(W), Action.FINISH, at(1), counter="1")
    with pytest.raises(IllegalTransition, match=r"allowed: none"):
        lifecycle.apply(ticket_in(State.CANCELLED), Action.CALL, at(1), counter="1")


def test_unknown_action_is_a_domain_error():
    with pytest.raises(DomainError) as info:
        lifecycle.apply(ticket_in(W), "teleport", at(1), counter="1")
    assert info.value.code == "bad_action"


def test_terminal_states_accept_nothing_but_a_rating_of_a_done_visit():
    for state in TERMINAL_STATES:
        assert lifecycle.allowed_actions(state) == ([Action.RATE] if state == State.DONE else [])


# -- issue -------------------------------------------------------------------

def test_issue_makes_a_waiting_ticket_and_its_event():
    ticket, event = lifecycle.issue(service="B", prefix="B", day="2026-03-02", seq=42,
                                    at=at(0), priority="priority", language="es", staff="ana")
    assert (ticket.number, ticket.state, ticket.priority, ticket.language) == (
        "B042", W, Priority.PRIORITY, "es")
    assert ticket.issued_at == ticket.queued_at == ticket.rank_at == at(0)
    assert ticket.counter is None and ticket.recalls == 0
    assert event.action == Action.ISSUE and event.from_state is None and event.to_state == W
    assert event.data == {"number": "B042", "day": "2026-03-02", "seq": 42,
                          "priority": "priority", "language": "es"}
    assert event.staff == "ana"


@pytest.mark.parametrize(("prefix", "seq", "number"),
                         [("A", 1, "A001"), ("A", 42, "A042"), ("A", 999, "A999"),
                          ("A", 1000, "A1000"), ("BC", 7, "BC007")])
def test_number_format(prefix, seq, number):
    assert format_number(prefix, seq) == number


@pytest.mark.parametrize(("kw", "code"), [({"priority": "vip"}, "bad_priority"),
                                          ({"seq": 0}, "bad_sequence"),
                                          ({"seq": -3}, "bad_sequence")])
def test_issue_refuses_bad_input(kw, code):
    args = {"service": "A", "prefix": "A", "day": "2026-03-02", "seq": 1, "at": at(0), **kw}
    with pytest.raises(DomainError) as info:
        lifecycle.issue(**args)
    assert info.value.code == code


def test_issue_is_not_an_action_on_an_existing_ticket():
    with pytest.raises(IllegalTransition):
        lifecycle.apply(ticket_in(W), Action.ISSUE, at(1))


# -- holders -----------------------------------------------------------------

HOLDER_CASES = [(C, Action.RECALL), (C, Action.START), (C, Action.NO_SHOW), (C, Action.REQUEUE),
                (C, Action.TRANSFER), (S, Action.REQUEUE), (S, Action.TRANSFER), (S, Action.PARK),
                (S, Action.FINISH),
                (P, Action.CALL)]


@pytest.mark.parametrize(("state", "action"), HOLDER_CASES,
                         ids=[f"{s.value}-{a.value}" for s, a in HOLDER_CASES])
def test_only_the_holding_counter_may_act(state, action):
    ticket = ticket_in(state, counter="1")
    with pytest.raises(NotHolder) as info:
        lifecycle.apply(ticket, action, at(5), counter="2", **params_for(action))
    assert info.value.code == "not_holder"
    assert "counter 1" in info.value.message
    # ... and the holder may.
    new, _ = lifecycle.apply(ticket, action, at(5), counter="1", **params_for(action))
    assert new.state == EXPECTED[(state, action)]


@pytest.mark.parametrize(("state", "action"), HOLDER_CASES,
                         ids=[f"{s.value}-{a.value}" for s, a in HOLDER_CASES])
def test_holder_actions_need_the_acting_counter(state, action):
    with pytest.raises(DomainError) as info:
        lifecycle.apply(ticket_in(state), action, at(5), **params_for(action))
    assert info.value.code == "counter_required"
    assert not isinstance(info.value, NotHolder)


def test_call_needs_a_counter_and_sets_the_holder():
    ticket = ticket_in(W)
    with pytest.raises(DomainError) as info:
        lifecycle.apply(ticket, Action.CALL, at(3))
    assert info.value.code == "counter_required"
    called, event = lifecycle.apply(ticket, Action.CALL, at(3), counter="4", staff="ana")
    assert (called.state, called.counter, called.called_at) == (C, "4", at(3))
    assert (event.counter, event.staff) == ("4", "ana")


def test_cancel_and_expire_release_the_ticket():
    cancelled, ev = lifecycle.apply(ticket_in(W), Action.CANCEL, at(2))
    assert cancelled.counter is None and ev.counter is None
    expired, ev = lifecycle.apply(ticket_in(C, counter="3"), Action.EXPIRE, at(2))
    assert expired.state == State.EXPIRED and expired.counter is None
    assert ev.counter == "3"  # the event still says where it was standing
    parked, ev = lifecycle.apply(ticket_in(P, counter="5"), Action.EXPIRE, at(2))
    assert parked.counter is None and ev.counter == "5"


def test_no_show_releases_the_counter():
    t, ev = lifecycle.apply(ticket_in(C, counter="2"), Action.NO_SHOW, at(4), counter="2")
    assert t.state == State.NO_SHOW and t.counter is None and ev.counter == "2"


# -- recall ------------------------------------------------------------------

def test_recalls_are_counted_and_reset_by_the_next_call():
    t, _ = lifecycle.apply(ticket_in(W), Action.CALL, at(1), counter="1")
    for n in (1, 2, 3):
        t, ev = lifecycle.apply(t, Action.RECALL, at(1 + n), counter="1")
        assert t.recalls == n and ev.data == {"recalls": n}
        assert t.state == C and t.called_at == at(1)  # a recall does not restart the call
    t, _ = lifecycle.apply(t, Action.REQUEUE, at(6), counter="1")
    assert t.recalls == 0
    t, _ = lifecycle.apply(t, Action.CALL, at(7), counter="2")
    assert t.recalls == 0 and t.called_at == at(7)


# -- requeue -----------------------------------------------------------------

def _serving(minutes_issued=0, rank_minutes=None) -> Ticket:
    t = new_ticket(minutes=minutes_issued)
    if rank_minutes is not None:
        t = t.replace(rank_at=at(rank_minutes))
    t, _ = lifecycle.apply(t, Action.CALL, at(10), counter="1")
    t, _ = lifecycle.apply(t, Action.START, at(11), counter="1")
    return t


@pytest.mark.parametrize(("position", "front", "rank_minutes"),
                         [(Position.FRONT, True, 5), (Position.TIME, False, 0),
                          (Position.BACK, False, 20), ("front", True, 5)])
def test_requeue_positions(position, front, rank_minutes):
    # issued at 0, ranked from 5 (an earlier requeue), requeued at 20
    t = _serving(minutes_issued=0, rank_minutes=5)
    new, ev = lifecycle.apply(t, Action.REQUEUE, at(20), counter="1", position=position)
    assert new.state == W and new.counter is None and new.called_at is None
    assert new.front is front
    assert new.rank_at == at(rank_minutes)
    assert new.queued_at == at(20)  # a new wait segment starts now
    assert new.service == "A" and new.number == t.number
    assert ev.data == {"position": Position(position).value}


def test_requeue_default_position_is_by_issue_time():
    new, _ = lifecycle.apply(_serving(rank_minutes=5), Action.REQUEUE, at(20), counter="1")
    assert new.rank_at == new.issued_at and not new.front


def test_requeue_refuses_an_unknown_position():
    with pytest.raises(DomainError) as info:
        lifecycle.apply(_serving(), Action.REQUEUE, at(20), counter="1", position="middle")
    assert info.value.code == "bad_position"


# -- transfer ----------------------------------------------------------------

def test_transfer_to_another_service_keeps_the_number_and_starts_a_new_wait():
    t = _serving()
    new, ev = lifecycle.apply(t, Action.TRANSFER, at(15), counter="1", service="C", staff="ana")
    assert new.number == "A001" and new.seq == 1 and new.day == t.day
    assert new.service == "C" and new.state == W
    assert new.counter is None and new.target_counter is None
    assert new.queued_at == at(15) and new.issued_at == t.issued_at
    assert ev.service == "C"
    assert ev.data == {"to_service": "C", "to_counter": None, "from_service": "A",
                       "position": "time"}


def test_transfer_to_a_named_counter_is_callable_only_there():
    t = _serving()
    new, ev = lifecycle.apply(t, Action.TRANSFER, at(15), counter="1", target_counter="4")
    assert new.service == "A" and new.target_counter == "4" and new.state == W
    assert ev.data["to_counter"] == "4"
    # Counter 2 serves A but the ticket was sent to 4; counter 4 gets it whatever it serves.
    assert not routing.callable_by(new, "2", ["A", "B"])
    assert routing.callable_by(new, "4", ["D"])
    with pytest.raises(NotHolder):
        lifecycle.apply(new, Action.CALL, at(16), counter="2")
    called, _ = lifecycle.apply(new, Action.CALL, at(16), counter="4")
    assert called.counter == "4" and called.target_counter is None


def test_transfer_needs_a_destination():
    with pytest.raises(DomainError) as info:
        lifecycle.apply(_serving(), Action.TRANSFER, at(15), counter="1")
    assert info.value.code == "transfer_target_required"


def test_transfer_to_the_serving_counter_itself_is_refused():
    with pytest.raises(DomainError) as info:
        lifecycle.apply(_serving(), Action.TRANSFER, at(15), counter="1", target_counter="1")
    assert info.value.code == "transfer_to_self"


def test_transfer_to_front_keeps_its_rank():
    t = _serving(rank_minutes=3)
    new, _ = lifecycle.apply(t, Action.TRANSFER, at(15), counter="1", service="B",
                             position="front")
    assert new.front and new.rank_at == at(3)


# -- park / finish -------------------------------------------------------------

def test_park_keeps_the_holder_and_only_it_calls_back():
    parked, _ = lifecycle.apply(_serving(), Action.PARK, at(12), counter="1")
    assert parked.state == P and parked.counter == "1"
    with pytest.raises(NotHolder):
        lifecycle.apply(parked, Action.CALL, at(13), counter="2")
    back, _ = lifecycle.apply(parked, Action.CALL, at(13), counter="1")
    assert back.state == C and back.called_at == at(13)


@pytest.mark.parametrize(("outcome", "expected"), [(None, Outcome.RESOLVED),
                                                   ("resolved", Outcome.RESOLVED),
                                                   ("follow_up", Outcome.FOLLOW_UP),
                                                   (Outcome.FOLLOW_UP, Outcome.FOLLOW_UP)])
def test_finish_outcomes(outcome, expected):
    done, ev = lifecycle.apply(_serving(), Action.FINISH, at(20), counter="1", outcome=outcome)
    assert done.state == State.DONE and done.outcome == expected and done.counter is None
    assert ev.data == {"outcome": expected.value} and ev.counter == "1"


def test_finish_refuses_an_unknown_outcome():
    with pytest.raises(DomainError) as info:
        lifecycle.apply(_serving(), Action.FINISH, at(20), counter="1", outcome="maybe")
    assert info.value.code == "bad_outcome"


# -- rate ----------------------------------------------------------------------

def _done() -> Ticket:
    return lifecycle.apply(_serving(), Action.FINISH, at(20), counter="1")[0]


@pytest.mark.parametrize("rating", [{"csat": 1}, {"csat": 5}, {"nps": 0}, {"nps": 10},
                                    {"csat": 4, "nps": 9}, {"csat": 3, "nps": None}])
def test_valid_ratings(rating):
    t, ev = lifecycle.apply(_done(), Action.RATE, at(21), rating=rating)
    assert t.state == State.DONE
    assert ev.data == {k: v for k, v in rating.items() if v is not None}
    assert ev.counter is None


@pytest.mark.parametrize("rating", [None, {}, "5", {"csat": 0}, {"csat": 6}, {"nps": -1},
                                    {"nps": 11}, {"csat": True}, {"csat": 4.0}, {"csat": "5"},
                                    {"csat": None, "nps": None}, {"stars": 5}])
def test_invalid_ratings(rating):
    with pytest.raises(DomainError) as info:
        lifecycle.apply(_done(), Action.RATE, at(21), rating=rating)
    assert info.value.code == "bad_rating"


# -- replay --------------------------------------------------------------------

def _history(steps) -> tuple[Ticket, list[Event]]:
    """Apply ``steps`` = [(minutes, action, kwargs)] to a fresh ticket; return it and its events."""
    ticket, event = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=7, at=at(0),
                                    priority="priority", language="es", ticket_id=11)
    events = [event]
    for minutes, action, kw in steps:
        ticket, event = lifecycle.apply(ticket, action, at(minutes), **kw)
        events.append(event)
    return ticket, events


HISTORIES = {
    "issued": [],
    "served": [(1, "call", {"counter": "1"}), (2, "recall", {"counter": "1"}),
               (3, "start", {"counter": "1"}), (9, "finish", {"counter": "1",
                                                             "outcome": "follow_up"}),
               (10, "rate", {"rating": {"csat": 4, "nps": 9}})],
    "requeued_front_then_transferred_to_counter": [
        (1, "call", {"counter": "2"}), (2, "requeue", {"counter": "2", "position": "front"}),
        (3, "call", {"counter": "1"}), (4, "start", {"counter": "1"}),
        (6, "transfer", {"counter": "1", "target_counter": "5", "position": "back"})],
    "transferred_parked_called_back_expired": [
        (1, "call", {"counter": "1"}), (2, "start", {"counter": "1"}),
        (3, "transfer", {"counter": "1", "service": "C"}), (5, "call", {"counter": "3"}),
        (6, "start", {"counter": "3"}), (7, "park", {"counter": "3"}),
        (9, "call", {"counter": "3"}), (30, "expire", {})],
    "no_show": [(1, "call", {"counter": "1"}), (2, "recall", {"counter": "1"}),
                (3, "no_show", {"counter": "1"})],
    "cancelled": [(4, "cancel", {})],
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_replay_rebuilds_the_ticket(name):
    ticket, events = _history(HISTORIES[name])
    assert lifecycle.replay(events) == ticket
    # Replay does not depend on the Event objects' identity (they could come from storage).
    copies = [dataclasses.replace(e, data=dict(e.data)) for e in events]
    assert lifecycle.replay(copies) == ticket


def test_replay_of_a_four_digit_number():
    ticket, event = lifecycle.issue(service="D", prefix="D", day="2026-03-02", seq=1234, at=at(0),
                                    ticket_id=3)
    rebuilt = lifecycle.replay([event])
    assert rebuilt.number == "D1234" and rebuilt == ticket


def test_replay_refuses_a_history_without_issue():
    _, events = _history(HISTORIES["served"])
    with pytest.raises(DomainError) as info:
        lifecycle.replay(events[1:])
    assert info.value.code == "bad_history"
    with pytest.raises(DomainError):
        lifecycle.replay([])


def test_replay_detects_a_tampered_history():
    _, events = _history(HISTORIES["served"])
    # Someone rewrote "finish → done" as "finish → no_show".
    events[4] = dataclasses.replace(events[4], to_state=State.NO_SHOW)
    with pytest.raises(DomainError) as info:
        lifecycle.replay(events[:5])
    assert info.value.code == "bad_history"


def test_replay_refuses_an_impossible_sequence():
    _, events = _history(HISTORIES["no_show"])
    extra = dataclasses.replace(events[1], at=at(9))  # a second call after the no-show
    with pytest.raises(IllegalTransition):
        lifecycle.replay(events + [extra])
