"""``reports rebuild`` in SQL: the summaries of every ended ticket, recomputed inside SQLite.

The rules are those of ``domain.summary`` (which the server applies to each ticket as
it ends), expressed over each event and the one after it: under the lifecycle a wait
segment (issue, requeue, transfer) is always closed by the very next event (call,
cancel, expiry) and a service span (start) by the next one too (finish, transfer,
park, requeue). Events in ticket order give that next event, so a million tickets are
summed by SQLite's engine rather than one by one in Python; the tests check that
both ways give the same rows. Work goes a month of branch days at a time, so the
temporary tables stay small.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor

from .domain.model import TERMINAL_STATES
from .domain.summary import FIELDS, MAXIMA, RATIO
from .timeutil import zone

FINAL = ",".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES))


def _micros(col: str) -> str:
    """Microseconds since 1970 of a stored time (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, UTC)."""
    return (f"(CAST(round((julianday(substr({col}, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"
            f" * 1000000 + CAST(substr({col}, 21, 6) AS INTEGER))")


# The month's events in ticket order (the data of a finish or a rating only: nothing
# else reads it): rowid n+1 is the event after rowid n (when the
# ticket is the same), so "the next event" is a primary-key lookup. SQLite's window
# functions did the same three times slower.
_ORDERED = """
CREATE TEMP TABLE rb_o AS
SELECT t.slot AS slot, e.id AS eid, e.ticket_id AS tid, e.action AS a, e.service_id AS svc,
       coalesce(e.counter_id, '') AS ctr, coalesce(e.staff_username, '') AS stf,
       CASE WHEN e.action IN ('finish', 'rate') THEN e.data END AS data, %s AS us
FROM rb_t t CROSS JOIN ticket_events e ON e.ticket_id = t.id
ORDER BY e.ticket_id, e.id
""" % _micros("e.at")
# CROSS JOIN keeps the month's tickets the outer loop: left to itself the planner walks
# every event of the whole history through the ticket index, once per month.
# Each ticket's first call and first transfer.
_FIRSTS = ("CREATE TEMP TABLE rb_first (tid INTEGER PRIMARY KEY, first_call INTEGER,"
           " first_transfer INTEGER)")
_FIRSTS_FILL = ("INSERT INTO rb_first SELECT tid, min(CASE WHEN a = 'call' THEN eid END),"
                " min(CASE WHEN a = 'transfer' THEN eid END) FROM rb_o GROUP BY tid")
# Each event with the one after it (na, nus, nctr, nstf) and the one before (pa, psvc,
# pctr, pstf); first_call: the ticket's first call; moved: a transfer happened by then.
_EVENTS = """
CREATE TEMP TABLE rb_ev AS
SELECT o.slot AS slot, o.eid AS eid, o.tid AS tid, o.a AS a, o.svc AS svc, o.ctr AS ctr,
       o.stf AS stf, o.data AS data, o.us AS us,
       n.a AS na, n.us AS nus, n.ctr AS nctr, n.stf AS nstf,
       p.a AS pa, p.svc AS psvc, p.ctr AS pctr, p.stf AS pstf,
       (o.eid = f.first_call) AS first_call,
       coalesce(f.first_transfer <= o.eid, 0) AS moved,
       coalesce(s.target_wait_s, 600) AS target
