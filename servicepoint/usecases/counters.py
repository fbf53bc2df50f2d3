"""Opening, pausing, resuming and closing a counter."""
from __future__ import annotations

from ..domain import counters as counter_rules
from ..domain.model import CounterState
from ..ports import Ports


def set_counter(ports: Ports, *, counter: str, move: str, staff: str | None = None) -> CounterState:
    """Open, close, pause (``break``) or resume a counter; returns its new state.

    Closing or pausing a counter that still holds a called or serving ticket is
    refused (``counter_busy``), so no customer is left standing at a dark counter.
    Raises :class:`NotFound` for an unknown counter and :class:`DomainError`
    ``bad_action`` for an unknown move.
    """
    counter_rules.parse_move(move)
    now = ports.clock.now()
    with ports.uow() as uow:
        row = uow.counter(counter)
        if move in ("open", "resume"):
            counter_rules.ensure_enabled(row)
        new_state, action = counter_rules.move(counter, move, uow.held_by(counter))
        if row.state != new_state:
            uow.set_counter_state(counter, new_state, now, staff, action)
    ports.notify("counters")
    return new_state
