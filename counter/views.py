"""Counter terminal views: choose a counter, work it, and the live parts they re-fetch.

Every state change is a POST (CSRF-checked) that calls a use case; refusals
(``DomainError``/``NotFound``) come back as a message in the panel, never a 500.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from servicepoint import htmx, queries, usecases
from servicepoint import texts as shared
from servicepoint.auth import current_principal, login_required
from servicepoint.domain import kpi
from servicepoint.domain.counters import COUNTER_MOVES
from servicepoint.domain.lifecycle import COUNTER_ACTIONS, allowed_actions
from servicepoint.domain.model import Counter, DomainError, Ticket
from servicepoint.i18n import current_language, remember_language
from servicepoint.ports import NotFound
from servicepoint.timeutil import zone
from servicepoint.web_db import get_db, get_ports, now, service_times

from . import texts

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates",
               static_folder="static")

# What a terminal may do to a ticket (URL spelling = the action's name), from the lifecycle.
TICKET_ACTIONS = frozenset(a.value for a in COUNTER_ACTIONS)
# Keyboard shortcut per button (shown on it and in aria-keyshortcuts).
SHORTCUTS = {"next": "N", "recall": "R", "start": "S", "finish": "F", "no_show": "X",
             "park": "P", "transfer": "T", "requeue": "Q"}


bp.before_request(remember_language)


@bp.context_processor
def _texts():
    lang = current_language()
    return {"tr": texts.TEXTS.translator(lang),
            "dur": lambda s: shared.duration(s, lang), "SHORTCUTS": SHORTCUTS}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _staff() -> str:
    """The signed-in user (``login_required`` made sure there is one)."""
    principal = current_principal()
    if principal is None:
        abort(401)
    return principal["username"]


def _counter_row(code: str) -> Counter:
    row = queries.counter(get_db(), code)
    if row is None:
        abort(404, description=f"There is no counter {code}.")
    return row


def _service_names() -> dict[str, dict]:
    lang = current_language()
    return {s.code: {"code": s.code, "name": s.name(lang), "active": s.active}
            for s in queries.services(get_db())}


def _ticket_view(ticket: Ticket, names: dict, now, tz) -> dict:
    """What the panel shows about one held ticket (``tz``: the branch's zone)."""
    return {
        "id": ticket.id, "number": ticket.number, "service": ticket.service,
        "service_name": names.get(ticket.service, {}).get("name", ticket.service),
        "state": ticket.state.value, "recalls": ticket.recalls,
        "priority": ticket.priority.value, "waited_s": ticket.waited_s,
        "since_iso": ticket.called_at.isoformat() if ticket.called_at else None,
        "since_s": (now - ticket.called_at).total_seconds() if ticket.called_at else None,
        "called_local": (ticket.called_at.astimezone(tz).strftime("%H:%M")
                         if ticket.called_at else ""),
        "allowed": {a.value for a in allowed_actions(ticket.state)},
    }


def _panel_context(code: str, message: str | None = None, error: bool = False) -> dict:
    """Everything ``_panel.html`` needs for counter ``code``."""
    conn = get_db()
    row = _counter_row(code)
    names = _service_names()
    at = now()
    tz = zone(current_app.config["TIMEZONE"])
    held = queries.CounterOverview(row, [], queries.held_tickets(conn, code))
    return {
        "counter": row, "code": code, "message": message, "error": error,
        "current": _ticket_view(held.current, names, at, tz) if held.current else None,
        "parked": [_ticket_view(t, names, at, tz) for t in held.parked],
        "transfer_services": [s for s in names.values() if s["active"]],
        "transfer_counters": [c for c in queries.counters(conn) if c.code != code],
    }


def _queues_context(code: str) -> dict:
    """The live queue lengths of the services counter ``code`` serves."""
    conn = get_db()
    served = set(queries.counter_services(conn, code))
    overview = [dict(q, over=kpi.over_target(q["waiting"], q["longest_wait_s"], q["target_wait_s"]))
                for q in queries.queue_overview(conn, service_times(), now(), current_language())
                if q["service"] in served]
    return {"code": code, "queues": overview, "targeted": queries.sent_to_counter(conn, code)}


def _respond(code: str, message: str, error: bool = False, status: int = 200):
    """After a POST: the panel for htmx, else a redirect back to the terminal (PRG)."""
    if htmx.is_htmx():
        ctx = _panel_context(code, message, error)
        return _no_store(render_template("counter/_panel.html", **ctx), status)
    flash(message, "error" if error else "ok")
    return redirect(url_for("counter.terminal", code=code), 303)


def _refusal(code: str, exc: DomainError | NotFound):
    """A DomainError or NotFound as a friendly message in the panel."""
    lang = current_language()
    if isinstance(exc, NotFound):
        return _respond(code, texts.t("err.not_found", lang, what=exc.what), True, 404)
    key = f"err.{exc.code}"
    message = texts.t(key, lang) if key in texts.TEXTS else exc.message
    return _respond(code, message, True, 409)


# -- views ------------------------------------------------------------------

@bp.get("")
@login_required("staff")
def choose():
    """Pick the counter this terminal works at."""
    names = _service_names()
    counters = [{"code": c.counter.code, "name": c.counter.name, "state": c.counter.state.value,
                 "staff": c.counter.staff,
                 "services": [names.get(s, {"name": s})["name"] for s in c.services]}
                for c in queries.counters_overview(get_db())]
    return _no_store(render_template("counter/choose.html", counters=counters))


@bp.get("/<code>")
@login_required("staff")
def terminal(code: str):
    """The terminal: current ticket and its actions, parked tickets, live queue lengths."""
    flashed = get_flashed_messages(with_categories=True)
    message = flashed[-1][1] if flashed else None
    error = bool(flashed) and flashed[-1][0] == "error"
    ctx = _panel_context(code, message, error)
    ctx.update(_queues_context(code))
    return _no_store(render_template("counter/terminal.html", **ctx))


@bp.get("/<code>/panel")
@login_required("staff")
def panel(code: str):
    """The current-ticket panel alone."""
    return _no_store(render_template("counter/_panel.html", **_panel_context(code)))


@bp.get("/<code>/queues")
@login_required("staff")
def queues(code: str):
    """The counter's queue lengths alone (re-fetched live)."""
    _counter_row(code)
    return _no_store(render_template("counter/_queues.html", **_queues_context(code)))


@bp.post("/<code>/next")
@login_required("staff")
def call_next(code: str):
    """Call the next customer to this counter."""
    _counter_row(code)
    lang = current_language()
    try:
        ticket = usecases.call_next(get_ports(), counter=code, staff=_staff())
    except (DomainError, NotFound) as exc:
        return _refusal(code, exc)
    if ticket is None:
        return _respond(code, texts.t("msg.nobody", lang))
    return _respond(code, texts.t("msg.next", lang, number=ticket.number))


@bp.post("/<code>/tickets/<int:ticket_id>/<action>")
@login_required("staff")
def ticket_action(code: str, ticket_id: int, action: str):
    """Recall, start, finish, no-show, requeue, transfer, park or call back a ticket."""
    _counter_row(code)
    if action not in TICKET_ACTIONS:
        abort(404, description=texts.t("err.unknown_action", current_language()))
    ports = get_ports()
    try:
        if action == "call":
            ticket = usecases.call_ticket(ports, ticket_id=ticket_id, counter=code, staff=_staff())
        else:
            ticket = usecases.act(ports, ticket_id=ticket_id, action=action, counter=code,
                                  staff=_staff(), **_action_params(action))
    except (DomainError, NotFound) as exc:
        return _refusal(code, exc)
    return _respond(code, texts.t(f"msg.{action}", current_language(), number=ticket.number))


def _action_params(action: str) -> dict:
    """The form fields an action takes (the domain validates their values)."""
    form = request.form
    if action == "finish":
        return {"outcome": form.get("outcome") or "resolved"}
    if action == "requeue":
        return {"position": form.get("position") or "time"}
    if action == "transfer":
        service = (form.get("service") or "").strip().upper() or None
        target = (form.get("to_counter") or "").strip() or None
        return {"service": service, "target_counter": target,
                "position": form.get("position") or "time"}
    return {}


@bp.post("/<code>/state/<move>")
@login_required("staff")
def counter_state(code: str, move: str):
    """Open, pause, resume or close this counter."""
    _counter_row(code)
    if move not in COUNTER_MOVES:
        abort(404, description=texts.t("err.unknown_action", current_language()))
    try:
        state = usecases.set_counter(get_ports(), counter=code, move=move, staff=_staff())
    except (DomainError, NotFound) as exc:
        return _refusal(code, exc)
    lang = current_language()
    return _respond(code, texts.t("msg.state", lang, state=texts.t(f"state.{state}", lang)))