FROM rb_o o
LEFT JOIN rb_o n ON n.rowid = o.rowid + 1 AND n.tid = o.tid
LEFT JOIN rb_o p ON p.rowid = o.rowid - 1 AND p.tid = o.tid
JOIN rb_first f ON f.tid = o.tid
LEFT JOIN services s ON s.code = o.svc
"""
# The month's ended tickets with their local day and hour of issue (one call per ticket).
_TICKETS = ("CREATE TEMP TABLE rb_t AS SELECT id, local_slot(issued_at) AS slot FROM tickets"
            f" WHERE state IN ({FINAL}) AND day BETWEEN ? AND ?")

# One row per fact: (slot, service, counter, staff, kind, seconds, <FIELDS>).
_ZERO = {name: "0" for name in FIELDS}


def _fact(service: str, counter: str, staff: str, kind: str, seconds: str, where: str,
          **fields: str) -> str:
    values = {**_ZERO, **fields}
    cols = ", ".join(f"{values[name]} AS {name}" for name in FIELDS)
    return (f"SELECT slot, {service} AS service, {counter} AS counter, {staff} AS staff,"
            f" {kind} AS kind, {seconds} AS seconds, {cols} FROM rb_ev WHERE {where}")


_WAIT = "(max(0, nus - us) / 1000000.0)"
_SPAN = "(max(0, nus - us) / 1000000.0)"
_CSAT = "json_extract(data, '$.csat')"
_NPS = "json_extract(data, '$.nps')"
# Each fact as a row (slot, service, counter, staff, kind, seconds, <FIELDS>), never stored:
# the hour sums and the day histograms read them as they are made.
# A wait segment ended by a call: the calling counter's and staff member's.
_WAIT_FACTS = _fact("svc", "nctr", "nstf", "'wait'", _WAIT,
                    "a IN ('issue', 'requeue', 'transfer') AND na = 'call'", called="1",
                    wait_sum=_WAIT, wait_max=_WAIT, sl_n="1", sl_hit=f"({_WAIT} <= target)")
# A service span: whoever started it.
_SERVICE_FACTS = _fact("svc", "ctr", "stf", "'service'", _SPAN,
                       "a = 'start' AND na IN ('finish', 'transfer', 'park', 'requeue')",
                       served="1", service_sum=_SPAN, service_max=_SPAN)
_FACTS = " UNION ALL ".join([
    # what each event counts where it happened
    _fact("CASE WHEN a = 'rate' OR (a = 'transfer' AND pa = 'start') THEN psvc ELSE svc END",
          "CASE a WHEN 'issue' THEN '' WHEN 'rate' THEN pctr ELSE ctr END",
          "CASE a WHEN 'issue' THEN '' WHEN 'rate' THEN pstf ELSE stf END", "NULL", "NULL",
          "a IN ('issue', 'call', 'recall', 'finish', 'no_show', 'cancel', 'expire', 'transfer',"
          " 'rate')",
          issued="(a = 'issue')", called_tickets="(a = 'call' AND first_call)",
          called_in_service="(a = 'call' AND eid IN (SELECT min(eid) FROM rb_ev"
                            " WHERE a = 'call' GROUP BY tid, svc))", recalls="(a = 'recall')",
          finished="(a = 'finish')",
          resolved="(a = 'finish' AND moved = 0 AND coalesce(json_extract(data, '$.outcome'),"
                   " 'resolved') = 'resolved')",
          no_shows="(a = 'no_show')", cancelled="(a = 'cancel')", expired="(a = 'expire')",
          transfers="(a = 'transfer')",
          csat_n=f"(a = 'rate' AND {_CSAT} IS NOT NULL)",
          csat_good=f"(a = 'rate' AND coalesce({_CSAT}, 0) >= 4)",
          nps_n=f"(a = 'rate' AND {_NPS} IS NOT NULL)",
          nps_pro=f"(a = 'rate' AND coalesce({_NPS}, -1) >= 9)",
          nps_det=f"(a = 'rate' AND {_NPS} IS NOT NULL AND {_NPS} <= 6)"),
    # a segment left uncalled past its target: a miss with no counter
    _fact("svc", "''", "''", "NULL", "NULL",
          f"a IN ('issue', 'requeue', 'transfer') AND na IN ('cancel', 'expire')"
          f" AND {_WAIT} > target", sl_n="1"),
    _WAIT_FACTS,
    _SERVICE_FACTS,
])
_AGG = ", ".join(f"max({f})" if f in MAXIMA else f"sum({f})" for f in FIELDS)
_HOURS_SELECT = (f"SELECT substr(slot, 1, 10), CAST(substr(slot, 12, 2) AS INTEGER), service,"
                 f" counter, staff, {_AGG} FROM ({_FACTS}) WHERE true"
                 " GROUP BY slot, service, counter, staff")
_COLS = ", ".join(FIELDS)
# Rows of several months may meet in one key (a local day that straddles two branch days).
_HOURS_MERGE = (" ON CONFLICT (day, hour, service, counter, staff) DO UPDATE SET "
                + ", ".join(f"{f} = max({f}, excluded.{f})" if f in MAXIMA
                            else f"{f} = {f} + excluded.{f}" for f in FIELDS))
_HIST_INSERT = "INSERT INTO report_hist (period, kind, service, counter, staff, bucket, n, total)"
_HIST_MERGE = (" ON CONFLICT (period, kind, service, counter, staff, bucket)"
               " DO UPDATE SET n = n + excluded.n, total = total + excluded.total")
_BUCKET = f"CASE WHEN seconds < 1.0 THEN 0 ELSE 1 + CAST(ln(seconds) / ln({RATIO}) AS INTEGER) END"


# The month's waits and service spans counted per day and bucket once; the day and
# month histograms, with and without the "*" rollup, are then sums of this small table
# instead of four passes over every fact.
_DAY_HIST = ("CREATE TEMP TABLE rb_dh AS SELECT substr(slot, 1, 10) AS day, kind, service, counter,"
             f" staff, {_BUCKET} AS b, count(*) AS n, sum(seconds) AS total"
             f" FROM ({_WAIT_FACTS} UNION ALL {_SERVICE_FACTS})"
             " GROUP BY day, kind, service, counter, staff, b")


def _hist_select(period: str, rollup: bool = False) -> str:
    """Histogram rows per ``period`` (of ``day``); ``rollup``: the "*" rows summing counters
    and staff."""
    who = "'*', '*'" if rollup else "counter, staff"
    return (f"SELECT {period} AS p, kind, service, {who}, b, sum(n), sum(total) FROM rb_dh"
            f" WHERE true GROUP BY p, kind, service, {who}, b")


_PERIODS = [(period, rollup) for period in ("day", "substr(day, 1, 7)") for rollup in (False, True)]


def _months(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(first, last) branch day of each month holding ended tickets."""
    lo, hi = conn.execute(f"SELECT min(day), max(day) FROM tickets WHERE state IN ({FINAL})"
                          ).fetchone()
    if lo is None:
        return []
    out, cursor, last = [], dt.date.fromisoformat(lo).replace(day=1), dt.date.fromisoformat(hi)
    while cursor <= last:
        following = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((cursor.isoformat(), (following - dt.timedelta(days=1)).isoformat()))
        cursor = following
    return out


