"""The simulator's word on a staffing choice: one service, its arrivals, its real visits.

Erlang C assumes exponential visits; the branch's own are not. The check plays
the service at a steady ``per_hour`` with ``counters`` counters through the
real use cases and storage, drawing each visit from the branch's recorded ones,
and reports the mean wait and the service level that followed.
"""
from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile

from ..domain.staffing import ServiceGoal
from .engine import Simulation
from .run import Options, prepare
from .scenario import Behaviour, Scenario, ServicePlan


def confirm(goal: ServiceGoal, per_hour: float, counters: int, samples: list[float],
            customers: int = 800, seed: int = 1) -> dict:
    """Mean wait (s) and service level of ``counters`` for ``goal``'s service at ``per_hour``.

    Visits are drawn from ``samples`` (seconds) when there are at least 20 of them,
    else exponential with ``goal.visit_s``. Runs on a temporary database.
    """
    if per_hour <= 0 or counters <= 0:
        return {"mean_wait_s": 0.0, "service_level": 1.0, "customers": 0}
    folder = tempfile.mkdtemp(prefix="servicepoint-staffing-")
    try:
        opts = Options(counters=counters, mean_service_min=goal.visit_s / 60.0, textbook=True)
        conn = prepare(os.path.join(folder, "check.db"), opts)
        conn.execute("UPDATE services SET target_wait_s = ?", (int(goal.target_s),))
        usable = tuple(s for s in samples if s > 0)
        plan = ServicePlan("A", per_hour, goal.visit_s, goal.visit_s,
                           usable if len(usable) >= 20 else ())
        days = max(1, math.ceil(customers / (per_hour * 24.0)))
        scenario = Scenario(services=(plan,), counters=tuple(str(n) for n in range(1, counters + 1)),
                            hours=24, days=days, seed=seed, behaviour=Behaviour.textbook())
        shown = Simulation(conn, scenario).run()
        conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    waits = [s.wait_s for s in shown if s.wait_s is not None]
    if not waits:
        return {"mean_wait_s": 0.0, "service_level": 1.0, "customers": 0}
    return {"mean_wait_s": statistics.fmean(waits),
            "service_level": sum(w <= goal.target_s for w in waits) / len(waits),
            "customers": len(waits)}
