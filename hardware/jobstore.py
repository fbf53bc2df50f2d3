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
from servicepoint.domain.printing import PrinterStatus, TicketPayload
from servicepoint.timeutil import to_db

# A job still pending after this long is not printed any more: the customer who
# pressed the button has left the kiosk.
STALE_AFTER_S = 60
# A claimed job with no result after this long is failed (never resent).
LEASE_S = 30
MAX_ATTEMPTS = 3

# Error texts. A job failed with NOT_CONFIRMED may still have printed, so a late
# confirmation rescues it (see mark_printed).
NOT_CONFIRMED = "no confirmation from the printer"
STALE_ERROR = f"not printed within {STALE_AFTER_S} s (customer gone); reprint if needed"
LEASE_EXPIRED_ERROR = f"{NOT_CONFIRMED} (worker stopped mid-job); reprint if needed"
INTERRUPTED_ERROR = f"{NOT_CONFIRMED} (server restarted mid-job); reprint if needed"


def claim(conn: sqlite3.Connection, printer_id: int, worker: str, now: dt.datetime) -> sqlite3.Row | None:
    """Take the oldest pending job of ``printer_id`` (pending → sent); None when none is due.

    Jobs too old to be useful are failed on the way. With nothing pending no
    write transaction is taken (the agent's long-poll asks at every wake-up).
    """
    if not has_pending(conn, printer_id):
        return None
    with immediate(conn):
        conn.execute(
            "UPDATE print_jobs SET state='failed', error=coalesce(error || '; ', '') || ?, updated_at=?"
            " WHERE printer_id=? AND state='pending' AND created_at < ?",
            (STALE_ERROR, to_db(now), printer_id, to_db(now - dt.timedelta(seconds=STALE_AFTER_S))))
        return conn.execute(
            "UPDATE print_jobs SET state='sent', attempts=attempts+1, claimed_by=?, sent_at=?,"
            " claim_expires_at=?, updated_at=? WHERE id = (SELECT id FROM print_jobs"
            " WHERE printer_id=? AND state='pending' ORDER BY id LIMIT 1) RETURNING *",
            (worker, to_db(now), to_db(now + dt.timedelta(seconds=LEASE_S)), to_db(now),
             printer_id)).fetchone()


def mark_printed(conn: sqlite3.Connection, job_id: int, now: dt.datetime, nbytes: int | None = None) -> bool:
    """sent → printed (a late confirmation also rescues a lease-expired job). True if changed."""
    with immediate(conn):
        cur = conn.execute(
            "UPDATE print_jobs SET state='printed', printed_at=?, updated_at=?, error=NULL,"
            " bytes=coalesce(?, bytes) WHERE id=? AND (state='sent' OR (state='failed'"
            " AND error LIKE ? || '%'))", (to_db(now), to_db(now), nbytes, job_id, NOT_CONFIRMED))
        return cur.rowcount == 1


def mark_failed(conn: sqlite3.Connection, job_id: int, reason: str, now: dt.datetime, *,
                retry: bool = False) -> str:
    """Record a failed attempt. With ``retry`` and attempts left, the job goes back to
    pending (it was not printed: the printer refused before any byte was accepted).
    Returns the job's new state.
    """
    with immediate(conn):
        row = conn.execute("SELECT state, attempts FROM print_jobs WHERE id=?", (job_id,)).fetchone()
        if row is None or row["state"] != "sent":
            return row["state"] if row else "missing"
        new_state = "pending" if retry and row["attempts"] < MAX_ATTEMPTS else "failed"
        conn.execute("UPDATE print_jobs SET state=?, error=?, updated_at=?, claimed_by=NULL"
                     " WHERE id=? AND state='sent'", (new_state, reason[:500], to_db(now), job_id))
        return new_state


def fail_for_printer(conn: sqlite3.Connection, printer_id: int, reason: str, now: dt.datetime) -> int:
    """Fail every pending or sent job of ``printer_id`` (it is being removed).

    Runs in the caller's transaction (``immediate(conn)``), with the printer's removal.
    """
    return conn.execute("UPDATE print_jobs SET state='failed', error=?, updated_at=?"
                        " WHERE printer_id=? AND state IN ('pending','sent')",
                        (reason, to_db(now), printer_id)).rowcount


