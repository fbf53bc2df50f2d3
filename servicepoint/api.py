"""JSON API v1 (docs/architecture.md, *Interfaces*). Errors are ``{"error": code, "message": text}`` with a 4xx."""
from __future__ import annotations

import hmac
import json

from flask import Blueprint, Response, current_app, jsonify, request

from . import queries, report_queries, reports, security, view_cache
from .auth import api_require, current_principal, has_role
from .domain.counters import COUNTER_MOVES
from .domain.lifecycle import STAFF_ACTIONS
from .domain.model import Outcome, Position, Priority, State
from .domain.report import Filters
from .openapi import spec
from .ports import NotFound
from .usecases import (
    act,
    call_next,
    call_number,
    call_ticket,
    issue_ticket,
    set_counter,
    track_url,
)
from .web_db import get_db, get_ports, now, service_times

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Refusals that are about the queue's current state (try again later), not bad input.
CONFLICTS = {"illegal_transition", "not_holder", "counter_busy", "service_inactive",
             "transfer_to_self", "not_served_here", "idempotency_conflict", "already_rated",
             "holds_other_counter"}
# URL spellings of the actions a ticket endpoint accepts ("no-show" for no_show).
ACTIONS = {a.value.replace("_", "-") for a in STAFF_ACTIONS}


class BadRequest(Exception):
    """A request body or parameter that cannot be used; becomes a 400 JSON error."""

    def __init__(self, message: str, code: str = "bad_request", status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


# Refusals because of who asks, not what is asked. (servicepoint.errors turns
# BadRequest, DomainError and NotFound into JSON answers for every API blueprint.)
FORBIDDEN = {"priority_not_allowed", "service_not_offered"}
# Whole numbers in a body: beyond this nothing the API stores or compares is meaningful.
MAX_INT = 2**53


# Refusals because what was named does not exist.
MISSING = {"no_such_number"}


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict:
    """The request's JSON object (empty body → {}); raises BadRequest otherwise.

    Refuses NaN/Infinity and anything nested deeper than a flat object needs.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest("The body nests too deeply", "bad_json") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not valid JSON", "bad_json") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object", "bad_json")
    if not security.json_depth(body):
        raise BadRequest("The body nests too deeply", "bad_json")
    return body


def field(body: dict, name: str, kind: type, default=None, *, required: bool = False,
          choices=None, max_len: int = 64):
    """Read one field, checking its type (and choices); raises BadRequest with the reason."""
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(f"'{name}' is required", "missing_field")
        return default
    value = body[name]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        what = kind.__name__ if isinstance(kind, type) else "number"
        what = {"str": "string", "int": "whole number", "bool": "true or false"}.get(what, what)
        raise BadRequest(f"'{name}' must be a {what}", "bad_field")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise BadRequest(f"'{name}' is out of range", "bad_field")
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > max_len:
            raise BadRequest(f"'{name}' must have 1 to {max_len} characters", "bad_field")
    if choices is not None and value not in choices:
        raise BadRequest(f"'{name}' must be one of: {', '.join(sorted(choices))}", "bad_field")
    return value


def _base_url() -> str:
    """The branch's public base URL (never the request's Host header)."""
    return security.public_base()


def ticket_json(conn, ticket, *, public_id: str | None = None, people_ahead: int | None = None,
                estimate: dict | None = None, base_url: str | None = None) -> dict:
    """The API's view of a ticket."""
    if public_id is None:
        public_id = queries.public_id(conn, ticket.id)
    if people_ahead is None and ticket.state == State.WAITING:
        people_ahead = queries.people_ahead(conn, ticket)
    out = {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "state": ticket.state.value,
        "priority": ticket.priority.value,
        "language": ticket.language,
        "position": people_ahead if ticket.state == State.WAITING else None,
        "issued_at": ticket.issued_at.isoformat(),
        "counter": ticket.counter,
        "target_counter": ticket.target_counter,
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "recalls": ticket.recalls,
        "track_url": track_url(base_url or _base_url(), public_id),
    }
    out.update(estimate or {"estimated_wait_s": None})
    return out


