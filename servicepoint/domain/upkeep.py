"""When a branch day closes, and what retention keeps of a visit.

Day close: at the branch's closing time every waiting, called or parked ticket
of that day (and any earlier day) expires. Without a closing time the day
closes at local midnight.

Retention: after the retention period a visit keeps its timings, states,
service, counter, staff, outcome and ratings — everything the KPIs read — and
loses everything that could point at the visitor. Keys are kept by a list, not
removed by one: a personal field added later is dropped unless someone decides
it is safe to keep.

Standard library only.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

UTC = dt.timezone.utc


def closing_instant(day: str, closing_time: dt.time | None, zone: dt.tzinfo) -> dt.datetime:
    """The UTC instant at which branch day ``day`` (YYYY-MM-DD) closes in time zone ``zone``."""
    date = dt.date.fromisoformat(day)
    if closing_time is None:
        local = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    else:
        local = dt.datetime.combine(date, closing_time, tzinfo=zone)
    return local.astimezone(UTC)


def last_due_close(now: dt.datetime, closing_time: dt.time | None, zone: dt.tzinfo) -> str:
    """The latest branch day whose closing time has passed at ``now``."""
    today = now.astimezone(zone).date()
    if closing_instant(today.isoformat(), closing_time, zone) <= now:
        return today.isoformat()
    return (today - dt.timedelta(days=1)).isoformat()


def next_close(now: dt.datetime, closing_time: dt.time | None, zone: dt.tzinfo) -> dt.datetime:
    """The first closing instant after ``now`` (for "the day closes at …")."""
    today = now.astimezone(zone).date()
    for offset in range(0, 3):
        at = closing_instant((today + dt.timedelta(days=offset)).isoformat(), closing_time, zone)
        if at > now:
            return at
    raise AssertionError("a closing instant lies within two days")  # pragma: no cover


def retention_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """Visits issued before this instant are anonymised."""
    if days < 1:
        raise ValueError("retention keeps visits at least one day")
    return now - dt.timedelta(days=days)


# What the KPIs and the ticket's history need; everything else in an event's data goes.
KEPT_EVENT_KEYS = frozenset({
    "number", "day", "seq", "priority", "recalls", "position", "to_service", "to_counter",
    "from_service", "outcome", "csat", "nps", "reason",
})
# What a print job keeps: the printed number and service, never the tracking link
# (it carries the ticket's secret) or the visitor's language.
KEPT_PAYLOAD_KEYS = frozenset({
    "number", "service", "service_name", "issued_at", "timezone", "branch_name",
    "people_ahead", "estimated_wait_s", "estimated_wait_range_s",
})
# Value a ticket's language takes once anonymised (BCP 47 "undetermined").
ANONYMOUS_LANGUAGE = "und"


def scrub(data: Mapping[str, Any], kept: frozenset[str]) -> dict[str, Any]:
    """``data`` without the keys that are not in ``kept``."""
    return {key: value for key, value in data.items() if key in kept}