def _prepare(conn: sqlite3.Connection, timezone: str) -> None:
    """Give ``conn`` the ``local_slot`` function (local "YYYY-MM-DD HH" of a stored instant)."""
    z = zone(timezone)
    memo: dict[str, str] = {}

    def local_slot(issued_at: str) -> str:
        key = issued_at[:16]  # the minute (zones with half-hour offsets exist)
        slot = memo.get(key)
        if slot is None:
            local = dt.datetime.fromisoformat(issued_at).astimezone(z)
            slot = memo[key] = local.strftime("%Y-%m-%d %H")
        return slot

    conn.create_function("local_slot", 1, local_slot, deterministic=True)
    # The month's temporary tables are small; in memory they cost no disk writes.
    conn.execute("PRAGMA temp_store = MEMORY")


def _compute_month(conn: sqlite3.Connection, first: str, last: str) -> int:
    """Fill the temporary tables of branch days [first, last] on ``conn``; returns how
    many ended tickets they hold."""
    _drop(conn)
    conn.execute(_TICKETS, (first, last))
    read = conn.execute("SELECT count(*) FROM rb_t").fetchone()[0]
    for sql in (_ORDERED, _FIRSTS, _FIRSTS_FILL, _EVENTS, _DAY_HIST):
        conn.execute(sql)
    return read


def rebuild_sql(conn: sqlite3.Connection, timezone: str, *, database: str | None = None,
                workers: int = 1) -> int:
    """Recompute every summary from ``ticket_events`` (inside the caller's transaction);
    returns how many ended tickets it read.

    With ``workers`` > 1 and the ``database`` file's path, months are computed by that
    many processes reading the last committed state (the caller's transaction must not
    have changed tickets or events) while this one writes their rows.
    """
    _prepare(conn, timezone)
    conn.execute("DELETE FROM report_hours")
    conn.execute("DELETE FROM report_hist")
    months = _months(conn)
    if workers > 1 and database and len(months) > 1:
        return _rebuild_in_processes(conn, database, timezone, months, workers)
    read = 0
    for first, last in months:
        read += _compute_month(conn, first, last)
        conn.execute(f"INSERT INTO report_hours (day, hour, service, counter, staff, {_COLS})"
                     f" {_HOURS_SELECT}{_HOURS_MERGE}")
        for period, rollup in _PERIODS:
            conn.execute(f"{_HIST_INSERT} {_hist_select(period, rollup)}{_HIST_MERGE}")
    _drop(conn)
    return read


_WORKER: dict[str, sqlite3.Connection] = {}


def _worker_start(database: str, timezone: str) -> None:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    _prepare(conn, timezone)
    _WORKER["conn"] = conn


def _month_rows(month: tuple[str, str]) -> tuple[int, list, list]:
    """In a worker: one month's ended tickets, report_hours rows and report_hist rows."""
    conn = _WORKER["conn"]
    read = _compute_month(conn, *month)
    hours = conn.execute(_HOURS_SELECT).fetchall()
    hist = [row for period, rollup in _PERIODS for row in conn.execute(_hist_select(period, rollup))]
    _drop(conn)
    return read, hours, hist


def _rebuild_in_processes(conn: sqlite3.Connection, database: str, timezone: str,
                          months: list[tuple[str, str]], workers: int) -> int:
    # Spawned, not forked: a forked child would inherit this process's open SQLite
    # connections, which SQLite forbids using across a fork.
    context = multiprocessing.get_context("spawn")
    read = 0
    with ProcessPoolExecutor(min(workers, len(months)), mp_context=context,
                             initializer=_worker_start, initargs=(database, timezone)) as pool:
        for n, hours, hist in pool.map(_month_rows, months):
            read += n
            conn.executemany(f"INSERT INTO report_hours (day, hour, service, counter, staff,"
                             f" {_COLS}) VALUES ({', '.join('?' * (5 + len(FIELDS)))})"
                             f"{_HOURS_MERGE}", hours)
            conn.executemany(f"{_HIST_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?){_HIST_MERGE}", hist)
    return read


def _drop(conn: sqlite3.Connection) -> None:
    for table in ("rb_t", "rb_o", "rb_first", "rb_ev", "rb_dh"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
