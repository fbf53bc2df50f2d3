"""What the queue knows about printing: printer states and the frozen ticket payload.

Pure values only. The hardware layer turns a :class:`TicketPayload` into ESC/POS
bytes or an HTML preview and reports printer health as a :class:`PrinterStatus`;
the use cases decide from those names alone whether a job is worth sending.
"""
from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any


class PrinterStatus(StrEnum):
    """Every state a ticket printer can be in, as far as printing a ticket goes.

    ``UNKNOWN`` is a printer nobody has asked yet (just added, or the monitor has
    not run); a job is still worth trying then.
    """

    OK = "ok"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    NO_REPLY = "no_reply"
    UNKNOWN = "unknown"

    @property
    def printable(self) -> bool:
        """True when a new job is worth sending (paper low still prints)."""
        return self in _PRINTABLE

    @property
    def ready(self) -> bool:
        """True when the printer answered that it can print now (``UNKNOWN`` is not ready)."""
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_LOW)

    @classmethod
    def parse(cls, value: str | None) -> "PrinterStatus":
        """The status named ``value``; ``UNKNOWN`` for None or a name this version does not know."""
        try:
            return cls(value or "")
        except ValueError:
            return cls.UNKNOWN


_PRINTABLE = frozenset({PrinterStatus.OK, PrinterStatus.PAPER_LOW, PrinterStatus.UNKNOWN})


@dataclasses.dataclass(frozen=True)
class TicketPayload:
    """What a printed ticket shows, frozen when the ticket is issued.

    Stored as JSON in the print job, so a reprint shows what the customer was told
    then. ``issued_at`` is an ISO-8601 UTC timestamp; ``timezone`` names the
    branch's zone used to print the local date and time.
    """

    number: str
    service: str
    service_name: str
    language: str = "en"
    issued_at: str | None = None
    timezone: str = "UTC"
    people_ahead: int | None = None
    estimated_wait_s: int | None = None
    estimated_wait_range_s: tuple[int, int] | None = None
    track_url: str | None = None
    branch_name: str | None = None
    no_counter_open: bool = False  # no counter served the service: no wait was promised

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form kept in ``print_jobs.payload``."""
        out = dataclasses.asdict(self)
        if self.estimated_wait_range_s is not None:
            out["estimated_wait_range_s"] = list(self.estimated_wait_range_s)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TicketPayload":
        """Rebuild a payload from its stored form; unknown keys are ignored.

        Raises ``KeyError`` when ``number`` is missing and ``TypeError`` when
        ``data`` is not a mapping.
        """
        if not isinstance(data, dict):
            raise TypeError("a ticket payload is a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("service", "")
        values.setdefault("service_name", values.get("service", ""))
        rng = values.get("estimated_wait_range_s")
        if rng is not None:
            values["estimated_wait_range_s"] = (int(rng[0]), int(rng[1]))
        return cls(number=str(data["number"]), **{k: v for k, v in values.items() if k != "number"})
