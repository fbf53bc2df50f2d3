"""A refused counter action in the clerk's own words ("A013 was already finished at Counter 2").

The domain refuses with a stable code and the facts (``DomainError.params``:
the ticket's number, state, the action, the holder); the ticket's whereabouts
come from :mod:`servicepoint.counter_queries`. Nothing here decides a rule: it
only chooses words from ``counter/texts.py``. No internal name ("allowed: rate",
"illegal_transition") ever reaches the clerk.
"""
from __future__ import annotations

import sqlite3

from servicepoint import counter_queries, queries
from servicepoint.domain.model import DomainError
from servicepoint.ports import NotFound

from . import texts

# Holder actions the clerk presses on the current ticket.
_ON_CURRENT = {"recall", "start", "finish", "no_show", "requeue", "transfer", "park"}


def _counter_name(conn: sqlite3.Connection, code: str | None, lang: str) -> str:
    if not code:
        return texts.t("refuse.no_counter", lang)
    row = queries.counter(conn, code)
    return row.name if row else code


def _service_name(conn: sqlite3.Connection, code: str | None, lang: str) -> str:
    svc = queries.service(conn, code) if code else None
    return svc.name(lang) if svc else (code or "")


def explain(exc: DomainError | NotFound, conn: sqlite3.Connection, lang: str, *,
            counter: str, ticket_id: int | None = None) -> str:
    """What to tell the clerk at ``counter`` about ``exc`` (raised while acting on
    ``ticket_id``, if any)."""
    t = texts.t
    if isinstance(exc, NotFound):
        if exc.what == "ticket":
            return t("refuse.gone", lang)
        return t("err.not_found", lang, what=texts.t(f"thing.{exc.what}", lang))
    p = exc.params
    number = p.get("number", "")
    where = counter_queries.ticket_where(conn, ticket_id) if ticket_id else None
    if where is not None:
        number = number or where.number
    code = exc.code
    if code in ("illegal_transition", "not_holder") and where is not None:
        return _about_ticket(conn, lang, where, p.get("action", ""), counter)
    if code == "not_holder":
        holder = p.get("holder") or p.get("target")
        return t("refuse.elsewhere", lang, number=number,
                 counter=_counter_name(conn, holder, lang))
    if code == "counter_busy":
        return t("refuse.busy", lang, number=number,
                 state=t(f"tstate.{p.get('state', 'called')}", lang).lower())
    if code == "holds_other_counter":
        return t("refuse.other_counter", lang, number=number,
                 counter=_counter_name(conn, p.get("counter"), lang))
    if code == "not_served_here":
        if p.get("target"):
            return t("refuse.sent_to", lang, number=number,
                     counter=_counter_name(conn, p["target"], lang))
        return t("refuse.not_served", lang, number=number,
                 service=_service_name(conn, p.get("service"), lang))
    if code == "no_such_number":
        return t("refuse.no_number", lang, number=number)
    key = f"err.{code}"
    return t(key, lang) if key in texts.TEXTS else t("refuse.generic", lang)


def _about_ticket(conn: sqlite3.Connection, lang: str, where: counter_queries.TicketWhere,
                  action: str, acting: str) -> str:
    """Why ``action`` by counter ``acting`` cannot be done on the ticket, from where it is now."""
    t = texts.t
    number, state = where.number, where.state
    counter = _counter_name(conn, where.counter, lang)
    if state in ("done", "no_show", "cancelled", "expired"):
        return t(f"refuse.{state}", lang, number=number, counter=counter)
    if state == "waiting":
        if where.target:
            return t("refuse.sent_to", lang, number=number,
                     counter=_counter_name(conn, where.target, lang))
        return t("refuse.waiting", lang, number=number)
    if action == "call" or action not in _ON_CURRENT or where.counter != acting:
        return t(f"refuse.taken.{state}", lang, number=number, counter=counter)
    if state == "parked":
        return t("refuse.parked", lang, number=number, counter=counter)
    if state == "called":
        return t("refuse.not_started", lang, number=number)
    return t("refuse.serving", lang, number=number, counter=counter)
