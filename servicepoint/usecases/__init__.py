"""Use cases: every queue action, committed atomically, then announced.

Each function receives its :class:`~servicepoint.ports.Ports` — a unit of work
factory, a clock and ``notify(topic)`` for the live broadcaster — so the same
code runs under the web server, the CLI, the simulator and the tests (on
SQLite or on an in-memory fake). The domain decides; these functions load,
apply, save the ticket and its event in one transaction, and only then notify.
They hold no SQL: storage is the unit of work's, screens read through
:mod:`servicepoint.queries`.
"""
from __future__ import annotations

from ..domain.counters import COUNTER_MOVES
from ..domain.model import DomainError
from ..ports import NotFound, Notify, Ports
from ..servicetimes import ServiceTimeCache
from .counters import set_counter
from .issuing import IssueResult, issue_ticket, shown_wait, ticket_payload, track_url
from .tickets import act, call_next, call_number, call_ticket, expire_day

__all__ = ["Ports", "Notify", "IssueResult", "issue_ticket", "call_next", "call_ticket", "call_number", "act",
           "set_counter", "expire_day", "ServiceTimeCache", "NotFound", "DomainError",
           "COUNTER_MOVES", "ticket_payload", "track_url", "shown_wait"]
