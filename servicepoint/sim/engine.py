"""Plays branch days through the real use cases and storage on a simulated clock.

Customers arrive (Poisson, per service, with the hour's rate), take a ticket
through :func:`~servicepoint.usecases.issue_ticket`, and the wait they are shown
is noted. Clerks call through :func:`~servicepoint.usecases.call_next`,
recall, mark no-shows, start, finish, transfer and take breaks through the same
use cases the counter screen uses. Nothing sleeps: the clock jumps from one
event to the next, so a simulated month takes seconds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import random
import sqlite3
from typing import Any

from ..domain.model import DomainError
from ..servicetimes import ServiceTimeCache
from ..timeutil import UTC, zone
from ..uow import SqliteUnitOfWork, sqlite_ports
from ..usecases import act, call_next, expire_day, issue_ticket, set_counter
from .scenario import Scenario, arrival_offsets, branch_days, profile_factor, service_time


class SimClock:
    """The simulation's clock: it stands still until the engine moves it."""

    def __init__(self, start: dt.datetime):
        self.at = start

    def now(self) -> dt.datetime:
        return self.at


@dataclasses.dataclass
class Shown:
    """What one customer was told at the kiosk, and when they were called."""

    ticket_id: int
    service: str
    issued_at: dt.datetime
    point_s: int | None  # None: "no counter open" was shown instead of a wait
    low_s: int | None
    high_s: int | None
    naive_s: float
    called_at: dt.datetime | None = None

    @property
    def wait_s(self) -> float | None:
        """Seconds from the ticket to its first call; None when never called."""
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds()


STAFF_PRIORITY = "reception"  # who issues priority tickets at the reception desk


