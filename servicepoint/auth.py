"""Staff accounts, API tokens, roles, login sessions and CSRF protection.

Passwords are stored as argon2id hashes; API tokens are random and only their
SHA-256 is stored, so a stolen database yields no usable token. Signed-in
browsers hold a server-side session (``servicepoint.sessions``): the role comes
from the database on every request, never from the cookie. Roles:
``staff`` (counter work), ``manager`` (staff + reports and setup),
``technician`` (devices and printers) and ``admin`` (everything).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, current_app, g, redirect, request, session, url_for

from . import sessions
from .db import immediate

ROLES = ("staff", "manager", "technician", "admin")
# Which roles satisfy a requirement: a manager may do a clerk's work; admin may do anything.
SATISFIES = {
    "staff": {"staff", "manager", "admin"},
    "manager": {"manager", "admin"},
    "technician": {"technician", "admin"},
    "admin": {"admin"},
    "device": {"device", "technician", "admin"},
}

# argon2id sized for the branch box (a 2-core mini PC that also serves every screen):
# OWASP's recommendation of 19 MiB, 2 passes, 1 lane, about 85 ms per hash there
# (bench/login_hash.py). argon2-cffi's default (64 MiB, 3 passes, 4 lanes) took
# 650 ms and let 100 parallel sign-ins claim over a gigabyte. Older hashes still
# verify (their parameters are in the hash) and are upgraded at the next sign-in.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_PARALLELISM)

# At most this many password hashes run at once (per process); more callers wait
# up to HASH_WAIT_S for a turn and are then told to try again (PasswordBusy).
_hash_slots = threading.BoundedSemaphore(2)
HASH_WAIT_S = 3.0


class PasswordBusy(RuntimeError):
    """Every password-hashing slot stayed taken for HASH_WAIT_S; the caller should retry."""


def set_hash_concurrency(slots: int) -> None:
    """How many password hashes may run at once (``LOGIN_HASH_CONCURRENCY``)."""
    global _hash_slots
    _hash_slots = threading.BoundedSemaphore(max(1, int(slots)))


class AuthError(ValueError):
    """Bad account data (unknown role, empty password, duplicate name)."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; raises AuthError for an empty one."""
    if not password:
        raise AuthError("A password cannot be empty")
    return _hasher.hash(password)


def add_user(conn: sqlite3.Connection, username: str, password: str, role: str,
             display_name: str | None = None, *, now: str) -> int:
    """Create a staff account; raises AuthError for a bad role or a taken name."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}")
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise AuthError("A username needs 1 to 64 characters")
    try:
        with conn:
            cur = conn.execute(
                "INSERT INTO staff (username, display_name, role, password_hash, created_at)"
                " VALUES (?,?,?,?,?)",
                (username, display_name or username, role, hash_password(password), now))
    except sqlite3.IntegrityError:
        raise AuthError(f"User {username!r} already exists") from None
    assert cur.lastrowid is not None  # an INSERT that succeeded wrote a row
    return cur.lastrowid


def check_password(conn: sqlite3.Connection, username: str, password: str) -> sqlite3.Row | None:
    """The active staff row when ``password`` is right, else None (constant-ish time).

    Raises PasswordBusy when no hashing slot frees up in time. A right password
    whose hash has older parameters is re-hashed with today's.
    """
    row = conn.execute("SELECT * FROM staff WHERE username = ? AND active", (username,)).fetchone()
    if not _hash_slots.acquire(timeout=HASH_WAIT_S):
        raise PasswordBusy("Too many sign-ins at once")
    try:
        # The dummy hash is made on first use, so inside the slot too.
        target = row["password_hash"] if row else _dummy_hash()
        _hasher.verify(target, password or "")
        rehash = row is not None and _hasher.check_needs_rehash(target)
        new_hash = _hasher.hash(password) if rehash else None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    finally:
        _hash_slots.release()
    if row is not None and new_hash is not None:
        with immediate(conn):
            conn.execute("UPDATE staff SET password_hash = ? WHERE id = ? AND password_hash = ?",
                         (new_hash, row["id"], target))
    return row


def demo_password_warnings(conn: sqlite3.Connection) -> list[str]:
    """One warning per active demo account that still has its published demo password."""
    from .demo import STAFF

    out = []
    for username, password, _role, _name in STAFF:
        row = conn.execute("SELECT password_hash FROM staff WHERE username = ? AND active",
                           (username,)).fetchone()
        try:
            if row is not None and _hasher.verify(row["password_hash"], password):
                out.append(f"demo account {username!r} still has its published password; "
                           f"change it (servicepoint user passwd {username}) or deactivate it "
                           f"(servicepoint user deactivate {username})")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass
    return out


def _staff_change(conn: sqlite3.Connection, username: str, sql: str, params: tuple) -> None:
    """Run ``sql`` on one account and end its sessions in the same transaction."""
    with immediate(conn):
        if conn.execute(sql, params).rowcount != 1:
            raise AuthError(f"No user {username!r}")
        sessions.end_all(conn, username)


def set_password(conn: sqlite3.Connection, username: str, password: str) -> None:
    """Reset a password; every session of the account ends. Raises AuthError."""
    _staff_change(conn, username, "UPDATE staff SET password_hash = ? WHERE username = ?",
                  (hash_password(password), username))


def set_role(conn: sqlite3.Connection, username: str, role: str) -> None:
    """Change an account's role; every session of the account ends. Raises AuthError."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}")
    _staff_change(conn, username, "UPDATE staff SET role = ? WHERE username = ?", (role, username))


