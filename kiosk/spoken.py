"""The accessible mode's speech: the kiosk's own words as WAV from the server's espeak-ng.

Every phrase is built here from known data only (the kiosk's texts, its services, a
ticket the caller holds the tracking secret of), never from text a client sends, and
spoken in the kiosk's language through the shared cache (``servicepoint/speech.py``).
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from servicepoint import queries, speech
from servicepoint.web_db import close_db, get_db, now, service_times

from . import texts
from .views import (
    MAX_FIRST_LEVEL,
    _categories,
    _device,
    _offered,
    _unknown,
    bp,
    device_language,
)

# Buttons and notices the kiosk may speak on focus or tap (their ``data-speak-key``).
SPOKEN_KEYS = frozenset({"a11y.on", "a11y.off", "a11y.repeat", "a11y.stop", "a11y.volume",
                         "priority.label", "categories.back", "ticket.done", "language",
                         "say.menu", "ticket.take", "ticket.note_or_scan", "ticket.watch",
                         "language.self"})


def _error(status: int, code: str, message: str):
    return jsonify(error=code, message=message), status


def _number_style() -> str:
    style = queries.setting(get_db(), "speech_numbers", "digits")
    return style if style in speech.NUMBER_STYLES else "digits"


def _menu(device, lang: str, category: str | None) -> str:
    """The start screen read out: how to use it, then each service with its wait (or, past
    six services, each category with its services; or the chosen category's services)."""
    parts = [texts.t("say.menu", lang)]
    rows = _offered(device)
    if len(rows) > MAX_FIRST_LEVEL:
        groups = _categories(rows)
        if category not in groups:
            for name, group in groups.items():
                parts.append(f"{name or texts.t('services', lang)}: "
                             + ", ".join(s["name"] for s in group) + ".")
            return " ".join(parts)
        rows = groups[category]
    for s in rows:
        parts.append(texts.t("say.service", lang, name=s["name"], waiting=s["waiting_text"],
                             wait=s["wait_text"]))
    return " ".join(parts)


def _ticket_phrase(device, lang: str, public_id: str) -> speech.Phrase | None:
    """The issued ticket read out: number, service, people ahead, wait, what to do."""
    conn = get_db()
    ticket = queries.ticket_by_public_id(conn, public_id)
    if ticket is None:
        return None
    ahead, estimate = queries.waiting_view(conn, service_times(), now(), ticket)
    service = queries.service(conn, ticket.service)
    name = service.name(lang) if service else ticket.service
    wait = (texts.wait_text(estimate.point_s, estimate.low_s, estimate.high_s, lang)
            if estimate and not estimate.no_counter else texts.t("closed", lang))
    rest = " ".join([
        texts.t("say.ticket.rest", lang, service=name, wait=wait,
                ahead=texts.counted("ticket.ahead", ahead or 0, lang)),
        texts.t("ticket.watch", lang)])
    # The catalog's sentence places the number (read digit by digit); the rest is plain words.
    return speech.phrase(lang, texts.t("say.ticket", lang) + " %(rest)s",
                         number=speech.ticket_number(ticket.number, _number_style()),
                         rest=speech.words(rest))


def _said(lang: str, text: str) -> speech.Phrase:
    """``text`` (already worded) as a phrase: setup's names may hold any character."""
    return speech.phrase(lang, "%(text)s", text=speech.words(text))


@bp.get("/<kiosk>/speech/<topic>.wav")
def speech_wav(kiosk: str, topic: str):
    """The kiosk's words on ``topic`` spoken in ``lang`` (audio/wav): ``menu``, ``service``
    (``service=A``), ``category`` (``name=…``, its services), ``ticket``
    (``ticket=<tracking secret>``) or ``text`` (``key=…``).

    404 for an unknown kiosk, topic, service, ticket or key; 503 while speech is
    unavailable or busy (JSON ``{error, message}``).
    """
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    lang = device_language(device.language, request.args.get("lang"))
    if lang not in speech.VOICES:
        return _error(404, "not_found", f"The kiosk does not speak {lang!r}")
    phrase: speech.Phrase | None = None
    if topic == "menu":
        phrase = _said(lang, _menu(device, lang, request.args.get("category")))
    elif topic == "service":
        code = request.args.get("service", "")
        row = next((s for s in _offered(device) if s["service"] == code), None)
        if row is not None:
            phrase = _said(lang, texts.t("say.service", lang, name=row["name"],
                                         waiting=row["waiting_text"], wait=row["wait_text"]))
    elif topic == "category":
        group = _categories(_offered(device)).get(request.args.get("name", ""))
        if group:
            name = request.args.get("name") or texts.t("services", lang)
            phrase = _said(lang, ". ".join([name, ", ".join(s["name"] for s in group)]) + ".")
    elif topic == "ticket":
        phrase = _ticket_phrase(device, lang, request.args.get("ticket", ""))
    elif topic == "text" and request.args.get("key") in SPOKEN_KEYS:
        phrase = _said(lang, texts.t(request.args["key"], lang))
    if phrase is None:
        return _error(404, "not_found", "Nothing to say on that")
    close_db()  # the database connection is not needed while espeak-ng speaks
    try:
        data = speech.current().wav(phrase)
    except speech.SpeechBusy as exc:
        response, status = _error(503, "speech_busy", exc.reason)
        response.headers["Retry-After"] = "1"
        return response, status
    except speech.SpeechUnavailable as exc:
        return _error(503, "speech_unavailable", exc.reason)
    response = current_app.response_class(data, mimetype="audio/wav")
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["Content-Language"] = g.lang
    return response
