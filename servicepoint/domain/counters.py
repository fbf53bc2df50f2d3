"""Counter states and the moves between them: open, close, break, resume.

A counter takes customers only when open. Closing or pausing a counter that
still holds a called or serving ticket is refused, so nobody is left standing
at a dark counter; calling a customer opens a closed counter, or ends a break.
"""
from __future__ import annotations

from typing import Iterable

from .model import Counter, CounterState, DomainError, Ticket

# move -> (state after the move, the action recorded in counter_events)
COUNTER_MOVES: dict[str, tuple[CounterState, str]] = {
    "open": (CounterState.OPEN, "open"),
    "close": (CounterState.CLOSED, "close"),
    "break": (CounterState.BREAK, "break"),
    "resume": (CounterState.OPEN, "resume"),
}


def parse_move(name: str) -> tuple[CounterState, str]:
    """The state move ``name`` leads to and the action to record.

    Raises :class:`DomainError` ``bad_action`` for an unknown move.
    """
    if name not in COUNTER_MOVES:
        raise DomainError(f"Unknown counter action {name!r}; use open, close, break or resume",
                          "bad_action")
    return COUNTER_MOVES[name]


def ensure_enabled(counter: Counter) -> None:
    """Refuse (``counter_disabled``) to open or call at a counter the branch has disabled."""
    if not counter.enabled:
        raise DomainError(f"Counter {counter.code} is disabled", "counter_disabled")


def move(counter: str, name: str, held: Iterable[Ticket], *, reason: str | None = None,
         reasons: Iterable[str] = ()) -> tuple[CounterState, str]:
    """The state counter ``counter`` reaches by move ``name`` and the action to record.

    ``held`` are the called or serving tickets the counter holds now. A break
    takes a ``reason`` from the branch's list ``reasons`` (see :func:`break_reason`).
    Raises :class:`DomainError` ``bad_action`` for an unknown move, ``counter_busy``
    when closing or pausing a counter that still holds a ticket, and
    ``break_reason`` for a missing or unknown reason.
    """
    result = parse_move(name)
    if name in ("close", "break"):
        for ticket in held:
            raise DomainError(f"Counter {counter} still has {ticket.number}; finish it first",
                              "counter_busy", number=ticket.number, state=ticket.state.value,
                              move=name)
    if name == "break":
        break_reason(reason, reasons)
    return result


def leave_others(counter: str, others: Iterable[tuple[str, Iterable[Ticket]]]) -> list[str]:
    """The counters a person leaves to take ``counter``: one person, one counter.

    ``others`` are the other open counters the person holds, each with the called
    or serving tickets it holds now; the person leaves each one on a break. Raises
    :class:`DomainError` ``holds_other_counter`` (naming the ticket and that counter)
    when one still has a customer, so nobody is left standing at a counter whose
    clerk walked away.
    """
    leaving = []
    for code, held in others:
        if code == counter:
            continue
        for ticket in held:
            raise DomainError(f"Finish with {ticket.number} at counter {code} first",
                              "holds_other_counter", number=ticket.number,
                              state=ticket.state.value, counter=code)
        leaving.append(code)
    return leaving


def break_reason(reason: str | None, reasons: Iterable[str]) -> str | None:
    """The reason recorded for a break: None when none is given, else one of ``reasons``.

    The counter screen always asks for one from the branch's list; the API and a
    session that ends may pause a counter without one. When the branch lists no
    reasons any given one is kept as typed. Raises :class:`DomainError`
    ``break_reason`` for a reason that is not on a non-empty list.
    """
    listed = list(reasons)
    reason = (reason or "").strip() or None
    if reason is None or not listed:
        return reason
    if reason not in listed:
        raise DomainError(f"Choose a reason for the break: {', '.join(listed)}",
                          "break_reason", reasons=listed, reason=reason)
    return reason


def opening_for_call(state: CounterState) -> tuple[CounterState, str] | None:
    """The move a call makes on a counter in ``state``: None when it is open already,
    else resume from a break or open a closed counter."""
    if state == CounterState.OPEN:
        return None
    return COUNTER_MOVES["resume" if state == CounterState.BREAK else "open"]
