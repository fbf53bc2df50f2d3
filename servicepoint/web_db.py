"""Per-request database access, flaskr style: one connection on ``g``, closed at teardown."""
from __future__ import annotations

from flask import current_app, g

from .db import connect
from .usecases import Ports


def get_db():
    """This request's SQLite connection (opened on first use)."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"],
                       synchronous=current_app.config["SQLITE_SYNCHRONOUS"])
    return g.db


def close_db(exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def get_ports() -> Ports:
    """The use cases' ports for this request: connection, clock, broadcaster, caches."""
    ext = current_app.extensions["servicepoint"]
    return Ports(conn=get_db(), clock=ext["clock"], notify=ext["broadcaster"].publish,
                 stats=ext["stats"], timezone=current_app.config["TIMEZONE"])
