"""A shown wait (:class:`WaitEstimate`) and the plain people-ahead formula.

Every screen shows the estimate of :mod:`servicepoint.domain.waits`
(docs/architecture.md, *Waits*), which returns a :class:`WaitEstimate`. The
plain formula kept here — people ahead × an exponentially weighted mean
service time ÷ counters open — is the textbook baseline: never negative,
rounded up to the minute, a range when uncertain.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable

# Weight of the newest service time in the moving average. 0.2 ≈ the last ten
# customers dominate: fast enough to follow a slowdown, calm enough to ignore one
# long visit.
ALPHA = 0.2
# Below this many observed service times the estimate is a guess and shown as a range.
MIN_SAMPLES = 5


@dataclasses.dataclass(frozen=True)
class ServiceTimeStats:
    """Exponentially weighted mean and standard deviation of service times (seconds)."""

    mean: float
    std: float
    n: int


@dataclasses.dataclass(frozen=True)
class WaitEstimate:
    """A wait in whole minutes (stored as seconds): ``point`` plus a ``low``–``high`` range."""

    point_s: int
    low_s: int
    high_s: int
    uncertain: bool
    no_counter: bool = False  # no counter serves the service now: no wait is promised

    @property
    def minutes(self) -> int:
        return self.point_s // 60

    @property
    def is_range(self) -> bool:
        return is_range(self.low_s, self.high_s)

    def as_dict(self) -> dict:
        """The API's fields; with no counter open there is no wait to give (null)."""
        if self.no_counter:
            return {"estimated_wait_s": None, "estimated_wait_low_s": None,
                    "estimated_wait_high_s": None, "estimate_uncertain": True,
                    "no_counter_open": True}
        return {"estimated_wait_s": self.point_s, "estimated_wait_low_s": self.low_s,
                "estimated_wait_high_s": self.high_s, "estimate_uncertain": self.uncertain,
                "no_counter_open": self.no_counter}


def is_range(low_s: int, high_s: int) -> bool:
    """A wait is shown as a range ("10–15 min") when its ends are two minutes or more apart."""
    return high_s - low_s >= 120


def service_time_stats(durations: Iterable[float], alpha: float = ALPHA) -> ServiceTimeStats | None:
    """EWMA mean and deviation of ``durations`` given oldest first; None when empty.

    Negative durations (clock steps) are ignored.
    """
    mean: float | None = None
    var = 0.0
    n = 0
    for d in durations:
        if d is None or d < 0:
            continue
        n += 1
        if mean is None:
            mean, var = float(d), 0.0
            continue
        diff = d - mean
        incr = alpha * diff
        mean += incr
        var = (1 - alpha) * (var + diff * incr)
    if mean is None:
        return None
    return ServiceTimeStats(mean=mean, std=math.sqrt(max(var, 0.0)), n=n)


def estimate_wait(
    people_ahead: int,
    stats: ServiceTimeStats | None,
    open_counters: int,
    default_service_s: float,
) -> WaitEstimate:
    """Estimate the wait of someone with ``people_ahead`` in front of them.

    Uses ``default_service_s`` when there is no history. With no counter open the
    estimate assumes one and is marked uncertain.
    """
    people_ahead = max(0, int(people_ahead))
    counters = max(1, int(open_counters))
    little_history = stats is None or stats.n < MIN_SAMPLES
    uncertain = little_history or open_counters <= 0
    mean = stats.mean if stats is not None else float(default_service_s)
    raw = people_ahead * mean / counters
    if little_history or stats is None:
        # A guess: widen to ±50% of the mean per person.
        spread = people_ahead * 0.5 * mean / counters
    else:
        # The sum of k independent service times spreads with sqrt(k).
        spread = math.sqrt(people_ahead) * stats.std / counters
    if open_counters <= 0:
        spread = max(spread, raw * 0.5)
    point = _ceil_minute(raw)
    low = _floor_minute(max(0.0, raw - spread))
    high = max(point, _ceil_minute(raw + spread))
    return WaitEstimate(point_s=point, low_s=min(low, point), high_s=high, uncertain=uncertain)


def _ceil_minute(seconds: float) -> int:
    return int(math.ceil(max(0.0, seconds) / 60.0 - 1e-9)) * 60


def _floor_minute(seconds: float) -> int:
    return int(math.floor(max(0.0, seconds) / 60.0)) * 60
