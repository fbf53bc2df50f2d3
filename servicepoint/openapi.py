"""The OpenAPI 3.1 document served at ``/api/v1/openapi.json``.

Kept as data beside the routes; a test checks that every route is described
here and every path described here exists.
"""
from __future__ import annotations

from . import __version__
from .domain.printing import PrinterStatus


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref: str, description: str = "OK") -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


STAFF: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
ERRORS = {"400": _err("Bad input"), "401": _err("No credentials"),
          "403": _err("Wrong role or CSRF token"), "404": _err("Unknown resource"),
          "409": _err("Not allowed in the ticket's or counter's current state"),
          "413": _err("Body too large"),
          "503": _err("The branch server cannot save right now (disk full or read-only "
                      "database); nothing was recorded, try again later (Retry-After)")}


def _path_param(name: str, kind: str = "string") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def spec() -> dict:
    """The whole document, with the setup paths (``servicepoint.openapi_setup``) merged in."""
    from . import openapi_setup

    doc = _core()
    for path, operations in openapi_setup.paths().items():
        doc["paths"].setdefault(path, {}).update(operations)
    doc["components"]["schemas"].update(openapi_setup.schemas())
    return doc


def _core() -> dict:
    """The document without the setup paths."""
    ticket_id = _path_param("ticket_id", "integer")
    counter = _path_param("counter")
    return {
        "openapi": "3.1.0",
        "info": {"title": "ServicePoint branch API", "version": __version__,
                 "description": "Queue tickets, counters, live events and KPIs of one branch. "
                                "Errors are JSON {error, message} with a 4xx status."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/tickets": {"post": {
                "summary": "Issue a ticket",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 128},
                                "description": "Repeat it to get the same ticket back (double taps)."},
                               {"name": "X-Kiosk", "in": "header", "required": False,
                                "schema": {"type": "string"},
                                "description": "The issuing kiosk; its printer prints the ticket."}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/TicketRequest"}}}},
                "responses": {"201": _json("IssuedTicket", "Issued (or replayed by Idempotency-Key)"),
                              **{k: ERRORS[k] for k in ("400", "403", "404", "409", "413", "503")},
                              "429": _err("Too many anonymous tickets from this address "
                                          "(API_TICKET_RATE_LIMIT per minute); see Retry-After")}}},
            "/tickets/{ticket_id}": {"get": {
                "summary": "One ticket (staff, or its holder with the ticket's secret)",
                "security": [*STAFF, {}],
                "parameters": [ticket_id, {
                    "name": "X-Ticket-Secret", "in": "header", "required": False,
                    "schema": {"type": "string", "maxLength": 100},
                    "description": "The ticket's own secret (the last part of its track_url)."}],
                "responses": {"200": _json("Ticket"),
                              "401": _err("Neither staff nor the ticket's secret"),
                              "404": _err("Unknown ticket, or a wrong secret")}}},
            "/tickets/{ticket_id}/{action}": {"post": {
                "summary": "Act on a ticket (staff)", "security": STAFF,
                "parameters": [ticket_id, {"name": "action", "in": "path", "required": True,
                                           "schema": {"type": "string", "enum": [
                                               "call", "recall", "start", "finish", "no-show",
                                               "requeue", "transfer", "park", "cancel", "rate"]}}],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ActionRequest"}}}},
                "responses": {"200": _json("TicketEnvelope"), **ERRORS}}},
            "/queue": {"get": {
                "summary": "Waiting count, estimate and open counters per service",
                "parameters": [{"name": "lang", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _json("Queue")}}},
            "/counters": {"get": {
                "summary": "Counters, their state and tickets (staff)", "security": STAFF,
                "responses": {"200": {"description": "OK"}, **{k: ERRORS[k] for k in ("401", "403")}}}},
            "/counters/{counter}/call-next": {"post": {
                "summary": "Call the next customer (staff)", "security": STAFF,
                "parameters": [counter],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"finish_current": {"type": "boolean"}}}}}},
                "responses": {"200": _json("TicketEnvelope",
                                           "The called ticket, or ticket null when nobody waits"),
                              **ERRORS}}},
            "/counters/{counter}/call-number": {"post": {
                "summary": "Call today's ticket by its number, e.g. A013 (staff)",
                "security": STAFF, "parameters": [counter],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["number"],
                    "properties": {"number": {"type": "string"}}}}}},
                "responses": {"200": _json("TicketEnvelope", "The called ticket"), **ERRORS}}},
            "/counters/{counter}/{move}": {"post": {
                "summary": "Open, close, pause or resume a counter (staff)", "security": STAFF,
                "parameters": [counter, {"name": "move", "in": "path", "required": True,
                                         "schema": {"type": "string",
                                                    "enum": ["open", "close", "break", "resume"]}}],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"reason": {
                        "type": "string", "description": "A break's reason, one of the "
                                                         "branch's break_reasons"}}}}}},
                "responses": {"200": {"description": "The counter's new state"}, **ERRORS}}},
            "/events": {"get": {
                "summary": "Server-Sent Events: 'changed' with the new version on every change",
                "description": (
                    "A plain stream gets 'changed' ({version, topics}) and one event per topic."
                    " With ?ticket=<the tracking link's id> it gets only 'ticket' events: that"
                    " ticket's state, people ahead, wait sentence, nudge and counter, when they"
                    " change. With ?display=<code>[&lang=] (a paired display's cookie) it gets"
                    " 'board' events carrying the board's HTML, and 'refresh' once the display"
                    " is unpaired. Heartbeat comments every SSE_HEARTBEAT_S; at most"
                    " STREAMS_PER_ADDRESS streams per client address."),
                "parameters": [{"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
                               {"name": "version", "in": "query", "schema": {"type": "integer"}},
                               {"name": "ticket", "in": "query", "schema": {"type": "string"},
                                "description": "Follow one ticket (the id in its tracking link)"},
                               {"name": "display", "in": "query", "schema": {"type": "string"},
                                "description": "Receive this display's board"},
                               {"name": "lang", "in": "query", "schema": {"type": "string"},
                                "description": "The board's language (with display)"}],
                "responses": {"200": {"description": "text/event-stream",
                                      "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              "400": {"description": "A malformed ticket or display"},
                              "403": {"description": "The display is not paired"},
                              "404": {"description": "No such ticket or display"},
                              "429": {"description": "Too many streams from this address"}}}},
            "/stats": {"get": {
                "summary": "KPIs for a period (manager)", "security": STAFF,
                "description": ("KPIs of the tickets issued in the period, overall, per service,"
                                " per counter and per staff member. A signed-in session may GET"
                                " it without X-CSRF-Token. CSV figures: seconds to 0.1."),
                "parameters": [{"name": "from", "in": "query", "schema": {"type": "string"},
                                "description": "Local date YYYY-MM-DD or ISO datetime with offset"
                                               " (default today)"},
                               {"name": "to", "in": "query", "schema": {"type": "string"},
                                "description": "Local date (inclusive) or ISO datetime; at most"
                                               " one year after from"},
                               *[{"name": name, "in": "query", "schema": {"type": "string"},
                                  "description": f"Only this {name} ({what}); unknown ones are a 400"}
                                 for name, what in (("service", "its code, e.g. A"),
                                                    ("counter", "its code"),
                                                    ("staff", "a username"))],
                               {"name": "format", "in": "query",
                                "schema": {"type": "string", "enum": ["json", "csv"]}}],
                "responses": {"200": {"description": "KPIs", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Stats"}},
                    "text/csv": {"schema": {"type": "string"}}}},
                    **{k: ERRORS[k] for k in ("400", "401", "403")}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            **_print_paths(),
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "Token from `servicepoint token create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "Staff login; send X-CSRF-Token too"}},
            "schemas": _schemas(),
        },
    }


def _print_paths() -> dict:
    """Print-job endpoints used by the print agent and the technician pages."""
    job_id = _path_param("job_id", "integer")
    printer_id = _path_param("printer_id", "integer")
    device: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "/print-jobs/claim": {"post": {
            "summary": "Claim the next pending job of a kiosk's printer (print agent)",
            "security": device,
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"wait_s": {"type": "number", "maximum": 25}}}}}},
            "responses": {"200": {"description": "The job with base64 ESC/POS bytes, or job null"},
                          **ERRORS}}},
        "/print-jobs/{job_id}/result": {"post": {
            "summary": "Report a claimed job printed or failed (print agent)", "security": device,
            "parameters": [job_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["ok"],
                "properties": {"ok": {"type": "boolean"}, "error": {"type": "string"},
                               "status": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Recorded"}, **ERRORS}}},
        "/printers/{printer_id}/status": {"post": {
            "summary": "Report a printer's real-time status (print agent)", "security": device,
            "parameters": [printer_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"],
                "properties": {"status": {"type": "string", "enum": [
                    *(s.value for s in PrinterStatus if s != PrinterStatus.UNKNOWN)]},
                    "detail": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Recorded"}, **ERRORS}}},
        "/printers": {"get": {
            "summary": "Printers and their live status (technician)", "security": STAFF,
            "responses": {"200": {"description": "OK"}, **{k: ERRORS[k] for k in ("401", "403")}}}},
        "/tickets/{ticket_id}/reprint": {"post": {
            "summary": "Print a ticket again as a new job (staff)", "security": STAFF,
            "parameters": [_path_param("ticket_id", "integer")],
            "responses": {"201": {"description": "The new job"}, **ERRORS}}},
    }


def _schemas() -> dict:
    wait = {"estimated_wait_s": {"type": ["integer", "null"],
                                 "description": "null when no counter serves the service now"},
            "estimated_wait_low_s": {"type": ["integer", "null"]},
            "estimated_wait_high_s": {"type": ["integer", "null"]},
            "estimate_uncertain": {"type": "boolean"},
            "no_counter_open": {"type": "boolean",
                                "description": "No counter serves the service now: no wait is promised"}}
    ticket_props = {
        "id": {"type": "integer"}, "number": {"type": "string", "examples": ["A042"]},
        "service": {"type": "string"},
        "state": {"type": "string", "enum": ["waiting", "called", "serving", "parked", "done",
                                             "no_show", "cancelled", "expired"]},
        "priority": {"type": "string"}, "language": {"type": "string"},
        "position": {"type": ["integer", "null"], "description": "People ahead while waiting"},
        "issued_at": {"type": "string", "format": "date-time"},
        "counter": {"type": ["string", "null"]}, "target_counter": {"type": ["string", "null"]},
        "called_at": {"type": ["string", "null"]}, "recalls": {"type": "integer"},
        "track_url": {"type": "string"}, **wait}
    num = {"type": ["number", "null"]}
    durations = {"type": "object", "properties": {
        k: ({"type": "integer"} if k == "count" else num)
        for k in ("count", "mean_s", "median_s", "p90_s", "max_s")}}
    kpi_block = {"type": "object", "properties": {
        "issued": {"type": "integer"}, "finished": {"type": "integer"},
        "cancelled": {"type": "integer"}, "no_shows": {"type": "integer"},
        "wait": durations, "service_time": durations,
        "service_level": {**num, "description": "Share called within the target (0-1)"},
        "no_show_rate": num, "throughput_per_hour": {**num, "description": "Per open hour"},
        "first_contact_resolution": num, "csat": num, "nps": num}}
    return {
        "Stats": {"type": "object", "required": ["from", "to", "overall", "services"],
                  "properties": {
                      "from": {"type": "string", "format": "date-time"},
                      "to": {"type": "string", "format": "date-time"},
                      "filters": {"type": "object"},
                      "overall": kpi_block,
                      "services": {"type": "object", "additionalProperties": kpi_block},
                      "counters": {"type": "object"}, "staff": {"type": "object"}}},
        "Error": {"type": "object", "required": ["error", "message"],
                  "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
        "TicketRequest": {"type": "object", "required": ["service"], "properties": {
            "service": {"type": "string", "examples": ["A"]},
            "language": {"type": "string", "examples": ["es"]},
            "priority": {"type": "string", "enum": ["normal", "priority", "appointment"]},
            "kiosk": {"type": "string"}}},
        "Ticket": {"type": "object", "properties": ticket_props},
        "IssuedTicket": {"type": "object", "properties": {**ticket_props, "print": {
            "type": "object", "properties": {
                "state": {"type": "string", "enum": ["queued", "not_printed", "none"]},
                "reason": {"type": ["string", "null"]}, "job_id": {"type": ["integer", "null"]},
                "printed": {"type": ["boolean", "null"]}}}}},
        "TicketEnvelope": {"type": "object", "properties": {
            "ticket": {"oneOf": [{"$ref": "#/components/schemas/Ticket"}, {"type": "null"}]},
            "message": {"type": "string"}}},
        "ActionRequest": {"type": "object", "properties": {
            "counter": {"type": "string"}, "service": {"type": "string"},
            "to_counter": {"type": "string"},
            "position": {"type": "string", "enum": ["front", "time", "back"]},
            "outcome": {"type": "string", "enum": ["resolved", "follow_up"]},
            "csat": {"type": "integer", "minimum": 1, "maximum": 5},
            "nps": {"type": "integer", "minimum": 0, "maximum": 10}}},
        "Queue": {"type": "object", "properties": {"version": {"type": "integer"}, "services": {
            "type": "array", "items": {"type": "object", "properties": {
                "service": {"type": "string"}, "name": {"type": "string"},
                "waiting": {"type": "integer",
                            "description": "In the open queue (what routing calls from)"},
                "reserved": {"type": "integer",
                             "description": "Waiting for a named counter, counted apart"},
                "open_counters": {"type": "integer"},
                "longest_wait_s": {"type": "integer"}, "target_wait_s": {"type": "integer"},
                **wait}}}}},
    }
