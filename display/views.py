"""Lobby display views: the board page and the board fragment it re-fetches on every call."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, g, render_template, request

from servicepoint import htmx, usecases
from servicepoint.timeutil import branch_day, day_bounds, zone
from servicepoint.web_db import get_db, get_ports

from . import texts
from .board import recent_calls

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates",
               static_folder="static")


def init_app(app) -> None:
    """Display settings: how many calls the board lists, and whether it speaks."""
    app.config.setdefault("DISPLAY_CALLS", 6)
    app.config.setdefault("DISPLAY_SPEECH", True)


@bp.context_processor
def _texts():
    return {"tr": lambda key, **kw: texts.t(key, g.get("display_lang", "en"), **kw)}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _device(code: str):
    return get_db().execute("SELECT * FROM devices WHERE code = ? AND kind = 'display'",
                            (code,)).fetchone()


def _language(device) -> str:
    lang = request.args.get("lang")
    if lang not in texts.LANGUAGES:
        lang = device["language"] if device is not None else None
    g.lang = lang if lang in texts.LANGUAGES else "en"  # also for the app's error pages
    return g.lang


def _unknown(code: str):
    g.display_lang = _language(None)
    return _no_store(render_template("display/unknown.html", code=code,
                                     page_lang=g.display_lang), 404)


def _board_context(device) -> dict:
    """Recent calls (with what to say), the queues and the branch's clock."""
    tz = current_app.config["TIMEZONE"]
    now = current_app.extensions["servicepoint"]["clock"].now()
    day_start, _ = day_bounds(branch_day(now, tz), tz)
    lang = g.display_lang
    calls = recent_calls(get_db(), day_start, current_app.config["DISPLAY_CALLS"])
    for call in calls:
        call["say"] = texts.announcement(call["number"], call["counter"], call["language"])
        call["say_lang"] = call["language"] if call["language"] in texts.LANGUAGES else "en"
    allowed = json.loads(device["services"]) if device["services"] else None
    queues = [q for q in usecases.queue_overview(get_ports(), lang)
              if allowed is None or q["service"] in allowed]
    for q in queues:
        q["wait_text"] = texts.wait_text(q["estimated_wait_s"], q["estimated_wait_low_s"],
                                         q["estimated_wait_high_s"], lang)
    local = now.astimezone(zone(tz))
    return {"display": device["code"], "lang": lang, "calls": calls, "queues": queues,
            "clock": local.strftime("%H:%M"), "timezone": tz}


# -- views ------------------------------------------------------------------

@bp.get("/<display>")
def board_page(display: str):
    """The full-screen board: calls, queues, clock; live over SSE, announced aloud."""
    device = _device(display)
    if device is None:
        return _unknown(display)
    g.display_lang = _language(device)
    if htmx.is_htmx():
        return _no_store(render_template("display/_board.html", **_board_context(device)))
    branch = get_db().execute("SELECT value FROM settings WHERE key = 'branch_name'").fetchone()
    ctx = _board_context(device)
    ctx.update(page_lang=g.display_lang, branch_name=json.loads(branch[0]) if branch else "",
               speech=current_app.config["DISPLAY_SPEECH"] and request.args.get("speech") != "0")
    return _no_store(render_template("display/board.html", **ctx))


@bp.get("/<display>/board")
def board(display: str):
    """The board fragment alone (calls and queues)."""
    device = _device(display)
    if device is None:
        return _unknown(display)
    g.display_lang = _language(device)
    return _no_store(render_template("display/_board.html", **_board_context(device)))
