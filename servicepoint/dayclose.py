"""Closing the branch day, and the scheduler that does it inside ``servicepoint serve``.

At the branch's closing time every waiting, called or parked ticket of that
day (and of any earlier day) expires; ticket numbers start again at 1 the next
branch day because they are counted per service and day. Each close is
recorded in ``day_closes``: the scheduler closes a day once, a close missed
while the server was off is caught up when it starts, and closing again by
hand is harmless (it expires only what is still open).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
import threading
from typing import Callable

from . import upkeep_store
from .domain import lifecycle, upkeep
from .domain.model import Action
from .ports import Clock, Notify
from .setup_store import insert_audit, read_settings
from .timeutil import branch_day, zone
from .uow import SqliteUnitOfWork

log = logging.getLogger(__name__)


def _noop(topic: str) -> None:
    return None


@dataclasses.dataclass
class UpkeepPorts:
    """What the day close and retention need: the database they keep, a clock, the
    branch's time zone (which decides the branch day) and the live notifier."""

    conn: sqlite3.Connection
    clock: Clock
    timezone: str = "UTC"
    notify: Notify = _noop


@dataclasses.dataclass(frozen=True)
class CloseResult:
    day: str
    expired: int
    trigger: str


def close_day(ports: UpkeepPorts, *, day: str | None = None, trigger: str = "manual",
              actor: str | None = None) -> CloseResult:
    """Expire every open ticket of branch day ``day`` (default: today) and earlier.

    ``trigger`` says who asked (schedule, start-up, midnight, manual, cli);
    ``actor`` (a person) also writes an audit entry. Raises ValueError for a
    malformed day.
    """
    now = ports.clock.now()
    day = day or branch_day(now, ports.timezone)
    following = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    with SqliteUnitOfWork(ports.conn, ports.timezone) as uow:
        tickets = uow.open_tickets_before(following)
        for ticket in tickets:
            new, event = lifecycle.apply(ticket, Action.EXPIRE, now)
            uow.save_ticket(new, ticket.state, now)
            uow.add_event(event)
        # In the same transaction: the close is recorded exactly when its tickets expired.
        upkeep_store.record_close(ports.conn, day, now, len(tickets), trigger)
        if actor is not None:
            insert_audit(ports.conn, at=now, actor=actor, action="close", entity="day", key=day,
                         before=None, after={"expired": len(tickets), "trigger": trigger})
    if tickets:
        ports.notify("queue")
    return CloseResult(day, len(tickets), trigger)


def close_due(ports: UpkeepPorts, *, trigger: str = "schedule") -> CloseResult | None:
    """Close the latest day whose closing time has passed, unless it closed since then.

    (A close by hand earlier in the day does not count: tickets issued after it
    still expire at closing time.)
    """
    settings = read_settings(ports.conn)
    tz = zone(ports.timezone)
    due = upkeep.last_due_close(ports.clock.now(), settings.closing_time, tz)
    if upkeep_store.is_closed(ports.conn, due,
                              upkeep.closing_instant(due, settings.closing_time, tz)):
        return None
    return close_day(ports, day=due, trigger=trigger)


class DayCloseScheduler:
    """A daemon thread that closes days on time and runs retention once a day.

    ``tick()`` does one round and is what tests call with a fixed clock; the
    thread calls it at start (catching up a close missed while the server was
    off) and then every ``interval_s``.
    """

    def __init__(self, make_ports: Callable[[], UpkeepPorts], interval_s: float = 20.0):
        self.make_ports = make_ports
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swept_day: str | None = None
        self._ports: UpkeepPorts | None = None

    def tick(self, trigger: str = "schedule") -> list:
        """One round: the due close; once per branch day, leftovers and retention."""
        from .retention import run_retention

        if self._ports is None:
            self._ports = self.make_ports()
        ports = self._ports
        done: list = []
        closed = close_due(ports, trigger=trigger)
        if closed is not None:
            done.append(closed)
        today = branch_day(ports.clock.now(), ports.timezone)
        if self._swept_day != today:
            # Tickets issued after an earlier day's close (or by a clock jump) must not
            # stay in today's queues with yesterday's numbers.
            yesterday = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()
            if SqliteUnitOfWork(ports.conn).open_tickets_before(today):
                done.append(close_day(ports, day=yesterday, trigger="midnight"))
            done.append(run_retention(ports))
            self._swept_day = today
        return done

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="day-close", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        trigger = "start-up"
        while True:
            try:
                for result in self.tick(trigger):
                    log.info("day close / retention: %s", result)
            except Exception:  # a locked database or a bad setting: try again next round
                log.exception("day close failed")
                # A fresh connection next round: SQLite keeps a database read-only for the
                # whole process while any connection that found it so stays open.
                if self._ports is not None:
                    self._ports.conn.close()
                    self._ports = None
            trigger = "schedule"
            if self._stop.wait(self.interval_s):
                break
        if self._ports is not None:
            self._ports.conn.close()


def start_for_app(app, interval_s: float = 20.0) -> DayCloseScheduler:
    """Start the scheduler for a served app: its database, clock, time zone and broadcaster."""
    from .db import connect

    ext = app.extensions["servicepoint"]

    def make_ports() -> UpkeepPorts:
        return UpkeepPorts(conn=connect(app.config["DATABASE"]), clock=ext["clock"],
                           notify=ext["broadcaster"].publish, timezone=app.config["TIMEZONE"])

    scheduler = DayCloseScheduler(make_ports, interval_s)
    scheduler.start()
    return scheduler
