"""The KPIs of a report, from summed :class:`~.summary.Totals` and histograms.

Pure arithmetic on what ``summary`` produced, so the same figures come out of
stored summaries and of a ticket's events read directly (docs/architecture.md,
*Reports*). Definitions (the industry's, as in ``kpi``):

- wait: call − queue entry per segment; service level: segments called within
  the service's target ÷ segments that count (called, or left/still waiting past
  the target); no-show rate: no-shows ÷ tickets called;
- throughput: finished visits ÷ hours in which at least one counter (of the
  chosen counter or staff member) was open;
- utilisation: serving time ÷ open time, per counter and per staff member, at
  most 1 (a visit that ran past a close counts only while open time lasts);
- first-contact resolution: finished ``resolved`` without a transfer ÷ finished;
  CSAT: ratings 4–5 ÷ ratings; NPS: % 9–10 − % 0–6.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Iterable, Mapping

from .summary import Hist, Key, Totals


@dataclasses.dataclass(frozen=True)
class Filters:
    """Which service, counter and staff member a report covers (None = all)."""

    service: str | None = None
    counter: str | None = None
    staff: str | None = None

    def matches(self, key: Key) -> bool:
        """Whether a (service, counter, staff) summary row belongs to the report."""
        return ((self.service is None or key[0] == self.service)
                and (self.counter is None or key[1] == self.counter)
                and (self.staff is None or key[2] == self.staff))

    def as_dict(self) -> dict:
        return {"service": self.service, "counter": self.counter, "staff": self.staff}


@dataclasses.dataclass(frozen=True)
class OpenSpan:
    """A counter open (not on a break) between two instants, with who opened it."""

    counter: str
    staff: str
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def open_spans(rows: Iterable[tuple[str, str, dt.datetime, str | None]], start: dt.datetime,
               end: dt.datetime, now: dt.datetime) -> list[OpenSpan]:
    """Open spans clipped to [start, end) from counter events (counter, action, at, staff),
    oldest first; a counter still open counts until ``now``."""
    spans: list[OpenSpan] = []
    opened: dict[str, tuple[dt.datetime, str]] = {}
    for counter, action, at, staff in rows:
        if action in ("open", "resume"):
            opened.setdefault(counter, (at, staff or ""))
        elif counter in opened:
            since, who = opened.pop(counter)
            lo, hi = max(since, start), min(at, end)
            if hi > lo:
                spans.append(OpenSpan(counter, who, lo, hi))
    for counter, (since, who) in opened.items():
        lo = max(since, start)
        hi = min(end, max(lo, now))
        if hi > lo:
            spans.append(OpenSpan(counter, who, lo, hi))
    return spans


def union_seconds(spans: Iterable[OpenSpan]) -> float:
    """Seconds covered by at least one span (overlaps count once)."""
    total, cur_lo, cur_hi = 0.0, None, None
    for s in sorted(spans, key=lambda s: s.start):
        if cur_hi is None or s.start > cur_hi:
            if cur_hi is not None and cur_lo is not None:
                total += (cur_hi - cur_lo).total_seconds()
            cur_lo, cur_hi = s.start, s.end
        else:
            cur_hi = max(cur_hi, s.end)
    if cur_hi is not None and cur_lo is not None:
        total += (cur_hi - cur_lo).total_seconds()
    return total


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def _ratio(a: float, b: float) -> float | None:
    return _r(a / b) if b else None


def _durations(count: int, total: float, maximum: float, hist: Hist) -> dict:
    return {"count": count,
            "mean_s": _r(total / count, 1) if count else None,
            "median_s": _r(hist.median(), 1) if count else None,
            "p90_s": _r(min(hist.quantile(0.9) or 0.0, maximum), 1) if count else None,
            "max_s": _r(maximum, 1) if count else None}


def kpi_block(t: Totals, waits: Hist, services: Hist, open_hours: float | None, *,
              called: int | None = None) -> dict:
    """The KPIs of one set of tickets (``called``: tickets called, when not ``t.called_tickets``)."""
    called = t.called_tickets if called is None else called
    throughput: float | None = 0.0
    if t.finished:
        throughput = round(t.finished / open_hours, 2) if open_hours else None
    return {
        "issued": t.issued,
        "finished": t.finished,
        "cancelled": t.cancelled,
        "expired": t.expired,
        "no_shows": t.no_shows,
        "transfers": t.transfers,
        "recalls": t.recalls,
        "wait": _durations(t.called, t.wait_sum, t.wait_max, waits),
        "service_time": _durations(t.served, t.service_sum, t.service_max, services),
        "service_level": _ratio(t.sl_hit, t.sl_n),
        "no_show_rate": _ratio(t.no_shows, called),
        "throughput_per_hour": throughput,
        "first_contact_resolution": _ratio(t.resolved, t.finished),
        "csat": _ratio(t.csat_good, t.csat_n),
        "nps": round(100.0 * (t.nps_pro - t.nps_det) / t.nps_n, 1) if t.nps_n else None,
        "ratings": {"csat": t.csat_n, "nps": t.nps_n},
    }


@dataclasses.dataclass
class Facts:
    """Everything a report is computed from: summed totals and histograms.

    ``by_key``: (service, counter, staff) → totals; ``hists``: (kind, service) →
    histogram with kind ``wait`` or ``service``; ``by_day`` (local date) and
    ``by_slot`` ((weekday 0=Monday, local hour)) → totals, for the charts.
    """

    by_key: dict[Key, Totals] = dataclasses.field(default_factory=dict)
    hists: dict[tuple[str, str], Hist] = dataclasses.field(default_factory=dict)
    by_day: dict[str, Totals] = dataclasses.field(default_factory=dict)
    by_slot: dict[tuple[int, int], Totals] = dataclasses.field(default_factory=dict)

    def merge(self, other: "Facts") -> "Facts":
        """Add ``other`` into these facts; returns self."""
        for src, dst in ((other.by_key, self.by_key), (other.by_day, self.by_day),
                         (other.by_slot, self.by_slot)):
            for k, t in src.items():
                dst.setdefault(k, Totals()).add(t)  # type: ignore[arg-type]
        for hk, h in other.hists.items():
            self.hists.setdefault(hk, Hist()).merge(h)
        return self

    def hist(self, kind: str, service: str | None = None) -> Hist:
        """The ``kind`` histogram of one service, or of all services merged."""
        out = Hist()
        for (k, svc), h in self.hists.items():
            if k == kind and (service is None or svc == service):
                out.merge(h)
        return out


def build(facts: Facts, spans: list[OpenSpan], filters: Filters,
          services: Mapping[str, Mapping]) -> dict:
    """The report: ``overall``, per ``services`` (with target and goal), per ``counters``
    and per ``staff``. ``services`` maps code → {target_wait_s, service_level_goal}."""
    if filters.counter is not None:
        spans = [s for s in spans if s.counter == filters.counter]
    if filters.staff is not None:
        spans = [s for s in spans if s.staff == filters.staff]
    open_hours = union_seconds(spans) / 3600.0

    overall_t = Totals()
    per_service: dict[str, Totals] = defaultdict(Totals)
    per_counter: dict[str, Totals] = defaultdict(Totals)
    per_staff: dict[str, Totals] = defaultdict(Totals)
    for (svc, counter, staff), t in facts.by_key.items():
        overall_t.add(t)
        per_service[svc].add(t)
        if counter:
            per_counter[counter].add(t)
        if staff:
            per_staff[staff].add(t)

    overall = kpi_block(overall_t, facts.hist("wait"), facts.hist("service"), open_hours)
    open_by_counter: dict[str, float] = defaultdict(float)
    open_by_staff: dict[str, float] = defaultdict(float)
    for s in spans:
        open_by_counter[s.counter] += s.seconds
        if s.staff:
            open_by_staff[s.staff] += s.seconds
    overall["counter_utilisation"] = {
        c: _utilisation(per_counter[c].service_sum if c in per_counter else 0.0, open_s)
        for c, open_s in sorted(open_by_counter.items())}
    overall["staff_utilisation"] = {
        s: _utilisation(per_staff[s].service_sum if s in per_staff else 0.0, open_s)
        for s, open_s in sorted(open_by_staff.items())}
    overall["open_hours"] = round(open_hours, 2)

    out_services = {}
    for svc in sorted(per_service):
        t = per_service[svc]
        block = kpi_block(t, facts.hist("wait", svc), facts.hist("service", svc), open_hours,
                          called=t.called_in_service)
        conf = services.get(svc, {})
        block["target_wait_s"] = conf.get("target_wait_s")
        block["service_level_goal"] = conf.get("service_level_goal")
        out_services[svc] = block
    return {
        "filters": filters.as_dict(),
        "overall": overall,
        "services": out_services,
        "counters": {c: _resource(per_counter.get(c, Totals()), open_by_counter.get(c, 0.0))
                     for c in sorted(set(per_counter) | set(open_by_counter))},
        "staff": {s: _resource(per_staff.get(s, Totals()), open_by_staff.get(s, 0.0))
                  for s in sorted(set(per_staff) | set(open_by_staff))},
    }


def _utilisation(serving_s: float, open_s: float) -> float | None:
    return round(min(1.0, serving_s / open_s), 4) if open_s > 0 else None


def _resource(t: Totals, open_s: float) -> dict:
    """One counter's or staff member's figures."""
    return {"called": t.called, "served": t.served, "finished": t.finished,
            "no_shows": t.no_shows, "transfers": t.transfers,
            "wait_mean_s": _r(t.wait_sum / t.called, 1) if t.called else None,
            "service_mean_s": _r(t.service_sum / t.served, 1) if t.served else None,
            "serving_s": round(t.service_sum, 1), "open_s": round(open_s, 1),
            "utilisation": _utilisation(t.service_sum, open_s)}


def series(by_day: Mapping[str, Totals]) -> list[dict]:
    """Per local day, oldest first: tickets, mean wait, service level."""
    return [{"day": d, "issued": t.issued, "called": t.called, "finished": t.finished,
             "wait_mean_s": _r(t.wait_sum / t.called, 1) if t.called else None,
             "service_level": _ratio(t.sl_hit, t.sl_n)}
            for d, t in sorted(by_day.items())]


def heat(by_slot: Mapping[tuple[int, int], Totals]) -> dict:
    """Weekday × hour: arrivals and mean wait per slot, and the hours that had any."""
    hours = sorted({h for (_, h), t in by_slot.items() if t.issued or t.called})
    cells = {(wd, h): {"issued": t.issued, "called": t.called,
                       "wait_mean_s": _r(t.wait_sum / t.called, 1) if t.called else None}
             for (wd, h), t in by_slot.items()}
    return {"hours": hours, "cells": cells}


PRESETS = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month",
           "last_12_months", "custom")


def preset_days(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last local day of a named period (weeks start on Monday).

    Raises ValueError for ``custom`` or an unknown name.
    """
    day = dt.timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - day, today - day
    monday = today - dt.timedelta(days=today.weekday())
    if preset == "this_week":
        return monday, today
    if preset == "last_week":
        return monday - 7 * day, monday - day
    first = today.replace(day=1)
    if preset == "this_month":
        return first, today
    if preset == "last_month":
        last = first - day
        return last.replace(day=1), last
    if preset == "last_12_months":
        try:
            return today.replace(year=today.year - 1) + day, today
        except ValueError:  # 29 February
            return today.replace(year=today.year - 1, day=28) + day, today
    raise ValueError(f"Unknown period {preset!r}")
