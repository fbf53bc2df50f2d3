"""The pairing screen of kiosks and displays, and how a face knows its browser is paired.

A kiosk or display page opened in a browser that holds no credential for it
shows the pairing screen instead (:func:`pairing_screen`): a one-time code and
where to enter it. The screen asks for its code with a POST (``/pair/start``;
nothing changes on a GET) and then asks every second (``/pair/claim``) whether
someone has entered it; once so, the answer sets the device's HttpOnly cookie
and sends the browser to its page. The cookie is checked against the database
on every request, so revoking a device closes its screens at once.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, render_template, request

from . import htmx, pairing
from .domain.pairing import CODE_TTL, PairingRefused, device_url, shown
from .i18n import device_language
from .pairing_store import SqlitePairingStore, cookie_device
from .security import public_base
from .web_db import get_db

bp = Blueprint("pair", __name__, url_prefix="/pair")

CLAIM_COOKIE = "sp_pairing"
DEVICE_COOKIE_PREFIX = "sp_device_"
# A device credential lasts until it is revoked; the cookie must simply outlive the hardware.
DEVICE_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600


def device_cookie_name(code: str) -> str:
    """The cookie holding a browser's credential for device ``code`` (one per device)."""
    return DEVICE_COOKIE_PREFIX + code


def is_paired(code: str) -> bool:
    """True when this browser holds a live credential for device ``code`` (cached per request)."""
    cache = g.setdefault("paired_devices", {})
    if code not in cache:
        cache[code] = cookie_device(get_db(), code, request.cookies.get(device_cookie_name(code)))
    return cache[code]


def ports(actor: str = "device") -> pairing.PairingPorts:
    """The pairing use cases' ports for this request (``actor`` as the audit log names it)."""
    ext = current_app.extensions["servicepoint"]
    return pairing.PairingPorts(store=SqlitePairingStore(get_db()), clock=ext["clock"],
                                actor=actor, notify=ext["broadcaster"].publish)


def pairing_screen(kind: str | None, code: str | None, language: str | None = None):
    """What an unpaired browser sees on a kiosk or display page.

    An htmx request (a live part re-fetching after the device was revoked) gets
    an empty answer that makes the page reload into this screen.
    """
    if htmx.is_htmx():
        return htmx.no_store("", 200, **{"HX-Refresh": "true"})
    device_language(language, request.args.get("lang"))
    return htmx.no_store(render_template("servicepoint/pair.html", kind=kind, code=code), 200)


def refused(language: str | None = None):
    """The answer to a kiosk or display action from a browser that is not paired (403)."""
    if htmx.is_htmx():
        return htmx.no_store("", 403, **{"HX-Refresh": "true"})
    device_language(language, request.values.get("lang"))
    return htmx.no_store(render_template("servicepoint/pair.html", kind=None, code=None), 403)


@bp.get("")
def screen():
    """A pairing screen for a browser that does not yet know which device it will be."""
    return pairing_screen(None, None)


@bp.post("/start")
def start():
    """A one-time code for this browser to show (the same request, a new code, on reload)."""
    device_language(None, request.values.get("lang"))
    wanted = request.form.get("device", "").strip()[:16] or None
    started = pairing.start(ports(), transport="cookie", claim=request.cookies.get(CLAIM_COOKIE),
                            wanted_code=wanted, address=request.remote_addr)
    response = htmx.no_store(render_template(
        "servicepoint/_pair_code.html", pair_code=shown(started.code),
        enter_url=public_base().rstrip("/") + "/hardware/devices",
        minutes=int(CODE_TTL.total_seconds() // 60)))
    response.set_cookie(CLAIM_COOKIE, started.claim, max_age=int(CODE_TTL.total_seconds()) + 60,
                        httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/pair")
    return response


@bp.post("/claim")
def claim():
    """204 while nobody has entered the code; then the device cookie and the device's page."""
    try:
        claimed = pairing.claim(ports(), request.cookies.get(CLAIM_COOKIE))
    except PairingRefused:
        # Expired or already used: reload, and the screen asks for a fresh code.
        return htmx.no_store("", 200, **{"HX-Refresh": "true"})
    if claimed is None:
        return htmx.no_store("", 204)
    response = make_response("", 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["HX-Redirect"] = device_url(claimed.kind, claimed.device_code)
    response.set_cookie(device_cookie_name(claimed.device_code), claimed.token,
                        max_age=DEVICE_COOKIE_MAX_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    response.delete_cookie(CLAIM_COOKIE, path="/pair")
    return response
