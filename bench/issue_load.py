#!/usr/bin/env python3
"""Ticket-issue load benchmark against a real ``servicepoint serve`` process.

Phases (each measured phase repeated ``--runs`` times; median / p99 / min / max):
  a) closed loop: ``--count`` POST /api/v1/tickets from ``--clients`` keep-alive
     client processes as fast as they go -> tickets/s and response-time p50/p99;
  b) open loop: ``--rate`` tickets/s offered for ``--duration`` s -> latency p50/p99
     measured from each request's *scheduled* time (no coordinated omission),
     errors, duplicate numbers (in the responses and in the DB);
  c) the closed loop of (a) against bench/bare_app.py (Flask + waitress + one
     SQLite INSERT) -> ServicePoint / bare throughput ratio;
  d) server RSS after ``--rss-count`` tickets (fresh server);
  e) ``servicepoint serve`` start-up time to the first healthy /healthz.

Loopback only; every loop is bounded in count and time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH_DIR,
    BareServer,
    RunResult,
    ServerProcess,
    db_number_check,
    percentile,
    print_table,
    process_rss,
    run_load,
    summary,
)

from tests.support.server import run_init  # noqa: E402

MS = 1000.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--clients", type=int, default=16, help="client processes (default 16)")
    ap.add_argument("--count", type=int, default=3000, help="tickets per closed-loop run (default 3000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measured phase (default 3)")
    ap.add_argument("--rate", type=float, default=100.0, help="open-loop offered tickets/s (default 100)")
    ap.add_argument("--duration", type=float, default=10.0, help="open-loop seconds per run (default 10)")
    ap.add_argument("--rss-count", type=int, default=10_000, help="tickets before the RSS reading")
    ap.add_argument("--startup-runs", type=int, default=5, help="serve start-ups to time (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="small counts for a smoke run (about a minute)")
    ap.add_argument("--skip-bare", action="store_true", help="skip phase (c)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (DBs, server logs)")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results",
                    help="folder for the JSON result file (default bench/results/)")
    args = ap.parse_args(argv)
    if args.quick:
        args.count = min(args.count, 600)
        args.runs = min(args.runs, 2)
        args.duration = min(args.duration, 3.0)
        args.rss_count = min(args.rss_count, 2000)
        args.startup_runs = min(args.startup_runs, 3)
    if args.clients < 1 or args.count < args.clients or args.runs < 1:
        ap.error("need --clients >= 1, --count >= --clients, --runs >= 1")
    if args.rate <= 0 or args.rate * args.duration > 100_000 or args.count > 200_000:
        ap.error("bounded benchmark: keep --rate*--duration <= 100000 and --count <= 200000")
    return args


def closed_loop(url: str, args: argparse.Namespace, label: str) -> list[RunResult]:
    run_load(url, clients=args.clients, count=min(200, args.count))  # warm-up, not measured
    runs = []
    for i in range(args.runs):
        r = run_load(url, clients=args.clients, count=args.count)
        runs.append(r)
        print(f"  {label} run {i + 1}/{args.runs}: {r.ok}/{r.sent} ok in {r.elapsed:.2f} s = "
              f"{r.throughput:,.0f} tickets/s, p50 {percentile(r.latencies_s, 50) * MS:.1f} ms, "
              f"p99 {percentile(r.latencies_s, 99) * MS:.1f} ms, errors {len(r.errors)}", flush=True)
    return runs


def open_loop(url: str, args: argparse.Namespace) -> list[RunResult]:
    runs = []
    n = int(args.rate * args.duration)
    for i in range(args.runs):
        r = run_load(url, clients=args.clients, count=n, rate=args.rate,
                     deadline_s=args.duration * 3 + 30)
        runs.append(r)
        print(f"  open loop run {i + 1}/{args.runs}: {r.ok}/{n} ok at {r.ok / r.elapsed:,.1f}/s "
              f"(offered {args.rate:g}/s), p50 {percentile(r.sched_latencies_s, 50) * MS:.1f} ms, "
              f"p99 {percentile(r.sched_latencies_s, 99) * MS:.1f} ms, errors {len(r.errors)}",
              flush=True)
    return runs


def error_summary(runs: list[RunResult]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in runs:
        for e in r.errors:
            key = e.split(":")[0][:60]
            out[key] = out.get(key, 0) + 1
        for status, n in r.statuses.items():
            if status != 201:
                out[f"HTTP {status}"] = out.get(f"HTTP {status}", 0) + n
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="sp-bench-"))
    print(f"ServicePoint issue benchmark: {args.clients} clients, {args.count} tickets/run, "
          f"{args.runs} runs{' (quick)' if args.quick else ''}; {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; work dir {tmp}", flush=True)
    result: dict = {"bench": "issue_load", "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "clients": args.clients, "count": args.count, "runs": args.runs,
                    "quick": args.quick, "cores": os.cpu_count()}
    rows: list[tuple[str, str, dict, int]] = []
    problems: list[str] = []
    try:
        # (a) + (b) ServicePoint
        print("\n(a) closed loop, ServicePoint", flush=True)
        with ServerProcess(tmp / "ours.db", log_dir=tmp / "ours") as srv:
            ours = closed_loop(srv.url, args, "servicepoint")
            print(f"\n(b) open loop, {args.rate:g} tickets/s offered for {args.duration:g} s", flush=True)
            opened = open_loop(srv.url, args)
            all_runs = ours + opened
            dupes = RunResult(0, 0, {}, [], [], [], [t for r in all_runs for t in r.tickets], 0).duplicates()
            dbcheck = db_number_check(srv.db_path)
            errors = error_summary(all_runs)
        thr = summary([r.throughput for r in ours])
        rows += [("(a) throughput", "tickets/s", thr, 0),
                 ("(a) response p50", "ms", summary([percentile(r.latencies_s, 50) * MS for r in ours]), 1),
                 ("(a) response p99", "ms", summary([percentile(r.latencies_s, 99) * MS for r in ours]), 1),
                 ("(b) latency p50", "ms", summary([percentile(r.sched_latencies_s, 50) * MS for r in opened]), 1),
                 ("(b) latency p99", "ms", summary([percentile(r.sched_latencies_s, 99) * MS for r in opened]), 1),
                 ("(b) achieved rate", "tickets/s", summary([r.ok / r.elapsed for r in opened]), 1)]
        result.update(throughput=thr, open_loop={
            "rate": args.rate, "duration_s": args.duration,
            "p50_ms": summary([percentile(r.sched_latencies_s, 50) * MS for r in opened]),
            "p99_ms": summary([percentile(r.sched_latencies_s, 99) * MS for r in opened]),
            "response_p99_ms": summary([percentile(r.latencies_s, 99) * MS for r in opened]),
        }, latency_ms={"p50": rows[1][2], "p99": rows[2][2]},
            errors=errors, duplicates_in_responses=len(dupes), db=dbcheck)
        if errors:
            problems.append(f"errors: {errors}")
        if dupes:
            problems.append(f"{len(dupes)} duplicate numbers in responses, e.g. {dupes[:5]}")
        if dbcheck["duplicates"] or dbcheck["gaps"]:
            problems.append(f"DB numbers: {dbcheck}")

        # (c) bare reference
        if not args.skip_bare:
            print("\n(c) closed loop, bare Flask + waitress + one INSERT", flush=True)
            with BareServer(tmp / "bare.db", log_dir=tmp / "bare") as bare:
                bare_runs = closed_loop(bare.url, args, "bare")
            bthr = summary([r.throughput for r in bare_runs])
            rows.append(("(c) bare throughput", "tickets/s", bthr, 0))
            ratio = thr["median"] / bthr["median"] if bthr["median"] else float("nan")
            rows.append(("(c) ours / bare", "ratio", {"median": ratio, "p99": float("nan"),
                         "min": float("nan"), "max": float("nan"), "n": args.runs}, 2))
            result.update(bare_throughput=bthr, ratio_vs_bare=round(ratio, 3))

        # (d) memory
        print(f"\n(d) server RSS after {args.rss_count:,} tickets (fresh server)", flush=True)
        with ServerProcess(tmp / "rss.db", log_dir=tmp / "rss") as srv:
            rss0, _ = process_rss(srv.pid)
            r = run_load(srv.url, clients=args.clients, count=args.rss_count, deadline_s=300)
            rss1, rss1_tree = process_rss(srv.pid)
        mib = 1024 * 1024
        print(f"  RSS {rss0 / mib:.1f} MiB at start -> {rss1 / mib:.1f} MiB after {r.ok:,} tickets "
              f"({rss1_tree / mib:.1f} MiB with children)", flush=True)
        one = lambda v: {"median": v, "p99": v, "min": v, "max": v, "n": 1}  # noqa: E731
        rows += [("(d) RSS at start", "MiB", one(rss0 / mib), 1),
                 (f"(d) RSS after {r.ok:,}", "MiB", one(rss1 / mib), 1)]
        result.update(rss_mib={"start": round(rss0 / mib, 1), "after": round(rss1 / mib, 1),
                               "after_with_children": round(rss1_tree / mib, 1), "tickets": r.ok})
        if r.ok < args.rss_count:
            problems.append(f"RSS phase: only {r.ok}/{args.rss_count} tickets issued")

        # (e) start-up
        print(f"\n(e) serve start-up to first healthy /healthz, {args.startup_runs} runs", flush=True)
        t = time.monotonic()
        run_init(tmp / "start.db", demo=True)
        init_s = time.monotonic() - t
        startups = []
        srv = ServerProcess(tmp / "start.db", init=False, log_dir=tmp / "start", poll_interval=0.01)
        for i in range(args.startup_runs):
            srv.start()
            startups.append(srv.startup_s * MS)
            srv.stop()
            print(f"  start-up {i + 1}: {startups[-1]:.0f} ms", flush=True)
        rows += [("(e) start-up", "ms", summary(startups), 0),
                 ("(e) init --demo (new DB)", "ms", {"median": init_s * MS, "p99": init_s * MS,
                  "min": init_s * MS, "max": init_s * MS, "n": 1}, 0)]
        result.update(startup_ms=summary(startups), init_demo_ms=round(init_s * MS))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print_table(rows, title=f"Results ({args.clients} clients, {args.count} tickets/run, "
                            f"{args.runs} runs; p99 over runs ~ max for few runs)")
    print(f"\nerrors: {result.get('errors') or 'none'}; duplicate numbers: responses "
          f"{result.get('duplicates_in_responses')}, DB {result['db']['duplicates']} "
          f"(gaps {result['db']['gaps']}, {result['db']['tickets']:,} tickets)")
    for p in problems:
        print(f"PROBLEM: {p}")
    result["problems"] = problems
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"issue_load-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, separators=(",", ":"), default=lambda o: None))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
