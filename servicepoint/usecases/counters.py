"""Opening, pausing, resuming and closing a counter."""
from __future__ import annotations

import datetime as dt

from ..domain import counters as counter_rules
from ..domain.branch import DEFAULT_BREAK_REASONS
from ..domain.model import CounterState
from ..ports import Ports, UnitOfWork


def set_counter(ports: Ports, *, counter: str, move: str, staff: str | None = None,
                reason: str | None = None, exclusive: bool = False) -> CounterState:
    """Open, close, pause (``break``) or resume a counter; returns its new state.

    Closing or pausing a counter that still holds a called or serving ticket is
    refused (``counter_busy``), so no customer is left standing at a dark counter.
    A break takes a ``reason`` from the branch's ``break_reasons`` setting, kept
    with the counter event. Raises :class:`NotFound` for an unknown counter and
    :class:`DomainError` ``bad_action`` for an unknown move and ``break_reason``
    for a missing or unknown reason.

    With ``exclusive`` (a person signed in at a counter terminal or with a personal
    session, never a script driving many counters under one name) ``staff`` holds
    one counter at a time: opening or resuming this one puts each other open
    counter they hold on a break (a counter event, as signing out does), so it stops
    feeding routing and the waits shown. Raises :class:`DomainError`
    ``holds_other_counter`` when one of those still has a called or serving ticket.
    """
    counter_rules.parse_move(move)
    now = ports.clock.now()
    with ports.uow() as uow:
        row = uow.counter(counter)
        if move in ("open", "resume"):
            counter_rules.ensure_enabled(row)
            if exclusive and staff:
                leave_other_counters(uow, counter, staff, now)
        reasons = uow.setting("break_reasons", list(DEFAULT_BREAK_REASONS))
        new_state, action = counter_rules.move(counter, move, uow.held_by(counter),
                                               reason=reason, reasons=reasons)
        reason = counter_rules.break_reason(reason, reasons) if move == "break" else None
        # A new reason is a new break, even from a break (lunch after a short break).
        if row.state != new_state or reason is not None:
            uow.set_counter_state(counter, new_state, now, staff, action, reason)
    ports.notify("counters")
    return new_state


def leave_other_counters(uow: UnitOfWork, counter: str, staff: str, now: dt.datetime) -> None:
    """Put every other open counter ``staff`` holds on a break, inside the caller's unit of
    work, before ``counter`` opens for them. Raises :class:`DomainError`
    ``holds_other_counter`` when one still has a called or serving ticket."""
    others = [(code, uow.held_by(code)) for code in uow.open_counters_of(staff)]
    for code in counter_rules.leave_others(counter, others):
        uow.set_counter_state(code, CounterState.BREAK, now, staff, "break")
