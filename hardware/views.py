"""Technician pages at ``/hardware``: printers, their live status, jobs, kiosks, ports."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from servicepoint import setup_queries
from servicepoint.auth import current_principal, login_required
from servicepoint.db import get_setting, immediate, set_setting
from servicepoint.domain.printing import TicketPayload
from servicepoint.htmx import is_htmx
from servicepoint.i18n import LANGUAGES
from servicepoint.security import large_body, public_base
from servicepoint.setup_store import insert_audit
from servicepoint.web_db import get_db

from . import jobstore
from .emulator import EMULATORS
from .emulator import STATES as EMULATOR_STATES
from .printers import list_serial_ports
from .rendering import ticket_template
from .status import status_label

bp = Blueprint("hardware", __name__, url_prefix="/hardware", template_folder="templates",
               static_folder="static", static_url_path="/hardware-static")


def init_app(app) -> None:
    """Register the print API and the hooks that start the print worker under ``serve``."""
    from . import api, devices
    from .worker import start_in_app, stop_in_app

    app.register_blueprint(api.bp)
    app.register_blueprint(devices.bp)
    ext = app.extensions["servicepoint"]
    # The print agents' current sessions (agent name → session), guarded by the lock.
    ext["agent_sessions"] = {}
    ext["agent_lock"] = threading.Lock()
    if app.config.get("START_WORKERS"):
        ext["start_workers"] = lambda: start_in_app(app)
        ext["stop_workers"] = lambda: stop_in_app(app)
    app.jinja_env.globals.setdefault("printer_status_label", status_label)


def _now() -> dt.datetime:
    return current_app.extensions["servicepoint"]["clock"].now()


def _audit(conn, action: str, entity: str, key: str, before, after) -> None:
    """Record a printer or device change in the audit log (inside the caller's transaction)."""
    principal = current_principal() or {}
    insert_audit(conn, at=_now(), actor=principal.get("username", "unknown"), action=action,
                 entity=entity, key=str(key), before=before, after=after)


def _notify(topic: str) -> None:
    current_app.extensions["servicepoint"]["broadcaster"].publish(topic)


def _printers(conn):
    return conn.execute("SELECT * FROM printers ORDER BY name").fetchall()


def _jobs(conn, limit: int = 25):
    return conn.execute(
        "SELECT j.*, p.name AS printer_name, t.number AS ticket_number FROM print_jobs j"
        " LEFT JOIN printers p ON p.id = j.printer_id LEFT JOIN tickets t ON t.id = j.ticket_id"
        " ORDER BY j.id DESC LIMIT ?", (limit,)).fetchall()


def _emulators():
    return sorted(EMULATORS.values(), key=lambda e: e.name)


@bp.get("")
@login_required("technician")
def index():
    """Printers with live status, jobs, kiosks and serial ports."""
    conn = get_db()
    kiosks = conn.execute("SELECT * FROM devices WHERE kind='kiosk' ORDER BY code").fetchall()
    return render_template("hardware/index.html", printers=_printers(conn), jobs=_jobs(conn),
                           kiosks=kiosks, ports=list_serial_ports(), emulators=_emulators(),
                           emulator_states=EMULATOR_STATES)


@bp.get("/printers")
@login_required("technician")
def printers_partial():
    """The printers table alone (re-fetched live)."""
    return render_template("hardware/_printers.html", printers=_printers(get_db()),
                           emulators=_emulators(), emulator_states=EMULATOR_STATES)


@bp.get("/jobs")
@login_required("technician")
def jobs_partial():
    """The recent jobs table alone (re-fetched live)."""
    return render_template("hardware/_jobs.html", jobs=_jobs(get_db()))


@bp.post("/printers")
@login_required("technician")
def add_printer():
    """Add a printer by URL."""
    return _save_printer(
        "INSERT INTO printers (name, url, paper_mm, profile, mode) VALUES (?,?,?,?,?)", (),
        failed="Could not add the printer", done="Added printer")


@bp.post("/printers/<int:printer_id>")
@login_required("technician")
def edit_printer(printer_id: int):
    """Change a printer's name, URL, paper, profile or mode."""
    return _save_printer(
        "UPDATE printers SET name=?, url=?, paper_mm=?, profile=?, mode=?, status='unknown',"
        " status_detail=NULL WHERE id=?", (printer_id,),
        failed="Could not save the printer", done="Saved printer")


def _save_printer(sql: str, extra: tuple, *, failed: str, done: str):
    """Check the printer form, run ``sql`` with its values (+ ``extra``), report, redirect."""
    form, error = _printer_form()
    if error:
        flash(error, "error")
        return redirect(url_for("hardware.index"))
    conn = get_db()
    before = setup_queries.printer_by_id(conn, extra[0]) if extra else None
    try:
        with immediate(conn):
            cur = conn.execute(sql, (form["name"], form["url"], form["paper_mm"], form["profile"],
                                     form["mode"], *extra))
            if cur.rowcount:
                after = setup_queries.printer_by_id(conn, extra[0] if extra else cur.lastrowid)
                _audit(conn, "update" if extra else "create", "printer", form["name"], before,
                       after)
    except sqlite3.Error as exc:  # IntegrityError: a duplicate name
        flash(f"{failed}: {_friendly(exc)}", "error")
        return redirect(url_for("hardware.index"))
    _start_emulator_if_needed(form["url"])
    flash(f"{done} {form['name']}.", "ok")
    _notify("printer")
    return redirect(url_for("hardware.index"))


@bp.post("/printers/<int:printer_id>/delete")
@login_required("technician")
def delete_printer(printer_id: int):
    """Remove a printer (its kiosks show numbers on screen only; past jobs stay)."""
    conn = get_db()
    with immediate(conn):
        before = setup_queries.printer_by_id(conn, printer_id)
        if before is not None:
            _audit(conn, "delete", "printer", before["name"], before, None)
        conn.execute("UPDATE devices SET printer_id = NULL WHERE printer_id = ?", (printer_id,))
        jobstore.fail_for_printer(conn, printer_id, "printer removed", _now())
        conn.execute("UPDATE printers SET enabled = 0 WHERE id = ?", (printer_id,))
        conn.execute("DELETE FROM printers WHERE id = ? AND NOT EXISTS"
                     " (SELECT 1 FROM print_jobs WHERE printer_id = ?)", (printer_id, printer_id))
    flash("Printer removed.", "ok")
    _notify("printer")
    return redirect(url_for("hardware.index"))


@bp.post("/printers/<int:printer_id>/enable")
@login_required("technician")
def enable_printer(printer_id: int):
    """Re-enable a disabled printer."""
    conn = get_db()
    with immediate(conn):
        before = setup_queries.printer_by_id(conn, printer_id)
        conn.execute("UPDATE printers SET enabled = 1 WHERE id = ?", (printer_id,))
        if before is not None and not before["enabled"]:
            _audit(conn, "enable", "printer", before["name"], before, {**before, "enabled": True})
    _notify("printer")
    return redirect(url_for("hardware.index"))


@bp.post("/printers/<int:printer_id>/test")
@login_required("technician")
def test_print(printer_id: int):
    """Queue a test page for the printer."""
    conn = get_db()
    if conn.execute("SELECT 1 FROM printers WHERE id=?", (printer_id,)).fetchone() is None:
        flash("No such printer.", "error")
    else:
        jobstore.add_test_job(conn, printer_id, _now())
        _notify("print")
        flash("Test page queued; watch the jobs list below.", "ok")
    return redirect(url_for("hardware.index"))


@bp.post("/kiosks/<code>/printer")
@login_required("technician")
def assign_printer(code: str):
    """Assign a printer to a kiosk (empty = none)."""
    value = request.form.get("printer_id", "")
    printer_id = int(value) if value.isdigit() else None
    conn = get_db()
    with immediate(conn):
        before = setup_queries.device_printer(conn, code)
        conn.execute("UPDATE devices SET printer_id = ? WHERE code = ? AND kind='kiosk'", (printer_id, code))
        after = setup_queries.device_printer(conn, code)
        if after != before:
            _audit(conn, "update", "device", code, {"printer": before}, {"printer": after})
    flash(f"Kiosk {code} updated.", "ok")
    _notify("printer")
    return redirect(url_for("hardware.index"))


@bp.post("/tickets/<int:ticket_id>/reprint")
@login_required("staff", "technician")
def reprint(ticket_id: int):
    """Reprint a ticket as a new job."""
    try:
        jobstore.reprint(get_db(), ticket_id, _now())
        flash("Reprint queued.", "ok")
    except LookupError as exc:
        flash(str(exc), "error")
    _notify("print")
    return redirect(request.referrer or url_for("hardware.index"))


@bp.post("/emulators/<name>/state")
@login_required("technician")
def emulator_state(name: str):
    """Switch a built-in emulator's state (for demos and training)."""
    from .emulator import lookup_emulator

    emulator = lookup_emulator(name)
    message, category = None, "ok"
    if emulator is None:
        message, category = f"No emulator {name!r} is running.", "error"
    else:
        try:
            emulator.set_state(request.form.get("state", "ok"))
            message = f"Emulator {name} is now {emulator.state}."
        except ValueError as exc:
            message, category = str(exc), "error"
    if is_htmx():
        # The partial shows the new state itself; a flash would surface on some later page.
        return printers_partial()
    flash(message, category)
    return redirect(url_for("hardware.index"))


@bp.get("/preview")
@login_required("manager", "technician")
def preview():
    """Preview the ticket layout (a sample, or ?ticket=ID for a real one)."""
    from .layout import build_ticket_layout
    from .render_html import TICKET_PREVIEW_CSS, render_html

    conn = get_db()
    ticket_id = request.args.get("ticket", "")
    job = jobstore.first_job(conn, int(ticket_id)) if ticket_id.isdigit() else None
    payload = jobstore.payload(job) if job is not None else None
    if payload is None:
        payload = TicketPayload(
            number="A042", service="A", service_name="General enquiries",
            language=request.args.get("lang", "en"), issued_at=_now().isoformat(),
            timezone=current_app.config["TIMEZONE"], people_ahead=4, estimated_wait_s=600,
            estimated_wait_range_s=(480, 900), track_url=public_base() + "t/example",
            branch_name="ServicePoint")
    html = render_html(build_ticket_layout(payload, ticket_template(conn)))
    return render_template("hardware/preview.html", preview_html=html, preview_css=TICKET_PREVIEW_CSS)


TEMPLATE_LANGUAGES = tuple(LANGUAGES)


@bp.route("/template", methods=["GET", "POST"])
@login_required("manager", "technician")
@large_body("LOGO_MAX_BYTES")
def edit_template():
    """Edit the branch's ticket template (greeting, footer, QR, wait) with a live preview."""
    conn = get_db()
    template = ticket_template(conn)
    if request.method == "POST":
        new = dict(template)
        for key in ("greeting", "footer"):
            new[key] = {lang: request.form.get(f"{key}_{lang}", "").strip()[:120]
                        for lang in TEMPLATE_LANGUAGES}
        new["show_qr"] = request.form.get("show_qr") == "on"
        new["show_wait"] = request.form.get("show_wait") == "on"
        branch = request.form.get("branch_name", "").strip()[:60]
        logo = request.files.get("logo")
        if logo and logo.filename:
            error = _save_logo(logo)
            if error:
                flash(error, "error")
                return redirect(url_for("hardware.edit_template"))
            new["logo_path"] = _logo_path()
        if request.form.get("remove_logo") == "on":
            new.pop("logo_path", None)
        with immediate(conn):
            set_setting(conn, "ticket_template", new)
            if new != template:
                _audit(conn, "update", "settings", "ticket_template", template, new)
            if branch and branch != get_setting(conn, "branch_name", ""):
                _audit(conn, "update", "settings", "branch",
                       {"name": get_setting(conn, "branch_name", "")}, {"name": branch})
                set_setting(conn, "branch_name", branch)
        flash("Ticket template saved; new tickets use it.", "ok")
        return redirect(url_for("hardware.edit_template"))
    return render_template("hardware/template.html", template=template, languages=TEMPLATE_LANGUAGES,
                           branch_name=get_setting(conn, "branch_name", ""))


def _logo_path() -> str:
    """Where the ticket logo lives: beside the database, with the branch's other data."""
    import os

    return os.path.join(os.path.dirname(os.path.abspath(current_app.config["DATABASE"])),
                        "ticket-logo.png")


def _save_logo(upload) -> str | None:
    """Store an uploaded logo as a 1-bit-friendly PNG at most 384 dots wide; error text or None."""
    from .logo import LogoError, store_logo

    try:
        store_logo(upload.read(current_app.config["LOGO_MAX_BYTES"] + 1), _logo_path(),
                   max_bytes=current_app.config["LOGO_MAX_BYTES"])
    except LogoError as exc:
        return str(exc)
    return None


def _printer_form():
    """Read and check the printer form; returns (values, error message or None)."""
    from .printer_url import PrinterURLError, parse_printer_url

    name = (request.form.get("name") or "").strip()
    url = (request.form.get("url") or "").strip()
    paper = request.form.get("paper_mm", "80")
    mode = request.form.get("mode", "server")
    profile = (request.form.get("profile") or "default").strip() or "default"
    if not name or len(name) > 80:
        return None, "Give the printer a name (up to 80 characters)."
    try:
        parse_printer_url(url)
    except PrinterURLError as exc:
        return None, str(exc)
    if paper not in ("58", "80"):
        return None, "Paper width must be 58 or 80 mm."
    if mode not in ("server", "agent"):
        return None, "Mode must be server or agent."
    return {"name": name, "url": url, "paper_mm": int(paper), "mode": mode, "profile": profile}, None


def _friendly(exc: sqlite3.Error) -> str:
    # printers.name is the table's only UNIQUE column.
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_UNIQUE":
        return "a printer with that name already exists"
    return str(exc)


def _start_emulator_if_needed(url: str) -> None:
    if not url.startswith("emulator:") or not current_app.config.get("START_WORKERS"):
        return
    from .worker import start_builtin_emulators

    started = start_builtin_emulators(current_app.config["DATABASE"])
    current_app.extensions["servicepoint"].setdefault("emulators", []).extend(started)

