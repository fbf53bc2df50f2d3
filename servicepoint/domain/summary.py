"""Mergeable summaries of finished tickets, from which every report is read.

A ticket's events become one :class:`TicketSummary`: counts per (service,
counter, staff) and the waits and service times it contributed. Summaries of
many tickets add up (:meth:`Totals.add`, :meth:`Hist.merge`), so a year is the
sum of its months and a report never has to read the events again
(docs/architecture.md, *Reports*). The definitions are those of ``kpi``:

- a wait segment starts at issue, requeue or transfer and ends at the first call
  after it; it belongs to the calling counter and staff member;
- a segment that ended uncalled (cancel, expiry) past its service's target, or is
  still open past the target at ``now``, is a miss with no counter;
- a service span runs from start to finish, transfer, park or requeue and
  belongs to the counter and staff member who started it;
- no-show rate counts distinct tickets called (per service: distinct tickets
  called in that service);
- a rating belongs to the counter and staff member who finished the visit.

Histograms are log-bucketed (:data:`RATIO`) and keep each bucket's sum, so a
percentile is the mean of the bucket holding its rank: within 1 % of the exact
value (a bucket is 1 % wide), exact when the bucket holds one distinct value.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Iterable, Mapping

from .model import Action, Event, Outcome

RATIO = 1.01
_LOG_RATIO = math.log(RATIO)

# (service, counter, staff); "" where there is none (an issue, an abandoned wait).
Key = tuple[str, str, str]


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration: 0 below one second, then 1 % wide."""
    if seconds < 1.0:
        return 0
    return 1 + int(math.log(seconds) / _LOG_RATIO)


