"""Helpers for tests that drive the app through Flask's test client (no fixtures here).

The fixtures (``make_app``, ``app``, ``client``, ``bearer``, ...) are in
tests/conftest.py; these are the plain functions the tests call on them.

Two ways to be signed in, on purpose:

- :func:`sign_in` opens the server-side session a successful sign-in opens
  (``servicepoint.sessions``) and puts its secret in the cookie. Verifying an
  argon2 password takes a noticeable fraction of a second, so most tests use it.
- :func:`login` goes through the real ``/login`` form (GET for the CSRF token,
  then POST). Each face keeps at least one test that signs in this way, so the
  session :func:`sign_in` writes is known to be the one the form writes.

The browser tests (tests/e2e) sign in with their own helper in tests/e2e/conftest.py.
"""
from __future__ import annotations

import re
import sqlite3

from servicepoint import sessions
from servicepoint.db import connect

# The CSRF token the ``client`` fixture and :func:`sign_in` put in the session.
CSRF = "test-csrf-token"
# The demo branch's accounts (servicepoint/demo.py), as the pages show them.
USERS = {
    "staff": {"username": "clerk", "role": "staff", "name": "Ana Clerk"},
    "manager": {"username": "manager", "role": "manager", "name": "Marta Manager"},
    "technician": {"username": "tech", "role": "technician", "name": "Tomás Technician"},
}
PASSWORDS = {"clerk": "clerk-demo", "manager": "manager-demo", "tech": "tech-demo"}


def sign_in(client, role: str = "staff") -> None:
    """Sign the demo user of ``role`` (staff, manager, technician) in on ``client``.

    Opens a real server-side session in the client's app database (the role comes
    from there, never from the cookie) and sets the session's CSRF token to
    :data:`CSRF`. Raises ``KeyError`` for an unknown role.
    """
    app = client.application
    conn = connect(app.config["DATABASE"])
    try:
        staff_id = conn.execute("SELECT id FROM staff WHERE username = ?",
                                (USERS[role]["username"],)).fetchone()[0]
        sid = sessions.start(conn, staff_id, now=app.extensions["servicepoint"]["clock"].now())
    finally:
        conn.close()
    with client.session_transaction() as sess:
        sess["sid"] = sid
        sess["csrf"] = CSRF


def login(client, username: str, password: str | None = None, next_url: str | None = None):
    """Sign in through the real form (GET for the CSRF token, then POST); returns the response.

    ``password`` defaults to the demo account's; ``next_url`` is the page the
    form is asked to lead to. The caller asserts on the response (302 on
    success, 401 on a wrong password).
    """
    query = {"next": next_url} if next_url else {}
    token = csrf_from(client.get("/login", query_string=query).get_data(as_text=True))
    if password is None:
        password = PASSWORDS[username]
    return client.post("/login", query_string=query,
                       data={"username": username, "password": password, "csrf_token": token})


def post(client, url: str, data: dict | None = None, htmx: bool = True, **kw):
    """A form POST carrying :data:`CSRF`, as htmx (default) or as a plain browser form."""
    data = {"csrf_token": CSRF, **(data or {})}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data=data, headers=headers, **kw)


def csrf_from(html: str) -> str:
    """The CSRF token a page carries (meta tag or hidden form field); fails the test if none."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


def form_key(html: str) -> str:
    """The kiosk form's one-off idempotency key; fails the test if the form has none."""
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, "no idempotency key in the kiosk form"
    return match.group(1)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Assert an API error: ``status``, JSON ``{error, message}`` (and ``error == code``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["error"] == code
    return body


def db(app) -> sqlite3.Connection:
    """A new connection to ``app``'s database (the caller closes it)."""
    return connect(app.config["DATABASE"])
