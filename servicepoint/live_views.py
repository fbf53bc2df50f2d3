"""What the live streams carry, read once per change for everyone (docs/architecture.md,
*Live updates*).

A phone following its ticket must not make the server render a page on every call in
the branch: its stream carries :class:`TicketLive` — the few facts and sentences its
page shows — and the page re-fetches only when its own ticket's state changed. The
stream server asks :func:`ticket_payloads` once per queue change for every ticket that
has a phone following it (the branch's queue is read once for all of them), so the
cost of a call grows with the tickets followed, not with the phones.

The tracking page's own view (``web.track``) renders from the same :func:`ticket_live`,
so the page and its stream never disagree.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sqlite3

from flask import Flask

from . import queries, view_cache
from .domain import estimate as est
from .domain import routing, waits
from .domain.model import State, Ticket
from .i18n import LANGUAGES, t, wait_words
from .servicetimes import ServiceTimeCache
from .web_db import get_db, now, service_times


@dataclasses.dataclass(frozen=True)
class TicketLive:
    """One ticket as its phone page shows it: state, people ahead, and its sentences."""

    state: str
    ahead: int | None
    lead: str      # "3 people ahead of you." / "You are next." (empty unless waiting)
    wait: str      # "Estimated wait: about 5 min" (empty when no estimate)
    nudge: str     # "Only 2 people ahead of you: …" (empty unless 1–2 ahead)
    counter: str | None
    # Changes whenever the page must be fetched again (state, counter, a recall).
    key: str

    def as_json(self) -> dict:
        # By hand: dataclasses.asdict deep-copies, and this runs for every followed ticket.
        return {"state": self.state, "ahead": self.ahead, "lead": self.lead, "wait": self.wait,
                "nudge": self.nudge, "counter": self.counter, "key": self.key}


def ticket_live(conn: sqlite3.Connection, stats: ServiceTimeCache, now: dt.datetime,
                ticket: Ticket, lang: str, view: tuple | None = None,
                counter_names: dict[str, str] | None = None) -> TicketLive:
    """What ``ticket``'s phone page shows now, in ``lang``.

    ``view`` (people ahead, estimate) and ``counter_names`` let a caller that builds
    many read the branch once.
    """
    ahead, estimate = view if view is not None else queries.waiting_view(conn, stats, now, ticket)
    counter = None
    if ticket.counter:
        if counter_names is None:
            found = queries.counter(conn, ticket.counter)
            counter = found.name if found else ticket.counter
        else:
            counter = counter_names.get(ticket.counter, ticket.counter)
    lead = wait = nudge = ""
    if ticket.state == State.WAITING and ahead is not None:
        lead, nudge = _place(ahead, lang)
        if estimate is not None:
            wait = _wait(estimate.point_s, estimate.low_s, estimate.high_s, estimate.no_counter,
                         lang)
    called = ticket.called_at.isoformat() if ticket.called_at else ""
    key = f"{ticket.state.value}|{ticket.counter or ''}|{called}|{ticket.recalls}"
    return TicketLive(state=ticket.state.value, ahead=ahead, lead=lead, wait=wait, nudge=nudge,
                      counter=counter, key=key)


# The same few sentences serve hundreds of tickets per change: made once each.
@functools.lru_cache(maxsize=4096)
def _place(ahead: int, lang: str) -> tuple[str, str]:
    lead = t("track.next", lang) if ahead == 0 else t("track.ahead", lang, n=ahead)
    return lead, (t("track.nudge", lang, n=ahead) if 0 < ahead <= 2 else "")


@functools.lru_cache(maxsize=4096)
def _wait(point_s: int, low_s: int, high_s: int, no_counter: bool, lang: str) -> str:
    return t("track.wait", lang, wait=wait_words(point_s, low_s, high_s, lang, no_counter))


def tracked_ticket(app: Flask, public_id: str) -> int | None:
    """The id of the ticket behind a tracking link, or None (its stream is refused)."""
    with app.app_context():
        ticket = queries.ticket_by_public_id(get_db(), public_id)
        return ticket.id if ticket else None


def ticket_payloads(app: Flask, ticket_ids: list[int]) -> dict[int, dict]:
    """:class:`TicketLive` of each ticket (as JSON), reading the branch's queue once."""
    with app.app_context():
        conn = get_db()
        when = now()
        queue = view_cache.branch_queue()
        # Most followed tickets are waiting: the queue just read has them.
        wanted = set(ticket_ids)
        tickets = [tk for tk in queue.waiting if tk.id in wanted]
        found = {tk.id for tk in tickets}
        tickets += queries.tickets_by_ids(conn, [i for i in ticket_ids if i not in found])
        views = _waiting_views(queue, tickets)
        names = {c.code: c.name for c in queries.counters(conn)}
        return {tk.id: ticket_live(conn, service_times(), when, tk, language(tk.language),
                                   views.get(tk.id, (None, None)), names).as_json()
                for tk in tickets if tk.id is not None}


def _waiting_views(queue: waits.BranchQueue, tickets: list[Ticket],
                  ) -> dict[int, tuple[int, est.WaitEstimate]]:
    """:func:`waiting_view` of each waiting ticket among ``tickets``, by id, from one read
    of the branch (``queue``) and one play per kind of ticket."""
    waiting = [t for t in tickets if t.state == State.WAITING and t.id is not None]
    shown = waits.estimate_many(queue, waiting)
    ahead = routing.positions_in_service(waiting, queue.waiting)
    return {t.id: (ahead[t.id], e) for t, e in zip(waiting, shown, strict=True)
            if t.id is not None}


def language(own: str | None) -> str:
    """The language a ticket's page speaks (the ticket's own, when we speak it)."""
    return own if own in LANGUAGES else "en"
