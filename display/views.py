"""Lobby display views: the board page and the board fragment it re-fetches on every call."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from servicepoint import htmx, queries
from servicepoint.i18n import device_language
from servicepoint.timeutil import branch_day, day_bounds, zone
from servicepoint.web_db import get_db, now, service_times

from . import announce, texts

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates",
               static_folder="static")
bp.register_blueprint(announce.bp)


def init_app(app) -> None:
    """Display settings: how many calls the board lists, and whether it speaks."""
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
    """Recent calls, the queues and the branch's clock."""
    tz = current_app.config["TIMEZONE"]
    at = now()
    day_start, _ = day_bounds(branch_day(at, tz), tz)
    lang = g.lang
    conn = get_db()
    calls = queries.recent_calls(conn, day_start, current_app.config["DISPLAY_CALLS"])
    queues = [q for q in queries.queue_overview(conn, service_times(), at, lang)
              if device.lists(q["service"])]
    for q in queues:
        q["wait_text"] = texts.wait_text(q["estimated_wait_s"], q["estimated_wait_low_s"],
                                         q["estimated_wait_high_s"], lang)
    local = at.astimezone(zone(tz))
    return {"display": device.code, "lang": lang, "calls": calls, "queues": queues,
            "clock": local.strftime("%H:%M"), "timezone": tz}


# -- views ------------------------------------------------------------------

@bp.get("/<display>")
def board_page(display: str):
    """The full-screen board: calls, queues, clock; live over SSE, announced aloud."""
    device = _device(display)
    if device is None:
        return _unknown(display)
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
    _language(device)
    return _no_store(render_template("display/_board.html", **_board_context(device)))
