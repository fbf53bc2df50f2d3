"""Lobby display views: the board page and the board fragment it re-fetches on every call."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from servicepoint import htmx, queries, view_cache
from servicepoint.i18n import LANGUAGES, device_language
from servicepoint.pairing_web import is_paired, pairing_screen
from servicepoint.timeutil import branch_day, day_bounds, zone
from servicepoint.web_db import get_db, now

from . import announce, texts

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates",
               static_folder="static")
bp.register_blueprint(announce.bp)


# How many calls fit the board at the size readable from 6 m (see display.css), by orientation.
CALLS_THAT_FIT = {"landscape": 5, "portrait": 8}


def init_app(app) -> None:
    """Display settings: how many calls the board lists at most, and whether it speaks."""
    app.config.setdefault("DISPLAY_CALLS", 6)
    app.config.setdefault("DISPLAY_SPEECH", True)


@bp.context_processor
def _texts():
    return {"tr": texts.TEXTS.translator(g.get("lang", "en"))}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _device(code: str) -> queries.Display | None:
    return queries.display(get_db(), code)


def _language(device: queries.Display | None) -> str:
    """``?lang=`` when it is one we speak, else the display's own; sets ``g.lang``."""
    return device_language(device.language if device else None, request.args.get("lang"))


def _unknown(code: str):
    _language(None)
    return _no_store(render_template("display/unknown.html", code=code), 404)


def _board_context(device: queries.Display) -> dict:
    """Recent calls of the display's services and counters (with what to say), its queues,
    its message line and the branch's clock. Numbers, services and counters only."""
    tz = current_app.config["TIMEZONE"]
    at = now()
    day_start, _ = day_bounds(branch_day(at, tz), tz)
    lang = g.lang
    conn = get_db()
    limit = min(current_app.config["DISPLAY_CALLS"], CALLS_THAT_FIT.get(device.orientation, 5))
    calls = queries.recent_calls(conn, day_start, limit, device, lang)
    queues = [q for q in view_cache.queue_overview(lang)
              if device.lists(q["service"])]
    for q in queues:
        q["wait_text"] = texts.wait_text(q["estimated_wait_s"], q["estimated_wait_low_s"],
                                         q["estimated_wait_high_s"], lang, q["no_counter_open"])
    local = at.astimezone(zone(tz))
    # The headings in each of the display's languages ("Now calling · Llamando"), unless
    # the page asked for one language.
    langs = [code for code in device.languages if code in LANGUAGES]
    if lang != device.language or not langs:
        langs = [lang]
    titles = [(code, texts.TEXTS.translator(code)) for code in langs]
    # What to announce travels with the board: from just before its oldest call shown.
    keys = [int(c["key"]) for c in calls if str(c["key"]).isdigit()]
    after = min(keys) - 1 if keys else queries.latest_event_id(conn)
    return {"display": device.code, "lang": lang, "calls": calls, "queues": queues,
            "announce": announce.calls_after(device, after),
            "clock": local.strftime("%H:%M"), "timezone": tz, "message": device.message,
            "orientation": device.orientation,
            "titles": titles}


# -- views ------------------------------------------------------------------

@bp.get("/<display>")
def board_page(display: str):
    """The full-screen board: calls, queues, clock; live over SSE, announced aloud."""
    device = _device(display)
    if device is None:
        return _unknown(display)
    if not is_paired(display):
        return pairing_screen("display", display, device.language)
    _language(device)
    return htmx.render("display/board.html", "display/_board.html", **_board_context(device),
                       branch_name=queries.setting(get_db(), "branch_name", ""),
                       speech=current_app.config["DISPLAY_SPEECH"]
                       and request.args.get("speech") != "0")


@bp.get("/<display>/board")
def board(display: str):
    """The board fragment alone (calls and queues)."""
    device = _device(display)
    if device is None:
        return _unknown(display)
    if not is_paired(display):
        return pairing_screen("display", display, device.language)
    _language(device)
    return _no_store(render_template("display/_board.html", **_board_context(device)))
