"""SQL for the day close and retention: which days closed, which visits to anonymise.

Functions take the connection of the caller's unit of work, so they run inside
its transaction.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3

from .domain import upkeep
from .timeutil import to_db

# Every column of ``tickets`` and what retention does with it; a test fails when a
# column is added without deciding. "keep": timings, states and queue facts the
# KPIs read; anything else is overwritten in anonymise().
TICKET_COLUMNS = {
    "id": "keep", "number": "keep", "origin_service_id": "keep", "service_id": "keep",
    "day": "keep", "seq": "keep", "state": "keep", "priority": "keep", "prank": "keep",
    "issued_at": "keep", "queued_at": "keep", "rank_at": "keep", "front": "keep",
    "counter_id": "keep", "target_counter_id": "keep", "called_at": "keep", "recalls": "keep",
    "outcome": "keep", "updated_at": "keep", "anonymised_at": "keep",
    # the tracking link's secret: replaced by a new random one nobody was ever given
    "public_id": "replace",
    "language": "replace",
    "device_code": "clear",
    "idempotency_key": "clear",
}
TERMINAL = "('done','no_show','cancelled','expired')"


def is_closed(conn: sqlite3.Connection, day: str, not_before: dt.datetime) -> bool:
    """True once branch day ``day`` has been closed at or after ``not_before``."""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM day_closes WHERE day = ? AND at >= ?)",
                        (day, to_db(not_before))).fetchone()[0] == 1


def record_close(conn: sqlite3.Connection, day: str, at: dt.datetime, expired: int,
                 trigger: str) -> None:
    conn.execute("INSERT INTO day_closes (day, at, expired, trigger) VALUES (?,?,?,?)",
                 (day, to_db(at), expired, trigger))


def tickets_to_anonymise(conn: sqlite3.Connection, cutoff: dt.datetime, limit: int,
                         after_id: int = 0) -> list[int]:
    """Ids (above ``after_id``, ascending) of ended visits issued before ``cutoff`` and not
    yet anonymised."""
    # Branch days lie within a day of UTC dates: the day bound lets SQLite use the
    # (day, number) index before it checks the exact instant.
    last_day = (cutoff + dt.timedelta(days=1)).date().isoformat()
    return [r[0] for r in conn.execute(
        f"SELECT id FROM tickets WHERE day <= ? AND issued_at < ? AND anonymised_at IS NULL"
        f" AND state IN {TERMINAL} AND id > ? ORDER BY id LIMIT ?",
        (last_day, to_db(cutoff), after_id, limit))]


def anonymise(conn: sqlite3.Connection, ids: list[int], at: dt.datetime) -> tuple[int, int, int]:
    """Anonymise the tickets ``ids``, their events and print jobs.

    Returns (tickets, events, print jobs) changed.
    """
    if not ids:
        return 0, 0, 0
    tickets = 0
    for ticket_id in ids:
        tickets += conn.execute(
            "UPDATE tickets SET public_id = ?, language = ?, device_code = NULL,"
            " idempotency_key = NULL, anonymised_at = ? WHERE id = ? AND anonymised_at IS NULL",
            ("anon-" + secrets.token_urlsafe(12), upkeep.ANONYMOUS_LANGUAGE, to_db(at),
             ticket_id)).rowcount
    marks = ",".join("?" * len(ids))
    events = _scrub(conn, f"SELECT id, data FROM ticket_events WHERE ticket_id IN ({marks})",
                    ids, "UPDATE ticket_events SET data = ? WHERE id = ?", upkeep.KEPT_EVENT_KEYS)
    jobs = _scrub(conn, f"SELECT id, payload FROM print_jobs WHERE ticket_id IN ({marks})",
                  ids, "UPDATE print_jobs SET payload = ? WHERE id = ?", upkeep.KEPT_PAYLOAD_KEYS)
    return tickets, events, jobs


def _scrub(conn: sqlite3.Connection, select: str, ids: list[int], update: str,
           kept: frozenset[str]) -> int:
    changed = 0
    for row_id, raw in conn.execute(select, ids).fetchall():
        data = json.loads(raw or "{}")
        clean = upkeep.scrub(data, kept)
        if clean != data:
            conn.execute(update, (json.dumps(clean, separators=(",", ":")), row_id))
            changed += 1
    return changed
