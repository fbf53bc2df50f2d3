"""KPI reports: read ``ticket_events`` for a period with SQL and apply the domain's definitions."""
from __future__ import annotations

import csv
import datetime as dt
import io

from .domain import kpi
from .timeutil import UTC, branch_day, day_bounds, from_db, to_db
from .uow import row_to_event


def parse_period(start: str | None, end: str | None, tz: str,
                 now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Turn ``from``/``to`` parameters into a UTC period.

    Each may be a local date (``2026-11-22``: the whole branch day; ``to`` is
    inclusive) or an ISO datetime with offset. Both default to today. Raises
    ValueError with a readable message.
    """
    today = now.astimezone(UTC)

    def one(value: str | None, is_end: bool) -> dt.datetime:
        if not value:
            bounds = day_bounds(branch_day(today, tz), tz)
            return bounds[1] if is_end else bounds[0]
        try:
            if len(value) == 10:
                bounds = day_bounds(value, tz)
                return bounds[1] if is_end else bounds[0]
            parsed = dt.datetime.fromisoformat(value)
        except OverflowError:
            raise ValueError(f"{value!r} is outside the supported dates") from None
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} needs a UTC offset, e.g. {value}+00:00")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"{value!r} is outside the supported dates") from None

    lo, hi = one(start, False), one(end, True)
    if hi <= lo:
        raise ValueError("'to' must be after 'from'")
    if hi - lo > dt.timedelta(days=366):
        raise ValueError("A report covers at most one year")
    return lo, hi


def events_between(conn, start: dt.datetime, end: dt.datetime) -> list:
    """Events of the tickets issued in [start, end), oldest first."""
    # Branch days are local dates within a day of the UTC dates; the day range lets
    # SQLite use the (day, number) index before checking the exact instants.
    first = (start - dt.timedelta(days=1)).date().isoformat()
    last = (end + dt.timedelta(days=1)).date().isoformat()
    rows = conn.execute(
        "SELECT e.* FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id"
        " WHERE t.day BETWEEN ? AND ? AND t.issued_at >= ? AND t.issued_at < ? ORDER BY e.id",
        (first, last, to_db(start), to_db(end))).fetchall()
    return [row_to_event(r) for r in rows]


def open_periods(conn, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    """Per counter, the (opened, closed) spans inside [start, end) from ``counter_events``;
    a counter still open counts until ``now`` (the app's clock)."""
    periods: dict[str, list] = {}
    opened: dict[str, dt.datetime] = {}
    for row in conn.execute("SELECT counter_code, action, at FROM counter_events"
                            " WHERE at < ? ORDER BY id", (to_db(end),)):
        code, action, at = row[0], row[1], from_db(row[2])
        if action in ("open", "resume"):
            opened.setdefault(code, at)
        elif code in opened:
            lo = max(opened.pop(code), start)
            if at > lo:
                periods.setdefault(code, []).append((lo, at))
    for code, at in opened.items():
        lo = max(at, start)
        hi = min(end, max(lo, now))
        if hi > lo:
            periods.setdefault(code, []).append((lo, hi))
    return periods


def kpis(conn, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    """All KPIs for tickets issued in the period (``now``: the app clock, for open counters)."""
    targets = {r[0]: r[1] for r in conn.execute("SELECT code, target_wait_s FROM services")}
    now = now or dt.datetime.now(UTC)
    return kpi.compute(events_between(conn, start, end), period_start=start, period_end=end,
                       targets=targets, open_periods=open_periods(conn, start, end, now))


CSV_COLUMNS = ["service", "issued", "finished", "wait_mean_s", "wait_p90_s", "service_time_mean_s",
               "service_level", "target_wait_s", "no_show_rate", "throughput_per_hour",
               "first_contact_resolution"]


def to_csv(data: dict) -> str:
    """One row per service plus an ``ALL`` row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = list(data["services"].items()) + [("ALL", data["overall"])]
    for name, b in rows:
        writer.writerow([name, b["issued"], b["finished"], b["wait"]["mean_s"], b["wait"]["p90_s"],
                         b["service_time"]["mean_s"], b["service_level"],
                         b.get("target_wait_s", ""), b["no_show_rate"], b["throughput_per_hour"],
                         b["first_contact_resolution"]])
    return out.getvalue()
