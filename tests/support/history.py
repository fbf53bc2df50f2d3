"""Write a branch's past straight into ``tickets``, ``ticket_events`` and ``counter_events``.

For report tests and ``bench/reports.py``: realistic days (4 services, 6
counters open 09:00–17:00 local with a staff member each, transfers, recalls,
parks, no-shows, cancellations and ratings) without playing every action
through the use cases. Every ticket ends (done, no-show or cancelled), so
``reports rebuild`` summarises all of them.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import uuid

from servicepoint.timeutil import UTC, to_db, zone

SERVICES = ("A", "B", "C", "D")
COUNTERS = {"1": ("A", "B"), "2": ("A", "B"), "3": ("C", "A"), "4": ("C", "D"), "5": ("D", "A"),
            "6": ("B", "C")}
# The demo branch's accounts, one per counter (some work two counters on different days
# in a real branch; here they simply hold two).
STAFF = {"1": "clerk", "2": "manager", "3": "tech", "4": "clerk", "5": "manager", "6": "tech"}


def write_days(conn: sqlite3.Connection, first: dt.date, days: int, per_day: int, *,
               tz: str = "Europe/Madrid", seed: int = 1, batch_days: int = 7) -> int:
    """Write ``days`` branch days from ``first`` with about ``per_day`` tickets each;
    returns the number of tickets written. Commits every ``batch_days`` days."""
    rng = random.Random(seed)
    z = zone(tz)
    next_id = (conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]) + 1
    written = 0
    tickets, events, counter_rows = [], [], []

    def flush():
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO tickets (id, public_id, number, origin_service_id, service_id, day, seq,"
            " state, priority, prank, language, issued_at, queued_at, rank_at, front, counter_id,"
            " called_at, recalls, outcome, updated_at) VALUES"
            " (?,?,?,?,?,?,?,?,'normal',2,'en',?,?,?,0,?,?,?,?,?)", tickets)
        conn.executemany(
            "INSERT INTO ticket_events (ticket_id, action, at, service_id, counter_id,"
            " staff_username, from_state, to_state, data) VALUES (?,?,?,?,?,?,?,?,?)", events)
        conn.executemany("INSERT INTO counter_events (counter_code, action, at, staff_username)"
                         " VALUES (?,?,?,?)", counter_rows)
        # The per-day numbering goes on from the written tickets, so a ticket issued
        # later on one of these days gets the next number.
        conn.execute("INSERT INTO day_counters (service_code, day, last)"
                     " SELECT origin_service_id, day, max(seq) FROM tickets GROUP BY 1, 2"
                     " ON CONFLICT (service_code, day) DO UPDATE SET last = max(last, excluded.last)")
        conn.execute("COMMIT")
        tickets.clear()
        events.clear()
        counter_rows.clear()

    for d in range(days):
        day = first + dt.timedelta(days=d)
        if d and d % batch_days == 0:
            flush()
        if day.weekday() == 6:
            continue  # closed on Sundays
        opens = dt.datetime.combine(day, dt.time(9), tzinfo=z).astimezone(UTC)
        closes = dt.datetime.combine(day, dt.time(17), tzinfo=z).astimezone(UTC)
        for c, who in STAFF.items():
            counter_rows.append((c, "open", to_db(opens), who))
            counter_rows.append((c, "close", to_db(closes), who))
        seqs = dict.fromkeys(SERVICES, 0)
        n = max(1, int(rng.gauss(per_day, per_day * 0.1)))
        for _ in range(n):
            svc = rng.choices(SERVICES, weights=(5, 3, 2, 1))[0]
            # busier late morning: a triangular arrival time between 09:00 and 16:45
            at = opens + dt.timedelta(seconds=rng.triangular(0, 27900, 7200))
            seqs[svc] += 1
            tid, number = next_id, f"{svc}{seqs[svc]:03d}"
            next_id += 1
            evs, state, outcome, _, recalls = _visit(rng, tid, svc, at)
            called = next((e[2] for e in evs if e[1] == "call"), None)
            # An ended ticket is held by no counter (the lifecycle clears it).
            tickets.append((tid, uuid.UUID(int=rng.getrandbits(128)).hex, number, svc, evs[-1][3],
                            day.isoformat(), seqs[svc], state, to_db(at), to_db(at), to_db(at),
                            None, called, recalls, outcome, evs[-1][2]))
            events.extend(evs)
            written += 1
    flush()
    return written


def _visit(rng: random.Random, tid: int, svc: str, at: dt.datetime):
    """One ticket's events: (ticket, action, at, service, counter, staff, from, to, data)."""
    evs = []
    t = at

    def ev(action, service, counter, frm, to, data=None, after=0.0):
        nonlocal t
        t = t + dt.timedelta(seconds=after)
        staff = STAFF.get(counter) if counter else None
        evs.append((tid, action, to_db(t), service, counter, staff, frm, to,
                    json.dumps(data or {}, separators=(",", ":"))))

    ev("issue", svc, None, None, "waiting", {"number": svc, "seq": 1, "day": "", "priority": "normal"})
    if rng.random() < 0.03:
        ev("cancel", svc, None, "waiting", "cancelled", after=rng.expovariate(1 / 900))
        return evs, "cancelled", None, None, 0
    counters = [c for c, svcs in COUNTERS.items() if svc in svcs]
    counter = rng.choice(counters)
    ev("call", svc, counter, "waiting", "called", after=rng.expovariate(1 / 420))
    recalls = 0
    if rng.random() < 0.08:
        recalls = 1
        ev("recall", svc, counter, "called", "called", after=30)
    if rng.random() < 0.05:
        ev("no_show", svc, counter, "called", "no_show", after=60)
        return evs, "no_show", None, counter, recalls
    ev("start", svc, counter, "called", "serving", after=rng.uniform(10, 60))
    if rng.random() < 0.03:
        ev("park", svc, counter, "serving", "parked", after=rng.expovariate(1 / 120))
        ev("call", svc, counter, "parked", "called", after=rng.uniform(60, 300))
        ev("start", svc, counter, "called", "serving", after=10)
    if rng.random() < 0.06:
        other = rng.choice([s for s in SERVICES if s != svc])
        ev("transfer", other, counter, "serving", "waiting", {"to_service": other},
           after=rng.expovariate(1 / 240))
        svc = other
        counter = rng.choice([c for c, svcs in COUNTERS.items() if svc in svcs])
        ev("call", svc, counter, "waiting", "called", after=rng.expovariate(1 / 300))
        ev("start", svc, counter, "called", "serving", after=20)
    outcome = "resolved" if rng.random() < 0.85 else "follow_up"
    ev("finish", svc, counter, "serving", "done", {"outcome": outcome},
       after=rng.expovariate(1 / 300))
    if rng.random() < 0.15:
        ev("rate", svc, None, "done", "done",
           {"csat": rng.choice((2, 3, 4, 4, 5, 5)), "nps": rng.choice((3, 6, 7, 8, 9, 10, 10))},
           after=30)
    return evs, "done", outcome, counter, recalls
