"""Who is next for a counter.

Default rule (docs/architecture.md, *The ticket lifecycle*): among the waiting tickets of the counter's services,
tickets put at the front first, then the highest priority class, then the
longest *effective* wait, where a service's weight multiplies its tickets'
waiting time (Qmatic-style "call by max waiting time" with ratios). A ticket
transferred to a named counter is callable only there.
"""
from __future__ import annotations

import bisect
import datetime as dt
from typing import Iterable, Mapping

from .model import PRIORITY_RANK, State, Ticket


def callable_by(ticket: Ticket, counter: str, services: Iterable[str]) -> bool:
    """True when ``counter`` (serving ``services``) may call ``ticket`` now."""
    if ticket.state != State.WAITING:
        return False
    if ticket.target_counter is not None:
        return ticket.target_counter == counter
    return ticket.service in set(services)


def effective_wait(ticket: Ticket, now: dt.datetime, weight: float = 1.0) -> float:
    """Seconds the ticket has waited for routing purposes, times its service's weight."""
    return max(0.0, (now - ticket.rank_at).total_seconds()) * weight


def rank_key(ticket: Ticket, now: dt.datetime, weights: Mapping[str, float]) -> tuple:
    """Sort key: smaller is called first. Ties go to the lower ticket id (issued first)."""
    return (
        not ticket.front,
        PRIORITY_RANK[ticket.priority],
        -effective_wait(ticket, now, weights.get(ticket.service, 1.0)),
        ticket.rank_at,
        ticket.id if ticket.id is not None else 0,
    )


def order(tickets: Iterable[Ticket], now: dt.datetime,
          weights: Mapping[str, float] | None = None) -> list[Ticket]:
    """The tickets in the order a counter serving all of them would call them."""
    weights = weights or {}
    return sorted(tickets, key=lambda t: rank_key(t, now, weights))


def pick_next(
    tickets: Iterable[Ticket],
    counter: str,
    services: Iterable[str],
    now: dt.datetime,
    weights: Mapping[str, float] | None = None,
) -> Ticket | None:
    """The ticket ``counter`` should call next, or None when nobody is waiting for it."""
    services = set(services)
    candidates = [t for t in tickets if callable_by(t, counter, services)]
    ranked = order(candidates, now, weights)
    return ranked[0] if ranked else None


def position_in_service(ticket: Ticket, waiting: Iterable[Ticket], now: dt.datetime) -> int:
    """How many tickets of the same service are ahead of ``ticket`` (0 = next)."""
    same = [t for t in waiting if t.service == ticket.service and t.state == State.WAITING
            and t.target_counter is None]
    me = rank_key(ticket, now, {})
    return sum(1 for t in same if t.id != ticket.id and rank_key(t, now, {}) < me)


def positions_in_service(tickets: Iterable[Ticket], waiting: Iterable[Ticket]) -> dict[int, int]:
    """:func:`position_in_service` of each of ``tickets`` (by id), sorting each service's
    line once: a phone for every waiting ticket costs a bisection each, not a count."""
    lines: dict[str, list[tuple]] = {}
    for t in waiting:
        if t.state == State.WAITING and t.target_counter is None:
            lines.setdefault(t.service, []).append(_line_key(t))
    for line in lines.values():
        line.sort()
    return {t.id: bisect.bisect_left(lines.get(t.service, []), _line_key(t))
            for t in tickets if t.id is not None}


def _line_key(ticket: Ticket) -> tuple:
    # rank_key within one service: one weight, so the wait orders as the queued time does.
    return (not ticket.front, PRIORITY_RANK[ticket.priority], ticket.rank_at,
            ticket.id if ticket.id is not None else 0)

