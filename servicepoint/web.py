"""The web shell: landing page, staff sign-in, ticket tracking, health and metrics."""
from __future__ import annotations

import os
import time
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import auth, errors, htmx, queries, sessions, setup, setup_queries, speech
from .domain.model import DomainError
from .domain.printing import PrinterStatus
from .i18n import device_language, t
from .live_views import ticket_live
from .metrics import escape_label
from .timeutil import branch_day
from .usecases import act
from .web_db import get_db, get_ports, get_setup_ports, now, service_times

bp = Blueprint("web", __name__)

FACES = [
    ("kiosk", "Kiosk", "Customers take a ticket", "/kiosk/K1"),
    ("counter", "Counter", "Staff call the next customer", "/counter"),
    ("display", "Lobby display", "Who is called where", "/display/D1"),
    ("manager", "Manager", "Dashboard, reports and setup", "/manager"),
    ("hardware", "Hardware", "Printers and devices", "/hardware"),
]


@bp.app_context_processor
def _globals():
    return {"csrf_token": auth.csrf_token, "principal": auth.current_principal()}


@bp.get("/")
def index():
    """Landing page linking every face."""
    return render_template("servicepoint/index.html", faces=FACES)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff sign-in form (failed attempts are throttled per account and per address)."""
    if request.method == "POST":
        try:
            row = auth.check_password(get_db(), request.form.get("username", "").strip(),
                                      request.form.get("password", ""))
        except auth.PasswordBusy:
            return login_page(busy=True)
        if row is None:
            return login_page(error=t("login.failed"))
        old_sid = session.get("sid")
        session.clear()
        ext = current_app.extensions["servicepoint"]
        if old_sid:
            sessions.end(get_db(), old_sid)
        session["sid"] = sessions.start(get_db(), row["id"], now=ext["clock"].now(),
                                        lifetime_s=current_app.config["SESSION_LIFETIME_S"],
                                        address=request.remote_addr)
        return redirect(_safe_next(request.args.get("next")))
    return login_page()


def login_page(*, error: str | None = None, throttled_s: int | None = None, busy: bool = False):
    """The sign-in form: 401 with ``error``, or 429 with Retry-After when throttled or busy.

    A throttled answer reads the same whichever name was typed, so it tells nobody
    whether an account exists.
    """
    status = 401 if error else 200
    retry = None
    if throttled_s is not None:
        minutes = max(1, round(throttled_s / 60))
        error, status, retry = t("login.throttled", n=minutes), 429, throttled_s
    elif busy:
        error, status, retry = t("login.busy"), 429, 5
    response = make_response(render_template("servicepoint/login.html", error=error), status)
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response


@bp.post("/logout")
def logout():
    """Sign out (POST, so a link cannot sign anyone out); the session ends on the server too,
    and the counter the person held pauses (recorded as a counter event)."""
    principal = auth.current_principal()
    if principal is not None and principal.get("kind") == "session":
        setup.pause_counters_of(get_setup_ports(), principal["username"])
    sessions.end(get_db(), session.get("sid"))
    session.clear()
    return redirect(url_for("web.index"))


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would hand staff to someone else's page."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("web.index")


def _ticket_or_404(public_id: str):
    """The ticket behind a tracking link (404 for an unknown link)."""
    ticket = queries.ticket_by_public_id(get_db(), public_id)
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/t/<public_id>")
def track(public_id: str):
    """The customer's own ticket page (linked from the QR code); live, in their language."""
    ticket = _ticket_or_404(public_id)
    conn = get_db()
    lang = device_language(ticket.language, None)  # the page speaks the ticket's language
    live = ticket_live(conn, service_times(), now(), ticket, lang)
    service = queries.service(conn, ticket.service)
    return htmx.render(
        "servicepoint/track.html", "servicepoint/_track.html", ticket=ticket, lang=lang,
        public_id=public_id, live=live, branch_name=setup_queries.settings(conn).name,
        service_name=service.name(lang) if service else ticket.service)


@bp.post("/t/<public_id>/cancel")
def track_cancel(public_id: str):
    """The customer gives up their turn from their phone (waiting tickets only)."""
    ticket = _ticket_or_404(public_id)
    try:
        act(get_ports(), ticket_id=ticket.id, action="cancel", staff="customer")
        flash(t("track.cancelled_now", ticket.language), "ok")
    except DomainError:
        flash(t("track.cannot_cancel", ticket.language), "error")
    return redirect(url_for("web.track", public_id=public_id))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages without an icon link."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/healthz")
