"""Key performance indicators computed from ticket events (docs/architecture.md, *KPIs*).

Definitions, as the industry uses them:

- **wait** = call time − queue entry, per wait segment. A segment starts at
  issue, requeue or transfer and ends at the first call after it (a recall does
  not extend it).
- **service time** = start → finish or transfer (or park/requeue, which also end
  the customer's time at the counter).
- **service level** = share of wait segments called within the service's target
  wait. Segments that ended uncalled (cancelled, expired), or are still waiting
  when the report looks, count as missed when they had already waited longer
  than the target, and are left out otherwise — the customer who leaves after
  two minutes says nothing about the target.
- **no-show rate** = tickets marked no-show ÷ tickets called.
- **throughput** = finished visits per hour in which at least one counter was open.
- **counter utilisation** = serving time ÷ open time, per counter.
- **first-contact resolution** = finished ``resolved`` without any transfer ÷ finished.
- **CSAT** = ratings 4–5 ÷ ratings; **NPS** = % 9–10 − % 0–6.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from statistics import mean, median
from typing import Iterable, Mapping

from .model import Action, Event, Outcome

_SEGMENT_STARTS = {Action.ISSUE, Action.REQUEUE, Action.TRANSFER}
_SEGMENT_ABANDONS = {Action.CANCEL, Action.EXPIRE}
# Actions that end a customer's time at the counter (used by the service-time statistics too).
SERVICE_ENDS = frozenset({Action.FINISH, Action.TRANSFER, Action.PARK, Action.REQUEUE})


@dataclasses.dataclass(frozen=True)
class WaitSegment:
    """One stretch of waiting in one service's queue."""

    ticket_id: int | None
    service: str
    start: dt.datetime
    end: dt.datetime | None  # the first call, or when the ticket left uncalled
    called: bool

    @property
    def wait_s(self) -> float | None:
        return None if self.end is None else (self.end - self.start).total_seconds()


@dataclasses.dataclass(frozen=True)
class ServiceSpan:
    """One stretch of a counter serving a ticket."""

    ticket_id: int | None
    service: str
    counter: str | None
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def over_target(waiting: int, longest_wait_s: float, target_wait_s: float) -> bool:
    """A queue is over its target when someone waits and the longest wait passed the target.

    The live counterpart of the service level: the manager and the counters flag
    such a queue while it can still be helped.
    """
    return waiting > 0 and longest_wait_s > target_wait_s


def _by_ticket(events: Iterable[Event]) -> dict[int | None, list[Event]]:
    out: dict[int | None, list[Event]] = defaultdict(list)
    for ev in events:
        out[ev.ticket_id].append(ev)
    for evs in out.values():
        evs.sort(key=lambda e: e.at)
    return out


def wait_segments(events: Iterable[Event]) -> list[WaitSegment]:
    """Every wait segment in ``events`` (open segments have ``end=None``)."""
    segments = []
    for tid, evs in _by_ticket(events).items():
        start: dt.datetime | None = None
        service = ""
        for ev in evs:
            if ev.action in _SEGMENT_STARTS:
                start, service = ev.at, ev.service
            elif start is not None and ev.action == Action.CALL:
                segments.append(WaitSegment(tid, service, start, ev.at, True))
                start = None
            elif start is not None and ev.action in _SEGMENT_ABANDONS:
                segments.append(WaitSegment(tid, service, start, ev.at, False))
                start = None
        if start is not None:
            segments.append(WaitSegment(tid, service, start, None, False))
    return segments


def service_spans(events: Iterable[Event]) -> list[ServiceSpan]:
    """Every start → finish/transfer/park/requeue span in ``events``."""
    spans = []
    for tid, evs in _by_ticket(events).items():
        started = None
        for ev in evs:
            if ev.action == Action.START:
                started = ev
            elif started is not None and ev.action in SERVICE_ENDS:
                spans.append(ServiceSpan(tid, started.service, started.counter, started.at, ev.at))
                started = None
    return spans


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(q * (len(values) - 1)))))
    return values[k]


