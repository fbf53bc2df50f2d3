"""Shared helpers and fixtures for the unit, integration and web tests.

The demo branch (services A–D, counters 1–6, three staff accounts) is seeded
once per test process into a template database; every test then gets its own
copy in ``tmp_path`` (a real SQLite file in WAL mode). Seeding hashes three
argon2 passwords, so copying keeps the suite fast without faking the database.

Import the fixtures you need into a ``conftest.py``::

    from tests.fixtures import clock, demo_db  # noqa: F401
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import threading

import pytest

from servicepoint import demo
from servicepoint.db import connect, init_db
from servicepoint.timeutil import UTC, FixedClock, to_db
from servicepoint.usecases import Ports, ServiceTimeCache

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


def make_ports(path: str, clock, *, timezone: str = TIMEZONE, notify=None) -> Ports:
    """Ports over a new connection of their own (the caller closes ``ports.conn``)."""
    kw = {"notify": notify} if notify is not None else {}
    return Ports(conn=connect(path), clock=clock, stats=ServiceTimeCache(ttl_s=0),
                 timezone=timezone, **kw)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at :data:`T0` until a test moves it."""
    return FixedClock(T0)


@pytest.fixture
def demo_db(tmp_path) -> str:
    """Path of a fresh demo-seeded SQLite database for this test."""
    return copy_demo_db(tmp_path / "servicepoint.db")


@pytest.fixture
def ports(demo_db, clock):
    """Use-case ports on the test's database, with the fixed clock."""
    p = make_ports(demo_db, clock)
    yield p
    p.conn.close()
