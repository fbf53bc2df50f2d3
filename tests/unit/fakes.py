"""An in-memory unit of work for the use-case unit tests (cosmicpython chapter 6 style).

:class:`FakeStore` is the "database": plain dicts and lists. Each
:class:`FakeUnitOfWork` works on one store; ``with uow:`` snapshots the store
and restores it when the block raises, so a refused use case leaves nothing
behind, as the SQLite transaction does. The queries mirror the SQLite ones in
``servicepoint/uow.py`` (queue order, people ahead, open counters).
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import tomllib
from typing import Any, Iterable

from servicepoint import demo
from servicepoint.domain.kpi import SERVICE_ENDS
from servicepoint.domain.model import (
    PRIORITY_RANK,
    Action,
    Counter,
    CounterState,
    Event,
    Kiosk,
    Printer,
    Priority,
    Service,
    State,
    Ticket,
)
from servicepoint.domain.printing import PrinterStatus
from servicepoint.domain.waits import BranchQueue, CounterNow
from servicepoint.ports import HELD_NOW, NotFound, Ports, PrintJobRecord
from servicepoint.servicetimes import ServiceTimeCache

VISIT_ENDS = SERVICE_ENDS | {Action.NO_SHOW}


def queue_key(t: Ticket) -> tuple:
    """The order of one service's queue: front first, priority class, rank time, issue order."""
    return (not t.front, PRIORITY_RANK[t.priority], t.rank_at, t.id)


