"""How honest are the waits we show? The accuracy table and the Erlang C check.

Plays simulated months of the demo branch (``servicepoint simulate``'s engine,
through the real use cases and SQLite) for several seeds and two arrival
profiles, and prints, per run, the error of the wait shown at issue against the
wait that followed, for our estimate and for the naive one (people ahead × the
default service time ÷ open counters). Then, with ``--erlang``, long textbook
runs (M/M/1 at ρ = 0.7, M/M/4 at ρ = 0.75) against Erlang C.

    .venv/bin/python bench/estimate_accuracy.py                 # 3 seeds × 2 profiles, 22 days
    .venv/bin/python bench/estimate_accuracy.py --erlang        # also the Erlang check (minutes)
    .venv/bin/python bench/estimate_accuracy.py --seeds 1 --days 5 --erlang-customers 20000

Targets (issue #11): MAE ≤ 0.6 × naive MAE, |bias| < 60 s, range coverage 75–85 %,
Erlang C agreement within 3 %.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servicepoint.domain import erlang  # noqa: E402
from servicepoint.sim.engine import Simulation  # noqa: E402
from servicepoint.sim.run import Options, prepare, scenario, simulate, summary  # noqa: E402

PROFILES = ("flat", "peaks")
SERVICE_S = 60.0


def accuracy_rows(seeds: list[int], days: int) -> list[dict]:
    rows = []
    for profile in PROFILES:
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                began = time.perf_counter()
                out = simulate(os.path.join(folder, "sim.db"),
                               Options(days=days, seed=seed, profile=profile))
                out.update(profile=profile, seed=seed, seconds=round(time.perf_counter() - began, 1))
                rows.append(out)
                print(_row(out), flush=True)
    return rows


HEAD = (f"{'profile':8} {'seed':>4} {'tickets':>7} {'wait':>6} {'MAE':>6} {'naive':>6} "
        f"{'ratio':>5} {'bias':>6} {'≤5min':>6} {'naive≤5':>7} {'range':>6} {'secs':>5}")


def _row(r: dict) -> str:
    ratio = r["estimate_mae_s"] / r["naive_mae_s"] if r.get("naive_mae_s") else float("nan")
    return (f"{r['profile']:8} {r['seed']:>4} {r['tickets']:>7} {r['mean_wait_s']:>6.0f} "
            f"{r['estimate_mae_s']:>6.0f} {r['naive_mae_s']:>6.0f} {ratio:>5.2f} "
            f"{r['estimate_bias_s']:>+6.0f} {r['estimate_within_5min']:>6.1%} "
            f"{r['naive_within_5min']:>7.1%} {r['range_coverage']:>6.1%} {r['seconds']:>5.0f}")


def erlang_rows(customers: int, seeds: list[int]) -> list[dict]:
    rows = []
    for c, rho in ((1, 0.7), (4, 0.75)):
        for seed in seeds:
            rows.append(_erlang_row(c, rho, customers, seed))
    return rows


def _erlang_row(c: int, rho: float, customers: int, seed: int) -> dict:
    """One long textbook run through storage, with the statistical error of its own mean:
    a queue's waits are strongly correlated, so even 150,000 customers of M/M/4 at
    ρ = 0.75 leave a run's mean about 3 % (one standard deviation) from the long-run one."""
    per_hour = rho * c * 3600.0 / SERVICE_S
    days = max(1, round(customers / per_hour / 24))
    opts = Options(counters=c, arrivals_per_hour=per_hour, mean_service_min=SERVICE_S / 60,
                   hours=24, days=days, seed=seed, textbook=True)
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        conn = prepare(os.path.join(folder, "sim.db"), opts)
        try:
            sim = Simulation(conn, scenario(conn, opts))
            shown = sim.run()
            assert sim.first is not None and sim.last is not None
            out = summary(conn, shown, sim.first, sim.last)
        finally:
            conn.close()
    waits = [s.wait_s for s in sorted(shown, key=lambda s: s.issued_at) if s.wait_s is not None]
    # Batch means: 20 consecutive batches are nearly independent where single waits are not.
    size = len(waits) // 20
    batches = [statistics.fmean(waits[i * size:(i + 1) * size]) for i in range(20)]
    theory = erlang.mean_wait_s(c, rho * c / SERVICE_S, SERVICE_S)
    row = {"queue": f"M/M/{c}", "rho": rho, "seed": seed, "customers": out["tickets"],
           "simulated_mean_wait_s": out["mean_wait_s"], "erlang_c_mean_wait_s": round(theory, 1),
           "difference": round((out["mean_wait_s"] - theory) / theory, 4),
           "standard_error": round(statistics.stdev(batches) / math.sqrt(20) / theory, 4),
           "seconds": round(time.perf_counter() - began, 1)}
    print(f"{row['queue']:6} ρ={rho:<4} seed {seed} customers {row['customers']:>7}  simulated "
          f"{row['simulated_mean_wait_s']:>6.1f} s  Erlang C {row['erlang_c_mean_wait_s']:>6.1f} s"
          f"  difference {row['difference']:+.2%} (run's standard error {row['standard_error']:.1%})"
          f"  ({row['seconds']:.0f} s)", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per profile (1..N)")
    parser.add_argument("--days", type=int, default=22, help="branch days per run (a month: 22)")
    parser.add_argument("--erlang", action="store_true", help="also run the Erlang C check")
    parser.add_argument("--erlang-customers", type=int, default=150_000,
                        help="customers per Erlang run")
    parser.add_argument("--erlang-seeds", type=int, default=1, help="seeds per Erlang queue (1..N)")
    parser.add_argument("--json", type=pathlib.Path, default=None, help="write the rows here")
    args = parser.parse_args()
    print(HEAD)
    rows = accuracy_rows(list(range(1, args.seeds + 1)), args.days)
    for profile in PROFILES:
        mine = [r for r in rows if r["profile"] == profile]
        print(f"{profile:8} mean ratio {statistics.fmean(r['estimate_mae_s'] / r['naive_mae_s'] for r in mine):.2f}"
              f"  bias {statistics.fmean(r['estimate_bias_s'] for r in mine):+.0f} s"
              f"  coverage {statistics.fmean(r['range_coverage'] for r in mine):.1%}")
    result = {"accuracy": rows}
    if args.erlang:
        result["erlang"] = erlang_rows(args.erlang_customers,
                                       list(range(1, args.erlang_seeds + 1)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
