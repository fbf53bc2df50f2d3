"""Counter terminal views: choose a counter, work it, and the live screen they re-fetch.

Every state change is a POST (CSRF-checked) that calls a use case. Its htmx
answer is the whole live screen (``_live.html``: the panel, and the waiting
list, side column and counter bar out of band) with the outcome in the clerk's
words; refusals (``DomainError``/``NotFound``) are explained by
:mod:`counter.refusals`, never a 500 and never an internal name. The screen
re-fetches the same live partial on every change the event stream announces.
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

from servicepoint import counter_queries, htmx, queries, usecases, view_cache
from servicepoint import texts as shared
from servicepoint.auth import current_principal, login_required
from servicepoint.domain import kpi, lifecycle
from servicepoint.domain.branch import DEFAULT_BREAK_REASONS
from servicepoint.domain.counters import COUNTER_MOVES
from servicepoint.domain.lifecycle import COUNTER_ACTIONS, allowed_actions
from servicepoint.domain.model import Counter, DomainError, State, Ticket
from servicepoint.i18n import current_language, remember_language
from servicepoint.ports import NotFound
from servicepoint.timeutil import branch_day, zone
from servicepoint.web_db import get_db, get_ports, now

from . import refusals, texts

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates",
               static_folder="static")

# What a terminal may do to a ticket (URL spelling = the action's name), from the lifecycle.
TICKET_ACTIONS = frozenset(a.value for a in COUNTER_ACTIONS)
# Keyboard shortcut per ticket button (shown on it and in aria-keyshortcuts).
SHORTCUTS = {"next": "N", "recall": "R", "start": "S", "finish": "F", "no_show": "X",
             "park": "P", "transfer": "T", "requeue": "Q"}
# Shortcuts of the counter itself and of call-by-number (legend: ``shortcut.<name>``).
COUNTER_SHORTCUTS = {"call_number": "G", "break": "B", "open": "O", "close": "C"}
# How many waiting tickets the list shows (it must fit the screen with the actions).
WAITING_ROWS = 8


bp.before_request(remember_language)


@bp.context_processor
def _texts():
    lang = current_language()
    return {"tr": texts.TEXTS.translator(lang), "counted": lambda p, n: texts.TEXTS.counted(p, n, lang),
            "dur": lambda s: shared.duration(s, lang), "SHORTCUTS": SHORTCUTS,
            "COUNTER_SHORTCUTS": COUNTER_SHORTCUTS}


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


def _ticket_view(ticket: Ticket, names: dict, at, tz, code: str, max_recalls: int = 0) -> dict:
    """What the screen shows about one ticket (``tz``: the branch's zone)."""
    since = ticket.called_at if ticket.state != State.WAITING else ticket.queued_at
    return {
        "id": ticket.id, "number": ticket.number, "service": ticket.service,
        "service_name": names.get(ticket.service, {}).get("name", ticket.service),
        "state": ticket.state.value, "recalls": ticket.recalls,
        "recalls_left": (lifecycle.recalls_left(ticket.recalls, max_recalls)
                         if ticket.state == State.CALLED else None),
        "priority": ticket.priority.value, "waited_s": ticket.waited_s,
        "since_iso": since.isoformat() if since else None,
        "since_s": (at - since).total_seconds() if since else None,
        "called_local": (ticket.called_at.astimezone(tz).strftime("%H:%M")
                         if ticket.called_at else ""),
        "sent_here": ticket.target_counter == code,
        "transferred": ticket.queued_at != ticket.issued_at and ticket.state == State.WAITING,
        "allowed": {a.value for a in allowed_actions(ticket.state)},
    }


def _live_context(code: str) -> dict:
    """Everything the live screen (``_live.html`` and the page) needs for counter ``code``."""
    conn = get_db()
    version = counter_queries.live_version(conn)  # first: everything below is at least as new
    row = _counter_row(code)
    names = _service_names()
    at = now()
    tz_name = current_app.config["TIMEZONE"]
    tz = zone(tz_name)
    max_recalls = int(queries.setting(conn, "auto_no_show_recalls", 0) or 0)
    held = queries.CounterOverview(row, [], queries.held_tickets(conn, code))
    waiting = counter_queries.waiting_list(conn, code, at, WAITING_ROWS)
    served = set(queries.counter_services(conn, code))
    counts = queries.queue_counts(conn)
    lang = current_language()
    queues = []
    for q in view_cache.queue_overview(lang):
        if q["service"] in served:
            q["over"] = kpi.over_target(q["waiting"], q["longest_wait_s"], q["target_wait_s"])
            q["sent_here"] = counts[q["service"]].reserved.get(code, 0)
            queues.append(q)
    move = counter_queries.last_move(conn, code)

    def view(t: Ticket) -> dict:
        return _ticket_view(t, names, at, tz, code, max_recalls)

    return {
        "counter": row, "code": code, "location": row.location, "version": version,
        "current": view(held.current) if held.current else None,
        "parked": [view(t) for t in held.parked],
        "waiting": [view(t) for t in waiting.tickets], "waiting_total": waiting.total,
        "waiting_elsewhere": waiting.elsewhere, "queues": queues,
        # Every event of the day: read once per change, whichever screen asks first.
        "figures": view_cache.shared(("counter_day", code, branch_day(at, tz_name)),
                                     lambda: counter_queries.counter_day(
                                         conn, code, branch_day(at, tz_name))),
        "transfer_services": [s for s in names.values() if s["active"]],
        "transfer_counters": [c for c in queries.counters(conn) if c.code != code and c.enabled],
        "break_reasons": queries.setting(conn, "break_reasons", list(DEFAULT_BREAK_REASONS)),
        "break_reason": move.reason if move and move.action == "break" else None,
        "state_since": (move.at.astimezone(tz).strftime("%H:%M") if move else ""),
    }


def _personal() -> bool:
    """A signed-in person holds one counter at a time; a token may drive several."""
    return (current_principal() or {}).get("kind") == "session"


def _respond(code: str, message: str, error: bool = False, status: int = 200):
    """After a POST: the live screen with the outcome for htmx, else a redirect (PRG)."""
    if htmx.is_htmx():
        ctx = _live_context(code)
        ctx.update(message=message, error=error, feedback=True)
        return _no_store(render_template("counter/_live.html", **ctx), status)
    flash(message, "error" if error else "ok")
    return redirect(url_for("counter.terminal", code=code), 303)


def _refusal(code: str, exc: DomainError | NotFound, ticket_id: int | None = None):
    """A refusal in the clerk's words (409; 404 for something that does not exist)."""
    message = refusals.explain(exc, get_db(), current_language(), counter=code,
                               ticket_id=ticket_id)
    return _respond(code, message, True, 404 if isinstance(exc, NotFound) else 409)


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
    """The terminal: current ticket and its actions, who waits, parked tickets, the day."""
    flashed = get_flashed_messages(with_categories=True)
    ctx = _live_context(code)
    ctx.update(message=flashed[-1][1] if flashed else None,
               error=bool(flashed) and flashed[-1][0] == "error")
    return _no_store(render_template("counter/terminal.html", **ctx))


@bp.get("/<code>/live")
@login_required("staff")
def live(code: str):
    """The live screen alone (panel, with the other parts out of band): re-fetched on changes."""
    return _no_store(render_template("counter/_live.html", **_live_context(code)))


@bp.get("/<code>/panel")
@login_required("staff")
def panel(code: str):
    """The current-ticket panel alone."""
    return _no_store(render_template("counter/_panel.html", **_live_context(code)))


@bp.get("/<code>/queues")
@login_required("staff")
def queues(code: str):
    """The side column alone: parked tickets, the counter's day, its queues."""
    return _no_store(render_template("counter/_side.html", **_live_context(code)))


@bp.post("/<code>/next")
@login_required("staff")
def call_next(code: str):
    """Call the next customer to this counter."""
    _counter_row(code)
    lang = current_language()
    try:
        ticket = usecases.call_next(get_ports(), counter=code, staff=_staff(),
                                    exclusive=_personal())
    except (DomainError, NotFound) as exc:
        return _refusal(code, exc)
    if ticket is None:
        return _respond(code, texts.t("msg.nobody", lang))
    return _respond(code, texts.t("msg.next", lang, number=ticket.number))


@bp.post("/<code>/call-number")
@login_required("staff")
def call_number(code: str):
    """Call a waiting (or this counter's parked) ticket by the number the customer shows."""
    _counter_row(code)
    number = (request.form.get("number") or "").strip()[:12]
    lang = current_language()
    if not number:
        return _respond(code, texts.t("call_number.label", lang), True, 409)
    try:
        ticket = usecases.call_number(get_ports(), number=number, counter=code, staff=_staff(),
                                      exclusive=_personal())
    except (DomainError, NotFound) as exc:
        day = branch_day(now(), current_app.config["TIMEZONE"])
        return _refusal(code, exc, counter_queries.ticket_id_by_number(get_db(), day, number))
    return _respond(code, texts.t("msg.call_number", lang, number=ticket.number))


@bp.post("/<code>/tickets/<int:ticket_id>/<action>")
@login_required("staff")
def ticket_action(code: str, ticket_id: int, action: str):
    """Recall, start, finish, no-show, requeue, transfer, park or call a ticket."""
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
        return _refusal(code, exc, ticket_id)
    lang = current_language()
    if action == "recall" and ticket.state == State.NO_SHOW:  # the branch's recall limit
        n = int(queries.setting(get_db(), "auto_no_show_recalls", 0) or 0)
        return _respond(code, texts.t("msg.auto_no_show", lang, number=ticket.number, n=n + 1))
    return _respond(code, texts.t(f"msg.{action}", lang, number=ticket.number))


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
    """Open, pause (with a reason from the branch's list), resume or close this counter."""
    _counter_row(code)
    if move not in COUNTER_MOVES:
        abort(404, description=texts.t("err.unknown_action", current_language()))
    reason = (request.form.get("reason") or "").strip()[:40] or None
    try:
        state = usecases.set_counter(get_ports(), counter=code, move=move, staff=_staff(),
                                     reason=reason if move == "break" else None,
                                     exclusive=_personal())
    except (DomainError, NotFound) as exc:
        return _refusal(code, exc)
    lang = current_language()
    if move == "break" and reason:
        return _respond(code, texts.t("msg.break", lang, reason=reason))
    return _respond(code, texts.t("msg.state", lang, state=texts.t(f"state.{state}", lang)))
