"""What a simulated branch day looks like: arrivals, service times, counters, customers.

A :class:`Scenario` is plain data; :mod:`servicepoint.sim.engine` plays it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

# Arrival profiles: the share of the day's mean hourly rate per opening hour, in order.
# "flat" is steady; "peaks" is a branch's usual day: a morning rush, a lunchtime peak
# and a quiet early afternoon (the values average 1.0 over any whole day they cover).
PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0,),
    "peaks": (0.8, 1.35, 1.1, 0.75, 1.4, 1.2, 0.7, 0.7),
}


def profile_factor(profile: str, hour_index: int, hours: int) -> float:
    """Arrival-rate multiplier for the ``hour_index``-th opening hour of a ``hours``-hour day."""
    shape = PROFILES[profile]
    if len(shape) == 1 or hours <= 0:
        return 1.0
    # Stretch the shape over the day, then rescale so the day's mean is exactly 1.
    pos = [shape[min(len(shape) - 1, int(h * len(shape) / hours))] for h in range(hours)]
    mean = sum(pos) / len(pos)
    return pos[min(hour_index, hours - 1)] / mean


@dataclasses.dataclass(frozen=True)
class ServicePlan:
    """How customers of one service arrive and how long they take."""

    code: str
    arrivals_per_hour: float
    mean_service_s: float
    default_service_s: float  # what the branch file says (the naive estimate uses it)
    samples: tuple[float, ...] = ()  # real visit lengths to draw from instead of a distribution


@dataclasses.dataclass(frozen=True)
class Behaviour:
    """How customers and clerks behave; all probabilities per called ticket."""

    walk_s: float = 20.0  # from the call to the customer at the counter
    recall_p: float = 0.08  # the customer does not come at the first call: one recall
    recall_after_s: float = 45.0
    no_show_p: float = 0.03  # never comes: recalled once, then marked a no-show
    transfer_p: float = 0.03  # sent on to another service the counter does not finish
    priority_p: float = 0.06  # tickets issued as priority (elderly, disabled, pregnant)
    breaks: bool = True  # each counter takes one break around mid-day
    break_s: float = 1800.0
    afternoon_slowdown: float = 0.15  # service is this much slower in the day's second half

    @classmethod
    def textbook(cls) -> "Behaviour":
        """Customers as queueing theory has them: at the counter at once, nobody
        misses a call, no transfers, no priority, no breaks (an M/M/c queue)."""
        return cls(walk_s=0.0, recall_p=0.0, no_show_p=0.0, transfer_p=0.0, priority_p=0.0,
                   breaks=False, afternoon_slowdown=0.0)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A run: the plans per service, staffed counters, the days and the randomness."""

    services: tuple[ServicePlan, ...]
    counters: tuple[str, ...]
    open_at: dt.time = dt.time(9, 0)
    hours: float = 8.0
    days: int = 1
    first_day: dt.date = dt.date(2026, 3, 2)
    timezone: str = "UTC"
    profile: str = "flat"
    distribution: str = "exponential"  # or lognormal
    lognormal_cv: float = 0.8
    seed: int = 1
    behaviour: Behaviour = Behaviour()

    @property
    def continuous(self) -> bool:
        """A 24-hour branch never closes: the queue runs on across midnight."""
        return self.hours >= 24


def service_time(rng: random.Random, mean: float, distribution: str, cv: float) -> float:
    """One service time (seconds) with the given mean; lognormal with coefficient of variation ``cv``."""
    if distribution == "lognormal":
        sigma2 = math.log(1.0 + cv * cv)
        return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
    return rng.expovariate(1.0 / mean)


def arrival_offsets(rng: random.Random, per_hour: float, factors: list[float],
                    hours: float) -> list[float]:
    """Seconds after opening at which customers arrive: a Poisson process whose rate is
    ``per_hour`` × the hour's factor (thinning a process at the peak rate)."""
    top = max(factors)
    peak = per_hour * top
    out: list[float] = []
    if peak <= 0:
        return out
    t, end, last = 0.0, hours * 3600.0, len(factors) - 1
    while True:
        t += rng.expovariate(peak / 3600.0)
        if t >= end:
            return out
        if rng.random() * top <= factors[min(last, int(t // 3600))]:
            out.append(t)


def branch_days(first: dt.date, count: int, weekdays_only: bool) -> list[dt.date]:
    """``count`` branch days from ``first``; weekends skipped unless the branch never closes."""
    out: list[dt.date] = []
    day = first
    while len(out) < count:
        if not weekdays_only or day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def single_service_toml(counters: int, default_service_s: float, target_wait_s: int = 600) -> str:
    """A branch file with one service (A) and ``counters`` counters serving it."""
    parts = ['format = 1', '', '[branch]', 'name = "Simulated branch"', 'kiosk_languages = ["en"]',
             '', '[[services]]', 'code = "A"', 'names = { en = "Simulated service" }',
             f'target_wait_s = {int(target_wait_s)}', 'service_level_goal = 0.8',
             f'default_service_s = {max(1, int(round(default_service_s)))}', 'enabled = true']
    for n in range(1, counters + 1):
        parts += ['', '[[counters]]', f'code = "{n}"', f'name = "Counter {n}"',
                  'services = ["A"]', 'enabled = true']
    return "\n".join(parts) + "\n"


# The demo branch's customers: share of the day's arrivals per service.
DEMO_MIX = {"A": 0.35, "B": 0.35, "C": 0.2, "D": 0.1}
