"""Spoken announcements for the lobby display: which calls to announce, and each one as WAV.

The display asks ``GET /display/<display>/announcements?after=<id>`` whenever its
board changes and gets every call and recall since the last one it announced,
oldest first, each with a WAV address per language the display speaks. It plays
them one after the other (``static/announce.js``). The WAV route is keyed by the
call's event id: the phrase is built here from the ticket's number and the
counter, never from anything the caller sends, and the speech service caches it
per phrase so every display shares one file.

Both routes answer JSON (``{error, message}`` with a 4xx or 503): browsers' scripts
read them, not people.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, request, url_for

from servicepoint import queries, speech
from servicepoint.domain.branch import BranchSettings
from servicepoint.pairing_web import is_paired
from servicepoint.web_db import close_db, get_db, now

from . import texts

bp = Blueprint("announce", __name__, url_prefix="/<display>/announcements")

# A call older than this is not announced any more (a display back from an outage
# would otherwise read out a backlog of customers already served), and its WAV is
# no longer made (so a guest cannot keep the box synthesising the whole day).
FRESH_S = 300
# Calls per answer; the display asks again from the last one when ``more`` is true.
BATCH = 20
# SQLite integers stop at 2**63 - 1; a larger cursor is simply bad input.
MAX_ID = 2**63 - 1


def _answer(status: int = 200, **body):
    """JSON that no cache keeps: what to announce changes with every call."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str):
    return _answer(status, error=code, message=message)


def languages(device: queries.Display) -> list[str]:
    """The languages a display announces in, in order (its setup's ``languages``), each
    one we have a voice for."""
    configured = list(device.languages) or [device.language]
    return [lang for lang in dict.fromkeys(configured) if lang in speech.VOICES] or ["en"]


def _fresh_since() -> dt.datetime:
    return now() - dt.timedelta(seconds=FRESH_S)


def _number_style() -> str:
    """The branch's ``speech_numbers`` setting (validated when it was saved)."""
    default = BranchSettings.speech_numbers
    style = queries.setting(get_db(), "speech_numbers", default)
    return style if style in speech.NUMBER_STYLES else default


@bp.get("")
def pending(display: str):
    """Calls to announce after ``?after=<event id>``, oldest first.

    Without ``after`` the answer only gives the cursor to start from (a display
    that just opened announces nothing from before). Each item lists a WAV per
    language, none when speech is unavailable (the display then chimes alone).
    """
    conn = get_db()
    device = queries.display(conn, display)
    if device is None:
        return _error(404, "not_found", f"There is no display called {display}")
    if not is_paired(display):
        return _error(403, "not_paired", f"This browser is not paired as display {display}")
    latest = queries.latest_event_id(conn)
    raw = request.args.get("after")
    if raw is None:
        return _answer(cursor=latest, items=[], more=False)
    if not raw.isdigit() or int(raw) > MAX_ID:
        return _error(400, "bad_after", "after must be an event id (a whole number)")
    after = int(raw)
    if after > latest:  # a newer database than the display saw (restored, re-initialised)
        return _answer(cursor=latest, items=[], more=False)
    return _answer(**calls_after(device, after))


def calls_after(device: queries.Display, after: int) -> dict:
    """The calls ``device`` announces after event ``after``: ``cursor`` (the last event
    looked at), ``items`` (oldest first, each with a WAV per language), ``more`` and
    ``speech``. The board carries this for its own calls, so a display announces a new
    call without asking (announce.js asks only when it missed more than the board shows)."""
    events = queries.calls_after(get_db(), after, _fresh_since(), BATCH)
    speaking = speech.executable() is not None
    langs = languages(device)
    style = _number_style()
    items = []
    for event in events:
        if not device.shows_call(event.service, event.counter):
            continue
        audio = [{"lang": lang, "text": texts.announcement(event.number, event.counter, lang,
                                                           style, event.spoken).text,
                  "url": url_for("display.announce.wav", display=device.code, event_id=event.id,
                                 lang=lang)}
                 for lang in langs] if speaking else []
        items.append({"id": event.id, "action": event.action, "number": event.number,
                      "counter": event.counter, "audio": audio})
    cursor = events[-1].id if events else after
    return {"after": after, "cursor": cursor, "items": items, "more": len(events) == BATCH,
            "speech": speaking}


@bp.get("/<int:event_id>/<lang>.wav")
def wav(display: str, event_id: int, lang: str):
    """The spoken announcement of call ``event_id`` in ``lang`` (audio/wav).

    404 for an unknown display, language or call, or one this display does not
    show or that is too old; 503 when speech is unavailable or busy.
    """
    device = queries.display(get_db(), display)
    if device is None:
        return _error(404, "not_found", f"There is no display called {display}")
    if not is_paired(display):
        return _error(403, "not_paired", f"This browser is not paired as display {display}")
    if lang not in languages(device):
        return _error(404, "not_found", f"Display {display} does not speak {lang!r}")
    event = queries.call_event(get_db(), event_id)  # the int converter keeps it in SQLite's range
    if event is None or not device.shows_call(event.service, event.counter) or event.at < _fresh_since():
        return _error(404, "not_found", f"There is no recent call {event_id} for display {display}")
    phrase = texts.announcement(event.number, event.counter, lang, _number_style(), event.spoken)
    close_db()  # the database connection is not needed while espeak-ng speaks
    try:
        data = speech.current().wav(phrase)
    except speech.SpeechBusy as exc:
        response = _error(503, "speech_busy", exc.reason)
        response.headers["Retry-After"] = "1"
        return response
    except speech.SpeechUnavailable as exc:
        return _error(503, "speech_unavailable", exc.reason)
    response = current_app.response_class(data, mimetype="audio/wav")
    # The same call always says the same words; a display may replay it from its cache.
    response.headers["Cache-Control"] = "private, max-age=600"
    return response
