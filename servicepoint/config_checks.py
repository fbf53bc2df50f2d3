"""The branch's health checks behind ``servicepoint config check``.

Reads only; the command prints the result and exits 1 on a problem.
"""
from __future__ import annotations

import sqlite3

from .auth import demo_password_warnings
from .db import get_setting
from .security import public_url_problem
from .timeutil import zone


def check_branch(conn: sqlite3.Connection) -> tuple[list[str], list[str], list[str]]:
    """Return ``(notes, warnings, problems)`` for the branch in *conn*.

    A problem stops the branch working (no service offered, a service no counter
    serves, a broken printer address, a bad time zone); a warning leaves it usable
    but unsafe or incomplete (no public URL, a demo password still set).
    """
    problems: list[str] = []
    notes: list[str] = []
    warnings: list[str] = []
    integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"database integrity: {integrity}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        problems.append("database is not in WAL mode (run init)")
    tz = get_setting(conn, "timezone", "UTC")
    try:
        zone(tz)
        notes.append(f"time zone {tz}")
    except ValueError as exc:
        problems.append(str(exc))
    services = [r[0] for r in conn.execute("SELECT code FROM services WHERE active")]
    if not services:
        problems.append("no active services: kiosks have nothing to offer")
    for svc in services:
        if not conn.execute("SELECT 1 FROM counter_services WHERE service_code = ?", (svc,)).fetchone():
            problems.append(f"service {svc} has no counter: its tickets can never be called")
    for row in conn.execute("SELECT code, printer_id FROM devices WHERE kind='kiosk'"):
        if row["printer_id"] is None:
            notes.append(f"kiosk {row['code']} has no printer (numbers shown on screen only)")
    for row in conn.execute("SELECT name, url FROM printers"):
        try:
            from hardware.printer_url import parse_printer_url

            parse_printer_url(row["url"])
        except ImportError:
            break
        except ValueError as exc:
            problems.append(f"printer {row['name']}: {exc}")
    if not conn.execute("SELECT 1 FROM staff WHERE active AND role IN ('manager','admin')").fetchone():
        notes.append("no manager or admin account (servicepoint user add NAME --role manager)")
    public_url = get_setting(conn, "public_url")
    problem = public_url_problem(public_url)
    if public_url is None:
        warnings.append("no public URL: QR codes and links use the address `serve` listens on "
                        "(servicepoint init --public-url https://...)")
    elif problem:
        problems.append(f"public URL: {problem}")
    else:
        notes.append(f"public URL {public_url}")
    warnings.extend(demo_password_warnings(conn))
    return notes, warnings, problems
