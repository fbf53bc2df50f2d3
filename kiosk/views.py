"""Kiosk views: the start screen, the live parts it re-fetches, and ticket issue.

The queue rules live in ``servicepoint.usecases``; these views only read what
the screen shows and hand the customer's choice to ``issue_ticket``.
"""
from __future__ import annotations

import re
import secrets

from flask import Blueprint, current_app, g, render_template, request, url_for
from markupsafe import Markup

from servicepoint import htmx, queries, setup_queries, usecases, view_cache
from servicepoint.domain.model import DomainError, Kiosk
from servicepoint.i18n import LANGUAGES, device_language
from servicepoint.pairing_web import is_paired, pairing_screen, refused
from servicepoint.ports import NotFound
from servicepoint.security import public_base
from servicepoint.web_db import get_db, get_ports

from . import qr, texts

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates",
               static_folder="static")

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def init_app(app) -> None:
    """The per-kiosk rate limiter (the app's, shared with kiosks' device tokens)."""
    app.extensions["kiosk"] = {"limiter": app.extensions["servicepoint"]["kiosk_limiter"]}


@bp.context_processor
def _texts():
    return {"tr": texts.TEXTS.translator(g.get("lang", "en"))}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _render(device: Kiosk, page: str, partial: str, status: int = 200, **ctx):
    """The whole page (with the printer banner), or only ``partial`` when htmx asks."""
    if not htmx.is_htmx():
        ctx["printer_problem"] = device.printer_problem
    return htmx.render(page, partial, status, **ctx)


def _device(code: str) -> Kiosk | None:
    """The paired kiosk (with its printer's last status), or None."""
    return queries.kiosk(get_db(), code)


def _unknown(code: str):
    _language(None)
    return _no_store(render_template("kiosk/unknown.html", code=code), 404)


def _language(device: Kiosk | None) -> str:
    """``lang`` from the query or form when it is one we speak, else the kiosk's own."""
    return device_language(device.language if device else None, request.values.get("lang"))


def _offered(device: Kiosk) -> list[dict]:
    """The services this kiosk offers, with their waiting counts and estimates
    ("No counter open" instead of a wait while no counter serves one)."""
    lang = g.lang
    rows = [s for s in view_cache.queue_overview(lang)
            if device.offers(s["service"])]
    for s in rows:
        s["waiting_text"] = texts.counted("waiting", s["waiting"], lang)
        s["wait_text"] = (texts.t("closed", lang) if s["no_counter_open"] else
                          texts.wait_text(s["estimated_wait_s"], s["estimated_wait_low_s"],
                                          s["estimated_wait_high_s"], lang))
    return rows


def _categories(rows: list[dict]) -> dict[str, list[dict]]:
    """The offered services by their setup category, in service order ("" has none)."""
    category = {spec.code: spec.category for spec in setup_queries.services(get_db())}
    groups: dict[str, list[dict]] = {}
    for s in rows:
        groups.setdefault(category.get(s["service"], ""), []).append(s)
    return groups


def _a11y() -> bool:
    """Whether the customer switched the accessible mode on (``a11y=1``)."""
    return request.values.get("a11y") == "1"


def _offers_now(device: Kiosk, code: str) -> bool:
    """Whether this kiosk offers service ``code`` now (offered here and active).

    ``issue_ticket`` enforces the same; asking first spares the kiosk's rate
    limit a tap that cannot give a ticket.
    """
    service = queries.service(get_db(), code) if device.offers(code) else None
    return service is not None and service.active


def _idempotency_key(kiosk: str) -> str | None:
    """The form's one-off key, namespaced by kiosk; None when missing or malformed."""
    key = request.form.get("key", "")
    return f"kiosk:{kiosk}:{key}" if _KEY_RE.match(key) else None


def _ticket_context(device: Kiosk, result: usecases.IssueResult) -> dict:
    """What the ticket screen shows about a freshly issued (or replayed) ticket."""
    lang, a11y = g.lang, _a11y()
    track = usecases.track_url(public_base(), result.public_id)
    return {
        "kiosk": device.code, "lang": lang, "ticket": result.ticket, "a11y": a11y,
        "service_name": result.service_name, "print_state": result.print_state,
        "ahead_text": texts.counted("ticket.ahead", result.people_ahead, lang),
        "wait_text": _ticket_wait(result, lang),
        "qr_svg": Markup(qr.svg(track, title=texts.t("ticket.scan", lang))),
        "return_s": current_app.config["KIOSK_RETURN_S"],
        "start_url": url_for("kiosk.start", kiosk=device.code, a11y=1 if a11y else None,
                             lang=lang if a11y else None),
        "speech_url": url_for("kiosk.speech_wav", kiosk=device.code, topic="ticket", lang=lang,
                              ticket=result.public_id),
    }


