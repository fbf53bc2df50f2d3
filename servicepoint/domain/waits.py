"""The wait a customer is shown: the branch played forward, calibrated as a range.

One estimate serves every screen (docs/architecture.md, *Waits*). It plays the
queue forward the way routing will call it: each open counter becomes free
after what it holds now (the expected rest of its current visit, from recent
visits of that length), a counter on a break after the rest of a typical
break, and a counter due for its usual break leaves for one when next free;
then each takes whoever routing would give it — tickets of
any of its services, priority first, by weighted wait — and holds each for its
service's recent typical visit (from the call to the end, so walking up,
recalls and no-shows count). The ticket's wait is when a counter reaches it,
plus the priority tickets expected to arrive and overtake meanwhile. No
counter open for the service: no wait is promised ("no counter open").

The shown range covers about 80 % of actual waits (calibrated with
``servicepoint simulate``): the wait is a sum of visits, so it spreads less the
more visits stand before it. Standard library only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import statistics
from typing import Mapping, Sequence

from .estimate import WaitEstimate
from .model import PRIORITY_RANK, Priority, State, Ticket
from .routing import rank_key

# Visits shorter than this share of the service's default are not believed at face
# value (a clerk clicking start and finish to clear a screen).
FLOOR_SHARE = 0.25
# Pseudo-visits of the default service time mixed into the recent ones: a branch with
# three visits of history is not yet sure of them.
PRIOR_VISITS = 3.0
# How far the model itself may be off (relative), beside the randomness of visits.
MODEL_ERROR = 0.22
# A break's expected length while the branch has none on record (seconds).
DEFAULT_BREAK_S = 900.0
# Expected arrivals are played this far ahead (seconds).
HORIZON_S = 3 * 3600.0
NEWCOMER_ID = 2 ** 62  # after every stored ticket in routing's tie-break
Z80 = 1.2816  # the standard normal's 90th percentile: 80 % between the 10th and 90th


@dataclasses.dataclass(frozen=True)
class CounterNow:
    """An open counter as the estimate sees it: its services and what it holds."""

    code: str
    services: tuple[str, ...]
    holding: str | None = None  # service of the ticket it has called or is serving
    since: dt.datetime | None = None  # when it called that ticket, or began its break
    on_break: bool = False  # back after a typical break; until then it calls nobody
    # Seconds from now until the break it usually takes about this time of day, when it
    # has not had it yet today (None: none expected). It leaves when next free after that.
    break_in: float | None = None


@dataclasses.dataclass(frozen=True)
class BranchQueue:
    """Everything the estimate needs, read at one moment.

    ``waiting`` are every waiting ticket of the branch; ``counters`` the open
    ones; ``visits`` each service's recent visit lengths in seconds (call to
    end of the visit), oldest first; ``arrivals_per_hour`` the last hour's
    arrivals per service, of which ``priority_per_hour`` were priority or
    appointment tickets.
    """

    now: dt.datetime
    waiting: tuple[Ticket, ...]
    counters: tuple[CounterNow, ...]
    visits: Mapping[str, Sequence[float]]
    defaults: Mapping[str, float]
    weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    priority_per_hour: Mapping[str, float] = dataclasses.field(default_factory=dict)
    arrivals_per_hour: Mapping[str, float] = dataclasses.field(default_factory=dict)
    break_s: float = DEFAULT_BREAK_S  # how long the branch's recent breaks lasted (median)


def typical_visit(recent: Sequence[float], default_s: float) -> float:
    """A service's typical visit (s): recent visits, robust to a few very short or long ones.

    Each visit is clipped to [median ÷ 4, median × 4] and to the floor of
    ``FLOOR_SHARE`` × the default, then ``PRIOR_VISITS`` default visits are mixed
    in so that little history leans on the configured default.
    """
    default_s = max(1.0, float(default_s))
    floor = FLOOR_SHARE * default_s
    values = [v for v in recent if v is not None and v >= 0]
    if not values:
        return default_s
    mid = max(statistics.median(values), floor)
    clipped = [min(max(v, mid / 4.0, floor), mid * 4.0) for v in values]
    return (sum(clipped) + PRIOR_VISITS * default_s) / (len(clipped) + PRIOR_VISITS)


def rest_of_visit(recent: Sequence[float], typical: float, elapsed: float) -> float:
    """Expected seconds left of a visit already ``elapsed`` long, from visits that lasted longer."""
    longer = [v - elapsed for v in recent if v is not None and v > elapsed]
    if len(longer) >= 3:
        return min(sum(longer) / len(longer), 4.0 * typical)
    # Past nearly every recent visit: it should end soon.
    return max(typical - elapsed, 0.2 * typical)


def no_counter() -> WaitEstimate:
    """What is shown when no counter serves the service now: no wait is promised."""
    return WaitEstimate(point_s=0, low_s=0, high_s=0, uncertain=True, no_counter=True)


def newcomer(service: str, now: dt.datetime, priority: Priority = Priority.NORMAL,
             ticket_id: int = 2 ** 62) -> Ticket:
    """A ticket that would be issued now (for "the wait if you take a ticket now")."""
    return Ticket(id=ticket_id, number="", service=service, day="", seq=1, state=State.WAITING,
                  priority=priority, language="en", issued_at=now, queued_at=now, rank_at=now)


def estimate(queue: BranchQueue, ticket: Ticket) -> WaitEstimate:
    """The wait ``ticket`` (waiting, or a :func:`newcomer`) is shown now."""
    return estimate_many(queue, [ticket])[0]


def estimate_many(queue: BranchQueue, tickets: Sequence[Ticket]) -> list[WaitEstimate]:
    """The wait each of ``tickets`` is shown now, exactly as :func:`estimate` would say.

    One play serves every ticket of a kind (service, counter sent to, priority or
    not: what decides who may overtake it): a ticket called in the play does not
    change what happened before it, so playing on past it gives the next one's wait.
    Every phone following a ticket costs the branch a handful of plays per change.
    """
    shown: list[WaitEstimate | None] = [None] * len(tickets)
    kinds: dict[tuple, list[int]] = {}
    for n, t in enumerate(tickets):
        urgent = PRIORITY_RANK[t.priority] <= PRIORITY_RANK[Priority.PRIORITY]
        kinds.setdefault((t.service, t.target_counter, urgent), []).append(n)
    for indexes in kinds.values():
        for n, e in zip(indexes, _play(queue, [tickets[n] for n in indexes]), strict=True):
            shown[n] = e
    return [e if e is not None else no_counter() for e in shown]


def _play(queue: BranchQueue, group: list[Ticket]) -> list[WaitEstimate]:
    """Play the branch forward until every ticket of ``group`` (one kind) is called."""
    now = queue.now
    first = group[0]
    counters = [c for c in queue.counters if _can_call(c, first) and not c.on_break]
    if not counters:
        return [no_counter()] * len(group)
    typical = {s: typical_visit(queue.visits.get(s, ()), d) for s, d in queue.defaults.items()}

    def visit(service: str) -> float:
        return typical.get(service) or 60.0

    # When each open counter is free next.
    free: list[tuple[float, str]] = []
    by_code = {c.code: c for c in queue.counters}
    for c in queue.counters:
        at = 0.0
        if c.on_break:
            elapsed = max(0.0, (now - c.since).total_seconds()) if c.since else 0.0
            at = max(queue.break_s - elapsed, 60.0)
        elif c.holding is not None:
            elapsed = max(0.0, (now - c.since).total_seconds()) if c.since else 0.0
            at = rest_of_visit(queue.visits.get(c.holding, ()), visit(c.holding), elapsed)
        free.append((at, c.code))
    heapq.heapify(free)
    lines = _Lines(queue.weights)
    for t in group:
        lines.add(t)
    mine = {t.id for t in group}
    for other in queue.waiting:
        if other.id not in mine:
            lines.add(other)
    pending = {id(t): n for n, t in enumerate(group)}
    # Not reached within the horizon: at least that long.
    reached: list[tuple[float, int]] = [(HORIZON_S, 0)] * len(group)
    coming = _Arrivals(queue, first, counters)
    visits_before = 0
    # Counters that will leave for their usual break before they call again: at
    # lunchtime one counter after another goes, so the one back from a break does
    # not add a counter for long.
    due = {c.code: c.break_in for c in queue.counters
           if c.break_in is not None and not c.on_break and c.break_in < HORIZON_S}
    while free and pending:
        at, code = heapq.heappop(free)
        counter = by_code[code]
        leaves = due.get(code)
        if leaves is not None and at >= leaves:
            del due[code]
            heapq.heappush(free, (at + queue.break_s, code))
            continue
        for expected in coming.until(at):
            lines.add(expected)
        chosen = lines.pop_next(counter, now + dt.timedelta(seconds=at))
        if chosen is None:
            # Nobody for it now: it idles until someone it serves is expected.
            later = coming.next_for(counter)
            if later is not None:
                heapq.heappush(free, (later, code))
            continue
        n = pending.pop(id(chosen), None)
        if n is not None:
            reached[n] = (at, visits_before)
        visits_before += 1
        heapq.heappush(free, (at + visit(chosen.service), code))
    return [_shown(wait, before, queue, t.service) for (wait, before), t in zip(reached, group, strict=True)]


class _Lines:
    """The waiting tickets as routing sees them, one line per service (and per service
    and counter for tickets sent to a counter), for a play that asks "who next?"
    thousands of times.

    Within a line the order never changes as time passes: its tickets share one
    service, so one weight, and routing's key (front, priority class, weighted wait,
    queued time, id) orders them by those fields alone. Who a counter calls is
    therefore the first, by routing's key at that moment, of the heads of the lines
    it may call from — the same ticket as ranking every waiting ticket, in a few
    comparisons.
    """

    def __init__(self, weights: Mapping[str, float]):
        self.weights = weights
        self.lines: dict[tuple[str, str], list[tuple]] = {}
        self.sent: dict[str, set[str]] = {}  # counter -> services of tickets sent to it
        self.added = 0

    def add(self, ticket: Ticket) -> None:
        target = ticket.target_counter or ""
        if target:
            self.sent.setdefault(target, set()).add(ticket.service)
        self.added += 1  # two probes may share an id: never compare the tickets themselves
        entry = (not ticket.front, PRIORITY_RANK[ticket.priority], ticket.rank_at,
                 ticket.id if ticket.id is not None else 0, self.added, ticket)
        heapq.heappush(self.lines.setdefault((target, ticket.service), []), entry)

    def keys(self, counter: CounterNow) -> list[tuple[str, str]]:
        """The lines ``counter`` may call from."""
        return [*((counter.code, s) for s in sorted(self.sent.get(counter.code, ()))),
                *(("", s) for s in counter.services)]

    def pop_next(self, counter: CounterNow, when: dt.datetime) -> Ticket | None:
        """Take the ticket routing gives ``counter`` at ``when`` (None when none waits)."""
        best = None
        for key in self.keys(counter):
            line = self.lines.get(key)
            if line and (best is None or rank_key(line[0][-1], when, self.weights)
                         < rank_key(best[0][-1], when, self.weights)):
                best = line
        return heapq.heappop(best)[-1] if best is not None else None


def _can_call(counter: CounterNow, ticket: Ticket) -> bool:
    if ticket.target_counter is not None:
        return counter.code == ticket.target_counter
    return ticket.service in counter.services


class _Arrivals:
    """Customers expected while ``ticket`` waits, at the last hour's rates, evenly spaced.

    Only those who may be called first matter: priority tickets (they overtake a
    normal one) and tickets of other services sharing its counters (a service's
    weight lets its newcomers go ahead of a longer wait elsewhere). Made as the
    play reaches them, up to :data:`HORIZON_S`.
    """

    def __init__(self, queue: BranchQueue, ticket: Ticket, counters: list[CounterNow]):
        self.now = queue.now
        self.heads: list[tuple[float, int, str, Priority, float]] = []
        services = {s for c in counters for s in c.services}
        for n, service in enumerate(sorted(services)):
            total = queue.arrivals_per_hour.get(service, 0.0)
            urgent = min(total, queue.priority_per_hour.get(service, 0.0))
            streams = [(urgent, Priority.PRIORITY)]
            if service != ticket.service:
                streams.append((total - urgent, Priority.NORMAL))
            for per_hour, priority in streams:
                if per_hour <= 0 or (priority == Priority.PRIORITY and PRIORITY_RANK[
                        ticket.priority] <= PRIORITY_RANK[Priority.PRIORITY]):
                    continue  # none expected, or they would not go ahead of it
                gap = 3600.0 / per_hour
                self.heads.append((gap / 2.0, 2 * n + len(self.heads), service, priority, gap))
        heapq.heapify(self.heads)
        self.serial = 0

    def until(self, at: float) -> list[Ticket]:
        """The expected customers who arrive by ``at`` seconds from now (each once)."""
        out = []
        while self.heads and self.heads[0][0] <= at:
            t, key, service, priority, gap = heapq.heappop(self.heads)
            self.serial += 1
            out.append(newcomer(service, self.now + dt.timedelta(seconds=t), priority,
                                NEWCOMER_ID + self.serial))
            if t + gap < HORIZON_S:
                heapq.heappush(self.heads, (t + gap, key, service, priority, gap))
        return out

    def next_for(self, counter: CounterNow) -> float | None:
        """When the next expected customer that ``counter`` serves arrives, if any."""
        times = [t for t, _, service, _, _ in self.heads if service in counter.services]
        return min(times) if times else None


def _shown(wait: float, visits_before: int, queue: BranchQueue, service: str) -> WaitEstimate:
    """The range around ``wait``: 10th to 90th percentile of a lognormal of that mean.

    The relative spread of a sum of ``n`` visits is the visits' own (their
    coefficient of variation) ÷ √n, widened by the model's own error.
    """
    if wait <= 0:
        return WaitEstimate(point_s=0, low_s=0, high_s=0, uncertain=False)
    recent = [v for v in queue.visits.get(service, ()) if v is not None and v >= 0]
    if len(recent) >= 5:
        mean = statistics.fmean(recent)
        cv = min(2.0, statistics.pstdev(recent) / mean) if mean > 0 else 1.0
    else:
        cv = 1.0
    uncertain = len(recent) < 5
    n = visits_before + 1
    rel2 = cv * cv / n + MODEL_ERROR ** 2 + (0.25 if uncertain else 0.0)
    s = math.sqrt(math.log1p(rel2))
    median = wait * math.exp(-s * s / 2.0)
    low = median * math.exp(-Z80 * s)
    high = median * math.exp(Z80 * s)
    point = _ceil_minute(median)
    return WaitEstimate(point_s=point, low_s=min(point, _floor_minute(low)),
                        high_s=max(point, _ceil_minute(high)), uncertain=uncertain)


def _ceil_minute(seconds: float) -> int:
    return int(math.ceil(max(0.0, seconds) / 60.0 - 1e-9)) * 60


def _floor_minute(seconds: float) -> int:
    return int(math.floor(max(0.0, seconds) / 60.0)) * 60
