"""Every refusal of the domain, with the exact code and words the API and the faces show.

The message is what a clerk or a customer reads, so it is pinned here: a change of
wording is a change of the product and shows up in review.
"""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint.domain import lifecycle
from servicepoint.domain.model import Action, DomainError, Event, State, Ticket

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket_in(state: State, counter: str | None = None, number: str = "A007") -> Ticket:
    return Ticket(id=1, number=number, service="A", day="2026-03-02", seq=7, state=state,
                  priority="normal", language="en", issued_at=T0, queued_at=T0, rank_at=T0,
                  counter=counter)


def issue(**kw):
    args = {"service": "A", "prefix": "A", "day": "2026-03-02", "seq": 1, "at": T0, **kw}
    return lifecycle.issue(**args)


W, C, S, D = State.WAITING, State.CALLED, State.SERVING, State.DONE

CASES = {
    "unknown priority": (lambda: issue(priority="vip"), "bad_priority",
                         "Unknown priority 'vip'; use one of: appointment, priority, normal"),
    "sequence zero": (lambda: issue(seq=0), "bad_sequence", "Ticket counters start at 1"),
    "untrusted priority": (lambda: lifecycle.check_issuer("priority", staff=False),
                           "priority_not_allowed",
                           "Priority tickets are issued by a kiosk or staff"),
    "self-declared appointment": (
        lambda: lifecycle.check_issuer("appointment", staff=False, kiosk_asks_priority=True),
        "priority_not_allowed", "Appointment tickets are issued by staff"),
    "unknown action": (lambda: lifecycle.apply(ticket_in(W), "dance", T0), "bad_action",
                       "Unknown action 'dance'"),
    "issue twice": (lambda: lifecycle.apply(ticket_in(W), Action.ISSUE, T0),
                    "illegal_transition", "A ticket is issued only once"),
    "illegal move": (lambda: lifecycle.apply(ticket_in(W), Action.FINISH, T0, counter="1"),
                     "illegal_transition",
                     "Ticket A007 is waiting; cannot finish it (allowed: call, cancel)"),
    "nothing allowed": (lambda: lifecycle.apply(ticket_in(State.CANCELLED), Action.CALL, T0,
                                                counter="1"),
                        "illegal_transition",
                        "Ticket A007 is cancelled; cannot call it (allowed: none)"),
    "holder action without counter": (lambda: lifecycle.apply(ticket_in(C, "1"), Action.START, T0),
                                      "counter_required", "start needs the acting counter"),
    "call without counter": (lambda: lifecycle.apply(ticket_in(W), Action.CALL, T0),
                             "counter_required", "call needs the acting counter"),
    "not the holder": (lambda: lifecycle.apply(ticket_in(C, "1"), Action.START, T0, counter="2"),
                       "not_holder", "Ticket A007 is held by counter 1, not 2"),
    "transferred elsewhere": (
        lambda: lifecycle.apply(ticket_in(W).replace(target_counter="5"), Action.CALL, T0,
                                counter="2"),
        "not_holder", "Ticket A007 was transferred to counter 5"),
    "transfer nowhere": (lambda: lifecycle.apply(ticket_in(S, "1"), Action.TRANSFER, T0,
                                                 counter="1"),
                         "transfer_target_required",
                         "A transfer needs a service or a counter to go to"),
    "transfer to self": (lambda: lifecycle.apply(ticket_in(S, "1"), Action.TRANSFER, T0,
                                                 counter="1", target_counter="1"),
                         "transfer_to_self", "Cannot transfer a ticket to the counter serving it"),
    "unknown position": (lambda: lifecycle.apply(ticket_in(C, "1"), Action.REQUEUE, T0,
                                                 counter="1", position="middle"),
                         "bad_position", "Unknown position 'middle'; use front, time or back"),
    "unknown outcome": (lambda: lifecycle.apply(ticket_in(S, "1"), Action.FINISH, T0, counter="1",
                                                outcome="maybe"),
                        "bad_outcome", "Unknown outcome 'maybe'; use resolved or follow_up"),
    "empty rating": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0, rating={}),
                     "bad_rating", "A rating needs csat (1-5) and/or nps (0-10)"),
    "rating not an object": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0,
                                                     rating=[("csat", 5)]),
                             "bad_rating", "A rating needs csat (1-5) and/or nps (0-10)"),
    "rating of nulls": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0,
                                                rating={"csat": None, "nps": None}),
                        "bad_rating", "A rating needs csat (1-5) and/or nps (0-10)"),
    "csat out of range": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0,
                                                  rating={"csat": 6}),
                          "bad_rating", "csat must be a whole number from 1 to 5"),
    "nps out of range": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0,
                                                 rating={"nps": 11}),
                         "bad_rating", "nps must be a whole number from 0 to 10"),
    "second rating": (lambda: lifecycle.apply(ticket_in(D), Action.RATE, T0, rating={"nps": 9},
                                              already_rated=True),
                      "already_rated", "Ticket A007 has already been rated"),
    "history without issue": (lambda: lifecycle.replay([]), "bad_history",
                              "A ticket's history starts with issue"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refusal_code_and_words(case):
    act, code, message = CASES[case]
    with pytest.raises(DomainError) as info:
        act()
    assert (info.value.code, info.value.message) == (code, message)
    assert str(info.value) == message


def test_a_diverging_replay_names_the_ticket_and_the_action():
    ticket, issued = issue(seq=7, ticket_id=1)
    _, called = lifecycle.apply(ticket, Action.CALL, T0, counter="1")
    forged = Event(ticket_id=1, action=Action.CALL, at=T0, service="A", from_state=W,
                   to_state=State.SERVING, counter="1", staff=None, data={})
    with pytest.raises(DomainError) as info:
        lifecycle.replay([issued, forged])
    assert (info.value.code, info.value.message) == ("bad_history",
                                                     "Replay of A007 diverged at call")
    assert lifecycle.replay([issued, called]).state == C


def test_replay_of_an_old_issue_event_without_priority_or_language():
    """Events written before priorities and languages existed replay as normal / English."""
    ticket, issued = issue(seq=3, ticket_id=9, priority="priority", language="es")
    bare = Event(ticket_id=9, action=Action.ISSUE, at=T0, service="A", from_state=None,
                 to_state=W, staff=None, data={"number": "A003", "day": "2026-03-02", "seq": 3})
    rebuilt = lifecycle.replay([bare])
    assert (rebuilt.priority, rebuilt.language) == ("normal", "en")
    assert lifecycle.replay([issued]) == ticket


def test_replay_keeps_ratings_positions_and_transfers():
    ticket, issued = issue(seq=4, ticket_id=2, at=T0)
    events = [issued]
    steps = [
        (Action.CALL, {"counter": "1"}), (Action.START, {"counter": "1"}),
        (Action.TRANSFER, {"counter": "1", "service": "B", "position": "front"}),
        (Action.CALL, {"counter": "2"}), (Action.START, {"counter": "2"}),
        (Action.FINISH, {"counter": "2"}), (Action.RATE, {"rating": {"csat": 2}}),
    ]
    for minute, (action, kw) in enumerate(steps, start=1):
        ticket, event = lifecycle.apply(ticket, action, T0 + dt.timedelta(minutes=minute), **kw)
        events.append(event)
    assert events[-1].data == {"csat": 2}
    rebuilt = lifecycle.replay(events)
    assert rebuilt == ticket and rebuilt.service == "B"


def test_a_requeue_never_carries_a_target_counter():
    ticket = ticket_in(C, "1").replace(target_counter=None)
    requeued, event = lifecycle.apply(ticket, Action.REQUEUE, T0, counter="1", target_counter="4")
    assert requeued.target_counter is None
    assert "to_counter" not in event.data


def test_a_call_clears_the_front_flag_and_the_transfer_target():
    ticket = ticket_in(W).replace(front=True, target_counter="3", recalls=2)
    called, _ = lifecycle.apply(ticket, Action.CALL, T0, counter="3")
    assert (called.front, called.target_counter, called.recalls) == (False, None, 0)


def test_expiry_records_the_holder_and_a_cancel_none():
    _, expired = lifecycle.apply(ticket_in(State.PARKED, "6"), Action.EXPIRE, T0)
    assert expired.counter == "6"
    _, cancelled = lifecycle.apply(ticket_in(W), Action.CANCEL, T0, counter="2")
    assert cancelled.counter is None


def test_issue_defaults_to_a_normal_ticket_in_english():
    ticket, event = issue()
    assert (ticket.priority, ticket.language) == ("normal", "en")
    assert (event.data["priority"], event.data["language"]) == ("normal", "en")
