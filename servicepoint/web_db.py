"""Per-request database access: each request borrows a pooled connection on ``g``.

The house rule is one connection (docs/architecture.md, *Storage*) per thread at a time. Opening a connection
per request (flaskr's way) is costly for SQLite in WAL mode: when the last
connection closes, SQLite checkpoints and deletes the WAL, and the next write
must recreate and sync it. So connections stay open in a small pool: a request
borrows one on first use and gives it back at teardown (rolled back if a
transaction was left open). Streams (SSE) never touch the database.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, g

from .db import ConnectionPool
from .ports import Ports
from .servicetimes import ServiceTimeCache
from .uow import sqlite_ports


def pool() -> ConnectionPool:
    """The app's connection pool (created on first use)."""
    ext = current_app.extensions["servicepoint"]
    if ext.get("pool") is None:
        cfg = current_app.config
        ext["pool"] = ConnectionPool(
            cfg["DATABASE"], size=cfg["SQLITE_POOL_SIZE"], synchronous=cfg["SQLITE_SYNCHRONOUS"],
            autocheckpoint=cfg["SQLITE_AUTOCHECKPOINT"])
    return ext["pool"]


def get_db():
    """This request's SQLite connection (borrowed from the pool on first use)."""
    db = g.get("db")
    if db is None:
        db = g.db = pool().acquire()
    return db


def close_db(exc=None) -> None:
    """Teardown: give the connection back to the pool."""
    db = g.pop("db", None)
    renew = bool(g.pop("db_discard", False))
    if db is not None:
        pool().release(db, discard=renew)
    if renew:
        pool().renew()


def get_ports() -> Ports:
    """The use cases' ports for this request: units of work on this request's connection,
    the app's clock, broadcaster and caches."""
    ext = current_app.extensions["servicepoint"]
    return sqlite_ports(get_db(), ext["clock"], notify=ext["broadcaster"].publish,
                        stats=ext["stats"], timezone=current_app.config["TIMEZONE"])


def now() -> dt.datetime:
    """The app clock's time (aware UTC)."""
    return current_app.extensions["servicepoint"]["clock"].now()


def service_times() -> ServiceTimeCache:
    """The app's cache of recent service times (for wait estimates on screens)."""
    return current_app.extensions["servicepoint"]["stats"]


def get_setup_ports(end_sessions=None):
    """The setup use cases' ports for this request, acting as the signed-in person or token.

    A committed setup change is announced to the screens and makes the trusted
    proxies be read again; ``end_sessions(username)`` signs an account out
    everywhere (the session store's hook).
    """
    from .auth import current_principal
    from .setup_store import setup_ports

    ext = current_app.extensions["servicepoint"]
    principal = current_principal() or {}

    def notify(topic: str) -> None:
        ext["broadcaster"].publish(topic)
        if topic == "setup" and ext.get("proxies") is not None:
            ext["proxies"].invalidate()

    hooks = {"notify": notify}
    if end_sessions is not None:
        hooks["end_sessions"] = end_sessions
    return setup_ports(get_db(), ext["clock"], principal.get("username", "unknown"), **hooks)