def has_pending(conn: sqlite3.Connection, printer_id: int) -> bool:
    """True when ``printer_id`` has a pending job (a read: no write lock taken)."""
    return conn.execute("SELECT 1 FROM print_jobs WHERE printer_id=? AND state='pending' LIMIT 1",
                        (printer_id,)).fetchone() is not None


def expire_leases(conn: sqlite3.Connection, now: dt.datetime) -> int:
    """Fail sent jobs whose confirmation never came (worker or agent died mid-job)."""
    if conn.execute("SELECT 1 FROM print_jobs WHERE state='sent' AND claim_expires_at < ? LIMIT 1",
                    (to_db(now),)).fetchone() is None:
        return 0  # the common case needs no write transaction
    with immediate(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='failed', error=?, updated_at=?"
            " WHERE state='sent' AND claim_expires_at < ?",
            (LEASE_EXPIRED_ERROR, to_db(now), to_db(now))).rowcount


def release_unreceived(conn: sqlite3.Connection, printer_id: int, prefix: str, keep: str,
                       now: dt.datetime) -> int:
    """Put back to pending the jobs claimed by older sessions of one agent (``prefix``),
    except the caller's own (``keep``): the restarted agent has already reported
    every job it received, so these never reached it.
    """
    with immediate(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='pending', claimed_by=NULL, claim_expires_at=NULL,"
            " attempts=max(attempts - 1, 0),"
            " updated_at=? WHERE printer_id=? AND state='sent' AND substr(claimed_by, 1, ?) = ?"
            " AND claimed_by != ?", (to_db(now), printer_id, len(prefix), prefix, keep)).rowcount


def fail_interrupted(conn: sqlite3.Connection, worker: str, now: dt.datetime) -> int:
    """At start-up: jobs this worker had sent when it stopped are failed, never resent."""
    with immediate(conn):
        return conn.execute(
            "UPDATE print_jobs SET state='failed', error=?, updated_at=?"
            " WHERE state='sent' AND claimed_by=?", (INTERRUPTED_ERROR, to_db(now), worker)).rowcount


def first_job(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row | None:
    """The first print job of ``ticket_id`` (its payload is the ticket as issued), or None."""
    return conn.execute("SELECT * FROM print_jobs WHERE ticket_id=? ORDER BY id LIMIT 1",
                        (ticket_id,)).fetchone()


def reprint(conn: sqlite3.Connection, ticket_id: int, now: dt.datetime) -> int:
    """A new job for ``ticket_id`` with the payload of its first job. Raises LookupError."""
    with immediate(conn):
        first = first_job(conn, ticket_id)
        if first is None:
            raise LookupError(f"Ticket {ticket_id} was never printed; nothing to reprint")
        if first["printer_id"] is None:
            raise LookupError("The ticket's printer no longer exists")
        return int(conn.execute(
            "INSERT INTO print_jobs (ticket_id, printer_id, kind, state, payload, created_at,"
            " updated_at) VALUES (?,?,'reprint','pending',?,?,?) RETURNING id",
            (ticket_id, first["printer_id"], first["payload"], to_db(now), to_db(now))).fetchone()[0])


def add_test_job(conn: sqlite3.Connection, printer_id: int, now: dt.datetime) -> int:
    """Queue a test page for ``printer_id``; returns the job's id."""
    with immediate(conn):
        return int(conn.execute(
            "INSERT INTO print_jobs (printer_id, kind, state, payload, created_at, updated_at)"
            " VALUES (?, 'test', 'pending', '{}', ?, ?) RETURNING id",
            (printer_id, to_db(now), to_db(now))).fetchone()[0])


def set_status(conn: sqlite3.Connection, printer_id: int, status: PrinterStatus, detail: str | None,
               now: dt.datetime) -> bool:
    """Store a printer's status; True when the status changed (callers announce it live)."""
    with immediate(conn):
        row = conn.execute("SELECT status FROM printers WHERE id=?", (printer_id,)).fetchone()
        if row is None:
            return False
        conn.execute("UPDATE printers SET status=?, status_detail=?, status_at=? WHERE id=?",
                     (status.value, detail, to_db(now), printer_id))
        return row["status"] != status


def payload(row: sqlite3.Row) -> TicketPayload | None:
    """The ticket a job prints, as frozen at issue; None for a job without one (a test page).

    Raises KeyError or TypeError for a stored payload that is not a ticket's.
    """
    data = json.loads(row["payload"] or "{}")
    return TicketPayload.from_dict(data) if data else None
