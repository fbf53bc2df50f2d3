"""Kiosk views: the start screen, the live parts it re-fetches, and ticket issue.

The queue rules live in ``servicepoint.usecases``; these views only read what
the screen shows and hand the customer's choice to ``issue_ticket``.
"""
from __future__ import annotations

import json
import re
import secrets

from flask import Blueprint, current_app, g, render_template, request, url_for

from servicepoint import htmx, usecases
from servicepoint.domain.model import DomainError
from servicepoint.i18n import device_language
from servicepoint.ratelimit import RateLimiter
from servicepoint.uow import NotFound, UnitOfWork
from servicepoint.web_db import get_db, get_ports

from . import texts

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates",
               static_folder="static")

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def init_app(app) -> None:
    """Per-app settings and the in-process rate limiter."""
    app.extensions["kiosk"] = {"limiter": RateLimiter(app.config["KIOSK_RATE_LIMIT"],
                                                      app.config["KIOSK_RATE_WINDOW_S"])}


@bp.context_processor
def _texts():
    return {"tr": lambda key, **kw: texts.t(key, g.get("lang", "en"), **kw)}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _render(device, page: str, partial: str, status: int = 200, **ctx):
    """The whole page (with the printer banner), or only ``partial`` when htmx asks."""
    if not htmx.is_htmx():
        ctx["printer_problem"] = _printer_problem(device)
    return htmx.render(page, partial, status, **ctx)


def _device(code: str):
    """The kiosk's device row, or None."""
    return UnitOfWork(get_db()).device(code, "kiosk")


def _unknown(code: str):
    _language(None)
    return _no_store(render_template("kiosk/unknown.html", code=code), 404)


def _language(device) -> str:
    """``lang`` from the query or form when it is one we speak, else the kiosk's own."""
    return device_language(device, request.values.get("lang"))


def _allowed(device) -> list[str] | None:
    """The service codes this kiosk offers, or None for every active service."""
    return json.loads(device["services"]) if device["services"] else None


def _offered(device) -> list[dict]:
    """The services this kiosk offers, with their waiting counts and estimates."""
    lang = g.lang
    allowed = _allowed(device)
    rows = [s for s in usecases.queue_overview(get_ports(), lang)
            if allowed is None or s["service"] in allowed]
    for s in rows:
        s["waiting_text"] = texts.counted("waiting", s["waiting"], lang)
        s["wait_text"] = texts.wait_text(s["estimated_wait_s"], s["estimated_wait_low_s"],
                                         s["estimated_wait_high_s"], lang)
    return rows


def _offered_service(device, code: str):
    """Service ``code``'s row when this kiosk offers it (allowed here and active), else None."""
    allowed = _allowed(device)
    if allowed is not None and code not in allowed:
        return None
    try:
        row = UnitOfWork(get_db()).service(code)
    except NotFound:
        return None
    return row if row["active"] else None


def _printer_problem(device) -> str | None:
    """The printer's status when it stops tickets coming out, else None."""
    if device["printer_id"] is None:
        return None
    row = get_db().execute("SELECT status, enabled FROM printers WHERE id = ?",
                           (device["printer_id"],)).fetchone()
    if row is None or not row["enabled"] or row["status"] in usecases.PRINTABLE_STATES:
        return None
    return row["status"]


def _idempotency_key(kiosk: str) -> str | None:
    """The form's one-off key, namespaced by kiosk; None when missing or malformed."""
    key = request.form.get("key", "")
    return f"kiosk:{kiosk}:{key}" if _KEY_RE.match(key) else None


def _is_replay(key: str | None) -> bool:
    """True when this one-off key already issued a ticket (a double tap or a resubmit)."""
    return key is not None and UnitOfWork(get_db()).ticket_by_idempotency_key(key) is not None


def _ticket_context(device, result, service_name: str) -> dict:
    """What the ticket screen shows about a freshly issued (or replayed) ticket."""
    lang, est = g.lang, result.estimate
    return {
        "kiosk": device["code"], "lang": lang, "ticket": result.ticket,
        "service_name": service_name, "print_state": result.print_state,
        "ahead_text": texts.counted("ticket.ahead", result.people_ahead, lang),
        "wait_text": texts.wait_text(est.point_s, est.low_s, est.high_s, lang),
        "return_s": current_app.config["KIOSK_RETURN_S"],
        "start_url": url_for("kiosk.start", kiosk=device["code"]),
    }


def _unavailable(device, status: int):
    lang = g.lang
    return _message(device, texts.t("error.title", lang),
                    f"{texts.t('error.service', lang)} {texts.t('error.retry', lang)}", status)


def _start_context(device) -> dict:
    return {"kiosk": device["code"], "lang": g.lang, "services": _offered(device),
            "key": secrets.token_urlsafe(16), "default_lang": device["language"],
            "idle_reset_s": current_app.config["KIOSK_IDLE_RESET_S"]}


def _message(device, title: str, body: str, status: int):
    ctx = {"kiosk": device["code"], "lang": g.lang, "title": title, "body": body,
           "return_s": current_app.config["KIOSK_RETURN_S"]}
    return _render(device, "kiosk/message.html", "kiosk/_message.html", status, **ctx)


# -- views ------------------------------------------------------------------

@bp.get("/<kiosk>")
def start(kiosk: str):
    """The start screen: language, priority choice and a big button per service."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    _language(device)
    return _render(device, "kiosk/start.html", "kiosk/_start.html", **_start_context(device))


@bp.get("/<kiosk>/services")
def services(kiosk: str):
    """The service buttons alone, re-fetched when the queues change."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    _language(device)
    return _no_store(render_template("kiosk/_services.html", services=_offered(device)))


@bp.get("/<kiosk>/printer")
def printer(kiosk: str):
    """The printer-problem banner alone (empty when the printer is fine)."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    _language(device)
    return _no_store(render_template("kiosk/_printer.html",
                                     printer_problem=_printer_problem(device)))


@bp.post("/<kiosk>/issue")
def issue(kiosk: str):
    """Issue a ticket for the tapped service and show the ticket screen."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    lang = _language(device)
    service = request.form.get("service", "").strip().upper()
    row = _offered_service(device, service)
    if row is None:
        return _unavailable(device, 404)
    key = _idempotency_key(kiosk)
    limiter = current_app.extensions["kiosk"]["limiter"]
    if not _is_replay(key) and not limiter.allow(kiosk):
        wait_s = limiter.retry_after(kiosk)
        response = _message(device, texts.t("limit.title", lang),
                            texts.t("limit.body", lang, s=wait_s), 429)
        response.headers["Retry-After"] = str(wait_s)
        return response
    priority = "priority" if request.form.get("priority") == "priority" else "normal"
    try:
        result = usecases.issue_ticket(get_ports(), service=service, language=lang,
                                       priority=priority, device=kiosk, idempotency_key=key,
                                       track_base=request.host_url)
    except (DomainError, NotFound):
        return _unavailable(device, 409)
    ctx = _ticket_context(device, result, usecases.service_name(row, lang))
    return _render(device, "kiosk/ticket.html", "kiosk/_ticket.html",
                   200 if result.replayed else 201, **ctx)