class Hist:
    """A log-bucketed histogram: bucket → [count, sum of values]."""

    __slots__ = ("bins",)

    def __init__(self, bins: Mapping[int, list[float]] | None = None):
        self.bins: dict[int, list[float]] = {k: list(v) for k, v in (bins or {}).items()}

    def add(self, seconds: float) -> None:
        """Count one duration (negative ones, a clock step, count as zero)."""
        seconds = max(0.0, seconds)
        b = self.bins.setdefault(bucket_of(seconds), [0, 0.0])
        b[0] += 1
        b[1] += seconds

    def add_bucket(self, bucket: int, n: int, total: float) -> None:
        """Add ``n`` values summing to ``total`` to ``bucket`` (as read from storage)."""
        b = self.bins.setdefault(bucket, [0, 0.0])
        b[0] += n
        b[1] += total

    def merge(self, other: "Hist") -> "Hist":
        """Add ``other`` into this histogram; returns self."""
        for k, (n, total) in other.bins.items():
            self.add_bucket(k, int(n), total)
        return self

    @property
    def count(self) -> int:
        return int(sum(b[0] for b in self.bins.values()))

    def value_at(self, rank: int) -> float | None:
        """The estimated ``rank``-th smallest value (0-based), or None when empty."""
        seen = 0
        for k in sorted(self.bins):
            n, total = self.bins[k]
            seen += int(n)
            if rank < seen:
                return total / n
        return None

    def quantile(self, q: float) -> float | None:
        """Nearest-rank quantile (the rank ``kpi`` uses), or None when empty."""
        n = self.count
        if not n:
            return None
        return self.value_at(max(0, min(n - 1, int(round(q * (n - 1))))))

    def median(self) -> float | None:
        """The median (the mean of the two middle values for an even count)."""
        n = self.count
        if not n:
            return None
        lo, hi = self.value_at((n - 1) // 2), self.value_at(n // 2)
        assert lo is not None and hi is not None
        return (lo + hi) / 2

    def shares(self, edges: Iterable[float]) -> list[int]:
        """Counts between consecutive ``edges`` (bucket means decide the side), plus the rest."""
        edges = list(edges)
        out = [0] * (len(edges) + 1)
        for n, total in self.bins.values():
            value = total / n if n else 0.0
            i = sum(1 for e in edges if value >= e)
            out[i] += int(n)
        return out


COUNTS = ("issued", "called", "called_tickets", "called_in_service", "wait_sum", "sl_n", "sl_hit",
          "served", "service_sum", "finished", "resolved", "no_shows", "cancelled", "expired",
          "transfers", "recalls", "csat_n", "csat_good", "nps_n", "nps_pro", "nps_det")
MAXIMA = ("wait_max", "service_max")
FIELDS = COUNTS + MAXIMA


@dataclasses.dataclass(slots=True)
class Totals:
    """Additive counts of a set of tickets (see the module docstring for each one)."""

    issued: int = 0
    called: int = 0  # wait segments ended by a call
    called_tickets: int = 0  # tickets called at least once (attributed to the first call)
    called_in_service: int = 0  # tickets called in a service (first call in it)
    wait_sum: float = 0.0
    sl_n: int = 0  # segments that count for the service level
    sl_hit: int = 0  # of them, called within the target
    served: int = 0  # service spans
    service_sum: float = 0.0
    finished: int = 0
    resolved: int = 0  # finished resolved without any transfer
    no_shows: int = 0
    cancelled: int = 0
    expired: int = 0
    transfers: int = 0
    recalls: int = 0
    csat_n: int = 0
    csat_good: int = 0
    nps_n: int = 0
    nps_pro: int = 0
    nps_det: int = 0
    wait_max: float = 0.0
    service_max: float = 0.0

    def add(self, other: "Totals") -> "Totals":
        """Add ``other`` into these totals; returns self."""
        # Written out field by field: the rebuild adds millions of these.
        self.issued += other.issued
        self.called += other.called
        self.called_tickets += other.called_tickets
        self.called_in_service += other.called_in_service
        self.wait_sum += other.wait_sum
        self.sl_n += other.sl_n
        self.sl_hit += other.sl_hit
        self.served += other.served
        self.service_sum += other.service_sum
        self.finished += other.finished
        self.resolved += other.resolved
        self.no_shows += other.no_shows
        self.cancelled += other.cancelled
        self.expired += other.expired
        self.transfers += other.transfers
        self.recalls += other.recalls
        self.csat_n += other.csat_n
        self.csat_good += other.csat_good
        self.nps_n += other.nps_n
        self.nps_pro += other.nps_pro
        self.nps_det += other.nps_det
        if other.wait_max > self.wait_max:
            self.wait_max = other.wait_max
        if other.service_max > self.service_max:
            self.service_max = other.service_max
        return self

    def values(self) -> tuple:
        """The fields in :data:`FIELDS` order (for storage)."""
        return tuple(getattr(self, name) for name in FIELDS)

    @classmethod
    def from_values(cls, values: Iterable) -> "Totals":
        """Totals from values in :data:`FIELDS` order (None counts as 0)."""
        return cls(**{name: (v or 0) for name, v in zip(FIELDS, values, strict=True)})


@dataclasses.dataclass
class TicketSummary:
    """What one ticket adds to the reports, attributed to its issue time."""

    ticket_id: int | None
    issued_at: dt.datetime
    totals: dict[Key, Totals]
    waits: list[tuple[Key, float]]
    services: list[tuple[Key, float]]


def _key(ev: Event, service: str | None = None) -> Key:
    return (service or ev.service, ev.counter or "", ev.staff or "")


def summarise_ticket(events: Iterable[Event], targets: Mapping[str, float], *,
                     now: dt.datetime | None = None,
                     default_target_s: float = 600) -> TicketSummary | None:
    """One ticket's :class:`TicketSummary` from its events; None without an issue event.

    ``now`` is when the report looks: a segment still open then and already past
    its target counts as a miss.
    """
    evs = sorted(events, key=lambda e: e.at)
    if not evs or evs[0].action != Action.ISSUE:
        return None
    totals: dict[Key, Totals] = {}
    waits: list[tuple[Key, float]] = []
    services: list[tuple[Key, float]] = []

    def tot(key: Key) -> Totals:
        t = totals.get(key)
        if t is None:
            t = totals[key] = Totals()
        return t

    seg_start: dt.datetime | None = None
    seg_service = ""
    started: Event | None = None
    transferred = any(e.action == Action.TRANSFER for e in evs)
    called_any = False
    called_services: set[str] = set()
    finish_key: Key | None = None

    def end_span(at: dt.datetime) -> None:
        nonlocal started
        if started is not None:
            key = _key(started)
            seconds = max(0.0, (at - started.at).total_seconds())
            t = tot(key)
            t.served += 1
            t.service_sum += seconds
            t.service_max = max(t.service_max, seconds)
            services.append((key, seconds))
            started = None

    for ev in evs:
        action = ev.action
        if action == Action.ISSUE:
            tot((ev.service, "", "")).issued += 1
            seg_start, seg_service = ev.at, ev.service
        elif action in (Action.REQUEUE, Action.TRANSFER):
            if action == Action.TRANSFER:
                tot(_key(ev, started.service if started else None)).transfers += 1
            end_span(ev.at)
            seg_start, seg_service = ev.at, ev.service
        elif action == Action.CALL:
            key = _key(ev)
            t = tot(key)
            if seg_start is not None:
                wait = max(0.0, (ev.at - seg_start).total_seconds())
                wkey = (seg_service, key[1], key[2])
                w = tot(wkey)
                w.called += 1
                w.wait_sum += wait
                w.wait_max = max(w.wait_max, wait)
                w.sl_n += 1
                w.sl_hit += wait <= targets.get(seg_service, default_target_s)
                waits.append((wkey, wait))
                seg_start = None
            if not called_any:
                t.called_tickets += 1
                called_any = True
            if ev.service not in called_services:
                t.called_in_service += 1
                called_services.add(ev.service)
        elif action == Action.RECALL:
            tot(_key(ev)).recalls += 1
        elif action == Action.START:
            started = ev
        elif action == Action.PARK:
            end_span(ev.at)
        elif action == Action.FINISH:
            end_span(ev.at)
            finish_key = _key(ev)
            t = tot(finish_key)
            t.finished += 1
            outcome = ev.data.get("outcome", Outcome.RESOLVED)
            t.resolved += outcome == Outcome.RESOLVED and not transferred
        elif action == Action.NO_SHOW:
            tot(_key(ev)).no_shows += 1
        elif action in (Action.CANCEL, Action.EXPIRE):
            if seg_start is not None:
                if (ev.at - seg_start).total_seconds() > targets.get(seg_service, default_target_s):
                    tot((seg_service, "", "")).sl_n += 1
                seg_start = None
            t = tot(_key(ev))
            if action == Action.CANCEL:
                t.cancelled += 1
            else:
                t.expired += 1
        elif action == Action.RATE:
            add_rating(tot(finish_key or _key(ev)), ev.data)
    if seg_start is not None and now is not None:
        if (now - seg_start).total_seconds() > targets.get(seg_service, default_target_s):
            tot((seg_service, "", "")).sl_n += 1
    return TicketSummary(evs[0].ticket_id, evs[0].at, totals, waits, services)


def add_rating(t: Totals, data: Mapping) -> None:
    """Count a rate event's scores (``csat`` 1–5, ``nps`` 0–10) into ``t``."""
    csat, nps = data.get("csat"), data.get("nps")
    if csat is not None:
        t.csat_n += 1
        t.csat_good += csat >= 4
    if nps is not None:
        t.nps_n += 1
        t.nps_pro += nps >= 9
        t.nps_det += nps <= 6


def rating_key(events: Iterable[Event]) -> Key:
    """Where a ticket's rating counts: the counter and staff member who finished the visit."""
    evs = sorted(events, key=lambda e: e.at)
    for ev in reversed(evs):
        if ev.action == Action.FINISH:
            return _key(ev)
    return _key(evs[-1]) if evs else ("", "", "")
