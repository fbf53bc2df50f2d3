"""Interface texts in the branch's languages.

A small catalogue rather than gettext files: the texts are few and a
technician can read them here. ``t(key, lang)`` falls back to English, then to
the key itself, so a missing translation never breaks a page.
"""
from __future__ import annotations

from flask import Flask, g, request

from .texts import lookup

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
    "logout": {"en": "Sign out", "es": "Salir"},
}


def t(key: str, lang: str | None = None) -> str:
    """The text for ``key`` in ``lang`` (default: this request's language)."""
    return lookup(CATALOGUE, key, lang or current_language())


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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, current_language=current_language, LANGUAGES=LANGUAGES)