@dataclasses.dataclass
class FakeStore:
    """Everything a branch stores, in memory."""

    services: dict[str, Service] = dataclasses.field(default_factory=dict)
    counters: dict[str, Counter] = dataclasses.field(default_factory=dict)
    served: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    kiosks: dict[str, Kiosk] = dataclasses.field(default_factory=dict)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    tickets: dict[int, Ticket] = dataclasses.field(default_factory=dict)
    meta: dict[int, dict] = dataclasses.field(default_factory=dict)  # public id, origin, key
    events: list[Event] = dataclasses.field(default_factory=list)
    counter_events: list[tuple] = dataclasses.field(default_factory=list)
    print_jobs: list[dict] = dataclasses.field(default_factory=list)
    day_counters: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    commits: int = 0

    @classmethod
    def demo(cls) -> "FakeStore":
        """The demo branch: services A–D, counters 1–6, kiosks K1 and K2 on one printer."""
        store = cls(settings={"branch_name": "Fake Branch"})
        branch = tomllib.loads(demo.demo_text())  # the file `init --demo` imports
        for svc in branch["services"]:
            store.services[svc["code"]] = Service(
                svc["code"], svc["names"], svc["enabled"], svc["default_service_s"],
                svc["target_wait_s"], svc["weight"], svc["sort"])
        for counter in branch["counters"]:
            store.counters[counter["code"]] = Counter(counter["code"], counter["name"],
                                                      location=counter.get("location", ""))
            store.served[counter["code"]] = list(counter["services"])
        printer = Printer(id=1, status=PrinterStatus.UNKNOWN)
        for device in branch["devices"]:
            if device["kind"] == "kiosk":
                store.kiosks[device["code"]] = Kiosk(device["code"], language=device["language"],
                                                     printer=printer)
        return store

    def state(self) -> dict:
        """Everything but the commit count, for before/after comparisons."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "commits"}


class FakeUnitOfWork:
    """Implements :class:`servicepoint.ports.UnitOfWork` on a :class:`FakeStore`."""

    def __init__(self, store: FakeStore):
        self.store = store
        self._snapshot: FakeStore | None = None

    def __enter__(self) -> "FakeUnitOfWork":
        if self._snapshot is not None:
            raise RuntimeError("a unit of work is not re-entrant")
        self._snapshot = copy.deepcopy(self.store)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        snapshot, self._snapshot = self._snapshot, None
        if exc_type is not None:
            for f in dataclasses.fields(FakeStore):
                setattr(self.store, f.name, getattr(snapshot, f.name))
        else:
            self.store.commits += 1

    # -- reference data
    def setting(self, key: str, default: Any = None) -> Any:
        return self.store.settings.get(key, default)

    def service(self, code: str) -> Service:
        if code not in self.store.services:
            raise NotFound("service", code)
        return self.store.services[code]

    def open_counters(self, service: str) -> int:
        return sum(1 for c in self.store.counters.values()
                   if c.state == CounterState.OPEN and service in self.store.served[c.code])

    def service_durations(self, service: str, limit: int) -> list[float]:
        out = []
        for i, ev in enumerate(self.store.events):
            if ev.service == service and ev.action == Action.START:
                end = next((e for e in self.store.events[i + 1:] if e.ticket_id == ev.ticket_id
                            and e.action in SERVICE_ENDS), None)
                out.append(None if end is None else (end.at - ev.at).total_seconds())
        return [d for d in out[-limit:] if d is not None]

    def kiosk(self, code: str) -> Kiosk | None:
        return self.store.kiosks.get(code)

    def counter(self, code: str) -> Counter:
        if code not in self.store.counters:
            raise NotFound("counter", code)
        return self.store.counters[code]

    def counter_services(self, code: str) -> list[str]:
        return list(self.store.served.get(code, []))

    def weights(self) -> dict[str, float]:
        return {code: s.weight for code, s in self.store.services.items()}

    # -- tickets
    def next_seq(self, service: str, day: str) -> int:
        key = (service, day)
        self.store.day_counters[key] = self.store.day_counters.get(key, 0) + 1
        return self.store.day_counters[key]

    def add_ticket(self, ticket: Ticket, *, public_id: str, device: str | None,
                   idempotency_key: str | None) -> Ticket:
        if idempotency_key is not None and any(m["key"] == idempotency_key
                                               for m in self.store.meta.values()):
            raise RuntimeError("UNIQUE constraint failed: tickets.idempotency_key")
        tid = len(self.store.tickets) + 1
        ticket = ticket.replace(id=tid)
        self.store.tickets[tid] = ticket
        self.store.meta[tid] = {"public_id": public_id, "origin": ticket.service,
                                      "device": device, "key": idempotency_key}
        return ticket

    def ticket(self, ticket_id: int) -> Ticket:
        if ticket_id not in self.store.tickets:
            raise NotFound("ticket", ticket_id)
        return self.store.tickets[ticket_id]

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        return next((t for t in self.store.tickets.values()
                     if t.day == day and t.number == number), None)

    def public_id(self, ticket_id: int) -> str:
        self.ticket(ticket_id)
        return self.store.meta[ticket_id]["public_id"]

    def ticket_by_idempotency_key(self, key: str) -> Ticket | None:
        found = [tid for tid, m in self.store.meta.items() if m["key"] == key]
        return self.store.tickets[found[0]] if found else None

    def origin_service(self, ticket_id: int) -> str:
        self.ticket(ticket_id)
        return self.store.meta[ticket_id]["origin"]

    def save_ticket(self, ticket: Ticket, expected_state: State, at: dt.datetime) -> None:
        stored = self.store.tickets.get(ticket.id or 0)
        if stored is None or stored.state != expected_state:
            raise RuntimeError(f"ticket {ticket.id} changed concurrently")
        self.store.tickets[stored.id or 0] = ticket

    def visit_durations(self, service: str, limit: int) -> list[float]:
        out = []
        for i, ev in enumerate(self.store.events):
            if ev.service == service and ev.action == Action.CALL:
                end = next((e for e in self.store.events[i + 1:] if e.ticket_id == ev.ticket_id
                            and e.action in VISIT_ENDS), None)
                out.append(None if end is None else (end.at - ev.at).total_seconds())
        return [d for d in out[-limit:] if d is not None]

    def waiting(self) -> tuple[Ticket, ...]:
        return tuple(self._waiting())

    def counters_now(self, breaks: dict[str, float]) -> tuple[CounterNow, ...]:
        open_ = [c for c in sorted(self.store.counters) if
                 self.store.counters[c].state in (CounterState.OPEN, CounterState.BREAK)]
        resting = {c: next((e[2] for e in reversed(self.store.counter_events)
                            if e[0] == c and e[1] == "break"), None)
                   for c in open_ if self.store.counters[c].state == CounterState.BREAK}
        held = {t.counter: t for t in self.store.tickets.values()
                if t.state in (State.CALLED, State.SERVING) and t.counter is not None}
        return tuple(
            CounterNow(c, tuple(self.store.served[c]), None, resting[c], on_break=True)
            if c in resting else
            CounterNow(c, tuple(self.store.served[c]), held[c].service if c in held else None,
                       held[c].called_at if c in held else None, break_in=breaks.get(c))
            for c in open_)

    def branch_queue(self, now: dt.datetime, visits, with_waiting: bool = True) -> BranchQueue:
        counters = self.counters_now({})
        active = [s for s in self.store.services.values() if s.active]
        priority: dict[str, float] = {}
        arrivals: dict[str, float] = {}
        for t in self.store.tickets.values():
            if now - dt.timedelta(hours=1) <= t.issued_at <= now:
                origin = self.store.meta[t.id]["origin"]
                arrivals[origin] = arrivals.get(origin, 0.0) + 1
                priority[origin] = priority.get(origin, 0.0) + (t.priority != Priority.NORMAL)
        return BranchQueue(now=now, waiting=self.waiting() if with_waiting else (), counters=counters,
                           visits={s.code: tuple(visits(s.code)) for s in active},
                           defaults={s.code: float(s.default_service_s) for s in active},
                           weights={s.code: float(s.weight) for s in active},
                           priority_per_hour=priority, arrivals_per_hour=arrivals)

    def add_event(self, event: Event) -> int:
        self.store.events.append(event)
        return len(self.store.events)

    def has_event(self, ticket_id: int, action: str) -> bool:
        return any(e.ticket_id == ticket_id and e.action == action for e in self.store.events)

    def _waiting(self) -> list[Ticket]:
        return sorted((t for t in self.store.tickets.values() if t.state == State.WAITING),
                      key=queue_key)

    def head_of_queues(self, services: Iterable[str], counter: str) -> list[Ticket]:
        heads: dict[tuple, Ticket] = {}
        wanted = set(services)
        for t in self._waiting():
            if t.target_counter is None and t.service in wanted:
                heads.setdefault(("open", t.service), t)
            elif t.target_counter == counter:
                heads.setdefault(("sent", t.service), t)
        return list(heads.values())

    def held_by(self, counter: str, states: Iterable[State] = HELD_NOW) -> list[Ticket]:
        wanted = set(states)
        return sorted((t for t in self.store.tickets.values()
                       if t.counter == counter and t.state in wanted),
                      key=lambda t: t.called_at or dt.datetime.min.replace(tzinfo=dt.UTC))

    def people_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int:
        return sum(1 for t in self._waiting()
                   if t.service == ticket.service and t.target_counter is None
                   and t.id != ticket.id and queue_key(t) < queue_key(ticket))

    def open_tickets_before(self, day: str) -> list[Ticket]:
        return [t for t in self.store.tickets.values()
                if t.state in (State.WAITING, State.CALLED, State.PARKED) and t.day < day]

    # -- counters
    def open_counters_of(self, staff: str) -> list[str]:
        return sorted(c.code for c in self.store.counters.values()
                      if c.staff == staff and c.state == CounterState.OPEN)

    def set_counter_state(self, code: str, state: CounterState, at: dt.datetime,
                          staff: str | None, action: str, reason: str | None = None) -> None:
        self.store.counters[code] = dataclasses.replace(self.store.counters[code],
                                                        state=CounterState(state), staff=staff)
        self.store.counter_events.append((code, action, at, staff, reason))

    # -- printing
    def add_print_job(self, *, ticket_id: int | None, printer_id: int, payload: dict,
                      at: dt.datetime, kind: str = "ticket", state: str = "pending",
                      error: str | None = None) -> int:
        job_id = len(self.store.print_jobs) + 1
        self.store.print_jobs.append({"id": job_id, "ticket_id": ticket_id, "printer_id": printer_id,
                                      "payload": payload, "kind": kind, "state": state,
                                      "error": error, "created_at": at})
        return job_id

    def first_print_job(self, ticket_id: int) -> PrintJobRecord | None:
        for job in self.store.print_jobs:
            if job["ticket_id"] == ticket_id:
                return PrintJobRecord(job["id"], job["state"], job["error"])
        return None


def fake_ports(store: FakeStore, clock, *, timezone: str = "Europe/Madrid",
               notified: list[str] | None = None) -> Ports:
    """Use-case ports on ``store``: every use case gets a new fake unit of work."""
    kw = {"notify": notified.append} if notified is not None else {}
    return Ports(uow=lambda: FakeUnitOfWork(store), clock=clock,
                 stats=ServiceTimeCache(ttl_s=0), timezone=timezone, **kw)
