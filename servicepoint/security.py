"""What keeps a hostile guest on the branch Wi-Fi out: response headers, cookie flags,
sign-in throttling, bounded ids and bodies, and the branch's public URL.

Everything here is installed by :func:`init_app`; the views stay unaware of it
except for the sign-in view, which carries the :data:`limiter`'s limits.
"""
from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.routing import IntegerConverter

from . import auth

# The faces load scripts and styles from their own static folders only (htmx is
# vendored) and use no inline scripts; inline styles stay allowed for htmx's own
# indicator rule and a few style attributes. The technician pages frame their own
# ticket preview, hence frame-ancestors 'self' rather than 'none'.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "SAMEORIGIN",
    # Tracking links carry the ticket's secret in their path: never send it elsewhere.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

SQLITE_MAX_INT = 2**63 - 1
# Deepest JSON the API accepts: its bodies are flat objects.
MAX_JSON_DEPTH = 4
# Digits in a numeric query parameter or header (a version number, an event id).
MAX_DIGITS = 18


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids SQLite can hold (larger ones are a plain 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", SQLITE_MAX_INT)
        super().__init__(map, *args, **kwargs)


def login_key_account() -> str:
    """The per-account key: the name typed in the form (whether or not the account exists)."""
    return "account:" + (request.form.get("username") or "").strip().lower()[:64]


def login_key_address() -> str:
    return "address:" + (get_remote_address() or "unknown")


def login_account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT"]


def login_address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ADDRESS"]


def failed_login(response) -> bool:
    """Flask-Limiter ``deduct_when``: only a refused password counts against the limits."""
    return response.status_code == 401


def retry_after_s(reset_at: float, now: float) -> int:
    """Whole seconds until a limit resets (at least one)."""
    return max(1, math.ceil(reset_at - now))


def public_url_problem(url: str | None) -> str | None:
    """Why ``url`` cannot be the branch's public URL, or None when it can."""
    if not url:
        return "no public URL is set"
    if not isinstance(url, str) or len(url) > 200:
        return "the public URL must be text of at most 200 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL with a host name"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"{url!r} must not carry a query, a fragment or a user name"
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return f"{url!r} has a bad port"
    return None


def public_base() -> str:
    """The branch's public base URL (``public_url`` setting), used for every link and QR code.

    Never derived from the request: a guest sending ``Host: evil.example`` must not
    get a phishing link printed on the branch's own paper.
    """
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/"


def json_depth(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``value`` nests no deeper than ``limit`` lists/objects."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def bounded_digits(text: str | None) -> int | None:
    """A non-negative whole number of at most MAX_DIGITS digits, or None."""
    if text and text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None


def large_body(config_key: str):
    """Mark a view that takes bodies up to ``app.config[config_key]`` bytes (an upload).

    Every other route keeps ``MAX_CONTENT_LENGTH``; the mark is read before the
    CSRF check reads the form, so the larger limit is the one that applies.
    """
    def deco(view):
        view.large_body = config_key
        return view
    return deco


def allow_large_body() -> None:
    """before_request: raise this request's body limit for views marked :func:`large_body`."""
    view = current_app.view_functions.get(request.endpoint or "")
    key = getattr(view, "large_body", None)
    if key:
        # The form's other fields ride along with the file.
        request.max_content_length = current_app.config[key] + 64 * 1024


def _set_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install_converters(app: Flask) -> None:
    """Bounded ``<int:…>`` ids for every route; call before registering blueprints."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    """Headers on every response, secure cookies for an https branch, sign-in throttling.

    Call after the blueprints are registered: the sign-in view gets its limits here.
    Each app has its own in-memory limiter (one server process serves the branch).
    """
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = urlsplit(app.config["PUBLIC_URL"]).scheme == "https"
    auth.set_hash_concurrency(app.config["LOGIN_HASH_CONCURRENCY"])
    app.after_request(_set_headers)
    # Only failed attempts count, so a clerk who types the password right is never slowed.
    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://",
                      headers_enabled=True, default_limits=[], strategy="moving-window")
    limiter.init_app(app)
    view: Any = app.view_functions["web.login"]
    view = limiter.limit(login_account_limit, key_func=login_key_account, methods=["POST"],
                         deduct_when=failed_login, on_breach=_login_throttled)(view)
    view = limiter.limit(login_address_limit, key_func=login_key_address, methods=["POST"],
                         deduct_when=failed_login, on_breach=_login_throttled)(view)
    app.view_functions["web.login"] = view


def _login_throttled(limit):
    """The sign-in form again, saying when to try again (the same for every account name)."""
    import time

    from .web import login_page

    return login_page(throttled_s=retry_after_s(limit.reset_at, time.time()))
