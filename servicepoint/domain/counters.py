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


def move(counter: str, name: str, held: Iterable[Ticket]) -> tuple[CounterState, str]:
    """The state counter ``counter`` reaches by move ``name`` and the action to record.

    ``held`` are the called or serving tickets the counter holds now. Raises
    :class:`DomainError` ``bad_action`` for an unknown move and ``counter_busy``
    when closing or pausing a counter that still holds a ticket.
    """
    result = parse_move(name)
    if name in ("close", "break"):
        for ticket in held:
            raise DomainError(f"Counter {counter} still has {ticket.number}; finish it first",
                              "counter_busy")
    return result


def opening_for_call(state: CounterState) -> tuple[CounterState, str] | None:
    """The move a call makes on a counter in ``state``: None when it is open already,
    else resume from a break or open a closed counter."""
    if state == CounterState.OPEN:
        return None
    return COUNTER_MOVES["resume" if state == CounterState.BREAK else "open"]
