"""Durable print jobs in SQLite: claim, complete, fail, reprint, printer status.

A job moves ``pending → sent → printed`` (or ``failed``). Every move is a
conditional UPDATE, so a job acknowledged printed can never be claimed again,
and a job that was sent but never confirmed is failed rather than resent: a
second paper ticket with the same number confuses a customer more than a
missing one (the kiosk always shows the number on screen, and staff can reprint).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

from servicepoint.db import immediate
from servicepoint.timeutil import to_db

# A job still pending after this long is not printed any more: the customer who
# pressed the button has left the kiosk.
STALE_AFTER_S = 60
# A claimed job with no result after this long is failed (never resent).
LEASE_S = 30
MAX_ATTEMPTS = 3
PRINTABLE = {"ok", "paper_low", "unknown"}


def _iso(at: dt.datetime) -> str:
    return to_db(at)


def claim(conn: sqlite3.Connection, printer_id: int, worker: str, now: dt.datetime) -> sqlite3.Row | None:
    """Take the oldest pending job of ``printer_id`` (pending → sent); None when none is due.

    Jobs too old to be useful are failed on the way.
    """
    with immediate(conn):
        stale_before = _iso(now - dt.timedelta(seconds=STALE_AFTER_S))
        conn.execute(
            "UPDATE print_jobs SET state='failed', error=coalesce(error || '; ', '') ||"
            " 'not printed within 60 s (customer gone); reprint if needed', updated_at=?"
            " WHERE printer_id=? AND state='pending' AND created_at < ?",
            (_iso(now), printer_id, stale_before))
        row = conn.execute(
            "UPDATE print_jobs SET state='sent', attempts=attempts+1, claimed_by=?, sent_at=?,"
            " claim_expires_at=?, updated_at=? WHERE id = (SELECT id FROM print_jobs"
            " WHERE printer_id=? AND state='pending' ORDER BY id LIMIT 1) RETURNING *",
            (worker, _iso(now), _iso(now + dt.timedelta(seconds=LEASE_S)), _iso(now),
             printer_id)).fetchone()
        return row


def mark_printed(conn: sqlite3.Connection, job_id: int, now: dt.datetime, nbytes: int | None = None) -> bool:
    """sent → printed (a late confirmation also rescues a lease-expired job). True if changed."""
    with _tx(conn):
        cur = conn.execute(
            "UPDATE print_jobs SET state='printed', printed_at=?, updated_at=?, error=NULL,"
            " bytes=coalesce(?, bytes) WHERE id=? AND (state='sent' OR (state='failed'"
            " AND error LIKE 'no confirmation%'))", (_iso(now), _iso(now), nbytes, job_id))
        return cur.rowcount == 1


def mark_failed(conn: sqlite3.Connection, job_id: int, reason: str, now: dt.datetime, *,
                retry: bool = False) -> str:
    """Record a failed attempt. With ``retry`` and attempts left, the job goes back to
    pending (it was not printed: the printer refused before any byte was accepted).
    Returns the job's new state.
    """
    with _tx(conn):
        row = conn.execute("SELECT state, attempts FROM print_jobs WHERE id=?", (job_id,)).fetchone()
        if row is None or row["state"] != "sent":
            return row["state"] if row else "missing"
        new_state = "pending" if retry and row["attempts"] < MAX_ATTEMPTS else "failed"
        conn.execute("UPDATE print_jobs SET state=?, error=?, updated_at=?, claimed_by=NULL"
                     " WHERE id=? AND state='sent'", (new_state, reason[:500], _iso(now), job_id))
        return new_state


def has_pending(conn: sqlite3.Connection, printer_id: int) -> bool:
    """True when ``printer_id`` has a pending job (a read: no write lock taken)."""
    return conn.execute("SELECT 1 FROM print_jobs WHERE printer_id=? AND state='pending' LIMIT 1",
                        (printer_id,)).fetchone() is not None


def expire_leases(conn: sqlite3.Connection, now: dt.datetime) -> int:
    """Fail sent jobs whose confirmation never came (worker or agent died mid-job)."""
    if conn.execute("SELECT 1 FROM print_jobs WHERE state='sent' AND claim_expires_at < ? LIMIT 1",
                    (_iso(now),)).fetchone() is None:
        return 0  # the common case needs no write transaction
    with _tx(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='failed', error='no confirmation from the printer'"
            " || ' (worker stopped mid-job); reprint if needed', updated_at=?"
            " WHERE state='sent' AND claim_expires_at < ?", (_iso(now), _iso(now))).rowcount


def release_unreceived(conn: sqlite3.Connection, printer_id: int, prefix: str, keep: str,
                       now: dt.datetime) -> int:
    """Put back to pending the jobs claimed by older sessions of one agent (``prefix``),
    except the caller's own (``keep``): the restarted agent has already reported
    every job it received, so these never reached it.
    """
    with _tx(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='pending', claimed_by=NULL, claim_expires_at=NULL,"
            " attempts=max(attempts - 1, 0),"
            " updated_at=? WHERE printer_id=? AND state='sent' AND substr(claimed_by, 1, ?) = ?"
            " AND claimed_by != ?", (_iso(now), printer_id, len(prefix), prefix, keep)).rowcount


def fail_interrupted(conn: sqlite3.Connection, worker: str, now: dt.datetime) -> int:
    """At start-up: jobs this worker had sent when it stopped are failed, never resent."""
    with _tx(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='failed', error='no confirmation from the printer'"
            " || ' (server restarted mid-job); reprint if needed', updated_at=?"
            " WHERE state='sent' AND claimed_by=?", (_iso(now), worker)).rowcount


def reprint(conn: sqlite3.Connection, ticket_id: int, now: dt.datetime,
            printer_id: int | None = None) -> int:
    """A new job for ``ticket_id`` with the payload of its first job. Raises LookupError."""
    with _tx(conn):
        first = conn.execute("SELECT * FROM print_jobs WHERE ticket_id=? ORDER BY id LIMIT 1",
                             (ticket_id,)).fetchone()
        if first is None:
            raise LookupError(f"Ticket {ticket_id} was never printed; nothing to reprint")
        printer_id = printer_id or first["printer_id"]
        if printer_id is None:
            raise LookupError("The ticket's printer no longer exists")
        return conn.execute(
            "INSERT INTO print_jobs (ticket_id, printer_id, kind, state, payload, created_at,"
            " updated_at) VALUES (?,?,'reprint','pending',?,?,?)",
            (ticket_id, printer_id, first["payload"], _iso(now), _iso(now))).lastrowid


def add_test_job(conn: sqlite3.Connection, printer_id: int, now: dt.datetime) -> int:
    with _tx(conn):
        return conn.execute(
            "INSERT INTO print_jobs (printer_id, kind, state, payload, created_at, updated_at)"
            " VALUES (?, 'test', 'pending', '{}', ?, ?)", (printer_id, _iso(now), _iso(now))).lastrowid


def set_status(conn: sqlite3.Connection, printer_id: int, status: str, detail: str | None,
               now: dt.datetime) -> bool:
    """Store a printer's status; True when the status changed (callers announce it live)."""
    with _tx(conn):
        row = conn.execute("SELECT status FROM printers WHERE id=?", (printer_id,)).fetchone()
        if row is None:
            return False
        conn.execute("UPDATE printers SET status=?, status_detail=?, status_at=? WHERE id=?",
                     (status, detail, _iso(now), printer_id))
        return row["status"] != status


def payload(row: sqlite3.Row) -> dict:
    return json.loads(row["payload"] or "{}")


def _tx(conn: sqlite3.Connection):
    """A BEGIN IMMEDIATE transaction on an autocommit connection."""
    return immediate(conn)
