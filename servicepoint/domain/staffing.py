"""What-if staffing: counters needed per service and hour to meet the service level.

From a weekday's hour profile (arrivals per hour per service, from the branch's
own history) and each service's typical visit, Erlang C says how many counters
each service needs to call its goal share of customers within its target wait,
and what mean wait each choice of counters gives. Standard library only.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Sequence

from . import erlang

# Choices shown around the answer: one fewer, the answer, one and two more.
CHOICE_OFFSETS = (-1, 0, 1, 2)


@dataclasses.dataclass(frozen=True)
class ServiceGoal:
    """A service's agreement: ``goal`` of customers called within ``target_s``; ``visit_s``
    the typical time a counter spends per customer (call to end)."""

    code: str
    target_s: float
    goal: float
    visit_s: float


@dataclasses.dataclass(frozen=True)
class Choice:
    """``counters`` for one service in one hour, and what Erlang C expects of it."""

    counters: int
    service_level: float
    mean_wait_s: float  # math.inf when the counters cannot keep up
    meets_goal: bool


@dataclasses.dataclass(frozen=True)
class Cell:
    """One service in one hour: arrivals, the counters needed and the choices around it."""

    service: str
    hour: int
    arrivals_per_hour: float
    load: float  # erlangs: counters kept busy on average
    needed: int | None  # None: more than ``erlang.counters_needed``'s limit
    choices: tuple[Choice, ...]

    @property
    def answer(self) -> Choice | None:
        """The choice with exactly the counters needed."""
        return next((c for c in self.choices if c.counters == self.needed), None)


def choice(goal: ServiceGoal, per_hour: float, counters: int) -> Choice:
    """What ``counters`` give ``goal``'s service at ``per_hour`` arrivals."""
    rate = per_hour / 3600.0
    sl = erlang.service_level(counters, rate, goal.visit_s, goal.target_s) if rate > 0 else 1.0
    wait = erlang.mean_wait_s(counters, rate, goal.visit_s) if rate > 0 else 0.0
    return Choice(counters, sl, wait, sl >= goal.goal)


def cell(goal: ServiceGoal, hour: int, per_hour: float) -> Cell:
    """The counters ``goal``'s service needs in ``hour`` with ``per_hour`` arrivals."""
    rate = per_hour / 3600.0
    needed = erlang.counters_needed(rate, goal.visit_s, goal.target_s, goal.goal)
    base = needed if needed is not None else max(1, math.ceil(erlang.offered_load(rate, goal.visit_s)))
    counts = sorted({max(1, base + d) for d in CHOICE_OFFSETS} if per_hour > 0 else {0, 1})
    return Cell(goal.code, hour, per_hour, erlang.offered_load(rate, goal.visit_s), needed,
                tuple(choice(goal, per_hour, c) for c in counts if c > 0 or per_hour == 0))


def plan(goals: Sequence[ServiceGoal],
         profile: Mapping[str, Mapping[int, float]]) -> dict[int, dict[str, Cell]]:
    """Per hour of the day (those with arrivals), per service, the :class:`Cell`.

    ``profile`` maps service → hour (0–23, local) → mean arrivals in that hour.
    """
    hours = sorted({h for per in profile.values() for h, n in per.items() if n > 0})
    return {h: {g.code: cell(g, h, profile.get(g.code, {}).get(h, 0.0)) for g in goals}
            for h in hours}


def busiest_hour(table: Mapping[int, Mapping[str, Cell]]) -> int | None:
    """The hour with the most arrivals across services (None when there are none)."""
    if not table:
        return None
    return max(table, key=lambda h: (sum(c.arrivals_per_hour for c in table[h].values()), -h))
