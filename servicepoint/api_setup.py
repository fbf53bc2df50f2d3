"""The branch's setup as JSON: services, counters, staff, devices and settings.

Manager and admin credentials (a bearer token, or a signed-in session with its
CSRF token); technicians may also read and pair devices. Every change goes
through the setup use cases (``servicepoint.setup``, ``servicepoint.pairing``),
so the API refuses what the pages refuse, with a 4xx ``{error, message}``
naming each bad field (``invalid_setup``), and audits as the token or person.

A print agent pairs itself here too: ``POST /pairing`` (no credentials) gives a
code to show and a secret claim; once someone enters the code,
``POST /pairing/claim`` hands the agent its bearer token, once.
"""
from __future__ import annotations

import functools

from flask import abort, current_app, jsonify, request

from . import pairing, setup, setup_queries
from .api import BadRequest, RateLimited, bp, field, json_body
from .auth import csrf_valid, current_principal, has_role
from .domain.pairing import PairingRefused, shown
from .pairing_store import SqlitePairingStore, credentials
from .ports import NotFound
from .web_db import get_db, get_setup_ports


def _require(*roles: str):
    """401 without credentials, 403 unless one of ``roles`` (sessions also need the CSRF token)."""
    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                abort(401)
            if principal["kind"] == "session" and not csrf_valid(
                    request.headers.get("X-CSRF-Token")):
                abort(403, description="Missing or wrong CSRF token")
            if not any(has_role(principal, role) for role in roles):
                abort(403, description=f"This needs the {' or '.join(roles)} role")
            return view(*args, **kwargs)
        return wrapper
    return deco


manager_only = _require("manager")


def _created(body: dict):
    response = jsonify(body)
    response.status_code = 201
    return response


# -- services ------------------------------------------------------------------

@bp.get("/services")
@manager_only
def setup_services():
    """Every service as configured (disabled ones too)."""
    return jsonify(services=[s.as_dict() for s in setup_queries.services(get_db())])


@bp.post("/services")
@manager_only
def create_service():
    """Add a service."""
    return _created(setup.create_service(get_setup_ports(), json_body()).as_dict())


def _service(code: str):
    found = next((s for s in setup_queries.services(get_db()) if s.code == code), None)
    if found is None:
        raise NotFound("service", code)
    return found


@bp.get("/services/<code>")
@manager_only
def get_service(code: str):
    """One service as configured."""
    return jsonify(_service(code).as_dict())


@bp.patch("/services/<code>")
@manager_only
def change_service(code: str):
    """Change some fields of a service (never its code)."""
    return jsonify(setup.update_service(get_setup_ports(), code, json_body()).as_dict())


@bp.delete("/services/<code>")
@manager_only
def remove_service(code: str):
    """Delete a service never used, else disable it; says which."""
    return jsonify(code=code, outcome=setup.remove_service(get_setup_ports(), code))


# -- counters ------------------------------------------------------------------

@bp.post("/counters")
@manager_only
def create_counter():
    """Add a counter serving existing services, in order."""
    return _created(setup.create_counter(get_setup_ports(), json_body()).as_dict())


def _counter(code: str):
    found = next((c for c in setup_queries.counters(get_db()) if c.code == code), None)
    if found is None:
        raise NotFound("counter", code)
    return found


@bp.get("/counters/<counter>")
@manager_only
def get_counter(counter: str):
    """One counter as configured."""
    return jsonify(_counter(counter).as_dict())


@bp.patch("/counters/<counter>")
@manager_only
def change_counter(counter: str):
    """Change a counter's name, location, services (in order) or enabled flag."""
    return jsonify(setup.update_counter(get_setup_ports(), counter, json_body()).as_dict())


@bp.delete("/counters/<counter>")
@manager_only
def remove_counter(counter: str):
    """Delete a counter never used, else disable it; says which."""
    return jsonify(code=counter, outcome=setup.remove_counter(get_setup_ports(), counter))


# -- staff ---------------------------------------------------------------------

@bp.get("/staff")
@manager_only
def staff_list():
    """Every account (never a password)."""
    return jsonify(staff=[s.as_dict() for s in setup_queries.staff(get_db())])


@bp.post("/staff")
@manager_only
def add_staff():
    """Add an account: username, display_name, role, password (at least 8 characters)."""
    return _created(setup.add_staff(get_setup_ports(), json_body()).as_dict())


