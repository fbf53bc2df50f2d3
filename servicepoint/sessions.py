"""Server-side staff sessions.

The browser's signed cookie carries only a random session secret; the
``staff_sessions`` table holds its SHA-256 and the account it belongs to. Every
request looks the secret up and reads the account's *current* role and active
flag from ``staff``, so signing out, deactivating an account, resetting its
password or changing its role takes effect on the very next request — a copied
cookie is worth nothing afterwards.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3

from .db import immediate
from .timeutil import to_db

# A working day and a bit: a counter PC signed in at opening is still signed in at closing.
DEFAULT_LIFETIME_S = 14 * 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(conn: sqlite3.Connection, staff_id: int, *, now: dt.datetime,
          lifetime_s: float = DEFAULT_LIFETIME_S, address: str | None = None) -> str:
    """Open a session for the staff account ``staff_id``; returns its secret (for the cookie).

    Expired sessions of every account are cleared on the way, so the table stays small.
    """
    secret = secrets.token_urlsafe(32)
    with immediate(conn):
        conn.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", (to_db(now),))
        conn.execute(
            "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at, address)"
            " VALUES (?,?,?,?,?)",
            (_digest(secret), staff_id, to_db(now),
             to_db(now + dt.timedelta(seconds=lifetime_s)), address))
    return secret


def lookup(conn: sqlite3.Connection, secret: str | None, *, now: dt.datetime) -> dict | None:
    """The principal of a live session (role and name as the database has them now), or None.

    None for an unknown, ended or expired secret and for a deactivated account.
    """
    if not secret or not isinstance(secret, str) or len(secret) > 100:
        return None
    row = conn.execute(
        "SELECT st.username, st.role, st.display_name FROM staff_sessions s"
        " JOIN staff st ON st.id = s.staff_id"
        " WHERE s.token_hash = ? AND s.expires_at > ? AND st.active",
        (_digest(secret), to_db(now))).fetchone()
    if row is None:
        return None
    return {"kind": "session", "username": row["username"], "role": row["role"],
            "name": row["display_name"]}


def end(conn: sqlite3.Connection, secret: str | None) -> None:
    """End one session (signing out); harmless for an unknown secret."""
    if not secret or not isinstance(secret, str):
        return
    with immediate(conn):
        conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (_digest(secret),))


def end_all(conn: sqlite3.Connection, username: str) -> int:
    """End every session of ``username`` (deactivation, password reset, role change).

    Runs inside the caller's transaction when there is one; returns how many ended.
    """
    sql = ("DELETE FROM staff_sessions WHERE staff_id IN"
           " (SELECT id FROM staff WHERE username = ?)")
    if conn.in_transaction:
        return conn.execute(sql, (username,)).rowcount
    with immediate(conn):
        return conn.execute(sql, (username,)).rowcount
