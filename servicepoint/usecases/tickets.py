"""Moving tickets along: call next, call one back, act on a held ticket, end the day."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..domain import counters as counter_rules
from ..domain import lifecycle, routing
from ..domain.model import Action, Counter, DomainError, State, Ticket
from ..ports import Ports, UnitOfWork
from ..timeutil import branch_day
from .counters import leave_other_counters


def call_next(ports: Ports, *, counter: str, staff: str | None = None,
              finish_current: bool = False, exclusive: bool = False) -> Ticket | None:
    """Call the next ticket for ``counter``; None when nobody is waiting for it.

    A counter that still holds a called or serving ticket is refused
    (``counter_busy``) unless ``finish_current`` is set, in which case a serving
    ticket is finished as resolved first. A closed counter or one on a break is
    opened (with ``exclusive``, as :func:`set_counter` opens it: the other counters
    ``staff`` holds go on a break). Two counters calling at once never get the same ticket: the whole
    pick runs under the write lock and the update re-checks ``state='waiting'``.
    Raises :class:`NotFound` for an unknown counter.
    """
    now = ports.clock.now()
    with ports.uow() as uow:
        row = uow.counter(counter)
        counter_rules.ensure_enabled(row)
        for current in uow.held_by(counter):
            if finish_current and current.state == State.SERVING:
                _transition(uow, current, Action.FINISH, now, counter=counter, staff=staff)
            else:
                raise _busy(counter, current)
        _open_for_call(uow, row, now, staff, exclusive)
        services = uow.counter_services(counter)
        chosen = routing.pick_next(uow.head_of_queues(services, counter), counter, services,
                                   now, uow.weights())
        if chosen is None:
            result = None
        else:
            result = _transition(uow, chosen, Action.CALL, now, counter=counter, staff=staff)
    ports.notify("queue")
    return result


def call_ticket(ports: Ports, *, ticket_id: int, counter: str, staff: str | None = None) -> Ticket:
    """Call a specific waiting or parked ticket to ``counter`` (e.g. a parked one coming back).

    Like :func:`call_next`, a closed counter or one on a break is opened. The
    check and the call run in one write transaction, so two counters calling the
    same ticket at once never both get it: the second is refused
    (``illegal_transition``, the ticket is no longer waiting).
    Raises :class:`NotFound` for an unknown ticket or counter and :class:`DomainError`
    when the counter does not serve the ticket (``not_served_here``), still holds
    another (``counter_busy``), or the lifecycle refuses the call.
    """
    now = ports.clock.now()
    with ports.uow() as uow:
        row = uow.counter(counter)
        counter_rules.ensure_enabled(row)
        result = _call_specific(uow, row.code, uow.ticket(ticket_id), now, staff, row)
    ports.notify("queue")
    return result


def call_number(ports: Ports, *, number: str, counter: str, staff: str | None = None,
                exclusive: bool = False) -> Ticket:
    """Call today's ticket ``number`` (``A013``, as the customer shows it) to ``counter``.

    The clerk calls a customer by the number on their ticket; otherwise the same
    as :func:`call_ticket`. Raises :class:`DomainError` ``no_such_number`` when
    no ticket has that number today.
    """
    now = ports.clock.now()
    wanted = number.strip().upper()
    with ports.uow() as uow:
        row = uow.counter(counter)
        counter_rules.ensure_enabled(row)
        ticket = uow.ticket_by_number(branch_day(now, ports.timezone), wanted)
        if ticket is None:
            raise DomainError(f"There is no ticket {wanted} today", "no_such_number",
                              number=wanted)
        result = _call_specific(uow, row.code, ticket, now, staff, row, exclusive)
    ports.notify("queue")
    return result


def _call_specific(uow: UnitOfWork, counter: str, ticket: Ticket, now: dt.datetime,
                   staff: str | None, row: Counter, exclusive: bool = False) -> Ticket:
    """Call ``ticket`` to ``counter`` inside the caller's write transaction."""
    if ticket.state == State.WAITING:
        if not routing.callable_by(ticket, counter, uow.counter_services(counter)):
            raise DomainError(f"Counter {counter} does not serve {ticket.number}",
                              "not_served_here", number=ticket.number, service=ticket.service,
                              target=ticket.target_counter)
    for current in uow.held_by(counter):
        if current.id != ticket.id:
            raise _busy(counter, current)
    if ticket.state in (State.WAITING, State.PARKED):
        _open_for_call(uow, row, now, staff, exclusive)
    return _transition(uow, ticket, Action.CALL, now, counter=counter, staff=staff)