@bp.post("/tickets")
def create_ticket():
    """Issue a ticket (kiosk, staff or integration)."""
    body = json_body()
    service = field(body, "service", str, required=True, max_len=3).upper()
    language = field(body, "language", str, "en", max_len=8)
    priority = field(body, "priority", str, "normal", choices={p.value for p in Priority})
    device = field(body, "kiosk", str, None) or request.headers.get("X-Kiosk") or None
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 128):
        raise BadRequest("Idempotency-Key must have 1 to 128 characters", "bad_header")
    principal = current_principal()
    if key is not None:
        key = _scoped_key(principal, key)
    device, staff = _issuer(principal, device, key)
    base_url = _base_url()
    # issue_ticket decides from who asks (staff or token vs anonymous, and the kiosk
    # named) which priority and services the caller may have.
    result = issue_ticket(get_ports(), service=service, language=language, priority=priority,
                          device=device, idempotency_key=key, staff=staff, track_base=base_url)
    out = ticket_json(get_db(), result.ticket, public_id=result.public_id,
                      people_ahead=result.people_ahead, estimate=result.estimate.as_dict(),
                      base_url=base_url)
    out["print"] = {"state": result.print_state, "reason": result.print_reason,
                    "job_id": result.print_job_id, "printed": False if result.print_state in (
                        "not_printed", "none") else None}
    response = jsonify(out)
    response.status_code = 201
    response.headers["Location"] = f"{request.script_root}/api/v1/tickets/{result.ticket.id}"
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _issuer(principal: dict | None, kiosk: str | None, key: str | None
            ) -> tuple[str | None, str | None]:
    """The kiosk a ticket is issued at and the staff name issuing it, after the limits.

    Only a paired kiosk (its device token) or staff may name a kiosk, so only they
    print; a kiosk's token issues as that kiosk's customer, under that kiosk's
    own rate. An anonymous caller gets unprinted tickets under the per-address limit.
    """
    if principal is None:
        if kiosk:
            raise BadRequest("Only a paired kiosk or staff may issue tickets at a kiosk; pair "
                             "it on /hardware/devices", "kiosk_not_paired", 403)
        if not _rate_ok():
            raise RateLimited(_retry_after())
        return None, None
    own = principal.get("device") if principal.get("role") == "device" else None
    if not own:  # staff, or an integration's token bound to no kiosk
        return kiosk, principal["username"]
    if kiosk and kiosk != own:
        raise BadRequest("This device token belongs to another kiosk", "wrong_kiosk", 403)
    limiter = current_app.extensions["servicepoint"]["kiosk_limiter"]
    rate = queries.kiosk_rate(get_db(), own)
    if not queries.idempotency_key_used(get_db(), key) and not limiter.allow(own, rate):
        raise RateLimited(limiter.retry_after(own, rate), "Too many tickets from this kiosk; "
                          "please wait a moment")
    return own, None


class RateLimited(BadRequest):
    """429 with the seconds to wait."""

    def __init__(self, retry_after: int, message: str = "Too many tickets from this address; "
                 "please wait a minute or use an API token"):
        super().__init__(message, "rate_limited", 429)
        self.retry_after = retry_after


def _scoped_key(principal: dict | None, key: str) -> str:
    """An Idempotency-Key in its caller's own namespace (token, staff member or address).

    Keys are chosen by callers, so one caller's key must never find another's ticket.
    """
    if principal is None:
        return f"api:addr:{request.remote_addr or 'unknown'}:{key}"
    return f"api:{principal['kind']}:{principal['username']}:{key}"


def _rate_ok() -> bool:
    """Anonymous callers share a per-address budget (``API_TICKET_RATE_LIMIT`` per minute)."""
    limiter = current_app.extensions["servicepoint"]["api_limiter"]  # None when the limit is 0
    return limiter is None or limiter.allow(request.remote_addr or "unknown")


def _staff_name() -> str:
    """The signed-in user or token holder of a staff endpoint (``api_require`` checked one)."""
    principal = current_principal()
    if principal is None:
        raise BadRequest("This needs a staff sign-in or an API token", "unauthorized", 401)
    return principal["username"]


def _retry_after() -> int:
    limiter = current_app.extensions["servicepoint"]["api_limiter"]
    return limiter.retry_after(request.remote_addr or "unknown") if limiter else 1


@bp.get("/tickets/<int:ticket_id>")
def get_ticket(ticket_id: int):
    """One ticket's state, position and estimate: for staff, or for the ticket's holder.

    The holder proves it with the ticket's secret (the last part of its tracking
    link) in ``X-Ticket-Secret``; ids are sequential, so the id alone proves nothing.
    """
    conn = get_db()
    if not has_role(current_principal(), "staff"):
        secret = request.headers.get("X-Ticket-Secret")
        if not secret:
            raise BadRequest("This needs a staff sign-in, an API token or the ticket's own "
                             "secret (X-Ticket-Secret)", "unauthorized", 401)
        if not hmac.compare_digest(queries.public_id(conn, ticket_id).encode(), secret.encode()):
            raise NotFound("ticket", ticket_id)
    ticket = queries.ticket(conn, ticket_id)
    ahead, estimate = queries.waiting_view(conn, service_times(), now(), ticket)
    return jsonify(ticket_json(conn, ticket, people_ahead=ahead,
                               estimate=estimate.as_dict() if estimate else None))


@bp.get("/queue")
def queue():
    """Per service: people waiting, estimated wait for a new arrival, open counters."""
    lang = request.args.get("lang", "en")
    return jsonify(services=view_cache.queue_overview(lang),
                   version=current_app.extensions["servicepoint"]["broadcaster"].version)


@bp.get("/counters")
@api_require("staff")
def counters():
    """Counters with their state, services and current ticket."""
    conn = get_db()
    out = [{"code": c.counter.code, "name": c.counter.name, "state": c.counter.state.value,
            "staff": c.counter.staff, "services": c.services,
            "tickets": [ticket_json(conn, t) for t in c.tickets]}
           for c in queries.counters_overview(conn)]
    return jsonify(counters=out)


