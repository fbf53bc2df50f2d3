"""``reports rebuild`` in SQL: the summaries of every ended ticket, recomputed inside SQLite.

The rules are those of ``domain.summary`` (which the server applies to each ticket as
it ends), expressed over each event and the one after it: under the lifecycle a wait
segment (issue, requeue, transfer) is always closed by the very next event (call,
cancel, expiry) and a service span (start) by the next one too (finish, transfer,
park, requeue). Window functions give that next event, so a million tickets are
summed by SQLite's engine rather than one by one in Python; the tests check that
both ways give the same rows. Work goes a month of branch days at a time, so the
temporary tables stay small.
"""
from __future__ import annotations

import datetime as dt
import sqlite3

from .domain.model import TERMINAL_STATES
from .domain.summary import FIELDS, MAXIMA, RATIO
from .timeutil import zone

FINAL = ",".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES))


def _micros(col: str) -> str:
    """Microseconds since 1970 of a stored time (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, UTC)."""
    return (f"(CAST(round((julianday(substr({col}, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"
            f" * 1000000 + CAST(substr({col}, 21, 6) AS INTEGER))")


_EVENTS = """
CREATE TEMP TABLE rb_ev AS
SELECT slot, eid, tid, a, svc, ctr, stf, data, us,
       lead(a) OVER w AS na, lead(us) OVER w AS nus, lead(ctr) OVER w AS nctr,
       lead(stf) OVER w AS nstf, lag(a) OVER w AS pa, lag(svc) OVER w AS psvc,
       lag(ctr) OVER w AS pctr, lag(stf) OVER w AS pstf,
       sum(a = 'call') OVER so_far AS calls_so_far,
       sum(a = 'transfer') OVER so_far AS moved,
       coalesce(s.target_wait_s, 600) AS target
FROM (SELECT t.slot AS slot, e.id AS eid, e.ticket_id AS tid, e.action AS a,
             e.service_id AS svc, coalesce(e.counter_id, '') AS ctr,
             coalesce(e.staff_username, '') AS stf, e.data AS data, %s AS us
      FROM rb_t t JOIN ticket_events e ON e.ticket_id = t.id)
LEFT JOIN services s ON s.code = svc
WINDOW w AS (PARTITION BY tid ORDER BY eid),
       so_far AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
""" % _micros("e.at")
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
_FACTS = "CREATE TEMP TABLE rb_facts AS " + " UNION ALL ".join([
    # what each event counts where it happened
    _fact("CASE WHEN a = 'rate' OR (a = 'transfer' AND pa = 'start') THEN psvc ELSE svc END",
          "CASE a WHEN 'issue' THEN '' WHEN 'rate' THEN pctr ELSE ctr END",
          "CASE a WHEN 'issue' THEN '' WHEN 'rate' THEN pstf ELSE stf END", "NULL", "NULL",
          "a IN ('issue', 'call', 'recall', 'finish', 'no_show', 'cancel', 'expire', 'transfer',"
          " 'rate')",
          issued="(a = 'issue')", called_tickets="(a = 'call' AND calls_so_far = 1)",
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
    # a wait segment ended by a call: the calling counter's and staff member's
    _fact("svc", "nctr", "nstf", "'wait'", _WAIT,
          "a IN ('issue', 'requeue', 'transfer') AND na = 'call'",
          called="1", wait_sum=_WAIT, wait_max=_WAIT, sl_n="1", sl_hit=f"({_WAIT} <= target)"),
    # a segment left uncalled past its target: a miss with no counter
    _fact("svc", "''", "''", "NULL", "NULL",
          f"a IN ('issue', 'requeue', 'transfer') AND na IN ('cancel', 'expire')"
          f" AND {_WAIT} > target", sl_n="1"),
    # a service span: whoever started it
    _fact("svc", "ctr", "stf", "'service'", _SPAN,
          "a = 'start' AND na IN ('finish', 'transfer', 'park', 'requeue')",
          served="1", service_sum=_SPAN, service_max=_SPAN),
])
_AGG = ", ".join(f"max({f})" if f in MAXIMA else f"sum({f})" for f in FIELDS)
_HOURS = (f"INSERT INTO report_hours (day, hour, service, counter, staff, {', '.join(FIELDS)})"
          f" SELECT substr(slot, 1, 10), CAST(substr(slot, 12, 2) AS INTEGER), service, counter,"
          f" staff, {_AGG} FROM rb_facts WHERE true GROUP BY slot, service, counter, staff"
          " ON CONFLICT (day, hour, service, counter, staff) DO UPDATE SET "
          + ", ".join(f"{f} = max({f}, excluded.{f})" if f in MAXIMA else f"{f} = {f} + excluded.{f}"
                      for f in FIELDS))
_BUCKET = f"CASE WHEN seconds < 1.0 THEN 0 ELSE 1 + CAST(ln(seconds) / ln({RATIO}) AS INTEGER) END"


def _hist(period: str, rollup: bool = False) -> str:
    """Histogram rows per ``period``; ``rollup``: the "*" rows summing counters and staff."""
    who = "'*', '*'" if rollup else "counter, staff"
    return ("INSERT INTO report_hist (period, kind, service, counter, staff, bucket, n, total)"
            f" SELECT {period}, kind, service, {who}, {_BUCKET} AS b, count(*), sum(seconds)"
            " FROM rb_facts WHERE kind IS NOT NULL"
            f" GROUP BY {period}, kind, service, {who}, b"
            " ON CONFLICT (period, kind, service, counter, staff, bucket)"
            " DO UPDATE SET n = n + excluded.n, total = total + excluded.total")


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


def rebuild_sql(conn: sqlite3.Connection, timezone: str) -> int:
    """Recompute every summary from ``ticket_events`` (inside the caller's transaction);
    returns how many ended tickets it read."""
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
    conn.execute("DELETE FROM report_hours")
    conn.execute("DELETE FROM report_hist")
    read = 0
    for first, last in _months(conn):
        _drop(conn)
        conn.execute(_TICKETS, (first, last))
        read += conn.execute("SELECT count(*) FROM rb_t").fetchone()[0]
        conn.execute(_EVENTS)
        conn.execute(_FACTS)
        conn.execute(_HOURS)
        for period in ("substr(slot, 1, 10)", "substr(slot, 1, 7)"):
            conn.execute(_hist(period))
            conn.execute(_hist(period, rollup=True))
    _drop(conn)
    return read


def _drop(conn: sqlite3.Connection) -> None:
    for table in ("rb_t", "rb_ev", "rb_facts"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