def _ticket_wait(result: usecases.IssueResult, lang: str) -> str:
    """The one wait estimate of the ticket, or "No counter open" while none serves it."""
    est = result.estimate
    if est.no_counter:
        return texts.t("closed", lang)
    return texts.wait_text(est.point_s, est.low_s, est.high_s, lang)


def _unavailable(device, status: int):
    lang = g.lang
    return _message(device, texts.t("error.title", lang),
                    f"{texts.t('error.service', lang)} {texts.t('error.retry', lang)}", status)


def _languages() -> dict[str, str]:
    """The languages the branch offers on kiosks, of those the kiosk speaks."""
    offered = setup_queries.settings(get_db()).kiosk_languages
    return {c: LANGUAGES[c] for c in offered if c in LANGUAGES} or LANGUAGES


# More services than this open as categories first (a second level).
MAX_FIRST_LEVEL = 6


def _start_context(device) -> dict:
    """The start screen: the branch's name, the services (or their categories), languages."""
    rows = _offered(device)
    groups = _categories(rows) if len(rows) > MAX_FIRST_LEVEL else {}
    category = request.args.get("category", "")
    categories = [{"key": name, "name": name or texts.t("services", g.lang),
                   "names": [s["name"] for s in group]}
                  for name, group in groups.items()] if len(groups) > 1 else []
    if categories and category in groups:
        rows = groups[category]
    else:
        category = ""
    return {"kiosk": device.code, "lang": g.lang, "services": rows, "categories": categories,
            "category": category, "branch_name": setup_queries.settings(get_db()).name,
            "languages": _languages(), "priority_question": device.asks_priority,
            "key": secrets.token_urlsafe(16), "default_lang": device.language, "a11y": _a11y(),
            "idle_reset_s": current_app.config["KIOSK_IDLE_RESET_S"]}


def _message(device, title: str, body: str, status: int):
    ctx = {"kiosk": device.code, "lang": g.lang, "title": title, "body": body,
           "return_s": current_app.config["KIOSK_RETURN_S"]}
    return _render(device, "kiosk/message.html", "kiosk/_message.html", status, **ctx)


# -- views ------------------------------------------------------------------

@bp.get("/<kiosk>")
def start(kiosk: str):
    """The start screen: language, priority choice and a big button per service."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    if not is_paired(kiosk):
        return pairing_screen("kiosk", kiosk, device.language)
    _language(device)
    return _render(device, "kiosk/start.html", "kiosk/_start.html", **_start_context(device))


@bp.get("/<kiosk>/services")
def services(kiosk: str):
    """The service buttons alone, re-fetched when the queues change."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    if not is_paired(kiosk):
        return pairing_screen("kiosk", kiosk, device.language)
    _language(device)
    rows, category = _offered(device), request.args.get("category")
    if category and len(rows) > MAX_FIRST_LEVEL:
        rows = _categories(rows).get(category, rows)
    return _no_store(render_template("kiosk/_services.html", services=rows, kiosk=kiosk,
                                     lang=g.lang))


@bp.get("/<kiosk>/printer")
def printer(kiosk: str):
    """The printer-problem banner alone (empty when the printer is fine)."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    if not is_paired(kiosk):
        return pairing_screen("kiosk", kiosk, device.language)
    _language(device)
    return _no_store(render_template("kiosk/_printer.html",
                                     printer_problem=device.printer_problem))


@bp.post("/<kiosk>/issue")
def issue(kiosk: str):
    """Issue a ticket for the tapped service and show the ticket screen."""
    device = _device(kiosk)
    if device is None:
        return _unknown(kiosk)
    if not is_paired(kiosk):
        return refused(device.language)
    lang = _language(device)
    service = request.form.get("service", "").strip().upper()
    if not _offers_now(device, service):
        return _unavailable(device, 404)
    key = _idempotency_key(kiosk)
    limiter = current_app.extensions["kiosk"]["limiter"]
    # Only this paired kiosk counts here: nobody else can reach this line for it.
    rate = device.rate_per_min
    if not queries.idempotency_key_used(get_db(), key) and not limiter.allow(kiosk, rate):
        wait_s = limiter.retry_after(kiosk, rate)
        response = _message(device, texts.t("limit.title", lang),
                            texts.t("limit.body", lang, n=wait_s), 429)
        response.headers["Retry-After"] = str(wait_s)
        return response
    priority = "priority" if request.form.get("priority") == "priority" else "normal"
    if not device.asks_priority:
        priority = "normal"  # the branch does not ask, so nobody can claim it here
    try:
        result = usecases.issue_ticket(get_ports(), service=service, language=lang,
                                       priority=priority, device=kiosk, idempotency_key=key,
                                       track_base=public_base())
    except (DomainError, NotFound):
        return _unavailable(device, 409)
    ctx = _ticket_context(device, result)
    return _render(device, "kiosk/ticket.html", "kiosk/_ticket.html",
                   200 if result.replayed else 201, **ctx)


# The accessible mode's speech routes live beside the views, on the same blueprint.
from . import spoken  # noqa: E402,F401