def _summary(values: list[float]) -> dict:
    return {
        "count": len(values),
        "mean_s": round(mean(values), 1) if values else None,
        "median_s": round(median(values), 1) if values else None,
        "p90_s": _pct(values, 0.9),
        "max_s": max(values) if values else None,
    }


def service_level(segments: Iterable[WaitSegment], targets: Mapping[str, float],
                  default_target_s: float = 600, now: dt.datetime | None = None) -> float | None:
    """Share (0–1) of wait segments called within their service's target; None if none count.

    With ``now``, a segment still open then counts as a miss once past its target.
    """
    hit = counted = 0
    for seg in segments:
        wait = seg.wait_s
        if wait is None and now is not None:
            wait = (now - seg.start).total_seconds()
        if wait is None:
            continue
        target = targets.get(seg.service, default_target_s)
        if seg.called:
            counted += 1
            hit += wait <= target
        elif wait > target:
            counted += 1
    return hit / counted if counted else None


def counter_utilisation(spans: Iterable[ServiceSpan],
                        open_periods: Mapping[str, list[tuple[dt.datetime, dt.datetime]]]
                        ) -> dict[str, float | None]:
    """Serving time ÷ open time per counter (serving time clipped to the open periods)."""
    serving: dict[str, float] = defaultdict(float)
    for span in spans:
        if span.counter is None:
            continue
        for start, end in open_periods.get(span.counter, []):
            lo, hi = max(start, span.start), min(end, span.end)
            if hi > lo:
                serving[span.counter] += (hi - lo).total_seconds()
    out = {}
    for counter, periods in open_periods.items():
        open_s = sum((e - s).total_seconds() for s, e in periods)
        out[counter] = round(serving[counter] / open_s, 4) if open_s > 0 else None
    return out


