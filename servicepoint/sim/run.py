"""Setting up a simulated branch and summing up what happened in it.

:func:`simulate` is what ``servicepoint simulate`` runs: it prepares the database
(the branch file's setup on a new database, or an existing branch as it is),
plays the scenario, and reports KPIs read back from storage (the same reports
the manager sees) together with the accuracy of the waits customers were shown.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sqlite3
from typing import Iterable

from .. import reports
from ..branch_file import import_text
from ..db import connect, get_setting, init_db
from ..demo import demo_text, ensure_base_settings
from ..setup_store import setup_ports
from ..timeutil import FixedClock
from ..uow import row_to_service
from .engine import Shown, Simulation
from .scenario import DEMO_MIX, Behaviour, Scenario, ServicePlan, single_service_toml

FIVE_MIN = 300.0


@dataclasses.dataclass(frozen=True)
class Options:
    """The knobs of ``servicepoint simulate`` (None: taken from the branch)."""

    counters: int | None = None
    arrivals_per_hour: float | None = None
    mean_service_min: float | None = None
    distribution: str = "exponential"
    hours: float = 8.0
    days: int = 1
    seed: int = 1
    profile: str = "flat"
    branch_text: str | None = None  # a branch file; None: the demo branch (or one service)
    first_day: dt.date = dt.date(2026, 3, 2)
    textbook: bool = False  # customers as queueing theory has them (see Behaviour.textbook)
    load: float = 0.65  # default arrivals: this share of the counters' capacity


def prepare(path: str, opts: Options, timezone: str = "UTC") -> sqlite3.Connection:
    """Open (creating and setting up when new) the branch database at ``path``.

    A database that already has services keeps its own setup; a new one gets
    ``opts.branch_text``, else one service with ``opts.counters`` counters when
    those are given, else the demo branch. Raises
    :class:`~servicepoint.branch_file.ConfigFileError` for a bad branch file.
    """
    init_db(path)
    conn = connect(path, synchronous="OFF")
    ensure_base_settings(conn, timezone, "Simulated branch")
    if conn.execute("SELECT count(*) FROM services").fetchone()[0]:
        return conn
    if opts.branch_text is not None:
        text, source = opts.branch_text, "branch.toml"
    elif opts.counters is not None:
        mean = (opts.mean_service_min or 5.0) * 60.0
        text, source = single_service_toml(opts.counters, mean), "simulate"
    else:
        text, source = demo_text(), "demo_branch.toml"
    clock = FixedClock(dt.datetime.combine(opts.first_day, dt.time(0), tzinfo=dt.timezone.utc))
    import_text(setup_ports(conn, clock, "simulate"), text, source=source)
    return conn


def scenario(conn: sqlite3.Connection, opts: Options) -> Scenario:
    """The scenario for the branch in ``conn``: its active services and enabled counters."""
    services = [row_to_service(r) for r in conn.execute(
        "SELECT * FROM services WHERE active ORDER BY sort, code")]
    counters = [r[0] for r in conn.execute("SELECT code FROM counters WHERE enabled ORDER BY code")]
    if opts.counters is not None:
        counters = counters[:opts.counters]
    if not services or not counters:
        raise ValueError("The branch needs at least one active service and one enabled counter")
    mix = DEMO_MIX if set(DEMO_MIX) == {s.code for s in services} else {
        s.code: 1.0 / len(services) for s in services}
    means = {s.code: (opts.mean_service_min * 60.0 if opts.mean_service_min
                      else float(s.default_service_s)) for s in services}
    total = opts.arrivals_per_hour
    if total is None:
        mean = sum(mix[c] * means[c] for c in mix)
        total = opts.load * len(counters) * 3600.0 / mean
    plans = tuple(ServicePlan(s.code, total * mix[s.code], means[s.code], float(s.default_service_s))
                  for s in services)
    tz = get_setting(conn, "timezone", "UTC")
    return Scenario(services=plans, counters=tuple(counters), hours=opts.hours, days=opts.days,
                    first_day=opts.first_day, timezone=tz, profile=opts.profile,
                    distribution=opts.distribution, seed=opts.seed,
                    behaviour=Behaviour.textbook() if opts.textbook else Behaviour())


def simulate(path: str, opts: Options) -> dict:
    """Run ``opts`` on the branch database at ``path``; the summary :func:`summary` gives."""
    conn = prepare(path, opts)
    try:
        sim = Simulation(conn, scenario(conn, opts))
        shown = sim.run()
        assert sim.first is not None and sim.last is not None
        return summary(conn, shown, sim.first, sim.last)
    finally:
        conn.close()


def summary(conn: sqlite3.Connection, shown: Iterable[Shown], start: dt.datetime,
            end: dt.datetime) -> dict:
    """KPIs of the run (from storage, as the reports compute them) and estimate accuracy."""
    data = reports.kpis(conn, start, end + dt.timedelta(seconds=1), now=end)
    overall = data["overall"]
    util = [u for u in overall["counter_utilisation"].values() if u is not None]
    out = {
        "tickets": overall["issued"],
        "mean_wait_s": _r(overall["wait"]["mean_s"]),
        "p90_wait_s": _r(overall["wait"]["p90_s"]),
        "mean_service_s": _r(overall["service_time"]["mean_s"]),
        "service_level": overall["service_level"],
        "utilisation": round(sum(util) / len(util), 4) if util else None,
        "no_show_rate": overall["no_show_rate"],
    }
    out.update(accuracy(shown))
    return out


def accuracy(shown: Iterable[Shown]) -> dict:
    """How far the waits shown at issue were from the waits that followed (seconds).

    Bias is shown − actual (positive: we promised longer than it took). Tickets
    that were told "no counter open" have no number to judge, and are counted apart.
    """
    judged = [(s, s.wait_s) for s in shown if s.wait_s is not None]
    ours = [(s.point_s, s.low_s, s.high_s, w) for s, w in judged
            if s.point_s is not None and s.low_s is not None and s.high_s is not None]
    naive = [(s.naive_s, w) for s, w in judged if s.point_s is not None]
    out: dict = {"judged": len(ours), "no_counter_shown": sum(1 for s, _ in judged if s.point_s is None)}
    if not ours:
        return out
    errors = [p - w for p, _, _, w in ours]
    nerrors = [p - w for p, w in naive]
    out.update({
        "estimate_mae_s": _r(sum(abs(e) for e in errors) / len(errors)),
        "estimate_bias_s": _r(sum(errors) / len(errors)),
        "estimate_within_5min": round(sum(abs(e) <= FIVE_MIN for e in errors) / len(errors), 4),
        "range_coverage": round(sum(lo <= w <= hi for _, lo, hi, w in ours) / len(ours), 4),
        "naive_mae_s": _r(sum(abs(e) for e in nerrors) / len(nerrors)),
        "naive_bias_s": _r(sum(nerrors) / len(nerrors)),
        "naive_within_5min": round(sum(abs(e) <= FIVE_MIN for e in nerrors) / len(nerrors), 4),
    })
    return out


def _r(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 1)
