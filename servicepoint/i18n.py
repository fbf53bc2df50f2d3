"""Interface texts in the branch's languages.

A small catalogue rather than gettext files: the texts are few and a
technician can read them here. ``t(key, lang)`` falls back to English, then to
the key itself, so a missing translation never breaks a page.
"""
from __future__ import annotations

from flask import Flask, g, request, session

from .texts import Texts

LANGUAGES = {"en": "English", "es": "Español"}

CATALOGUE: dict[str, dict[str, str]] = {
    "error.title": {"en": "Something went wrong", "es": "Algo ha salido mal"},
    "error.back": {"en": "Go back to the start", "es": "Volver al inicio"},
    "error.404": {"en": "We could not find that page.", "es": "No encontramos esa página."},
    "error.403": {"en": "You do not have access to this page.",
                  "es": "No tiene acceso a esta página."},
    "error.400": {"en": "The request could not be understood. Please try again.",
                  "es": "No se ha entendido la solicitud. Inténtelo de nuevo."},
    "error.413": {"en": "That was too much data to send at once.",
                  "es": "Eran demasiados datos de una vez."},
    "error.429": {"en": "Too many requests; please wait a moment.",
                  "es": "Demasiadas solicitudes; espere un momento."},
    "error.500": {"en": "The system had a problem. Staff have been told.",
                  "es": "El sistema ha tenido un problema. El personal está avisado."},
    "login.title": {"en": "Staff sign-in", "es": "Acceso del personal"},
    "login.username": {"en": "Username", "es": "Usuario"},
    "login.password": {"en": "Password", "es": "Contraseña"},
    "login.submit": {"en": "Sign in", "es": "Entrar"},
    "login.failed": {"en": "Wrong username or password.",
                     "es": "Usuario o contraseña incorrectos."},
    "login.throttled": {"en": "Too many failed sign-ins. Please try again in {m} min.",
                        "es": "Demasiados intentos fallidos. Inténtelo de nuevo en {m} min."},
    "login.busy": {"en": "Many people are signing in right now. Please try again in a few seconds.",
                   "es": "Muchas personas están entrando ahora. Inténtelo de nuevo en unos segundos."},
    "error.503": {"en": "The branch server cannot save right now. Please tell a member of staff.",
                  "es": "El servidor de la oficina no puede guardar ahora. Avise al personal."},
    "logout": {"en": "Sign out", "es": "Salir"},
    "track.title": {"en": "Your turn", "es": "Su turno"},
    "track.number": {"en": "Your number", "es": "Su número"},
    "track.next": {"en": "You are next.", "es": "Usted es el siguiente."},
    "track.ahead.1": {"en": "1 person ahead of you.", "es": "1 persona delante de usted."},
    "track.ahead.n": {"en": "{n} people ahead of you.", "es": "{n} personas delante de usted."},
    "track.wait": {"en": "Estimated wait: {wait}", "es": "Espera estimada: {wait}"},
    "track.called": {"en": "It is your turn: please go to {counter}.",
                     "es": "Es su turno: acuda a {counter}."},
    "track.serving": {"en": "You are being served at {counter}.",
                      "es": "Le están atendiendo en {counter}."},
    "track.parked": {"en": "Your visit is on hold; staff will call you again.",
                     "es": "Su visita está en espera; el personal le volverá a llamar."},
    "track.done": {"en": "Your visit is finished. Thank you!", "es": "Su visita ha terminado. ¡Gracias!"},
    "track.no_show": {"en": "You were called but did not come. Please ask at reception.",
                      "es": "Le llamamos pero no acudió. Pregunte en recepción."},
    "track.cancelled": {"en": "This ticket was cancelled.", "es": "Este turno se ha cancelado."},
    "track.expired": {"en": "This ticket has expired.", "es": "Este turno ha caducado."},
    "track.live": {"en": "This page updates by itself.", "es": "Esta página se actualiza sola."},
    "track.cancel": {"en": "I no longer need this turn", "es": "Ya no necesito este turno"},
    "track.cancel_confirm": {"en": "Cancel your ticket? You would need a new one to be served.",
                             "es": "¿Cancelar su turno? Necesitaría uno nuevo para ser atendido."},
    "track.cancelled_now": {"en": "Your ticket is cancelled.", "es": "Su turno está cancelado."},
    "track.cannot_cancel": {"en": "This ticket can no longer be cancelled.",
                            "es": "Este turno ya no se puede cancelar."},
    "wait.none": {"en": "less than a minute", "es": "menos de un minuto"},
    "wait.about": {"en": "about {m} min", "es": "unos {m} min"},
    "wait.upto": {"en": "up to {hi} min", "es": "hasta {hi} min"},
}


TEXTS = Texts(CATALOGUE)
# A wait estimate in the customer's words (a range while it is uncertain).
wait_words = TEXTS.wait


def t(key: str, lang: str | None = None) -> str:
    """The text for ``key`` in ``lang`` (default: this request's language)."""
    return TEXTS.t(key, lang or current_language())


def device_language(own: str | None, requested: str | None) -> str:
    """A kiosk's or display's language: ``requested`` when we speak it, else the device's
    ``own``, else English. Sets ``g.lang``, which the face's texts and the app's error pages read."""
    lang = requested if requested in LANGUAGES else own
    g.lang = lang if lang in LANGUAGES else "en"
    return g.lang


def current_language() -> str:
    """The request's language: ``?lang=``, then the browser's preference, then English."""
    try:
        if "lang" in g:
            return g.lang
        lang = request.args.get("lang")
        if lang not in LANGUAGES:
            lang = request.accept_languages.best_match(list(LANGUAGES)) or "en"
        g.lang = lang
        return lang
    except RuntimeError:  # outside a request
        return "en"


def remember_language() -> None:
    """``?lang=`` switches a staff terminal's language and is remembered in the session.

    A ``before_request`` hook for the staff faces (``bp.before_request(remember_language)``):
    without ``?lang=``, the session's language becomes ``g.lang`` for this request.
    """
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    elif session.get("lang") in LANGUAGES:
        g.lang = session["lang"]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, current_language=current_language, LANGUAGES=LANGUAGES)
