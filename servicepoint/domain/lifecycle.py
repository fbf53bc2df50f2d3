"""The ticket lifecycle: one table of ``(state, action) -> new state`` and the
function that applies it.

Every accepted action returns the new ticket *and* the event that records it,
so storage can write both in one transaction. Anything not in the table is
refused with :class:`IllegalTransition`.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from .model import (
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

W, C, S, P = State.WAITING, State.CALLED, State.SERVING, State.PARKED

TRANSITIONS: dict[tuple[State, Action], State] = {
    (W, Action.CALL): C,
    (P, Action.CALL): C,
    (C, Action.RECALL): C,
    (C, Action.START): S,
    (C, Action.NO_SHOW): State.NO_SHOW,
    (C, Action.REQUEUE): W,
    (S, Action.REQUEUE): W,
    # A called customer may be sent on before being served (they came to the wrong desk).
    (C, Action.TRANSFER): W,
    (S, Action.TRANSFER): W,
    (S, Action.PARK): P,
    (S, Action.FINISH): State.DONE,
    (W, Action.CANCEL): State.CANCELLED,
    (W, Action.EXPIRE): State.EXPIRED,
    (C, Action.EXPIRE): State.EXPIRED,
    (P, Action.EXPIRE): State.EXPIRED,
    # A rating annotates a finished visit; it changes nothing else.
    (State.DONE, Action.RATE): State.DONE,
}

# Actions a counter performs on a ticket it must already hold: whatever the table
# allows from the states in which a counter holds a ticket, except the end-of-day sweep.
_HOLDER_ACTIONS = frozenset(a for (s, a) in TRANSITIONS if s in (C, S)) - {Action.EXPIRE}
# What a counter terminal does to tickets: call one, then act on the one it holds.
COUNTER_ACTIONS = _HOLDER_ACTIONS | {Action.CALL}
# What staff may ask for on one ticket (the API's ticket endpoints): every move of the
# table except the end-of-day sweep; issuing has an endpoint of its own.
STAFF_ACTIONS = frozenset(a for (_, a) in TRANSITIONS) - {Action.EXPIRE}


def allowed_actions(state: State) -> list[Action]:
    """The actions the table accepts from ``state``, in table order."""
    return [a for (s, a) in TRANSITIONS if s == state]


def recalls_left(recalls: int, max_recalls: int) -> int | None:
    """How many more recalls a called ticket may have before the next one makes it a
    no-show (the branch's "auto no-show after N recalls"); None when the rule is off.

    0 means the next recall marks the ticket a no-show (see :func:`apply`).
    """
    if max_recalls <= 0:
        return None
    return max(0, max_recalls - recalls)


def issuable_priorities(*, staff: bool, kiosk_asks_priority: bool = False) -> frozenset[Priority]:
    """The priority classes an issuer may give a new ticket.

    Who vouches for the priority decides it, never what the request names:

    - **staff** (a signed-in user or an API token holder) may issue every class,
      ``appointment`` included: they can check the booking or the person;
    - an **anonymous** caller at a kiosk that asks the priority question ("I need
      priority assistance") may answer yes and get ``priority`` — anyone standing
      at that kiosk could tick the same box, so naming the kiosk grants no more;
    - any other anonymous caller (no kiosk, or a kiosk that does not ask) gets
      ``normal`` only. ``appointment`` is never self-declared.
    """
    if staff:
        return frozenset(Priority)
    if kiosk_asks_priority:
        return frozenset({Priority.NORMAL, Priority.PRIORITY})
    return frozenset({Priority.NORMAL})


def check_issuer(priority: Priority | str, *, staff: bool,
                 kiosk_asks_priority: bool = False) -> Priority:
    """``priority`` as a :class:`Priority` when this issuer may give it (see :func:`issuable_priorities`).

    Raises :class:`DomainError` ``bad_priority`` for an unknown class and
    ``priority_not_allowed`` when the issuer may not give it.
    """
    try:
        priority = Priority(priority)
    except ValueError:
        raise DomainError(
            f"Unknown priority {priority!r}; use one of: {', '.join(p.value for p in Priority)}",
            "bad_priority",
        ) from None
    if priority not in issuable_priorities(staff=staff, kiosk_asks_priority=kiosk_asks_priority):
        who = "staff" if priority == Priority.APPOINTMENT else "a kiosk or staff"
        raise DomainError(f"{priority.value.capitalize()} tickets are issued by {who}",
                          "priority_not_allowed")
    return priority


def call_is_active(state: State, holder: str | None, called_to: str | None) -> bool:
    """Whether a call shown on the board still stands: the ticket is still called to, or
    being served at, the counter it was called to (a later finish, no-show, requeue or
    call elsewhere makes the call history)."""
    return state in (C, S) and holder is not None and holder == called_to


def issue(
    *,
    service: str,
    prefix: str,
    day: str,
    seq: int,
    at: dt.datetime,
    priority: Priority | str = Priority.NORMAL,
    language: str = "en",
    staff: str | None = None,
    ticket_id: int | None = None,
) -> tuple[Ticket, Event]:
    """Create a waiting ticket numbered ``prefix`` + ``seq`` and its ``issue`` event.

    Raises :class:`DomainError` for an unknown priority or a non-positive ``seq``.
    """
    try:
        priority = Priority(priority)
    except ValueError:
        raise DomainError(
            f"Unknown priority {priority!r}; use one of: {', '.join(p.value for p in Priority)}",
            "bad_priority",
        ) from None
    if seq < 1:
        raise DomainError("Ticket counters start at 1", "bad_sequence")
    number = format_number(prefix, seq)
    ticket = Ticket(
        id=ticket_id, number=number, service=service, day=day, seq=seq,
        state=W, priority=priority, language=language,
        issued_at=at, queued_at=at, rank_at=at,
    )
    event = Event(
        ticket_id=ticket_id, action=Action.ISSUE, at=at, service=service,
        from_state=None, to_state=W, staff=staff,
        data={"number": number, "day": day, "seq": seq, "priority": priority.value,
              "language": language},
    )
    return ticket, event


def apply(
    ticket: Ticket,
    action: Action | str,
    at: dt.datetime,
    *,
    counter: str | None = None,
    staff: str | None = None,
    service: str | None = None,
    target_counter: str | None = None,
    position: Position | str = Position.TIME,
    outcome: Outcome | str | None = None,
    rating: dict | None = None,
    already_rated: bool = False,
    max_recalls: int = 0,
) -> tuple[Ticket, Event]:
    """Apply ``action`` to ``ticket`` at time ``at``; return the new ticket and its event.

    ``counter`` is the counter acting (required for call and for every action on
    a held ticket). ``service``/``target_counter`` say where a transfer goes;
    ``position`` where a requeued or transferred ticket lines up; ``outcome``
    how a finish ended; ``rating`` the scores of a rate (``{"csat": 1-5}`` and/or
    ``{"nps": 0-10}``); ``already_rated`` refuses a second rating of one visit.
    ``max_recalls`` (the branch's "auto no-show after N recalls"; 0 = off): a
    recall of a ticket already recalled that many times marks it a no-show.

    Raises :class:`IllegalTransition` when the table has no such move and
    :class:`NotHolder`/:class:`DomainError` when the move breaks a queue rule.
    """
    try:
        action = Action(action)
    except ValueError:
        raise DomainError(f"Unknown action {action!r}", "bad_action") from None
    if action == Action.ISSUE:
        raise IllegalTransition("A ticket is issued only once")
    auto_no_show = (action == Action.RECALL and ticket.state == State.CALLED
                    and 0 < max_recalls <= ticket.recalls)
    if auto_no_show:
        action = Action.NO_SHOW
    new_state = TRANSITIONS.get((ticket.state, action))
    if new_state is None:
        # Expiry is the end-of-day sweep, not something staff can do.
        allowed = ", ".join(a.value for a in allowed_actions(ticket.state)
                            if a != Action.EXPIRE) or "none"
        raise IllegalTransition(
            f"Ticket {ticket.number} is {ticket.state.value}; cannot {action.value} it "
            f"(allowed: {allowed})",
            number=ticket.number, state=ticket.state.value, action=action.value,
        )

    if action in _HOLDER_ACTIONS or (action == Action.CALL and ticket.state == P):
        if counter is None:
            raise DomainError(f"{action.value} needs the acting counter", "counter_required")
        if ticket.counter != counter:
            raise NotHolder(
                f"Ticket {ticket.number} is held by counter {ticket.counter}, not {counter}",
                number=ticket.number, state=ticket.state.value, action=action.value,
                holder=ticket.counter,
            )

    data: dict = {}
    changes: dict = {"state": new_state}
    event_service = ticket.service
    event_counter = counter

    if action == Action.CALL:
        if counter is None:
            raise DomainError("call needs the acting counter", "counter_required")
        if ticket.target_counter is not None and ticket.target_counter != counter:
            raise NotHolder(
                f"Ticket {ticket.number} was transferred to counter {ticket.target_counter}",
                number=ticket.number, state=ticket.state.value, action=action.value,
                target=ticket.target_counter,
            )
        changes.update(counter=counter, called_at=at, recalls=0, front=False,
                       target_counter=None)
    elif action == Action.RECALL:
        changes["recalls"] = ticket.recalls + 1
        data["recalls"] = ticket.recalls + 1
    elif action in (Action.REQUEUE, Action.TRANSFER):
        position = _position(position)
        new_service = ticket.service
        if action == Action.TRANSFER:
            if service is None and target_counter is None:
                raise DomainError("A transfer needs a service or a counter to go to",
                                  "transfer_target_required")
            if target_counter is not None and target_counter == counter and service is None:
                raise DomainError("Cannot transfer a ticket to the counter serving it",
                                  "transfer_to_self")
            new_service = service or ticket.service
            data.update(to_service=new_service, to_counter=target_counter,
                        from_service=ticket.service)
            event_service = new_service
        data["position"] = position.value
        rank_at = {Position.FRONT: ticket.rank_at, Position.TIME: ticket.issued_at,
                   Position.BACK: at}[position]
        changes.update(service=new_service, counter=None, called_at=None, recalls=0,
                       queued_at=at, rank_at=rank_at, front=position == Position.FRONT,
                       target_counter=target_counter if action == Action.TRANSFER else None)
    elif action == Action.FINISH:
        try:
            outcome = Outcome(outcome or Outcome.RESOLVED)
        except ValueError:
            raise DomainError(f"Unknown outcome {outcome!r}; use resolved or follow_up",
                              "bad_outcome") from None
        changes.update(outcome=outcome, counter=None)
        data["outcome"] = outcome.value
    elif action == Action.RATE:
        data.update(_check_rating(rating))
        if already_rated:
            # One rating per visit, or a keen customer would skew CSAT and NPS.
            raise DomainError(f"Ticket {ticket.number} has already been rated", "already_rated")
        event_counter = None
    elif action in (Action.NO_SHOW, Action.EXPIRE, Action.CANCEL):
        changes["counter"] = None
        if auto_no_show:
            data["reason"] = "max_recalls"
        if action != Action.NO_SHOW:
            # Expiry records the counter that still held the ticket; a cancelled
            # (waiting) ticket is held by none.
            event_counter = ticket.counter

    new_ticket = ticket.replace(**changes)
    event = Event(
        ticket_id=ticket.id, action=action, at=at, service=event_service,
        from_state=ticket.state, to_state=new_state, counter=event_counter,
        staff=staff, data=data,
    )
    return new_ticket, event


def _position(value: Position | str) -> Position:
    try:
        return Position(value)
    except ValueError:
        raise DomainError(f"Unknown position {value!r}; use front, time or back",
                          "bad_position") from None


def _check_rating(rating: dict | None) -> dict:
    if not rating or not isinstance(rating, dict):
        raise DomainError("A rating needs csat (1-5) and/or nps (0-10)", "bad_rating")
    out = {}
    for key, lo, hi in (("csat", 1, 5), ("nps", 0, 10)):
        if key in rating and rating[key] is not None:
            value = rating[key]
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise DomainError(f"{key} must be a whole number from {lo} to {hi}",
                                  "bad_rating")
            out[key] = value
    if not out:
        raise DomainError("A rating needs csat (1-5) and/or nps (0-10)", "bad_rating")
    return out


def replay(events: Iterable[Event]) -> Ticket:
    """Rebuild a ticket from its events, oldest first.

    The first event must be ``issue``. Raises :class:`DomainError` when the
    history is inconsistent (which would mean the stored state was tampered with).
    """
    events = list(events)
    if not events or events[0].action != Action.ISSUE:
        raise DomainError("A ticket's history starts with issue", "bad_history")
    first = events[0]
    number = first.data["number"]
    prefix = number[: len(number) - len(str(first.data["seq"]).zfill(3))]
    ticket, _ = issue(
        service=first.service, prefix=prefix, day=first.data["day"], seq=first.data["seq"],
        at=first.at, priority=first.data.get("priority", "normal"),
        language=first.data.get("language", "en"), ticket_id=first.ticket_id,
    )
    for ev in events[1:]:
        # The recorded counter acted (an expiry records the holder; cancel and rate need none).
        ticket, _ = apply(
            ticket, ev.action, ev.at, counter=ev.counter,
            service=ev.data.get("to_service"),
            target_counter=ev.data.get("to_counter"),
            position=ev.data.get("position", Position.TIME),
            outcome=ev.data.get("outcome"),
            rating={k: ev.data[k] for k in ("csat", "nps") if k in ev.data} or None,
        )
        if ticket.state != ev.to_state:
            raise DomainError(f"Replay of {number} diverged at {ev.action}", "bad_history")
    return ticket