def set_active(conn: sqlite3.Connection, username: str, active: bool) -> None:
    """Deactivate (or reactivate) an account; deactivation ends its sessions. Raises AuthError."""
    _staff_change(conn, username, "UPDATE staff SET active = ? WHERE username = ?",
                  (int(active), username))


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify unknown users against, so their sign-in takes as long (made on first use)."""
    return _hasher.hash("not a real password")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: sqlite3.Connection, name: str, role: str, *, now: str,
                 device_code: str | None = None) -> str:
    """Create an API token and return it (it is shown once; only its hash is kept)."""
    if role not in SATISFIES:
        raise AuthError(f"Unknown role {role!r}; use one of: {', '.join(SATISFIES)}")
    token = "sp_" + secrets.token_urlsafe(30)
    with conn:
        conn.execute("INSERT INTO api_tokens (name, role, token_hash, device_code, created_at)"
                     " VALUES (?,?,?,?,?)", (name, role, token_digest(token), device_code, now))
    return token


def token_principal(conn: sqlite3.Connection, token: str) -> dict | None:
    # A browser's device cookie is no bearer token: each credential works only as it was given.
    row = conn.execute("SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL"
                       " AND transport = 'bearer'", (token_digest(token),)).fetchone()
    if row is None:
        return None
    return {"kind": "token", "name": row["name"], "role": row["role"],
            "device": row["device_code"], "username": f"token:{row['name']}"}


# -- request side ---------------------------------------------------------

def current_principal() -> dict | None:
    """Who is making this request: a bearer token or a logged-in session; cached on g."""
    if "principal" in g:
        return g.principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from .web_db import get_db

        principal = token_principal(get_db(), header[7:].strip())
    elif session.get("sid"):
        from .web_db import get_db

        principal = sessions.lookup(get_db(), session["sid"],
                                    now=current_app.extensions["servicepoint"]["clock"].now())
    g.principal = principal
    return principal


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def has_role(principal: dict | None, role: str) -> bool:
    return principal is not None and principal.get("role") in SATISFIES[role]


def api_require(role: str):
    """Decorator for API views: 401 without credentials, 403 with the wrong role.

    Session callers must also send the CSRF token in ``X-CSRF-Token`` on requests
    that change state; a GET, HEAD or OPTIONS changes nothing, so a signed-in
    browser may simply open it.
    """
    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                abort(401)
            if (principal["kind"] == "session" and request.method not in SAFE_METHODS
                    and not csrf_valid(request.headers.get("X-CSRF-Token"))):
                abort(403, description="Missing or wrong CSRF token")
            if not has_role(principal, role):
                abort(403, description=f"This needs the {role} role")
            return view(*args, **kwargs)
        return wrapper
    return deco


def login_required(*roles: str):
    """Decorator for HTML views: redirect to the login page, or 403 unless one of ``roles``
    (default ``staff``) is satisfied."""
    roles = roles or ("staff",)

    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None or principal["kind"] != "session":
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if not any(has_role(principal, role) for role in roles):
                abort(403, description=f"This page needs the {' or '.join(roles)} role")
            return view(*args, **kwargs)
        return wrapper
    return deco


def csrf_token() -> str:
    """The session's CSRF token (created on first use); templates put it in forms."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_valid(supplied: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and supplied and hmac.compare_digest(expected, supplied))


def protect_forms() -> None:
    """before_request hook: every non-API POST form must carry the session's CSRF token.

    The API has its own rule (bearer token, or session plus ``X-CSRF-Token``).
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith("/api/"):
        return
    if request.routing_exception is not None:
        return  # no such page, or not for this method: say that (404/405 with Allow)
    supplied = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not csrf_valid(supplied):
        abort(400, description="This form has expired. Please go back, reload the page and try again.")
