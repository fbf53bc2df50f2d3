"""What the lobby board shows: the most recent calls of today, newest first.

A read model over ``ticket_events`` (call and recall rows); it decides nothing
about the queue. Only numbers and counters leave here — never personal data.
"""
from __future__ import annotations

import datetime as dt

from servicepoint.timeutil import from_db, to_db


def recent_calls(conn, since: dt.datetime, limit: int = 6) -> list[dict]:
    """The last ``limit`` tickets called or recalled since ``since``, newest call first.

    Each has ``key`` (the event id, so a recall is a new announcement), ``number``,
    ``counter``, ``language``, ``action``, ``at`` and ``active`` (still called or
    being served at that counter).
    """
    rows = conn.execute(
        "SELECT e.id, e.action, e.at, e.counter_id, t.id AS ticket_id, t.number, t.language,"
        " t.state, t.counter_id AS holder FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
        " WHERE e.action IN ('call', 'recall') AND e.at >= ? ORDER BY e.id DESC LIMIT ?",
        (to_db(since), limit * 8)).fetchall()
    seen: set[int] = set()
    calls = []
    for r in rows:
        if r["ticket_id"] in seen:
            continue
        seen.add(r["ticket_id"])
        calls.append({
            "key": r["id"], "number": r["number"], "counter": r["counter_id"],
            "language": r["language"], "action": r["action"], "at": from_db(r["at"]),
            "active": r["state"] in ("called", "serving") and r["holder"] == r["counter_id"],
        })
        if len(calls) >= limit:
            break
    return calls
