"""The setup part of the OpenAPI document: services, counters, staff, devices, settings, pairing.

Merged into :func:`servicepoint.openapi.spec` (a path may already have other methods there).
"""
from __future__ import annotations

from .domain.branch import ROLES


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(ref: str | None = None, description: str = "OK") -> dict:
    if ref is None:
        return {"description": description, "content": {"application/json": {"schema": {
            "type": "object"}}}}
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


MANAGER: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
BAD = _err("Bad input: invalid_setup names each bad field")
DENIED = {"401": _err("No credentials"), "403": _err("Not a manager or admin (or no CSRF token)")}
SIZE = {"413": _err("Body too large"),
        "503": _err("The branch server cannot save right now; try again later")}


def _param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _body(ref: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{ref}"}}}}


def _op(summary: str, ok: dict, *, body: str | None = None, params=(), not_found=False,
        conflict=False, security=MANAGER, extra: dict | None = None) -> dict:
    responses = {**ok, **DENIED}
    if body is not None:
        responses.update({"400": BAD, **SIZE})
    if not_found:
        responses["404"] = _err("Unknown resource")
    if conflict:
        responses["409"] = _err("Not possible now (a customer is still at the counter)")
    responses.update(extra or {})
    op = {"summary": summary, "security": security, "responses": responses}
    if params:
        op["parameters"] = list(params)
    if body is not None:
        op["requestBody"] = _body(body, required=False)
    return op


def paths() -> dict:
    """The setup paths, each with the methods this module adds."""
    code, counter, user, device = (_param("code"), _param("counter"), _param("username"),
                                   _param("code"))
    return {
        "/services": {
            "get": _op("Every service as configured (manager)",
                       {"200": _ok(None, "{services: [Service]}")}),
            "post": _op("Add a service (manager)", {"201": _ok("Service", "Created")},
                        body="Service")},
        "/services/{code}": {
            "get": _op("One service (manager)", {"200": _ok("Service")}, params=[code],
                       not_found=True),
            "patch": _op("Change a service; never its code (manager)", {"200": _ok("Service")},
                         body="Service", params=[code], not_found=True),
            "delete": _op("Delete a service never used, else disable it (manager)",
                          {"200": _ok("Removed")}, params=[code], not_found=True,
                          extra={"400": BAD})},
        "/counters": {
            "post": _op("Add a counter (manager)", {"201": _ok("Counter", "Created")},
                        body="Counter")},
        "/counters/{counter}": {
            "get": _op("One counter as configured (manager)", {"200": _ok("Counter")},
                       params=[counter], not_found=True),
            "patch": _op("Change a counter (manager)", {"200": _ok("Counter")}, body="Counter",
                         params=[counter], not_found=True, conflict=True),
            "delete": _op("Delete a counter never used, else disable it (manager)",
                          {"200": _ok("Removed")}, params=[counter], not_found=True,
                          conflict=True, extra={"400": BAD})},
        "/staff": {
            "get": _op("Every account, never a password (manager)",
                       {"200": _ok(None, "{staff: [Staff]}")}),
            "post": _op("Add an account (manager)", {"201": _ok("Staff", "Created")},
                        body="NewStaff")},
        "/staff/{username}": {
            "patch": _op("Change an account's name, role or active flag (manager)",
                         {"200": _ok("Staff")}, body="Staff", params=[user], not_found=True)},
        "/staff/{username}/password": {
            "post": _op("Give an account a new password; its sessions end (manager)",
                        {"200": _ok()}, body="Password", params=[user], not_found=True)},
        "/settings": {
            "get": _op("The branch's settings (manager)", {"200": _ok("Settings")}),
            "patch": _op("Change some branch settings (manager)", {"200": _ok("Settings")},
                         body="Settings")},
        "/devices": {
            "get": _op("Kiosks and displays with their live credentials (manager, technician)",
                       {"200": _ok(None, "{devices: [Device]}")}),
            "post": _op("Add or change a kiosk or display (manager, technician)",
                        {"200": _ok("Device")}, body="Device")},
        "/devices/pair": {
            "post": _op("Pair the screen or agent showing a code as a device "
                        "(manager, technician)", {"200": _ok()}, body="PairRequest")},
        "/devices/{code}/revoke": {
            "post": _op("End every credential of a device at once (manager, technician)",
                        {"200": _ok()}, params=[device], not_found=True)},
        "/pairing": {
            "post": _op("A pairing code for a print agent to show (no credentials)",
                        {"201": _ok("PairingStarted", "Show the code; keep the claim")},
                        body="PairingStart", security=[{}],
                        extra={"429": _err("Too many codes from this address; see Retry-After")})},
        "/pairing/claim": {
            "post": _op("The agent's bearer token once its code was entered (no credentials)",
                        {"200": _ok("PairingClaimed"),
                         "202": _ok(None, "Nobody has entered the code yet; ask again"),
                         "410": _err("The code expired or was used; ask for a new one")},
                        body="PairingClaim", security=[{}])},
    }


def schemas() -> dict:
    """The setup schemas (lenient on input: the setup rules say what is wrong)."""
    texts = {"type": "object", "additionalProperties": {"type": "string"}}
    day = {"type": "object", "properties": {k: {"type": "string", "examples": ["09:00"]}
                                            for k in ("open", "last_ticket", "close")}}
    codes = {"type": "array", "items": {"type": "string"}}
    return {
        "Service": {"type": "object", "properties": {
            "code": {"type": "string", "examples": ["E"]}, "names": texts,
            "descriptions": texts, "icon": {"type": "string"}, "category": {"type": "string"},
            "hours": {"type": "object", "additionalProperties": day},
            "target_wait_s": {"type": "integer"}, "service_level_goal": {"type": "number"},
            "weight": {"type": "number"}, "default_service_s": {"type": "integer"},
            "enabled": {"type": "boolean"}, "sort": {"type": "integer"}}},
        "Counter": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "location": {"type": "string"}, "services": codes, "enabled": {"type": "boolean"},
            "spoken": texts}},
        "Staff": {"type": "object", "properties": {
            "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"type": "string", "enum": list(ROLES)}, "active": {"type": "boolean"}}},
        "NewStaff": {"type": "object", "required": ["username", "password"], "properties": {
            "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"type": "string", "enum": list(ROLES)},
            "password": {"type": "string", "minLength": 8}}},
        "Password": {"type": "object", "required": ["password"],
                     "properties": {"password": {"type": "string", "minLength": 8}}},
        "Settings": {"type": "object", "properties": {
            "name": {"type": "string"}, "timezone": {"type": "string"},
            "kiosk_languages": codes, "auto_no_show_recalls": {"type": "integer"},
            "priority_question": {"type": "boolean"},
            "closing_time": {"type": ["string", "null"], "examples": ["19:30"]},
            "retention_days": {"type": "integer"}, "trusted_proxies": codes,
            "speech_numbers": {"type": "string"}, "break_reasons": codes}},
        "Device": {"type": "object", "properties": {
            "code": {"type": "string"}, "kind": {"type": "string", "enum": ["kiosk", "display"]},
            "name": {"type": "string"}, "language": {"type": "string"},
            "printer": {"type": ["string", "null"]}, "services": {"type": ["array", "null"]},
            "rate_per_min": {"type": ["integer", "null"]},
            "paired": {"type": "integer", "description": "Live credentials"}}},
        "Removed": {"type": "object", "properties": {
            "code": {"type": "string"}, "outcome": {"type": "string",
                                                    "enum": ["deleted", "disabled"]}}},
        "PairRequest": {"type": "object", "required": ["code", "device"], "properties": {
            "code": {"type": "string", "examples": ["482 913"]},
            "device": {"type": "string", "examples": ["K1"]}}},
        "PairingStart": {"type": "object", "properties": {
            "device": {"type": "string", "description": "The device it expects to become"}}},
        "PairingStarted": {"type": "object", "properties": {
            "code": {"type": "string"}, "claim": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"},
            "enter_at": {"type": "string"}}},
        "PairingClaim": {"type": "object", "required": ["claim"],
                         "properties": {"claim": {"type": "string"}}},
        "PairingClaimed": {"type": "object", "properties": {
            "state": {"type": "string"}, "device": {"type": "string"},
            "kind": {"type": "string"}, "token": {"type": "string"}}},
    }