def healthz():
    """Liveness for monitors: database reachable and writable-configured, printers' last status,
    whether announcements can be spoken."""
    started = time.perf_counter()
    checks = {}
    ok = True
    try:
        conn = get_db()
        journal = queries.database_check(conn)
        checks["database"] = {"ok": True, "journal_mode": journal,
                              "path": os.path.basename(current_app.config["DATABASE"])}
        # A database that reads but cannot save stops the branch as surely as a lost one.
        health = current_app.extensions["servicepoint"]["write_health"]
        failure = errors.check_storage(conn, current_app.config["DATABASE"], health,
                                       current_app.config["DISK_MIN_FREE_BYTES"])
        checks["database"]["disk_free_bytes"] = errors.disk_free(current_app.config["DATABASE"])
        if failure is not None:
            ok = False
            checks["database"].update(ok=False, writable=False, reason=failure,
                                      error="the branch server cannot save: "
                                            + errors.STORAGE_MESSAGES[failure])
            g.db_discard = failure in ("read_only", "cannot_open")
        else:
            checks["database"]["writable"] = True
        printers = queries.printers(conn)
        bad = queries.printer_problems(printers)
        checks["printers"] = {"ok": not bad, "items": printers, "problems": bad}
    except Exception as exc:  # the health page must answer even when the DB is gone
        ok = False
        checks["database"] = {"ok": False, "error": str(exc)}
    # Without espeak-ng the displays only chime: say so, but the server is still healthy.
    checks["speech"] = speech.current().health()
    body = {"ok": ok, "checks": checks,
            "sse_clients": current_app.extensions["servicepoint"]["broadcaster"].clients,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 2)}
    # Printer problems degrade the branch but do not make the server unhealthy.
    return jsonify(body), 200 if ok else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text: tickets issued/waiting per service, printers, requests, SSE clients."""
    conn = get_db()
    ext = current_app.extensions["servicepoint"]
    day = branch_day(ext["clock"].now(), current_app.config["TIMEZONE"])
    lines = []

    def metric(name, kind, help_text, samples):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            label = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{label}}} {value}" if label else f"{name} {value}")

    counts = queries.counts_for_metrics(conn, day)
    services, issued, waiting = counts["services"], counts["issued"], counts["waiting"]
    metric("servicepoint_tickets_issued_today", "gauge", "Tickets issued today (branch day)",
           [({"service": s}, issued.get(s, 0)) for s in services])
    metric("servicepoint_tickets_waiting", "gauge", "Tickets waiting now in each open queue",
           [({"service": s}, waiting.get(s, 0)) for s in services])
    metric("servicepoint_tickets_reserved", "gauge",
           "Tickets waiting now for a named counter (not in the open queue)",
           [({"service": s}, counts["reserved"].get(s, 0)) for s in services])
    metric("servicepoint_printer_status", "gauge", "1 for each printer's current status",
           [({"printer": r["name"], "status": s.value}, int(r["status"] == s))
            for r in queries.printers(conn) for s in PrinterStatus])
    jobs = counts["jobs"]
    metric("servicepoint_print_jobs", "gauge", "Print jobs by state",
           [({"state": s}, jobs.get(s, 0)) for s in ("pending", "sent", "printed", "failed")])
    metric("servicepoint_sse_clients", "gauge", "Open Server-Sent Events streams",
           [({}, ext["broadcaster"].clients)])
    metric("servicepoint_live_changes_total", "counter", "Live changes announced since start",
           [({}, ext["broadcaster"].version)])
    health = ext["write_health"]
    if health.failing is not None:  # recovers by itself once the disk takes writes again
        errors.check_storage(conn, current_app.config["DATABASE"], health,
                             current_app.config["DISK_MIN_FREE_BYTES"])
    free = errors.disk_free(current_app.config["DATABASE"])
    if free is not None:
        metric("servicepoint_disk_free_bytes", "gauge", "Free bytes on the database's disk",
               [({}, free)])
    metric("servicepoint_storage_writable", "gauge",
           "1 while the database takes writes, 0 while it cannot save (disk full, read-only)",
           [({}, int(health.failing is None))])
    metric("servicepoint_storage_write_failures_total", "counter",
           "Writes refused by the disk or the database file, by reason",
           [({"reason": r}, n) for r, n in sorted(health.failures.items())])
    metric("servicepoint_http_requests_total", "counter", "HTTP requests by route and status",
           [({"method": m, "route": r, "status": s}, n)
            for (m, r, s), n in sorted(ext["metrics"].snapshot().items())])
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")