@bp.patch("/staff/<username>")
@manager_only
def change_staff(username: str):
    """Change an account's name, role or active flag; its sessions end on a role change
    or deactivation, and deactivation pauses its counter."""
    return jsonify(setup.update_staff(get_setup_ports(), username, json_body()).as_dict())


@bp.post("/staff/<username>/password")
@manager_only
def reset_password(username: str):
    """Give an account a new password; its sessions end."""
    password = field(json_body(), "password", str, required=True, max_len=256)
    setup.reset_password(get_setup_ports(), username, password)
    return jsonify(username=username, sessions_ended=True)


# -- settings ------------------------------------------------------------------

@bp.get("/settings")
@manager_only
def get_settings():
    """The branch's settings."""
    return jsonify(setup_queries.settings(get_db()).as_dict())


@bp.patch("/settings")
@manager_only
def change_settings():
    """Change some branch settings."""
    return jsonify(setup.update_settings(get_setup_ports(), json_body()).as_dict())


# -- devices and pairing -------------------------------------------------------

def _device_json(spec, held: dict) -> dict:
    creds = held.get(spec.code, [])
    return {**spec.as_dict(), "paired": len(creds),
            "credentials": [{"id": c.id, "transport": c.transport,
                             "created_at": c.created_at.isoformat(), "address": c.address}
                            for c in creds]}


@bp.get("/devices")
@_require("manager", "technician")
def devices():
    """The branch's kiosks and displays and their live credentials (never a secret)."""
    conn = get_db()
    held = credentials(conn)
    return jsonify(devices=[_device_json(d, held) for d in setup_queries.devices(conn)])


@bp.post("/devices")
@_require("manager", "technician")
def save_device():
    """Add a kiosk or display the branch expects, or change the one with the same code."""
    spec = setup.save_device(get_setup_ports(), json_body())
    return jsonify(_device_json(spec, credentials(get_db())))


def _pairing_ports(actor: str | None = None) -> pairing.PairingPorts:
    ext = current_app.extensions["servicepoint"]
    if actor is None:
        actor = (current_principal() or {}).get("username", "unknown")
    return pairing.PairingPorts(store=SqlitePairingStore(get_db()), clock=ext["clock"],
                                actor=actor, notify=ext["broadcaster"].publish)


@bp.post("/devices/pair")
@_require("manager", "technician")
def pair_device():
    """Bind the screen or agent showing ``code`` to ``device`` (as the devices page does)."""
    body = json_body()
    paired = pairing.approve(_pairing_ports(), body.get("code"), body.get("device"))
    return jsonify(device=paired.device_code, transport=paired.transport)


@bp.post("/devices/<code>/revoke")
@_require("manager", "technician")
def revoke_device(code: str):
    """End every credential of device ``code`` at once."""
    return jsonify(device=code, revoked=pairing.revoke(_pairing_ports(), code))


def _pairing_rate_ok() -> bool:
    """Anyone may ask for a code, so askers share the per-address limit of anonymous tickets."""
    limiter = current_app.extensions["servicepoint"]["api_limiter"]
    return limiter is None or limiter.allow("pairing:" + (request.remote_addr or "unknown"))


@bp.post("/pairing")
def start_pairing():
    """A code for a print agent to show, and the secret claim it keeps (no credentials)."""
    body = json_body()
    wanted = field(body, "device", str, None, max_len=16)
    if not _pairing_rate_ok():
        raise RateLimited(60, "Too many pairing codes from this address; please wait a minute")
    started = pairing.start(_pairing_ports("device"), transport="bearer", wanted_code=wanted,
                            address=request.remote_addr)
    return _created({"code": shown(started.code), "claim": started.claim,
                     "expires_at": started.expires_at.isoformat(),
                     "enter_at": "/hardware/devices"})


@bp.post("/pairing/claim")
def claim_pairing():
    """202 while nobody has entered the code; then 200 with the agent's bearer token, once."""
    claim = field(json_body(), "claim", str, required=True, max_len=128)
    try:
        claimed = pairing.claim(_pairing_ports("device"), claim)
    except PairingRefused as exc:
        raise BadRequest(str(exc) + "; ask for a new code", "pairing_expired", 410) from None
    if claimed is None:
        response = jsonify(state="waiting")
        response.status_code = 202
        return response
    return jsonify(state="paired", device=claimed.device_code, kind=claimed.kind,
                   token=claimed.token)