class Simulation:
    """One run of a :class:`Scenario` on a database that already holds the branch's setup."""

    def __init__(self, conn: sqlite3.Connection, scenario: Scenario):
        self.sc = scenario
        self.rng = random.Random(scenario.seed)
        self.clock = SimClock(dt.datetime(2000, 1, 1, tzinfo=UTC))
        # Recent visits are read again every 30 simulated seconds (the server: 5 s, but it
        # answers many screens in between; here every read would be a query).
        self.ports = sqlite_ports(conn, self.clock, stats=ServiceTimeCache(ttl_s=30.0),
                                  timezone=scenario.timezone)
        reader = SqliteUnitOfWork(conn)
        self.serves = {c: reader.counter_services(c) for c in scenario.counters}
        self.plans = {p.code: p for p in scenario.services}
        self.state = {c: "closed" for c in scenario.counters}  # idle | busy | break | closed
        self.shown: dict[int, Shown] = {}
        self._events: list[tuple[dt.datetime, int, str, tuple]] = []
        self._seq = itertools.count()
        self._closing: dt.datetime | None = None
        self._break_due: dict[str, dt.datetime] = {}
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None

    # -- the run ----------------------------------------------------------------------
    def run(self) -> list[Shown]:
        """Play every day of the scenario; returns what each customer was shown."""
        days = branch_days(self.sc.first_day, 1 if self.sc.continuous else self.sc.days,
                           weekdays_only=not self.sc.continuous)
        for day in days:
            self._play_day(day)
        return list(self.shown.values())

    def _play_day(self, day: dt.date) -> None:
        tz = zone(self.sc.timezone)
        opening = dt.datetime.combine(day, self.sc.open_at, tzinfo=tz).astimezone(UTC)
        hours = self.sc.days * 24.0 if self.sc.continuous else self.sc.hours
        closing = opening + dt.timedelta(hours=hours)
        self.first = self.first or opening
        self._closing = closing
        self.clock.at = opening
        for code in self.sc.counters:
            self._push(opening, "open", code)
        self._push(closing, "closing")
        self._plan_breaks(opening, hours)
        for plan in self.sc.services:
            self._plan_arrivals(plan, opening, hours)
        while self._events:
            at, _, kind, args = heapq.heappop(self._events)
            self.clock.at = at
            getattr(self, "_on_" + kind)(*args)
        # Whoever is still in the building is served; what is left ends with the day.
        self.last = self.clock.at
        expire_day(self.ports, before_day=(day + dt.timedelta(days=1)).isoformat())

    def _push(self, at: dt.datetime, kind: str, *args: Any) -> None:
        heapq.heappush(self._events, (at, next(self._seq), kind, args))

    def _plan_arrivals(self, plan, opening: dt.datetime, hours: float) -> None:
        """Poisson arrivals with the hour's rate (thinning a process at the peak rate)."""
        whole = max(1, int(round(hours)))
        factors = [profile_factor(self.sc.profile, h, whole) for h in range(whole)]
        for t in arrival_offsets(self.rng, plan.arrivals_per_hour, factors, hours):
            self._push(opening + dt.timedelta(seconds=t), "arrive", plan.code)

    def _plan_breaks(self, opening: dt.datetime, hours: float) -> None:
        """Breaks staggered around mid-day, so the counters never all leave at once."""
        self._break_due = {}
        if not self.sc.behaviour.breaks or hours < 5 or self.sc.continuous:
            return
        n = len(self.sc.counters)
        first = opening + dt.timedelta(hours=hours / 2 - 1.5)
        for i, code in enumerate(self.sc.counters):
            self._break_due[code] = first + dt.timedelta(hours=3.0 * i / max(1, n))

    # -- customers ----------------------------------------------------------------------
    def _on_arrive(self, service: str) -> None:
        b = self.sc.behaviour
        priority = "priority" if self.rng.random() < b.priority_p else "normal"
        try:
            result = issue_ticket(self.ports, service=service, priority=priority,
                                  staff=STAFF_PRIORITY if priority == "priority" else None)
        except DomainError:
            return  # outside the service's opening hours: nobody gets a ticket
        est = result.estimate
        open_now = sum(1 for c, s in self.state.items()
                       if s in ("idle", "busy") and service in self.serves[c])
        naive = result.people_ahead * self.plans[service].default_service_s / max(1, open_now)
        no_counter = getattr(est, "no_counter", False)
        assert result.ticket.id is not None
        self.shown[result.ticket.id] = Shown(
            result.ticket.id, service, self.clock.at,
            None if no_counter else est.point_s, None if no_counter else est.low_s,
            None if no_counter else est.high_s, naive)
        self._wake(service)

    def _wake(self, service: str) -> None:
        """An idle counter serving ``service`` calls the newcomer."""
        idle = [c for c, s in self.state.items() if s == "idle" and service in self.serves[c]]
        if idle:
            self._call(self.rng.choice(idle))

    # -- counters ------------------------------------------------------------------------
    def _on_open(self, counter: str) -> None:
        set_counter(self.ports, counter=counter, move="open")
        self.state[counter] = "idle"
        self._free(counter)

    def _free(self, counter: str) -> None:
        """The counter has nobody: a break when one is due, else the next customer."""
        due = self._break_due.get(counter)
        if due is not None and self.clock.at >= due:
            del self._break_due[counter]
            set_counter(self.ports, counter=counter, move="break",
                        reason=self._break_reason())
            self.state[counter] = "break"
            self._push(self.clock.at + dt.timedelta(seconds=self.sc.behaviour.break_s),
                       "resume", counter)
            return
        self._call(counter)

    def _break_reason(self) -> str | None:
        reasons = self.ports.uow().setting("break_reasons", None)
        return reasons[0] if reasons else None

    def _on_closing(self) -> None:
        """The last ticket is out: idle counters close (busy ones when their queue is empty)."""
        for counter, state in self.state.items():
            if state == "idle":
                set_counter(self.ports, counter=counter, move="close")
                self.state[counter] = "closed"

    def _on_resume(self, counter: str) -> None:
        set_counter(self.ports, counter=counter, move="resume")
        self.state[counter] = "idle"
        self._call(counter)

    def _call(self, counter: str) -> None:
        ticket = call_next(self.ports, counter=counter)
        if ticket is None:
            assert self._closing is not None
            if self.clock.at >= self._closing:
                set_counter(self.ports, counter=counter, move="close")
                self.state[counter] = "closed"
            else:
                self.state[counter] = "idle"
            return
        self.state[counter] = "busy"
        assert ticket.id is not None
        shown = self.shown.get(ticket.id)
        if shown is not None and shown.called_at is None:
            shown.called_at = self.clock.at
        b, now, r = self.sc.behaviour, self.clock.at, self.rng.random()
        later = dt.timedelta(seconds=b.recall_after_s)
        if r < b.no_show_p:
            self._push(now + later, "recall", counter, ticket.id)
            self._push(now + 2 * later, "no_show", counter, ticket.id)
        elif r < b.no_show_p + b.recall_p:
            self._push(now + later, "recall", counter, ticket.id)
            self._push(now + later + dt.timedelta(seconds=b.walk_s), "come", counter, ticket.id)
        else:
            self._push(now + dt.timedelta(seconds=b.walk_s), "come", counter, ticket.id)

    def _on_recall(self, counter: str, ticket_id: int) -> None:
        act(self.ports, ticket_id=ticket_id, action="recall", counter=counter)

    def _on_no_show(self, counter: str, ticket_id: int) -> None:
        act(self.ports, ticket_id=ticket_id, action="no_show", counter=counter)
        self._free(counter)

    def _on_come(self, counter: str, ticket_id: int) -> None:
        ticket = act(self.ports, ticket_id=ticket_id, action="start", counter=counter)
        plan = self.plans[ticket.service]
        mean = plan.mean_service_s
        if self.clock.at >= self._afternoon():
            mean *= 1.0 + self.sc.behaviour.afternoon_slowdown
        if plan.samples:
            seconds = self.rng.choice(plan.samples) * mean / plan.mean_service_s
        else:
            seconds = service_time(self.rng, mean, self.sc.distribution, self.sc.lognormal_cv)
        self._push(self.clock.at + dt.timedelta(seconds=seconds), "done", counter, ticket_id,
                   ticket.service)

    def _afternoon(self) -> dt.datetime:
        assert self._closing is not None
        hours = self.sc.days * 24.0 if self.sc.continuous else self.sc.hours
        return self._closing - dt.timedelta(hours=hours / 2)

    def _on_done(self, counter: str, ticket_id: int, service: str) -> None:
        others = [s for s in self.plans if s != service]
        if others and self.rng.random() < self.sc.behaviour.transfer_p:
            target = self.rng.choice(others)
            act(self.ports, ticket_id=ticket_id, action="transfer", counter=counter,
                service=target)
            self._free(counter)
            self._wake(target)
            return
        act(self.ports, ticket_id=ticket_id, action="finish", counter=counter)
        self._free(counter)
