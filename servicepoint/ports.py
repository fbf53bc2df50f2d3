"""The ports the use cases are given: a clock, a unit of work, a notifier and caches.

The use cases depend on these protocols only, so the same code runs on SQLite
(:class:`servicepoint.uow.SqliteUnitOfWork`) and on the in-memory fake the
unit tests use. See ``docs/architecture.md`` for the layers.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Iterable, Protocol, Sequence

from .domain.model import Counter, CounterState, Event, Kiosk, Service, State, Ticket
from .domain.waits import BranchQueue, CounterNow
from .servicetimes import ServiceTimeCache

Notify = Callable[[str], None]


class NotFound(LookupError):
    """A row the caller named does not exist."""

    def __init__(self, what: str, key: Any):
        super().__init__(f"No {what} {key!r}")
        self.what, self.key = what, key


class Clock(Protocol):
    """Tells the time: an aware UTC datetime."""

    def now(self) -> dt.datetime: ...


@dataclasses.dataclass(frozen=True)
class PrintJobRecord:
    """What a use case needs to know about a queued print job."""

    id: int
    state: str  # pending | sent | printed | failed
    error: str | None = None


HELD_NOW = (State.CALLED, State.SERVING)


class UnitOfWork(Protocol):
    """One write transaction (``with uow:``) and the reads and writes of the queue.

    Entering takes the write lock; leaving commits, or rolls back when the block
    raised. Reads may also be made outside ``with`` (each then sees the latest
    committed state), which the use cases do for what needs no lock. Lookups of
    a named row raise :class:`NotFound` when it does not exist.
    """

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None: ...

    # -- reference data
    def setting(self, key: str, default: Any = None) -> Any: ...

    def service(self, code: str) -> Service: ...

    def open_counters(self, service: str) -> int: ...

    def service_durations(self, service: str, limit: int) -> list[float]:
        """The last ``limit`` service times (seconds) of ``service``, oldest first."""
        ...

    def visit_durations(self, service: str, limit: int) -> list[float]:
        """The last ``limit`` visits of ``service`` (call to the end of the visit, seconds),
        oldest first."""
        ...

    def branch_queue(self, now: dt.datetime, visits: Callable[[str], Sequence[float]],
                     with_waiting: bool = True) -> BranchQueue:
        """The branch's queue at ``now`` for the wait estimate (recent visits through
        ``visits``); without its waiting tickets when ``with_waiting`` is false."""
        ...

    def waiting(self) -> tuple[Ticket, ...]:
        """The waiting tickets now, in no particular order (those of :meth:`branch_queue`)."""
        ...

    def counters_now(self, breaks: dict[str, float]) -> tuple[CounterNow, ...]:
        """The open and resting counters now (those of :meth:`branch_queue`), each open
        one's usual break due in ``breaks[code]`` seconds."""
        ...

    def kiosk(self, code: str) -> Kiosk | None: ...

    def counter(self, code: str) -> Counter: ...

    def counter_services(self, code: str) -> list[str]: ...

    def open_counters_of(self, staff: str) -> list[str]:
        """The codes of the open counters ``staff`` holds (their name is on them)."""
        ...

    def weights(self) -> dict[str, float]: ...

    # -- tickets
    def next_seq(self, service: str, day: str) -> int: ...

    def add_ticket(self, ticket: Ticket, *, public_id: str, device: str | None,
                   idempotency_key: str | None) -> Ticket: ...

    def ticket(self, ticket_id: int) -> Ticket: ...

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        """The ticket numbered ``number`` (``A013``) on branch day ``day``, or None."""
        ...

    def public_id(self, ticket_id: int) -> str: ...

    def ticket_by_idempotency_key(self, key: str) -> Ticket | None: ...

    def origin_service(self, ticket_id: int) -> str:
        """The service a ticket was issued for (it keeps it across transfers)."""
        ...

    def save_ticket(self, ticket: Ticket, expected_state: State, at: dt.datetime) -> None: ...

    def add_event(self, event: Event) -> int: ...

    def has_event(self, ticket_id: int, action: str) -> bool: ...

    def head_of_queues(self, services: Iterable[str], counter: str) -> list[Ticket]: ...

    def held_by(self, counter: str, states: Iterable[State] = HELD_NOW) -> list[Ticket]: ...

    def people_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int: ...

    def open_tickets_before(self, day: str) -> list[Ticket]: ...

    # -- counters
    def set_counter_state(self, code: str, state: CounterState, at: dt.datetime,
                          staff: str | None, action: str, reason: str | None = None) -> None:
        """Move the counter to ``state`` and record ``action`` (with a break's ``reason``)."""
        ...

    # -- printing
    def add_print_job(self, *, ticket_id: int | None, printer_id: int, payload: dict,
                      at: dt.datetime, kind: str = "ticket", state: str = "pending",
                      error: str | None = None) -> int: ...

    def first_print_job(self, ticket_id: int) -> PrintJobRecord | None: ...


def _noop(topic: str) -> None:
    return None


@dataclasses.dataclass
class Ports:
    """What a use case needs from the outside world.

    ``uow`` makes a new unit of work (one per use case); ``notify(topic)`` tells
    the live broadcaster what changed, after the commit; ``timezone`` is the
    branch's zone, which decides the branch day.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    notify: Notify = _noop
    stats: ServiceTimeCache = dataclasses.field(default_factory=ServiceTimeCache)
    timezone: str = "UTC"