def compute(
    events: Iterable[Event],
    *,
    period_start: dt.datetime,
    period_end: dt.datetime,
    targets: Mapping[str, float] | None = None,
    open_periods: Mapping[str, list[tuple[dt.datetime, dt.datetime]]] | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """All KPIs for ``events`` within a period, overall and per service, computed from
    every event directly (the reference the stored summaries are checked against).

    ``targets`` maps service → target wait in seconds; ``open_periods`` maps
    counter → list of (opened, closed) times for utilisation and throughput;
    ``now`` (default: the period's end) is when still-waiting tickets are judged.
    """
    events = list(events)
    targets = targets or {}
    segments = wait_segments(events)
    spans = service_spans(events)
    now = now or period_end
    hours = _union_hours(open_periods or {})

    called_tickets = {e.ticket_id for e in events if e.action == Action.CALL}
    no_shows = {e.ticket_id for e in events if e.action == Action.NO_SHOW}
    finishes = [e for e in events if e.action == Action.FINISH]
    transferred = {e.ticket_id for e in events if e.action == Action.TRANSFER}
    resolved_first = [e for e in finishes
                      if e.data.get("outcome", Outcome.RESOLVED) == Outcome.RESOLVED
                      and e.ticket_id not in transferred]
    csat = [e.data["csat"] for e in events if e.action == Action.RATE and "csat" in e.data]
    nps = [e.data["nps"] for e in events if e.action == Action.RATE and "nps" in e.data]

    def block(segs, sps, fins, called, noshow, resolved):
        waits = [s.wait_s for s in segs if s.called]
        return {
            "wait": _summary(waits),
            "service_time": _summary([s.seconds for s in sps]),
            "service_level": _round(service_level(segs, targets, now=now)),
            "no_show_rate": _round(len(noshow) / len(called)) if called else None,
            "finished": len(fins),
            "throughput_per_hour": (round(len(fins) / hours, 2) if hours
                                    else (0.0 if not fins else None)),
            "first_contact_resolution": _round(len(resolved) / len(fins)) if fins else None,
        }

    overall = block(segments, spans, finishes, called_tickets, no_shows, resolved_first)
    overall["issued"] = sum(1 for e in events if e.action == Action.ISSUE)
    overall["csat"] = _round(sum(1 for r in csat if r >= 4) / len(csat)) if csat else None
    overall["nps"] = (round(100.0 * (sum(1 for r in nps if r >= 9) - sum(1 for r in nps if r <= 6))
                            / len(nps), 1) if nps else None)
    overall["ratings"] = {"csat": len(csat), "nps": len(nps)}
    overall["counter_utilisation"] = counter_utilisation(spans, open_periods or {})

    per_service = {}
    services = sorted({e.service for e in events})
    for svc in services:
        segs = [s for s in segments if s.service == svc]
        sps = [s for s in spans if s.service == svc]
        fins = [e for e in finishes if e.service == svc]
        called = {e.ticket_id for e in events if e.action == Action.CALL and e.service == svc}
        noshow = {e.ticket_id for e in events if e.action == Action.NO_SHOW and e.service == svc}
        resolved = [e for e in resolved_first if e.service == svc]
        b = block(segs, sps, fins, called, noshow, resolved)
        b["issued"] = sum(1 for e in events if e.action == Action.ISSUE and e.service == svc)
        b["target_wait_s"] = targets.get(svc)
        per_service[svc] = b
    return {
        "from": period_start.isoformat(),
        "to": period_end.isoformat(),
        "overall": overall,
        "services": per_service,
    }


def _union_hours(open_periods: Mapping[str, list[tuple[dt.datetime, dt.datetime]]]) -> float:
    """Hours in which at least one counter was open."""
    total, lo, hi = 0.0, None, None
    for start, end in sorted(p for periods in open_periods.values() for p in periods):
        if hi is None or start > hi:
            if hi is not None and lo is not None:
                total += (hi - lo).total_seconds()
            lo, hi = start, end
        else:
            hi = max(hi, end)
    if hi is not None and lo is not None:
        total += (hi - lo).total_seconds()
    return total / 3600.0


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclasses.dataclass(frozen=True)
class CounterDay:
    """One counter's own figures for a period (its working day on the counter screen).

    ``called``: tickets called here; ``served``: visits finished here;
    ``no_shows`` and ``transferred`` (sent on from here); ``mean_wait_s``: the
    wait of the customers called here (call − queue entry, first call of each
    segment); ``mean_service_s``: start → end of service here.
    """

    called: int = 0
    served: int = 0
    no_shows: int = 0
    transferred: int = 0
    mean_wait_s: float | None = None
    mean_service_s: float | None = None


def counter_day(events: Iterable[Event], counter: str) -> CounterDay:
    """:class:`CounterDay` of ``counter`` from ``events`` (whole histories of the tickets)."""
    events = list(events)
    here = [e for e in events if e.counter == counter]
    waits = []
    for evs in _by_ticket(events).values():
        start = None
        for ev in evs:
            if ev.action in _SEGMENT_STARTS:
                start = ev.at
            elif start is not None and ev.action == Action.CALL:
                if ev.counter == counter:
                    waits.append((ev.at - start).total_seconds())
                start = None
            elif ev.action in _SEGMENT_ABANDONS:
                start = None
    spans = [s.seconds for s in service_spans(events) if s.counter == counter]
    return CounterDay(
        called=len({e.ticket_id for e in here if e.action == Action.CALL}),
        served=sum(1 for e in here if e.action == Action.FINISH),
        no_shows=sum(1 for e in here if e.action == Action.NO_SHOW),
        transferred=sum(1 for e in here if e.action == Action.TRANSFER),
        mean_wait_s=round(mean(waits), 1) if waits else None,
        mean_service_s=round(mean(spans), 1) if spans else None,
    )
