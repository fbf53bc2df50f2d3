"""The test-suite's one demo database and its fixed time (no pytest fixtures here).

The demo branch (services A–D, counters 1–6, three staff accounts) is seeded
once per test process into a template database; every test then gets its own
copy (a real SQLite file in WAL mode) from :func:`copy_demo_db`. Seeding hashes
three argon2 passwords, so copying keeps the suite fast without faking the
database. Every test database, the browser tests' server included, is such a copy.

The fixtures built on this (``clock``, ``demo_db``, ``ports``, ``make_app``, ...)
are defined in tests/conftest.py; tests request them by name, never import them.
"""
from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import threading

from servicepoint import demo
from servicepoint.db import connect, init_db
from servicepoint.ports import Ports
from servicepoint.servicetimes import ServiceTimeCache
from servicepoint.timeutil import UTC, to_db
from servicepoint.uow import SqliteUnitOfWork

# Monday 2 March 2026, 09:00 UTC (10:00 in Madrid): a plain working morning.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY0 = "2026-03-02"
# The demo branch's time zone in the template (UTC+1 in March, so the branch
# day and the UTC date agree between 00:00 and 23:00 local time).
TIMEZONE = "Europe/Madrid"

_template_lock = threading.Lock()
_template_path: str | None = None


def _build_template() -> str:
    folder = tempfile.mkdtemp(prefix="sp-template-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "template.db")
    init_db(path)
    conn = connect(path)
    try:
        demo.ensure_base_settings(conn, TIMEZONE, "Test Branch")
        demo.seed(conn, to_db(T0 - dt.timedelta(days=30)))
    finally:
        conn.close()
    return path


def copy_demo_db(dest: str | os.PathLike) -> str:
    """Write a fresh demo-seeded database (WAL mode) to ``dest``; returns the path."""
    global _template_path
    with _template_lock:
        if _template_path is None:
            _template_path = _build_template()
    dest = os.fspath(dest)
    src = sqlite3.connect(_template_path)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    init_db(dest)  # no migrations pending; switches the copy to WAL
    return dest


@dataclasses.dataclass
class SqlitePorts(Ports):
    """Use-case ports on one SQLite connection, which the test may also read (``conn``).

    The use cases see only the unit-of-work factory; ``conn`` is the test's own handle.
    """

    conn: sqlite3.Connection | None = None


def make_ports(path: str, clock, *, timezone: str = TIMEZONE, notify=None) -> SqlitePorts:
    """Ports over a new connection of their own (the caller closes ``ports.conn``)."""
    kw = {"notify": notify} if notify is not None else {}
    conn = connect(path)
    return SqlitePorts(uow=lambda: SqliteUnitOfWork(conn, timezone), clock=clock,
                       stats=ServiceTimeCache(ttl_s=0), timezone=timezone, conn=conn, **kw)