def _busy(counter: str, current: Ticket) -> DomainError:
    return DomainError(
        f"Counter {counter} still has {current.number} ({current.state.value}); "
        "finish, requeue or mark it no-show first", "counter_busy",
        number=current.number, state=current.state.value)


def _open_for_call(uow: UnitOfWork, row: Counter, now: dt.datetime, staff: str | None,
                   exclusive: bool = False) -> None:
    """Calling a customer opens a closed counter or ends its break (``exclusive``: see
    :func:`~servicepoint.usecases.counters.set_counter`)."""
    opening = counter_rules.opening_for_call(row.state)
    if opening is not None:
        if exclusive and staff:
            leave_other_counters(uow, row.code, staff, now)
        uow.set_counter_state(row.code, opening[0], now, staff or row.staff, opening[1])


def act(ports: Ports, *, ticket_id: int, action: str, counter: str | None = None,
        staff: str | None = None, **params: Any) -> Ticket:
    """Apply ``action`` (recall/start/finish/no_show/requeue/transfer/park/cancel/rate).

    A transfer goes only to an active service (``service_inactive`` otherwise)
    and an existing counter. Raises :class:`NotFound` for an unknown ticket,
    service or counter and :class:`DomainError` subclasses for anything the
    lifecycle refuses.
    """
    try:
        move = Action(action)
    except ValueError:
        raise DomainError(f"Unknown action {action!r}", "bad_action") from None
    if move in (Action.ISSUE, Action.CALL):
        raise DomainError(f"Use the {move.value} endpoint for that", "bad_action")
    now = ports.clock.now()
    with ports.uow() as uow:
        ticket = uow.ticket(ticket_id)
        if move == Action.RECALL:
            params["max_recalls"] = uow.setting("auto_no_show_recalls", 0)
        if move == Action.RATE:
            params["already_rated"] = uow.has_event(ticket_id, Action.RATE.value)
        if counter is not None:
            uow.counter(counter)
        if move == Action.TRANSFER:
            if params.get("service") is not None:
                svc = uow.service(params["service"])
                if not svc.active:
                    raise DomainError(f"Service {svc.code} is not available now",
                                      "service_inactive")
            if params.get("target_counter") is not None:
                uow.counter(params["target_counter"])
        if counter is None and ticket.counter is not None and move not in (Action.CANCEL,
                                                                              Action.RATE):
            counter = ticket.counter  # staff acting on the ticket's own counter
        result = _transition(uow, ticket, move, now, counter=counter, staff=staff, **params)
    ports.notify("queue")
    return result


def _transition(uow: UnitOfWork, ticket: Ticket, action: Action, now: dt.datetime,
                **kw: Any) -> Ticket:
    """Apply ``action`` through the lifecycle and write the ticket and its event."""
    new, event = lifecycle.apply(ticket, action, now, **kw)
    uow.save_ticket(new, ticket.state, now)
    uow.add_event(event)
    return new


def expire_day(ports: Ports, *, before_day: str | None = None) -> int:
    """Expire every waiting, called or parked ticket of days before ``before_day``.

    ``before_day`` defaults to today, so tickets of earlier days end as expired.
    Passing tomorrow closes today too (end-of-day). Returns how many expired.
    """
    now = ports.clock.now()
    before_day = before_day or branch_day(now, ports.timezone)
    count = 0
    with ports.uow() as uow:
        for ticket in uow.open_tickets_before(before_day):
            _transition(uow, ticket, Action.EXPIRE, now)
            count += 1
    if count:
        ports.notify("queue")
    return count
