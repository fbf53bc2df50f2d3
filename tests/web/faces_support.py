"""Shared fixtures for the face tests (kiosk, counter, display, manager).

Each test gets a fresh demo branch in a temporary SQLite file and its own app,
so the in-process rate limiter and the live broadcaster start empty. Sign-in is
done by writing the session directly (argon2 verification is slow); one test
per face also goes through the real /login form.
"""
from __future__ import annotations

import re
import shutil

import pytest

from servicepoint import create_app
from servicepoint.db import connect, init_db
from servicepoint.demo import ensure_base_settings, seed
from servicepoint.timeutil import SystemClock, to_db

CSRF = "test-csrf-token"
USERS = {
    "staff": {"username": "clerk", "role": "staff", "name": "Ana Clerk"},
    "manager": {"username": "manager", "role": "manager", "name": "Marta Manager"},
    "technician": {"username": "tech", "role": "technician", "name": "Tomás Technician"},
}


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory):
    """One seeded demo database per session (argon2 hashing is slow); tests copy it."""
    path = str(tmp_path_factory.mktemp("faces-template") / "demo.db")
    init_db(path)
    conn = connect(path)
    try:
        ensure_base_settings(conn, "Europe/Madrid", "Test branch")
        seed(conn, to_db(SystemClock().now()))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


@pytest.fixture
def db_path(demo_db_template, tmp_path):
    path = str(tmp_path / "faces.db")
    shutil.copyfile(demo_db_template, path)
    return path


def make_app(db_path: str, **config):
    return create_app({"DATABASE": db_path, "TESTING": True, "SECRET_KEY": "faces-test",
                       "TIMEZONE": "Europe/Madrid", **config})


@pytest.fixture
def app(db_path):
    return make_app(db_path)


@pytest.fixture
def client(app):
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["csrf"] = CSRF
    return c


def sign_in(client, role: str = "staff") -> None:
    """Put a signed-in user of ``role`` in the client's session."""
    with client.session_transaction() as sess:
        sess["user"] = dict(USERS[role])
        sess["csrf"] = CSRF


def post(client, url: str, data: dict | None = None, htmx: bool = True, **kw):
    """A CSRF-carrying form POST, as htmx (default) or a plain browser form."""
    data = {"csrf_token": CSRF, **(data or {})}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data=data, headers=headers, **kw)


def db(app):
    return connect(app.config["DATABASE"])


def form_key(html: str) -> str:
    """The kiosk form's one-off idempotency key."""
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, "no idempotency key in the kiosk form"
    return match.group(1)
