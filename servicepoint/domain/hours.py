"""Opening hours: when a service takes tickets, per weekday.

Standard library only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Mapping

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hhmm(value: dt.time) -> str:
    """A time of day as ``HH:MM``."""
    return value.strftime("%H:%M")


@dataclasses.dataclass(frozen=True)
class DayHours:
    """One weekday's opening: tickets are issued from ``open`` until ``last_ticket``."""

    open: dt.time
    close: dt.time
    last_ticket: dt.time

    def as_dict(self) -> dict[str, str]:
        return {"open": hhmm(self.open), "last_ticket": hhmm(self.last_ticket),
                "close": hhmm(self.close)}


@dataclasses.dataclass(frozen=True)
class Hours:
    """Opening hours per weekday; a weekday missing from ``days`` is closed.

    ``Hours()`` (no days given at all) means no restriction.
    """

    days: tuple[tuple[str, DayHours], ...] = ()

    @property
    def always_open(self) -> bool:
        return not self.days

    def on(self, weekday: str) -> DayHours | None:
        return dict(self.days).get(weekday)

    def accepts_tickets_at(self, local: dt.datetime) -> bool:
        """True when a ticket may be issued at the branch-local time ``local``."""
        if self.always_open:
            return True
        day = self.on(WEEKDAYS[local.weekday()])
        if day is None:
            return False
        now = local.time().replace(tzinfo=None)
        return day.open <= now < day.last_ticket

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {name: day.as_dict() for name, day in self.days}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Mapping[str, str]]) -> "Hours":
        """Hours from :meth:`as_dict`'s shape (already validated when they were saved)."""
        def t(text: str) -> dt.time:
            return dt.time.fromisoformat(text)
        return cls(tuple((name, DayHours(t(d["open"]), t(d["close"]), t(d["last_ticket"])))
                         for name, d in sorted(stored.items(), key=lambda i: WEEKDAYS.index(i[0]))))
