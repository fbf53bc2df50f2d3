"""Queueing theory for a branch: Erlang C (M/M/c) waits, service levels and staffing.

With Poisson arrivals at ``rate`` per second, exponential service with mean
``service_s`` seconds and ``c`` counters, the offered load is
``a = rate × service_s`` erlangs. Erlang C gives the chance that an arrival
waits at all; from it follow the mean wait and the share of customers called
within a target. Standard library only.
"""
from __future__ import annotations

import heapq
import math
from typing import Iterable


def offered_load(rate_per_s: float, service_s: float) -> float:
    """Erlangs of work arriving: arrivals per second × mean service seconds."""
    return max(0.0, rate_per_s) * max(0.0, service_s)


def erlang_c(c: int, load: float) -> float:
    """Probability that an arrival must wait with ``c`` counters and ``load`` erlangs.

    1.0 when the counters cannot keep up (``load >= c``) or there are none.
    Computed through the Erlang B recursion, which stays exact for large ``c``.
    """
    if c <= 0 or load >= c:
        return 1.0
    if load <= 0:
        return 0.0
    b = 1.0
    for k in range(1, c + 1):
        b = load * b / (k + load * b)
    rho = load / c
    return b / (1.0 - rho + rho * b)


def mean_wait_s(c: int, rate_per_s: float, service_s: float) -> float:
    """Mean wait before being called (seconds); ``math.inf`` when the queue grows without end."""
    load = offered_load(rate_per_s, service_s)
    if c <= 0 or load >= c:
        return math.inf
    return erlang_c(c, load) * service_s / (c - load)


def service_level(c: int, rate_per_s: float, service_s: float, target_s: float) -> float:
    """Share of customers called within ``target_s`` seconds (0 when overloaded)."""
    load = offered_load(rate_per_s, service_s)
    if c <= 0 or load >= c:
        return 0.0
    if service_s <= 0:
        return 1.0
    return 1.0 - erlang_c(c, load) * math.exp(-(c - load) * max(0.0, target_s) / service_s)


def counters_needed(rate_per_s: float, service_s: float, target_s: float, goal: float,
                    max_counters: int = 60) -> int | None:
    """Fewest counters whose service level reaches ``goal``; 0 without arrivals.

    None when even ``max_counters`` are not enough.
    """
    if rate_per_s <= 0 or service_s <= 0:
        return 0
    start = max(1, math.floor(offered_load(rate_per_s, service_s)) + 1)
    for c in range(start, max_counters + 1):
        if service_level(c, rate_per_s, service_s, target_s) >= goal:
            return c
    return None


def fcfs_waits(arrivals_s: Iterable[float], services_s: Iterable[float], c: int) -> list[float]:
    """Each customer's wait in a first-come-first-served queue with ``c`` counters.

    ``arrivals_s`` in order, ``services_s`` the matching service times: the
    Kiefer–Wolfowitz recursion (Lindley's for one counter), the exact waits that
    the same customers would have in an M/M/c queue.
    """
    free = [0.0] * max(1, c)
    waits = []
    for arrival, service in zip(arrivals_s, services_s, strict=True):
        earliest = heapq.heappop(free)
        start = max(arrival, earliest)
        waits.append(start - arrival)
        heapq.heappush(free, start + service)
    return waits
