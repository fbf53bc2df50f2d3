"""Print API under ``/api/v1``: the print agent's job queue, printer status, reprints.

Lives in ``hardware`` because the branch server core never imports device
code; ``servicepoint.openapi`` documents these routes with the rest.
"""
from __future__ import annotations

import base64
import time

from flask import Blueprint, current_app, jsonify

from servicepoint.api import BadRequest, field, json_body
from servicepoint.auth import api_require, current_principal
from servicepoint.domain.printing import PrinterStatus
from servicepoint.web_db import get_db

from . import jobstore
from .rendering import RenderFailed, render_or_fail

bp = Blueprint("hardware_api", __name__, url_prefix="/api/v1")

# What a device may report for its printer: what it found out, so never "unknown".
STATUSES = frozenset(status.value for status in PrinterStatus if status is not PrinterStatus.UNKNOWN)


def _ext():
    return current_app.extensions["servicepoint"]


def _caller() -> dict:
    """The authenticated caller of a route guarded by ``api_require``."""
    principal = current_principal()
    if principal is None:  # api_require lets no anonymous request through; never trust that blindly
        raise BadRequest("Send a device token", "unauthorized", 401)
    return principal


def _agent_printer(conn):
    """The agent-mode printer of the calling device token; BadRequest when there is none."""
    device = _caller().get("device")
    if not device:
        raise BadRequest("This token is not bound to a kiosk (servicepoint token create --role device "
                         "--device KIOSK)", "not_a_device", 403)
    row = conn.execute("SELECT p.* FROM devices d JOIN printers p ON p.id = d.printer_id"
                       " WHERE d.code = ?", (device,)).fetchone()
    if row is None:
        raise BadRequest(f"Kiosk {device} has no printer assigned", "no_printer", 409)
    if row["mode"] != "agent":
        raise BadRequest(f"Printer {row['name']} is driven by the server, not by an agent "
                         "(set its mode to agent on /hardware)", "not_agent_printer", 409)
    return row


@bp.post("/print-jobs/claim")
@api_require("device")
def claim_job():
    """Hand the calling print agent its printer's next job (long-polls up to wait_s).

    Each agent process has a ``session``. A claim with ``restart`` (the agent's
    first after starting, or after a lost answer) supersedes older sessions of
    the same agent: their long-polls stop claiming, and jobs they claimed but the
    agent never received go back to pending. The agent reports every job it did
    receive (from its journal) before such a claim, so nothing is printed twice.
    """
    body = json_body()
    wait_s = field(body, "wait_s", (int, float), 0)  # type: ignore[arg-type]  # field() takes isinstance's tuples
    if not 0 <= wait_s <= 25:
        raise BadRequest("wait_s must be between 0 and 25", "bad_field")
    session = field(body, "session", str, "default", max_len=64)
    restart = field(body, "restart", bool, False)
    conn = get_db()
    printer = _agent_printer(conn)
    broadcaster = _ext()["broadcaster"]
    clock = _ext()["clock"]
    name = _caller()["name"]
    worker = f"agent:{name}:{session}"
    sessions = _ext()["agent_sessions"]
    lock = _ext()["agent_lock"]
    if restart:
        with lock:
            sessions[name] = session
            released = jobstore.release_unreceived(conn, printer["id"], f"agent:{name}:", worker,
                                                   clock.now())
        if released:
            broadcaster.publish("print")
    deadline = time.monotonic() + wait_s
    job = None
    while True:
        version = broadcaster.version
        with lock:
            if sessions.get(name, session) != session:
                break  # a newer process of this agent took over; this caller is gone
            jobstore.expire_leases(conn, clock.now())
            job = jobstore.claim(conn, printer["id"], worker, clock.now())
        if job is not None or time.monotonic() >= deadline:
            break
        broadcaster.wait(version, min(1.0, max(0.0, deadline - time.monotonic())))
    if job is None:
        return jsonify(job=None, printer={"id": printer["id"], "name": printer["name"]})
    try:
        data = render_or_fail(conn, job, printer, clock.now())
    except RenderFailed as exc:
        broadcaster.publish("print")
        raise BadRequest(str(exc), "render_failed", 409) from None
    broadcaster.publish("print")
    payload = jobstore.payload(job)
    number = payload.number if payload is not None else None
    return jsonify(job={"id": job["id"], "kind": job["kind"], "ticket_number": number,
                        "bytes_b64": base64.b64encode(data).decode(), "size": len(data)},
                   printer={"id": printer["id"], "name": printer["name"]})


