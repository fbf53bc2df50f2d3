"""The queue's nouns: tickets, their states, actions, priorities and events.

Pure values only: nothing here knows about SQL, Flask or devices.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from typing import Any, Mapping

from .hours import Hours
from .printing import PrinterStatus


class State(StrEnum):
    """Where a ticket is in its life."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


TERMINAL_STATES = frozenset({State.DONE, State.NO_SHOW, State.CANCELLED, State.EXPIRED})
# States in which a counter holds the ticket; a ticket is held by at most one counter.
HELD_STATES = frozenset({State.CALLED, State.SERVING, State.PARKED})


class Action(StrEnum):
    """Everything that can happen to a ticket; each one writes one event."""

    ISSUE = "issue"
    CALL = "call"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    TRANSFER = "transfer"
    PARK = "park"
    FINISH = "finish"
    CANCEL = "cancel"
    EXPIRE = "expire"
    RATE = "rate"


class Priority(StrEnum):
    """Priority classes, most urgent first."""

    APPOINTMENT = "appointment"
    PRIORITY = "priority"
    NORMAL = "normal"


PRIORITY_RANK = {Priority.APPOINTMENT: 0, Priority.PRIORITY: 1, Priority.NORMAL: 2}


class CounterState(StrEnum):
    """Whether a counter takes customers now."""

    OPEN = "open"
    BREAK = "break"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a finished visit ended, for first-contact resolution."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"


class Position(StrEnum):
    """Where a requeued or transferred ticket goes in its new queue."""

    FRONT = "front"  # ahead of everyone of its priority class
    TIME = "time"  # by its original issue time
    BACK = "back"  # as if it had just arrived


class DomainError(Exception):
    """A queue rule refused an action; ``code`` is a stable machine-readable name.

    ``params`` carry what the refusal is about (``number``, ``state``, ``action``,
    ``holder``, ...) so that a face can say it in the user's own words; the
    message is the English text the API returns.
    """

    code = "domain_error"

    def __init__(self, message: str, code: str | None = None, **params: Any):
        super().__init__(message)
        if code:
            self.code = code
        self.params: dict[str, Any] = params

    @property
    def message(self) -> str:
        return str(self.args[0])


class IllegalTransition(DomainError):
    """The action is not allowed from the ticket's current state."""

    code = "illegal_transition"


class NotHolder(DomainError):
    """A counter acted on a ticket that another counter (or none) holds."""

    code = "not_holder"


@dataclasses.dataclass(frozen=True)
class Ticket:
    """One customer visit. ``number`` is kept for life, even across transfers.

    ``queued_at`` starts the current wait segment (for KPIs); ``rank_at`` is the
    time routing measures the effective wait from (it differs after a requeue or
    transfer by issue time).
    """

    id: int | None
    number: str
    service: str
    day: str
    seq: int
    state: State
    priority: Priority
    language: str
    issued_at: dt.datetime
    queued_at: dt.datetime
    rank_at: dt.datetime
    front: bool = False
    counter: str | None = None
    target_counter: str | None = None
    called_at: dt.datetime | None = None
    recalls: int = 0
    outcome: Outcome | None = None

    def replace(self, **changes: Any) -> "Ticket":
        return dataclasses.replace(self, **changes)

    @property
    def waited_s(self) -> float | None:
        """Seconds this wait segment lasted until the ticket was called; None until called.

        The industry's wait: call time − queue entry. A recall does not extend it
        (``called_at`` is the first call of the segment).
        """
        if self.called_at is None:
            return None
        return (self.called_at - self.queued_at).total_seconds()


@dataclasses.dataclass(frozen=True)
class Service:
    """A queue customers can join: its code (the ticket prefix), names and targets."""

    code: str
    names: Mapping[str, str]
    active: bool = True
    default_service_s: int = 300
    target_wait_s: int = 600
    weight: float = 1.0
    sort: int = 0
    hours: Hours = Hours()  # no days: always open

    def name(self, language: str) -> str:
        """The name in ``language``, falling back to English, then to the code."""
        return self.names.get(language) or self.names.get("en") or self.code


@dataclasses.dataclass(frozen=True)
class Counter:
    """A desk where staff serve customers."""

    code: str
    name: str
    state: CounterState = CounterState.CLOSED
    staff: str | None = None
    enabled: bool = True  # a disabled counter cannot open
    location: str = ""  # where it is, as the display says it ("Ground floor, left")


@dataclasses.dataclass(frozen=True)
class Printer:
    """A ticket printer as the queue sees it: which one, whether it is enabled, its last status."""

    id: int
    status: PrinterStatus = PrinterStatus.UNKNOWN
    enabled: bool = True


@dataclasses.dataclass(frozen=True)
class Kiosk:
    """A paired ticket kiosk: which services it offers and whether it asks the priority question.

    ``services`` None offers every active service. ``asks_priority`` is the kiosk's
    "I need priority assistance" question; a kiosk that asks it may hand out
    ``priority`` tickets to whoever answers yes (see :func:`lifecycle.issuable_priorities`).
    """

    code: str
    services: frozenset[str] | None = None
    language: str = "en"
    printer: Printer | None = None
    asks_priority: bool = True
    rate_per_min: int | None = None  # tickets a minute this kiosk may issue; None: the default

    def offers(self, service: str) -> bool:
        """True when customers may take a ticket for ``service`` at this kiosk."""
        return self.services is None or service in self.services

    @property
    def working_printer(self) -> Printer | None:
        """The kiosk's printer when one is set up and enabled (jobs go to it), else None."""
        return self.printer if self.printer is not None and self.printer.enabled else None

    @property
    def printer_problem(self) -> PrinterStatus | None:
        """Why tickets do not come out of this kiosk now, or None when they do (or it has none)."""
        printer = self.working_printer
        if printer is None or printer.status.printable:
            return None
        return printer.status


@dataclasses.dataclass(frozen=True)
class Event:
    """One row of the append-only ticket history."""

    ticket_id: int | None
    action: Action
    at: dt.datetime
    service: str
    from_state: State | None
    to_state: State
    counter: str | None = None
    staff: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)


def format_number(prefix: str, seq: int, width: int = 3) -> str:
    """The printed ticket number: prefix + zero-padded per-day counter (``A042``)."""
    return f"{prefix}{seq:0{width}d}"
