"""The simulator against queueing theory: M/M/1 at ρ = 0.7 and M/M/4 at ρ = 0.75.

Two facts make the check: (1) played through the real use cases and SQLite in
textbook mode, every customer's wait is exactly the first-come-first-served
M/M/c wait of the same arrivals and service times (so the branch behaves as the
queue the theory describes), and (2) over a long run of the simulator's own
arrival and service-time generators that queue's mean wait is within 3 % of
Erlang C. The short run through storage must also agree within its own
statistical error. ``bench/estimate_accuracy.py --erlang`` runs the long check
through storage as well.
"""
from __future__ import annotations

import math
import random
import statistics

import pytest

from servicepoint import reports
from servicepoint.domain import erlang, kpi
from servicepoint.sim.engine import Simulation
from servicepoint.sim.run import Options, prepare, scenario
from servicepoint.sim.scenario import arrival_offsets, service_time

SERVICE_S = 60.0
QUEUES = [(1, 0.7), (4, 0.75)]


def test_erlang_c_known_values():
    # Textbook values: one counter, ρ = 0.7 → P(wait) = 0.7, Wq = ρ/(1-ρ) × service.
    assert erlang.erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang.mean_wait_s(1, 0.7 / 60, 60) == pytest.approx(140.0)
    # c = 2, a = 1: P(wait) = 1/3.
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang.mean_wait_s(4, 5 / 60, 60) == math.inf  # overloaded
    # The call-centre classic: 100 calls in 30 minutes, 180 s each, 80 % within 20 s → 14.
    assert erlang.counters_needed(100 / 1800, 180, 20, 0.8) == 14
    assert erlang.service_level(4, 3 / 60, 60, 20) < 0.8 <= erlang.service_level(5, 3 / 60, 60, 20)


def test_fcfs_recursion_by_hand():
    assert erlang.fcfs_waits([0, 1, 2], [10, 10, 10], 1) == [0, 9, 18]
    assert erlang.fcfs_waits([0, 1, 2], [10, 10, 10], 2) == [0, 0, 8]


def _per_hour(c: int, rho: float) -> float:
    return rho * c * 3600.0 / SERVICE_S


@pytest.mark.parametrize("c,rho", QUEUES)
def test_long_run_of_the_generators_agrees_with_erlang_c(c, rho):
    rng = random.Random(20261207 + c)
    hours = 800_000 / _per_hour(c, rho)  # about 800,000 customers
    arrivals = arrival_offsets(rng, _per_hour(c, rho), [1.0], hours)
    services = [service_time(rng, SERVICE_S, "exponential", 0.0) for _ in arrivals]
    mean = statistics.fmean(erlang.fcfs_waits(arrivals, services, c))
    theory = erlang.mean_wait_s(c, rho * c / SERVICE_S, SERVICE_S)
    assert len(arrivals) > 750_000
    assert abs(mean - theory) / theory < 0.03, (mean, theory)


@pytest.mark.parametrize("c,rho", QUEUES)
def test_simulated_branch_is_the_mmc_queue(tmp_path, c, rho):
    opts = Options(counters=c, arrivals_per_hour=_per_hour(c, rho), mean_service_min=SERVICE_S / 60,
                   hours=24, days=3 if c == 1 else 1, seed=11, textbook=True)
    conn = prepare(str(tmp_path / "sim.db"), opts)
    sim = Simulation(conn, scenario(conn, opts))
    shown = sorted(sim.run(), key=lambda s: s.issued_at)
    events = reports.events_between(conn, sim.first, sim.last)
    spans = {s.ticket_id: s.seconds for s in kpi.service_spans(events)}
    waits = {seg.ticket_id: seg.wait_s for seg in kpi.wait_segments(events)}
    conn.close()
    t0 = shown[0].issued_at
    arrivals = [(s.issued_at - t0).total_seconds() for s in shown]
    expected = erlang.fcfs_waits(arrivals, [spans[s.ticket_id] for s in shown], c)
    measured = [waits[s.ticket_id] for s in shown]
    assert len(measured) > 3000
    # Stored times keep microseconds: the same waits to the millisecond.
    assert max(abs(m - e) for m, e in zip(measured, expected, strict=True)) < 0.001
    # And the run's mean agrees with Erlang C within its own error (batch means, 4 σ).
    size = len(measured) // 20
    batches = [statistics.fmean(measured[i * size:(i + 1) * size]) for i in range(20)]
    error = statistics.stdev(batches) / math.sqrt(len(batches))
    theory = erlang.mean_wait_s(c, rho * c / SERVICE_S, SERVICE_S)
    assert abs(statistics.fmean(measured) - theory) < 4 * error + 0.03 * theory
