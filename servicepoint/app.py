"""The application factory."""
from __future__ import annotations

import json
import os
import secrets
import sqlite3

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from . import auth, errors, i18n, proxies, security, speech, view_cache, web_db
from .db import connect, get_setting
from .live import Broadcaster
from .metrics import Metrics
from .ratelimit import RateLimiter
from .servicetimes import ServiceTimeCache
from .timeutil import SystemClock

DEFAULTS = {
    "SQLITE_SYNCHRONOUS": "NORMAL",
    # Pages of WAL before a request's commit checkpoints by itself; `serve`
    # checkpoints every second from a background thread, so this is only a backstop.
    "SQLITE_AUTOCHECKPOINT": 1000,
    "SQLITE_POOL_SIZE": 16,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SSE_HEARTBEAT_S": 10.0,
    # A stream whose client has not read for this long is closed (its buffer is full).
    "SSE_WRITE_TIMEOUT_S": 30.0,
    # Open live streams one address may hold (a phone or screen holds one); 429 beyond.
    "STREAMS_PER_ADDRESS": 20,
    # Open connections one address may hold on the public port, and all together.
    "CONNECTIONS_PER_ADDRESS": 64,
    "MAX_CONNECTIONS": 8000,
    # Seconds a new connection has to send its first whole request (slowloris).
    "HEADER_TIMEOUT_S": 10.0,
    # Seconds an idle keep-alive connection stays open between requests.
    "KEEPALIVE_TIMEOUT_S": 15.0,
    "START_WORKERS": False,
    # Anonymous POST /api/v1/tickets per client address per minute (0 = no limit).
    # Kiosks use their own face and limit; integrations send a bearer token.
    "API_TICKET_RATE_LIMIT": 30,
    # Tickets one paired kiosk may issue per window, unless the kiosk's own
    # rate_per_min says otherwise: a person needs at least ~3 s at a kiosk.
    "KIOSK_RATE_LIMIT": 20,
    "KIOSK_RATE_WINDOW_S": 60.0,
    "KIOSK_RETURN_S": 10,
    "KIOSK_IDLE_RESET_S": 60,
    # The branch's public base URL for links and QR codes; None = the `public_url` setting.
    "PUBLIC_URL": None,
    # Failed sign-ins allowed (Flask-Limiter syntax, moving window) before 429.
    "LOGIN_LIMIT_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_ADDRESS": "20 per 15 minutes",
    # Password hashes computed at once; argon2 needs 19 MiB each.
    "LOGIN_HASH_CONCURRENCY": 2,
    "SESSION_LIFETIME_S": 14 * 3600,
    # None = Secure cookies exactly when PUBLIC_URL is https.
    "SESSION_COOKIE_SECURE": None,
    "LOGO_MAX_BYTES": 2 * 1024 * 1024,
    # Below this much free space beside the database, /healthz reports the disk full.
    "DISK_MIN_FREE_BYTES": 8 * 1024 * 1024,
    **speech.DEFAULTS,
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the branch server.

    Configuration comes from ``DEFAULTS``, then ``instance/config.json`` if it
    exists, then environment variables ``SERVICEPOINT_DB`` and
    ``SERVICEPOINT_SECRET_KEY``, then ``test_config``. The database must have
    been created with ``servicepoint init``.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config["DATABASE"] = os.path.join(app.instance_path, "servicepoint.db")
    config_file = os.path.join(app.instance_path, "config.json")
    # `serve` passes its own overrides too, so only tests skip the installation's file.
    if not (test_config or {}).get("TESTING") and os.path.exists(config_file):
        app.config.from_file(config_file, load=json.load)
    if os.environ.get("SERVICEPOINT_DB"):
        app.config["DATABASE"] = os.environ["SERVICEPOINT_DB"]
    if os.environ.get("SERVICEPOINT_SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SERVICEPOINT_SECRET_KEY"]
    for key in DEFAULTS:
        # Any setting can also come from SERVICEPOINT_<KEY> (JSON values, else text).
        raw = os.environ.get(f"SERVICEPOINT_{key}")
        if raw is not None:
            try:
                app.config[key] = json.loads(raw)
            except ValueError:
                app.config[key] = raw
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.config["DATABASE"])
    if "TIMEZONE" not in app.config:
        app.config["TIMEZONE"] = _setting(app.config["DATABASE"], "timezone", "UTC")
    if not app.config["PUBLIC_URL"]:
        # `serve` passes its own address as the fallback; links never come from a request.
        app.config["PUBLIC_URL"] = (_setting(app.config["DATABASE"], "public_url", None)
                                    or app.config.get("PUBLIC_URL_FALLBACK") or "http://localhost")

    app.extensions["servicepoint"] = {
        "api_limiter": (RateLimiter(app.config["API_TICKET_RATE_LIMIT"], 60.0)
                        if app.config["API_TICKET_RATE_LIMIT"] else None),
        # Tickets per paired kiosk (its page and its device token share the budget).
        "kiosk_limiter": RateLimiter(app.config["KIOSK_RATE_LIMIT"],
                                     app.config["KIOSK_RATE_WINDOW_S"]),
        "broadcaster": Broadcaster(),
        "clock": app.config.get("CLOCK") or SystemClock(),
        "stats": ServiceTimeCache(),
        "metrics": Metrics(),
    }

    # Key order is irrelevant to clients; sorting every response costs time.
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False
    view_cache.install(app)
    app.teardown_appcontext(web_db.close_db)
    security.install_converters(app)
    app.before_request(security.allow_large_body)
    app.before_request(auth.protect_forms)
    app.extensions["servicepoint"]["metrics"].install(app)
    # Per-address limits must see the client behind the branch's reverse proxy, if any.
    proxies.install(app)
    i18n.init_app(app)

    from . import api, pairing_web, web

    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pairing_web.bp)
    _register_faces(app)
    errors.init_app(app)
    security.init_app(app)

    from .cli import register_app_commands

    register_app_commands(app)
    return app


def _register_faces(app: Flask) -> None:
    """Mount the faces that exist in this installation."""
    import importlib

    for name in ("kiosk", "counter", "display", "manager", "hardware"):
        try:
            module = importlib.import_module(f"{name}.views")
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"{name}.views"):
                raise
            continue
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)


def _secret_key(db_path: str) -> str:
    """A per-installation session key kept beside the database (created on first start)."""
    path = os.path.join(os.path.dirname(os.path.abspath(db_path)), "secret_key")
    try:
        with open(path) as fh:
            key = fh.read().strip()
            if key:
                return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _setting(db_path: str, key: str, default):
    """A branch setting read at start-up (``default`` when there is no database yet)."""
    if not os.path.exists(db_path):
        return default
    try:
        conn = connect(db_path, readonly=True)
        try:
            return get_setting(conn, key, default)
        finally:
            conn.close()
    except sqlite3.Error:
        return default