def _personal() -> bool:
    """A personal session holds one counter at a time; a script's token may drive several."""
    return (current_principal() or {}).get("kind") == "session"


@bp.post("/counters/<counter>/call-next")
@api_require("staff")
def counter_call_next(counter: str):
    """Call the next customer to this counter."""
    body = json_body()
    finish_current = field(body, "finish_current", bool, False)
    ticket = call_next(get_ports(), counter=counter, staff=_staff_name(),
                       finish_current=finish_current, exclusive=_personal())
    if ticket is None:
        return jsonify(ticket=None, message=f"Nobody is waiting for counter {counter}")
    return jsonify(ticket=ticket_json(get_db(), ticket))


@bp.post("/counters/<counter>/call-number")
@api_require("staff")
def counter_call_number(counter: str):
    """Call today's ticket ``number`` (as the customer shows it) to this counter."""
    number = field(json_body(), "number", str, max_len=12)
    if not number:
        raise BadRequest("'number' is required, e.g. A013", "missing_field")
    ticket = call_number(get_ports(), number=number, counter=counter, staff=_staff_name(),
                         exclusive=_personal())
    return jsonify(ticket=ticket_json(get_db(), ticket))


@bp.post("/counters/<counter>/<move>")
@api_require("staff")
def counter_move(counter: str, move: str):
    """Open, close, pause (with an optional ``reason`` from the branch's list) or resume."""
    if move not in COUNTER_MOVES:
        raise BadRequest(f"Unknown counter action {move!r}", "bad_action", 404)
    reason = field(json_body(), "reason", str, max_len=40) if move == "break" else None
    state = set_counter(get_ports(), counter=counter, move=move,
                        staff=_staff_name(), reason=reason, exclusive=_personal())
    return jsonify(counter=counter, state=state.value)


@bp.post("/tickets/<int:ticket_id>/<action>")
@api_require("staff")
def ticket_action(ticket_id: int, action: str):
    """Recall, start, finish, no-show, requeue, transfer, park, cancel, call or rate a ticket."""
    if action not in ACTIONS:
        raise BadRequest(f"Unknown action {action!r}; use one of: {', '.join(sorted(ACTIONS))}",
                         "bad_action", 404)
    body = json_body()
    staff = _staff_name()
    counter = field(body, "counter", str)
    ports = get_ports()
    if action == "call":
        if counter is None:
            raise BadRequest("'counter' is required to call a ticket", "missing_field")
        ticket = call_ticket(ports, ticket_id=ticket_id, counter=counter, staff=staff)
    else:
        params = {}
        if action == "transfer":
            service = field(body, "service", str, max_len=3)
            params["service"] = service.upper() if service else None
            params["target_counter"] = field(body, "to_counter", str)
        if action in ("transfer", "requeue"):
            params["position"] = field(body, "position", str, "time",
                                       choices={p.value for p in Position})
        if action == "finish":
            params["outcome"] = field(body, "outcome", str, "resolved",
                                      choices={o.value for o in Outcome})
        if action == "rate":
            params["rating"] = {"csat": field(body, "csat", int), "nps": field(body, "nps", int)}
        ticket = act(ports, ticket_id=ticket_id, action=action.replace("-", "_"), counter=counter,
                     staff=staff, **params)
    return jsonify(ticket=ticket_json(get_db(), ticket))


@bp.get("/events")
def events():
    """Server-Sent Events: served by the stream server in front of this app
    (:mod:`servicepoint.live_streams`); the route exists here for ``url_for``."""
    return jsonify(error="unavailable", message="Live streams are served by "
                   "`servicepoint serve` on the branch's port."), 503


@bp.get("/stats")
@api_require("manager")
def stats():
    """KPIs for a period and filters (JSON, or CSV with ``format=csv``)."""
    tz = current_app.config["TIMEZONE"]
    try:
        start, end = reports.parse_period(request.args.get("from"), request.args.get("to"), tz,
                                          now())
    except ValueError as exc:
        raise BadRequest(str(exc), "bad_period") from None
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format must be json or csv", "bad_format")
    filters = report_filters(request.args)
    data = reports.kpis(get_db(), start, end, now(), tz=tz, filters=filters)
    if fmt == "csv":
        return Response(reports.to_csv(data), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=servicepoint-stats.csv"})
    return jsonify(data)


def report_filters(args) -> Filters:
    """The service, counter and staff filters of a report; unknown ones are a 400."""
    known = report_queries.choices(get_db())
    values = {}
    for name in ("service", "counter", "staff"):
        value = args.get(name) or None
        if value is not None and value not in known[name]:
            raise BadRequest(f"No {name} {value[:40]!r} in this branch", f"unknown_{name}")
        values[name] = value
    return Filters(**values)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(spec())


from . import api_setup  # noqa: E402,F401  (registers the setup routes on bp)