@bp.post("/print-jobs/<int:job_id>/result")
@api_require("device")
def job_result(job_id: int):
    """Record what the agent's printer did with a claimed job."""
    body = json_body()
    ok = field(body, "ok", bool, required=True)
    conn = get_db()
    printer = _agent_printer(conn)
    job = conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if job is None or job["printer_id"] != printer["id"]:
        raise BadRequest(f"No job {job_id} for this kiosk's printer", "unknown_job", 404)
    now = _ext()["clock"].now()
    if ok:
        changed = jobstore.mark_printed(conn, job_id, now, field(body, "size", int))
        state = "printed" if changed or job["state"] == "printed" else job["state"]
    else:
        reason = field(body, "error", str, "the agent could not print", max_len=500)
        state = jobstore.mark_failed(conn, job_id, reason, now,
                                     retry=field(body, "sent", bool, True) is False)
    status = field(body, "status", str, None, choices=STATUSES)
    if status:
        detail = field(body, "detail", str, None, max_len=500)
        if jobstore.set_status(conn, printer["id"], PrinterStatus(status), detail, now):
            _ext()["broadcaster"].publish("printer")
    _ext()["broadcaster"].publish("print")
    return jsonify(job_id=job_id, state=state)


@bp.post("/printers/<int:printer_id>/status")
@api_require("device")
def printer_status(printer_id: int):
    """An agent reports its printer's real-time status."""
    body = json_body()
    status = field(body, "status", str, required=True, choices=STATUSES)
    detail = field(body, "detail", str, None, max_len=500)
    conn = get_db()
    printer = _agent_printer(conn)
    if printer["id"] != printer_id:
        raise BadRequest("This token reports for another printer", "wrong_printer", 403)
    if jobstore.set_status(conn, printer_id, PrinterStatus(status), detail, _ext()["clock"].now()):
        _ext()["broadcaster"].publish("printer")
    return jsonify(printer_id=printer_id, status=status)


@bp.get("/printers")
@api_require("technician")
def printers():
    """Printers with their live status and job counts."""
    conn = get_db()
    counts: dict[int, dict[str, int]] = {}
    for printer_id, state, count in conn.execute(
            "SELECT printer_id, state, count(*) FROM print_jobs WHERE printer_id IS NOT NULL"
            " GROUP BY printer_id, state ORDER BY printer_id, state"):
        counts.setdefault(printer_id, {})[state] = count
    out = []
    for row in conn.execute("SELECT * FROM printers ORDER BY name"):
        out.append({"id": row["id"], "name": row["name"], "url": row["url"], "mode": row["mode"],
                    "paper_mm": row["paper_mm"], "enabled": bool(row["enabled"]),
                    "status": row["status"], "status_detail": row["status_detail"],
                    "status_at": row["status_at"], "jobs": counts.get(row["id"], {})})
    return jsonify(printers=out)


@bp.post("/tickets/<int:ticket_id>/reprint")
@api_require("staff")
def reprint(ticket_id: int):
    """Print a ticket again as a new job."""
    conn = get_db()
    try:
        job_id = jobstore.reprint(conn, ticket_id, _ext()["clock"].now())
    except LookupError as exc:
        raise BadRequest(str(exc), "nothing_to_reprint", 404) from None
    _ext()["broadcaster"].publish("print")
    response = jsonify(job_id=job_id, state="pending")
    response.status_code = 201
    return response
