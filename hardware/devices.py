"""``/hardware/devices``: the branch's kiosks and displays, pairing them by code, revoking them.

A technician, manager or admin adds the screens the branch expects, types the
code an unpaired screen shows to bind it to one of them, and revokes a screen
that was lost or replaced (it shows the pairing screen again within a second).
Every change goes through the setup and pairing use cases, so it is validated
and audited like any other.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from servicepoint import htmx, pairing, setup, setup_queries
from servicepoint.auth import current_principal, login_required
from servicepoint.domain.branch import DEVICE_KINDS, InvalidSetup
from servicepoint.domain.pairing import DEFAULT_KIOSK_RATE_PER_MIN
from servicepoint.i18n import LANGUAGES, _, current_language
from servicepoint.pairing_store import credentials, waiting_requests
from servicepoint.pairing_web import ports as pairing_ports
from servicepoint.ports import NotFound
from servicepoint.setup_messages import field_errors
from servicepoint.web_db import get_db, get_setup_ports, now

bp = Blueprint("devices", __name__, url_prefix="/hardware/devices", template_folder="templates")

ROLES = ("technician", "manager")


def _context(**extra) -> dict:
    conn = get_db()
    devices = setup_queries.devices(conn)
    waiting = waiting_requests(conn, now())
    # One screen waiting as a known device: offer that device first.
    wanted = {w.wanted_code for w in waiting} - {None}
    known = {d.code for d in devices}
    guess = next(iter(wanted)) if len(wanted) == 1 and wanted <= known else ""
    return {"devices": devices, "credentials": credentials(conn),
            "waiting": waiting, "printers": setup_queries.printers(conn),
            "kinds": DEVICE_KINDS, "languages": LANGUAGES,
            "default_rate": DEFAULT_KIOSK_RATE_PER_MIN,
            "pair": {"code": "", "device": guess}, "pair_errors": {},
            "add": {"kind": "kiosk", "language": current_language()}, "add_errors": {},
            **extra}


def _page(status: int = 200, **extra):
    return htmx.render("hardware/devices.html", "hardware/_devices.html", status,
                       **_context(**extra))


def _done(message: str):
    """After a change: htmx gets the page again saying ``message``; a plain form is
    redirected to it (303) with ``message`` flashed."""
    if htmx.is_htmx():
        return _page(saved=message)
    flash(message, "ok")
    return redirect(url_for("devices.index"), 303)


def _actor() -> str:
    return (current_principal() or {}).get("username", "unknown")


@bp.get("")
@login_required(*ROLES)
def index():
    """The branch's screens with their credentials, and the screens waiting to be paired."""
    return _page()


@bp.get("/list")
@login_required(*ROLES)
def partial():
    """The devices and waiting screens alone (re-fetched live)."""
    return htmx.no_store(render_template("hardware/_device_list.html", **_context()))


@bp.post("/pair")
@login_required(*ROLES)
def pair():
    """Bind the screen showing the typed code to the chosen device."""
    typed = {"code": request.form.get("code", "")[:20], "device": request.form.get("device", "")}
    try:
        paired = pairing.approve(pairing_ports(_actor()), typed["code"], typed["device"])
    except InvalidSetup as exc:
        return _page(422, pair=typed, pair_errors=field_errors(exc))
    message = _("%(code)s is paired; its screen opens within a second.", code=paired.device_code)
    return _done(message)


@bp.post("/<code>/revoke")
@login_required(*ROLES)
def revoke(code: str):
    """End every credential of device ``code`` at once; its screens ask to be paired again."""
    try:
        count = pairing.revoke(pairing_ports(_actor()), code)
    except NotFound:
        return _page(404, saved=_("There is no device %(code)s.", code=code[:16]))
    message = _("%(code)s: %(n)s credential(s) revoked; its screens ask to be paired again.",
                code=code, n=count)
    return _done(message)


@bp.post("/add")
@login_required(*ROLES)
def add():
    """Add (or change) a kiosk or display the branch expects."""
    form = request.form
    raw = {"code": form.get("code", "").strip(), "kind": form.get("kind", ""),
           "name": form.get("name", "").strip(), "language": form.get("language", ""),
           "printer": (form.get("printer") or None) if form.get("kind") == "kiosk" else None,
           "rate_per_min": (form.get("rate_per_min") or None) if form.get("kind") == "kiosk"
           else None}
    try:
        spec = setup.save_device(get_setup_ports(), raw)
    except InvalidSetup as exc:
        return _page(422, add=raw, add_errors=field_errors(exc))
    message = _("%(code)s is saved.", code=spec.code)
    return _done(message)
