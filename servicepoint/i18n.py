"""The request's language, and the gettext catalogs wired into Flask through Flask-Babel.

Every text a person reads is a gettext message (``servicepoint/catalogs.py``
holds the catalogs; ``docs/architecture.md`` says how to add one). In a view:
``_("Take a ticket")`` or ``_("Ticket %(number)s", number=n)`` in this request's
language, ``_("…", lang="ar")`` in another; ``ngettext(singular, plural, n)`` for
counts. Templates have Flask-Babel's ``_``, ``gettext`` and ``ngettext``, plus
``html_lang``/``html_dir``. The keyed table below (``t("track.title")``) keeps
the shell's texts: error pages, sign-in and the tracking page.
"""
from __future__ import annotations

from functools import cached_property

from flask import Flask, g, request, session
from flask_babel import Babel, Domain

from . import catalogs
from .catalogs import LANGUAGES, N_, NP_, direction
from .texts import Catalogue, Texts

__all__ = ["LANGUAGES", "N_", "NP_", "_", "gettext", "ngettext", "t", "current_language",
           "device_language", "remember_language", "direction", "init_app"]

CATALOGUE: Catalogue = {
    "error.title": N_("Something went wrong"),
    "error.back": N_("Go back to the start"),
    "error.404": N_("We could not find that page."),
    "error.403": N_("You do not have access to this page."),
    "error.400": N_("The request could not be understood. Please try again."),
    "error.413": N_("That was too much data to send at once."),
    "error.429": N_("Too many requests; please wait a moment."),
    "error.500": N_("The system had a problem. Staff have been told."),
    "login.title": N_("Staff sign-in"),
    "login.username": N_("Username"),
    "login.password": N_("Password"),
    "login.submit": N_("Sign in"),
    "login.failed": N_("Wrong username or password."),
    "login.throttled": NP_(
        "Too many failed sign-ins. Please try again in 1 min.",
        "Too many failed sign-ins. Please try again in %(n)d min.",
    ),
    "login.busy": N_("Many people are signing in right now. Please try again in a few seconds."),
    "error.503": N_("The branch server cannot save right now. Please tell a member of staff."),
    "logout": N_("Sign out"),
    "track.title": N_("Your turn"),
    "track.number": N_("Your number"),
    "track.next": N_("You are next."),
    "track.ahead": NP_("1 person ahead of you.", "%(n)d people ahead of you."),
    "track.wait": N_("Estimated wait: %(wait)s"),
    "track.called": N_("It is your turn: please go to %(counter)s."),
    "track.serving": N_("You are being served at %(counter)s."),
    "track.parked": N_("Your visit is on hold; staff will call you again."),
    "track.done": N_("Your visit is finished. Thank you!"),
    "track.no_show": N_("You were called but did not come. Please ask at reception."),
    "track.cancelled": N_("This ticket was cancelled."),
    "track.expired": N_("This ticket has expired."),
    "track.live": N_("This page updates by itself."),
    "track.reconnecting": N_("Reconnecting…"),
    "track.stale": N_("What is shown may be out of date."),
    "track.cancel": N_("I no longer need this turn"),
    "track.cancel_confirm": N_("Cancel your ticket? You would need a new one to be served."),
    "track.cancelled_now": N_("Your ticket is cancelled."),
    "track.cannot_cancel": N_("This ticket can no longer be cancelled."),
    "track.your_turn": N_("It's your turn"),
    "track.go_to": N_("Please go to %(counter)s now."),
    "track.nudge": NP_("Only %(n)d person ahead of you: please come close to the counters.",
                       "Only %(n)d people ahead of you: please come close to the counters."),
    "track.cancel_yes": N_("Yes, cancel my ticket"),
    "track.cancel_keep": N_("No, keep my ticket"),
    "wait.none": N_("less than a minute"),
    "wait.about": NP_("about 1 min", "about %(n)d min"),
    "wait.upto": N_("up to %(hi)s min"),
}


TEXTS = Texts(CATALOGUE)
# A wait estimate in the customer's words (a range while it is uncertain).
wait_words = TEXTS.wait


def t(key: str, lang: str | None = None, **values) -> str:
    """The entry ``key`` of the shell's table in ``lang`` (default: this request's language)."""
    return TEXTS.t(key, lang or current_language(), **values)


def gettext(text: str, lang: str | None = None, **values) -> str:
    """``text`` in ``lang`` (default: this request's language), placeholders filled from ``values``."""
    return catalogs.gettext(text, lang or current_language(), **values)


_ = gettext


def ngettext(singular: str, plural: str, n: int, lang: str | None = None, **values) -> str:
    """The form for ``n`` in ``lang`` (default: this request's); ``%(n)d`` is ``n``."""
    return catalogs.ngettext(singular, plural, n, lang or current_language(), **values)


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


class _RequestDomain(Domain):
    """Flask-Babel's message domain, answered from the in-memory catalogs in this request's
    language (read live, so a kiosk that picks its device language mid-request is obeyed)."""

    def get_translations(self):
        return catalogs.translations(current_language())


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _RequestDomain()


def html_lang() -> str:
    """The ``lang`` attribute of this request's page."""
    return current_language()


def html_dir() -> str:
    """The ``dir`` attribute of this request's page: ``rtl`` for Arabic, else ``ltr``."""
    return direction(current_language())


def init_app(app: Flask) -> None:
    """Flask-Babel (templates' ``_``, ``gettext``, ``ngettext``) on the in-memory catalogs."""
    _Babel(app, locale_selector=current_language)
    app.jinja_env.globals.update(t=t, current_language=current_language, LANGUAGES=LANGUAGES,
                                 html_lang=html_lang, html_dir=html_dir, direction=direction)
