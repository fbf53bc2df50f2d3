"""What the wait estimate reads from SQLite: the branch's queue now and recent visits.

:func:`branch_queue` builds the :class:`~servicepoint.domain.waits.BranchQueue`
the estimate plays forward; the unit of work (for the use cases) and the
screens' read models (:mod:`servicepoint.queries`) both call it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import statistics
from typing import Callable, Sequence

from .db import get_setting
from .domain.model import Ticket
from .domain.waits import DEFAULT_BREAK_S, BranchQueue, CounterNow
from .timeutil import from_db, to_db, zone

# (service, how many) -> the most recent visit lengths in seconds, oldest first
VisitLoader = Callable[[str, int], Sequence[float]]
VISIT_ENDS_SQL = "'finish','transfer','park','requeue','no_show'"
# Branch days of history that say what is usual at this time of day (arrivals, breaks).
PAST_DAYS = 10
# A counter that has not gone on its usual break this long after its usual time is
# not expected to go any more today.
BREAK_LATE_S = 3600.0


def visit_durations(conn: sqlite3.Connection, service: str, limit: int) -> list[float]:
    """The last ``limit`` visits of ``service`` (call to finish, transfer, park, requeue or
    no-show: how long a counter was taken up), in seconds, oldest first."""
    rows = conn.execute(
        "SELECT c.at AS called, (SELECT e.at FROM ticket_events e WHERE e.ticket_id = c.ticket_id"
        f"  AND e.id > c.id AND e.action IN ({VISIT_ENDS_SQL}) ORDER BY e.id LIMIT 1) AS ended"
        " FROM ticket_events c WHERE c.service_id = ? AND c.action = 'call'"
        " ORDER BY c.id DESC LIMIT ?", (service, limit)).fetchall()
    return [(from_db(r["ended"]) - from_db(r["called"])).total_seconds()
            for r in reversed(rows) if r["ended"]]


# Each whole ``tickets`` row of the waiting queue -> the Ticket built from it. Building
# each Ticket anew (times parsed, enums looked up) was most of a full read's time once a
# thousand people waited. The key is the whole row, so a ticket that changed is built
# again; Tickets are frozen, so threads share them. Replaced, never grown: one queue.
_built: dict[tuple, Ticket] = {}


@dataclasses.dataclass(frozen=True)
class Mirror:
    """The waiting tickets as they stood at queue revision ``revision`` (m014's counter)."""

    revision: int
    waiting: tuple[Ticket, ...]


# Database file -> the waiting queue read last. Every issue and every estimate needs the
# whole waiting queue; reading it (a thousand rows) for each made issuing slower the
# longer the queue. A mirror is only ever stored for a committed state, so one revision
# always means one queue. (Not so for a database file replaced under a running server,
# which SQLite's WAL does not allow anyway; nor with savepoints, which nothing uses: a
# rolled-back savepoint would let the revision come back to a number already played.)
_mirrors: dict[str, Mirror] = {}


def database_file(conn: sqlite3.Connection) -> str:
    """The file behind ``conn``'s main database ('' for an in-memory one)."""
    return conn.execute("PRAGMA database_list").fetchone()[2] or ""


def queue_revision(conn: sqlite3.Connection) -> int:
    """The queue revision ``conn`` sees: it moves with every write to a waiting ticket."""
    return conn.execute("SELECT n FROM queue_revision").fetchone()[0]


def mirror(path: str) -> Mirror | None:
    """The waiting queue last read from the database file ``path``, whatever its revision."""
    return _mirrors.get(path)


def keep_mirror(path: str, kept: Mirror) -> None:
    """Remember ``kept`` as the waiting queue of the database file ``path``. Only for a
    state that is committed."""
    if path:
        _mirrors[path] = kept


def waiting_tickets(conn: sqlite3.Connection) -> tuple[Ticket, ...]:
    """The branch's waiting tickets (in no particular order): the mirror when the queue
    revision has not moved since it was read, else read again (and mirrored when the read
    saw one committed state)."""
    path = database_file(conn)
    before = queue_revision(conn)
    kept = _mirrors.get(path)
    if kept is not None and kept.revision == before:
        return kept.waiting
    waiting = read_waiting(conn)
    # Outside a transaction each statement sees the newest commit: the rows belong to
    # ``before`` only if no commit came between. Inside one, the rows may be uncommitted.
    if not conn.in_transaction and queue_revision(conn) == before:
        keep_mirror(path, Mirror(before, waiting))
    return waiting


def read_waiting(conn: sqlite3.Connection) -> tuple[Ticket, ...]:
    """The branch's waiting tickets read from their rows, reusing the Tickets built from
    rows that have not changed since the previous read."""
    global _built
    from .uow import TICKET_COLUMNS, row_to_ticket  # the unit of work imports this module

    built, fresh = _built, {}
    for row in conn.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'waiting'"):
        key = tuple(row)
        ticket = built.get(key)
        fresh[key] = ticket if ticket is not None else row_to_ticket(row)
    _built = fresh
    return tuple(fresh.values())


class TransactionQueue:
    """The waiting queue as one write transaction on ``conn`` sees it, and the queue to keep
    once it commits: :meth:`begin` right after BEGIN, :meth:`added` for each ticket it
    inserts, :meth:`commit` after COMMIT (under the in-process write lock)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._file: str | None = None
        self._revision = 0
        self._added: list[Ticket] = []
        self._pending: Mirror | None = None

    def file(self) -> str:
        if self._file is None:
            self._file = database_file(self.conn)
        return self._file

    def begin(self) -> None:
        self._revision, self._added, self._pending = queue_revision(self.conn), [], None

    def added(self, ticket: Ticket) -> None:
        """``ticket`` (as its row reads) was inserted waiting by this transaction."""
        self._added.append(ticket)

    def waiting(self) -> tuple[Ticket, ...]:
        """The waiting tickets: when this transaction has only added tickets to the kept
        queue it began with, that queue plus them, else read; kept once it commits."""
        now = queue_revision(self.conn)
        kept = mirror(self.file())
        if (kept is not None and kept.revision == self._revision
                and now == self._revision + len(self._added)):
            waiting = kept.waiting + tuple(self._added)
        else:
            waiting = read_waiting(self.conn)
        self._pending = Mirror(now, waiting)
        return waiting

    def commit(self) -> None:
        """Keep the queue this transaction played, unless something changed it since."""
        pending, self._pending = self._pending, None
        try:
            if pending is not None and queue_revision(self.conn) == pending.revision:
                keep_mirror(self.file(), pending)
        except sqlite3.Error:
            pass  # the commit stands; the next estimate reads the queue instead

    def end(self) -> None:
        self._pending = None


def branch_queue(conn: sqlite3.Connection, now: dt.datetime,
                 visits: Callable[[str], Sequence[float]],
                 waiting: tuple[Ticket, ...] | None = None) -> BranchQueue:
    """The whole branch's queue at ``now``: waiting tickets, open counters and what they
    hold and when each usually takes its break, each active service's recent visits
    (through ``visits``), weights and defaults, and the arrivals (all, and priority ones)
    to expect per service: the last hour's, halfway to what past days' next hour brought."""
    if waiting is None:
        waiting = waiting_tickets(conn)
    tz = zone(get_setting(conn, "timezone", "UTC") or "UTC")
    counters = counters_now(conn, breaks_due(conn, now, tz))
    services = conn.execute("SELECT code, default_service_s, weight FROM services WHERE active"
                            ).fetchall()
    hour_ago = now - dt.timedelta(hours=1)
    # A rising queue is seen in the last 20 minutes before the last hour shows it.
    hour = arrivals_between(conn, hour_ago, now)
    recent = arrivals_between(conn, now - dt.timedelta(minutes=20), now)
    last = {s: (max(n, 3 * recent.get(s, (0, 0))[0]), max(p, 3 * recent.get(s, (0, 0))[1]))
            for s, (n, p) in hour.items()}
    # The last hour alone misses a peak that is about to come and overrates a few
    # minutes' bunching: halfway to what the next hour usually brings on past days.
    usual = usual_arrivals(conn, now, tz)
    arrivals = [(s, *_halfway(last.get(s, (0, 0)), usual.get(s, (0, 0)))) if usual
                else (s, *last[s]) for s in set(last) | set(usual)]
    return BranchQueue(
        now=now, waiting=waiting, counters=counters,
        visits={r[0]: tuple(visits(r[0])) for r in services},
        defaults={r[0]: float(r[1]) for r in services},
        weights={r[0]: float(r[2]) for r in services},
        priority_per_hour={r[0]: float(r[2]) for r in arrivals},
        arrivals_per_hour={r[0]: float(r[1]) for r in arrivals},
        break_s=typical_break(conn))


def counters_now(conn: sqlite3.Connection, breaks: dict[str, float]) -> tuple[CounterNow, ...]:
    """The open counters and those on a break: what each serves, the ticket it holds (its
    service and call time) or since when it rests, and (``breaks``) when its usual break
    is due."""
    served: dict[str, list[str]] = {}
    resting: dict[str, dt.datetime] = {}
    for code, service, state, changed in conn.execute(
            "SELECT cs.counter_code, cs.service_code, c.state, c.changed_at FROM counter_services cs"
            " JOIN counters c ON c.code = cs.counter_code WHERE c.state IN ('open', 'break')"
            " ORDER BY cs.counter_code, cs.position"):
        served.setdefault(code, []).append(service)
        if state == "break" and changed:
            resting[code] = from_db(changed)
    holding = {r[0]: (r[1], from_db(r[2])) for r in conn.execute(
        "SELECT counter_id, service_id, called_at FROM tickets"
        " WHERE state IN ('called', 'serving') AND counter_id IS NOT NULL")}
    return tuple(
        CounterNow(code, tuple(services), None, resting[code], on_break=True) if code in resting
        else CounterNow(code, tuple(services), *holding.get(code, (None, None)),
                        break_in=breaks.get(code))
        for code, services in served.items())


def arrivals_between(conn: sqlite3.Connection, since: dt.datetime,
                     until: dt.datetime) -> dict[str, tuple[int, int]]:
    """Per origin service, the tickets (all, and priority or appointment ones) issued from
    ``since`` to ``until``: the partial first minute counted from the tickets themselves,
    the minutes after it from ``arrivals_by_minute`` (so ``until``'s own minute counts
    whole: a ticket issued a moment after ``until`` has arrived too)."""
    start, end = to_db(since), to_db(until)
    first, last = start[:16], end[:16]
    counts: dict[str, tuple[int, int]] = {}
    # "~" sorts after every character of a stored time: the rest of the first minute.
    for service, n, priority in conn.execute(
            "SELECT origin_service_id, count(*), sum(priority != 'normal') FROM tickets"
            " WHERE issued_at >= ? AND issued_at <= ? GROUP BY origin_service_id",
            (start, min(end, first + "~"))).fetchall() + conn.execute(
            "SELECT service, sum(n), sum(priority) FROM arrivals_by_minute"
            " WHERE minute > ? AND minute <= ? GROUP BY service", (first, last)).fetchall():
        had = counts.get(service, (0, 0))
        counts[service] = (had[0] + n, had[1] + priority)
    return counts


def _halfway(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0


def typical_break(conn: sqlite3.Connection, sample: int = 20) -> float:
    """The median length of the branch's last ``sample`` breaks (break to resume), in seconds."""
    lengths = [(from_db(r[1]) - from_db(r[0])).total_seconds() for r in conn.execute(
        "SELECT b.at, (SELECT e.at FROM counter_events e WHERE e.counter_code = b.counter_code"
        "  AND e.id > b.id AND e.action IN ('resume', 'open', 'close') ORDER BY e.id LIMIT 1)"
        " FROM counter_events b WHERE b.action = 'break' ORDER BY b.id DESC LIMIT ?", (sample,))
        if r[1]]
    return statistics.median(lengths) if lengths else DEFAULT_BREAK_S


def _past_days(conn: sqlite3.Connection, today: str) -> list[str]:
    """The last :data:`PAST_DAYS` branch days before ``today`` that had tickets, newest first."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT day FROM tickets WHERE day < ? ORDER BY day DESC LIMIT ?",
        (today, PAST_DAYS))]


def usual_arrivals(conn: sqlite3.Connection, now: dt.datetime,
                   tz: dt.tzinfo) -> dict[str, tuple[float, float]]:
    """Per service, the tickets (all, and priority or appointment ones) issued in the hour
    after this time of day, on average over the past branch days; empty without history."""
    local = now.astimezone(tz)
    days = _past_days(conn, local.date().isoformat())
    if not days:
        return {}
    windows: list[str] = []
    for day in days:
        start = dt.datetime.combine(dt.date.fromisoformat(day), local.time(), tzinfo=tz)
        windows += [day, to_db(start), to_db(start + dt.timedelta(hours=1))]
    where = " OR ".join(["(day = ? AND issued_at >= ? AND issued_at < ?)"] * len(days))
    return {r[0]: (r[1] / len(days), r[2] / len(days)) for r in conn.execute(
        "SELECT origin_service_id, count(*), sum(priority != 'normal') FROM tickets"
        f" WHERE {where} GROUP BY origin_service_id", windows)}


def breaks_due(conn: sqlite3.Connection, now: dt.datetime, tz: dt.tzinfo) -> dict[str, float]:
    """Seconds from ``now`` until each counter's usual break (the median time of day it
    went on one over the past branch days), for counters that have not had it today; 0
    when it is due already, none once it is :data:`BREAK_LATE_S` overdue."""
    local = now.astimezone(tz)
    today = local.date()
    days = set(_past_days(conn, today.isoformat()))
    if not days:
        return {}
    oldest = dt.datetime.combine(dt.date.fromisoformat(min(days)), dt.time(0), tzinfo=tz)
    starts: dict[str, dict[dt.date, float]] = {}
    taken: set[str] = set()
    # Newest first, reading back only as far as the oldest day that counts.
    for code, at in conn.execute(
            "SELECT counter_code, at FROM counter_events WHERE action = 'break' ORDER BY id DESC"):
        when = from_db(at).astimezone(tz)
        if when < oldest:
            break
        if when.date() == today:
            taken.add(code)
        elif when.date().isoformat() in days:
            midnight = dt.datetime.combine(when.date(), dt.time(0), tzinfo=tz)
            # The first break of the day is the usual one (events come newest first).
            starts.setdefault(code, {})[when.date()] = (when - midnight).total_seconds()
    out = {}
    midnight = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    for code, by_day in starts.items():
        if code in taken:
            continue
        due = midnight + dt.timedelta(seconds=statistics.median(by_day.values()))
        gap = (due - now).total_seconds()
        if gap > -BREAK_LATE_S:
            out[code] = max(0.0, gap)
    return out
