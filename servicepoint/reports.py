"""KPI reports for a period: summaries for whole branch days, events for the rest.

Whole local days are read from the summaries (``report_queries``); tickets
that have not ended yet, and tickets issued in a part of a day at either end of
the period, are summarised from their events on the spot with the same domain
rules (``domain.summary``), so both paths give the same figures
(docs/architecture.md, *Reports*).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterable, Iterator

from . import report_queries as rq
from .db import get_setting
from .domain import report as rep
from .domain.report import Facts, Filters
from .domain.summary import Hist, Totals, summarise_ticket
from .timeutil import UTC, branch_day, day_bounds, zone

ALL = Filters()


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
    """Every event of the tickets issued in [start, end), one ticket after another."""
    return [ev for events in rq.tickets_issued(conn, start, end) for ev in events]


def split_period(start: dt.datetime, end: dt.datetime, tz: str
                 ) -> tuple[tuple[str, str] | None, list[tuple[dt.datetime, dt.datetime]]]:
    """The whole local days inside [start, end) (first, last) and the parts of days left."""
    z = zone(tz)
    d_lo = start.astimezone(z).date()
    lo_start, lo_end = day_bounds(d_lo.isoformat(), tz)
    first = d_lo if start == lo_start else d_lo + dt.timedelta(days=1)
    d_hi = end.astimezone(z).date()
    hi_start = day_bounds(d_hi.isoformat(), tz)[0]
    last = d_hi - dt.timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    parts = []
    if start != lo_start:
        parts.append((start, lo_end))
    if end != hi_start:
        parts.append((hi_start, end))
    return (first.isoformat(), last.isoformat()), parts


def _add_events(facts: Facts, tickets: Iterable[list], targets: dict, now: dt.datetime,
                filters: Filters, tz: str) -> None:
    """Summarise tickets from their events into ``facts`` (what the summaries lack)."""
    z = zone(tz)
    for events in tickets:
        s = summarise_ticket(events, targets, now=now)
        if s is None:
            continue
        local = s.issued_at.astimezone(z)
        day, slot = local.date().isoformat(), (local.weekday(), local.hour)
        for key, t in s.totals.items():
            if filters.matches(key):
                facts.by_key.setdefault(key, Totals()).add(t)
                facts.by_day.setdefault(day, Totals()).add(t)
                facts.by_slot.setdefault(slot, Totals()).add(t)
        for kind, values in (("wait", s.waits), ("service", s.services)):
            for key, seconds in values:
                if filters.matches(key):
                    facts.hists.setdefault((kind, key[0]), Hist()).add(seconds)


def collect(conn, start: dt.datetime, end: dt.datetime, now: dt.datetime, tz: str,
            filters: Filters = ALL, charts: bool = False) -> tuple[Facts, list, dict]:
    """Facts, open spans and services of [start, end), read in one snapshot."""
    whole, parts = split_period(start, end, tz)
    facts = Facts()
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one snapshot: a ticket ending meanwhile counts once
    try:
        services = rq.services(conn)
        targets = {code: s["target_wait_s"] for code, s in services.items()}
        if whole:
            first, last = whole
            facts.by_key = {k: t for k, t in rq.totals_by(conn, first, last, filters, "key")}
            facts.hists = rq.hists(conn, first, last, filters, list(services))
            if charts:
                facts.by_day = {k[0]: t for k, t in rq.totals_by(conn, first, last, filters, "day")}
                facts.by_slot = {(k[0], k[1]): t
                                 for k, t in rq.totals_by(conn, first, last, filters, "slot")}
            _add_events(facts, rq.active_tickets(conn, first, last), targets, now, filters, tz)
        for lo, hi in parts:
            _add_events(facts, rq.tickets_issued(conn, lo, hi), targets, now, filters, tz)
        spans = rep.open_spans(rq.counter_events(conn, end), start, end, now)
    finally:
        if began:
            conn.execute("COMMIT")
    return facts, spans, services


def kpis(conn, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None, *,
         tz: str | None = None, filters: Filters = ALL, charts: bool = False) -> dict:
    """All KPIs for tickets issued in the period (``now``: the app clock), overall, per
    service, counter and staff member; with ``charts`` also per day and weekday × hour.

    ``tz`` (default: the branch's stored time zone, as the summaries use) decides
    which parts of the period are whole local days.
    """
    now = now or dt.datetime.now(UTC)
    tz = tz or get_setting(conn, "timezone", "UTC") or "UTC"
    facts, spans, services = collect(conn, start, end, now, tz, filters, charts)
    data = {"from": start.isoformat(), "to": end.isoformat(),
            **rep.build(facts, spans, filters, services)}
    if charts:
        data["days"] = rep.series(facts.by_day)
        data["heat"] = rep.heat(facts.by_slot)
        data["wait_hist"] = facts.hist("wait", filters.service)
        data["service_names"] = {code: s["names"] for code, s in services.items()}
    return data


def _tenth(value):
    """Seconds to 0.1 (CSV figures are rounded, not float noise)."""
    return "" if value is None else f"{value:.1f}"


def _plain(value):
    return "" if value is None else value


CSV_COLUMNS = ["service", "issued", "finished", "cancelled", "no_shows", "wait_mean_s",
               "wait_median_s", "wait_p90_s", "wait_max_s", "service_time_mean_s",
               "service_level", "target_wait_s", "no_show_rate", "throughput_per_hour",
               "first_contact_resolution", "csat", "nps"]


def _kpi_row(name: str, b: dict) -> list:
    return [name, b["issued"], b["finished"], b["cancelled"], b["no_shows"],
            _tenth(b["wait"]["mean_s"]), _tenth(b["wait"]["median_s"]), _tenth(b["wait"]["p90_s"]),
            _tenth(b["wait"]["max_s"]), _tenth(b["service_time"]["mean_s"]),
            _plain(b["service_level"]), _plain(b.get("target_wait_s")), _plain(b["no_show_rate"]),
            _plain(b["throughput_per_hour"]), _plain(b["first_contact_resolution"]),
            _plain(b["csat"]), _plain(b["nps"])]


def to_csv(data: dict) -> str:
    """One row per service plus an ``ALL`` row; seconds rounded to 0.1."""
    rows = [_kpi_row(name, b) for name, b in data["services"].items()]
    rows.append(_kpi_row("ALL", data["overall"]))
    return table_csv(CSV_COLUMNS, rows)


def table_csv(columns: list[str], rows: Iterable[Iterable]) -> str:
    """A small table as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def stream_csv(columns: list[str], rows: Iterable[Iterable], chunk: int = 500) -> Iterator[str]:
    """CSV text in pieces of ``chunk`` rows, so a year never sits in memory."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
        if n % chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
