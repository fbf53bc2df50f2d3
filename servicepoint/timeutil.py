"""Time helpers: every stored time is UTC; the branch's day is its local date.

Keeping the two apart in one place is what stops "local time mixed with UTC".
"""
from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc


@overload
def to_db(value: dt.datetime) -> str: ...
@overload
def to_db(value: None) -> None: ...
@overload
def to_db(value: dt.datetime | None) -> str | None: ...
def to_db(value: dt.datetime | None) -> str | None:
    """An aware datetime as the ISO-8601 UTC text stored in the database."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; attach a time zone")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@overload
def from_db(value: str) -> dt.datetime: ...
@overload
def from_db(value: None) -> None: ...
@overload
def from_db(value: str | None) -> dt.datetime | None: ...
def from_db(value: str | None) -> dt.datetime | None:
    """Parse a stored time back into an aware UTC datetime."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for ``name``; raises ValueError with a clear message if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r} (use an IANA name such as Europe/Madrid)") from None


def branch_day(at: dt.datetime, tz: str) -> str:
    """The branch's local date (YYYY-MM-DD) at instant ``at``."""
    return at.astimezone(zone(tz)).date().isoformat()


def day_bounds(day: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC start and end of the branch's local ``day``."""
    d = dt.date.fromisoformat(day)
    z = zone(tz)
    start = dt.datetime.combine(d, dt.time(0), tzinfo=z)
    end = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=z)
    return start.astimezone(UTC), end.astimezone(UTC)


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and simulation."""

    def __init__(self, start: dt.datetime):
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float = 0, **kw) -> dt.datetime:
        self._now += dt.timedelta(seconds=seconds, **kw)
        return self._now

    def set(self, value: dt.datetime) -> None:
        self._now = value
