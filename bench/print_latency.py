#!/usr/bin/env python3
"""Print latency: a ticket issued over HTTP -> the last byte (the cut) at the printer.

A real ``servicepoint serve`` runs on a demo database whose printer (assigned to
kiosk K1) is pointed at a TCP printer emulator running in *this* process
(``tcp://127.0.0.1:PORT``), so the moment the cut command arrives can be time-
stamped on the same clock as the request. For every ticket:

    latency = arrival of the chunk holding the cut at the emulator
              - the moment the POST /api/v1/tickets was sent (sequential), or
              - the moment it was scheduled (steady rate; no coordinated omission)

Phases per run (fresh database and server per run, ``--runs`` runs, default 3):
  sequential  ``--count`` tickets one customer at a time: the next POST goes out
              when the previous ticket's cut has arrived;
  rate        (with ``--rate R``) ``--count`` tickets offered at R tickets/s
              without waiting for the printer.

Reported per run and phase: p50 / p99 / max latency (ms), the POST's own
response time (p50), bytes per ticket (mean / max, from print_jobs.bytes);
then the median over runs and all runs pooled, and one JSON line (also written
to bench/results/print_latency-<time>.json). Every issued number must be printed
exactly once and every job must end 'printed': otherwise ``PROBLEM:`` lines and
exit status 1. Loopback only; every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, ServerProcess, fmt, percentile  # noqa: E402

from hardware.emulator import PrinterEmulator  # noqa: E402
from tests.support.display_audio import staff_token  # noqa: E402
from tests.support.server import run_init  # noqa: E402

MS = 1000.0
KIOSK = "K1"
SERVICE = "A"
WARMUP = 5
NUMBER = re.compile(r"^\s*([A-Z]\d{3,})\s*$", re.MULTILINE)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--count", type=int, default=500, help="tickets per phase and run (default 500)")
    ap.add_argument("--runs", type=int, default=3, help="runs, each on a fresh server (default 3)")
    ap.add_argument("--rate", type=float, default=None,
                    help="also run a steady-rate phase at this many tickets/s (default: off)")
    ap.add_argument("--phase-timeout", type=float, default=180.0,
                    help="upper bound in seconds for one phase (default 180)")
    ap.add_argument("--quick", action="store_true", help="100 tickets, 2 runs (a smoke run)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (DBs, server logs)")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results",
                    help="folder for the JSON result file (default bench/results/)")
    args = ap.parse_args(argv)
    if args.quick:
        args.count = min(args.count, 100)
        args.runs = min(args.runs, 2)
    if not 1 <= args.count <= 5000:
        ap.error("--count must be 1..5000")
    if not 1 <= args.runs <= 20:
        ap.error("--runs must be 1..20")
    if args.rate is not None and not 0 < args.rate <= 200:
        ap.error("--rate must be in (0, 200] tickets/s")
    return args


class TimedEmulator(PrinterEmulator):
    """The emulator, plus the wall-clock arrival time of the chunk that completed each ticket.

    The stamp is taken when the bytes came out of ``recv`` -- before the emulator
    decodes the ticket -- so decoding does not count as print latency.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.arrivals: dict[int, float] = {}  # ticket seq -> time.time() of its last chunk

    def _process(self, session, data: bytes) -> bytes:
        arrived = time.time()
        before = self._ticket_seq
        reply = super()._process(session, data)
        if self._ticket_seq != before:
            with self._lock:
                for seq in range(before + 1, self._ticket_seq + 1):
                    self.arrivals[seq] = arrived
        return reply


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def stats(self) -> dict:
        lat = self.latencies_ms
        return {"n": len(lat), "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
                "max_ms": max(lat) if lat else math.nan, "http_p50_ms": percentile(self.http_ms, 50),
                "bytes_mean": statistics.fmean(self.bytes) if self.bytes else math.nan,
                "bytes_max": max(self.bytes) if self.bytes else math.nan,
                "elapsed_s": self.elapsed_s, "problems": len(self.problems)}


class Issuer:
    """One keep-alive HTTP connection posting kiosk tickets."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # A kiosk's own credential would meet its per-kiosk limit (20 a minute): the bench
        # issues as staff at the kiosk, which prints the same way without a limit.
        self.auth = f"Bearer {token}"

    def issue(self) -> tuple[dict, float]:
        body = json.dumps({"service": SERVICE, "kiosk": KIOSK}).encode()
        started = time.perf_counter()
        self.conn.request("POST", "/api/v1/tickets", body=body,
                          headers={"Content-Type": "application/json", "Accept": "application/json",
                                   "Authorization": self.auth})
        resp = self.conn.getresponse()
        data = resp.read()
        took = time.perf_counter() - started
        if resp.status != 201:
            raise RuntimeError(f"POST /api/v1/tickets: HTTP {resp.status} {data[:200]!r}")
        return json.loads(data), took

    def close(self) -> None:
        self.conn.close()


def prepare_db(folder: Path, printer_url: str) -> Path:
    """A demo database whose printer (kiosks K1, K2) is the bench's emulator."""
    db = folder / "sp.db"
    run_init(db)
    conn = sqlite3.connect(db)
    try:
        with conn:
            changed = conn.execute("UPDATE printers SET url = ?, status = 'unknown'"
                                   " WHERE id = (SELECT printer_id FROM devices WHERE code = ?)",
                                   (printer_url, KIOSK)).rowcount
    finally:
        conn.close()
    if changed != 1:
        raise RuntimeError(f"kiosk {KIOSK} has no printer in the demo database")
    return db


def job_bytes(db: Path, job_ids: list[int]) -> tuple[list[int], dict[str, int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = {r[0]: (r[1], r[2]) for r in conn.execute(
            f"SELECT id, state, bytes FROM print_jobs WHERE id IN ({','.join('?' * len(job_ids))})",
            job_ids)}
    finally:
        conn.close()
    states: dict[str, int] = {}
    for state, _ in rows.values():
        states[state] = states.get(state, 0) + 1
    return [rows[j][1] for j in job_ids if j in rows and rows[j][1] is not None], states


def collect(phase: Phase, emu: TimedEmulator, db: Path, sent: dict[str, float], jobs: list[int],
            http_s: list[float], first_seq: int) -> None:
    """Match printed tickets to issued numbers; fill the phase's numbers and problems."""
    printed: dict[str, list[float]] = {}
    for ticket in emu.tickets():
        if ticket.seq <= first_seq:
            continue
        found = NUMBER.findall(ticket.text)
        number = found[0] if found else f"?{ticket.seq}"
        printed.setdefault(number, []).append(emu.arrivals[ticket.seq])
    for number, at in sent.items():
        arrivals = printed.get(number, [])
        if len(arrivals) != 1:
            phase.problems.append(f"{phase.name}: ticket {number} printed {len(arrivals)} times")
            continue
        phase.latencies_ms.append((arrivals[0] - at) * MS)
    extra = sorted(set(printed) - set(sent))
    if extra:
        phase.problems.append(f"{phase.name}: printed tickets nobody issued: {extra[:5]}")
    phase.http_ms = [s * MS for s in http_s]
    # The cut arrives before the worker has read the printer's status and recorded the job.
    deadline = time.monotonic() + 5
    phase.bytes, states = job_bytes(db, jobs)
    while states.get("printed", 0) != len(jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
        phase.bytes, states = job_bytes(db, jobs)
    if states.get("printed", 0) != len(jobs):
        phase.problems.append(f"{phase.name}: job states {states}, expected {len(jobs)} printed")


def sequential(issuer: Issuer, emu: TimedEmulator, db: Path, count: int, timeout: float) -> Phase:
    phase = Phase("sequential")
    first_seq, done = emu._ticket_seq, emu.printed_count
    sent: dict[str, float] = {}
    jobs: list[int] = []
    http_s: list[float] = []
    started = time.monotonic()
    for i in range(count):
        if time.monotonic() - started > timeout:
            phase.problems.append(f"sequential: phase timeout after {i} tickets")
            break
        at = time.time()
        doc, took = issuer.issue()
        sent[doc["number"]] = at
        jobs.append(doc["print"]["job_id"])
        http_s.append(took)
        if doc["print"]["state"] != "queued":
            phase.problems.append(f"sequential: {doc['number']} print state {doc['print']}")
            continue
        if not emu.wait_for_tickets(done + i + 1, timeout=10):
            phase.problems.append(f"sequential: {doc['number']} not printed within 10 s")
            break
    phase.elapsed_s = time.monotonic() - started
    emu.wait_for_tickets(done + len(sent), timeout=5)
    collect(phase, emu, db, sent, jobs, http_s, first_seq)
    return phase


def steady_rate(issuer: Issuer, emu: TimedEmulator, db: Path, count: int, rate: float,
                timeout: float) -> Phase:
    phase = Phase(f"rate {rate:g}/s")
    first_seq, done = emu._ticket_seq, emu.printed_count
    sent: dict[str, float] = {}
    jobs: list[int] = []
    http_s: list[float] = []
    t0 = time.time() + 0.05
    started = time.monotonic()
    for i in range(count):
        due = t0 + i / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        if time.monotonic() - started > timeout:
            phase.problems.append(f"{phase.name}: phase timeout after {i} tickets")
            break
        doc, took = issuer.issue()
        sent[doc["number"]] = due  # from the scheduled time: a slow server is not hidden
        jobs.append(doc["print"]["job_id"])
        http_s.append(took)
    if not emu.wait_for_tickets(done + len(sent), timeout=min(30.0, timeout)):
        phase.problems.append(f"{phase.name}: only {emu.printed_count - done} of {len(sent)} printed")
    phase.elapsed_s = time.monotonic() - started
    collect(phase, emu, db, sent, jobs, http_s, first_seq)
    return phase


def one_run(run: int, args: argparse.Namespace, tmp: Path) -> list[Phase]:
    folder = tmp / f"run{run}"
    folder.mkdir()
    cache = folder / "escpos-cache"  # python-escpos's capability cache, this server's own
    cache.mkdir()
    emu = TimedEmulator(name=f"bench-{run}", keep=2 * args.count + 2 * WARMUP + 10, render_png=False)
    port = emu.start_tcp("127.0.0.1", 0)
    server = None
    issuer = None
    try:
        db = prepare_db(folder, f"tcp://127.0.0.1:{port}")
        server = ServerProcess(db, init=False, log_dir=folder,
                               env={"ESCPOS_CAPABILITIES_PICKLE_DIR": str(cache)})
        server.start()
        issuer = Issuer(server.port, staff_token(db))
        for i in range(WARMUP):  # imports, first connections, caches
            issuer.issue()
            if not emu.wait_for_tickets(i + 1, timeout=20):
                raise RuntimeError(f"warm-up ticket {i + 1} was not printed\n{server.log_tail()}")
        phases = [sequential(issuer, emu, db, args.count, args.phase_timeout)]
        if args.rate:
            phases.append(steady_rate(issuer, emu, db, args.count, args.rate, args.phase_timeout))
        return phases
    finally:
        if issuer is not None:
            issuer.close()
        if server is not None:
            server.stop()
        emu.stop()


def print_rows(rows: list[tuple[str, str, dict]]) -> None:
    header = ("run", "phase", "tickets", "p50 ms", "p99 ms", "max ms", "POST p50 ms", "bytes mean",
              "bytes max")
    body = [(run, name, str(s["n"]), fmt(s["p50_ms"]), fmt(s["p99_ms"]), fmt(s["max_ms"]),
             fmt(s["http_p50_ms"]), fmt(s["bytes_mean"], 0), fmt(s["bytes_max"], 0))
            for run, name, s in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    print("  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    print("  ".join("-" * w for w in widths))
    for r in body:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="sp-print-bench-"))
    print(f"print latency: {args.count} tickets x {args.runs} runs, kiosk {KIOSK} -> TCP emulator"
          f"{f', plus {args.rate:g}/s steady rate' if args.rate else ''}; python {platform.python_version()},"
          f" {os.cpu_count()} CPUs; temp {tmp}")
    runs: list[list[Phase]] = []
    try:
        for run in range(1, args.runs + 1):
            runs.append(one_run(run, args, tmp))
            seq = runs[-1][0].stats()
            print(f"  run {run}: sequential p50 {fmt(seq['p50_ms'])} ms, p99 {fmt(seq['p99_ms'])} ms",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    rows, result_phases = [], {}
    names = [p.name for p in runs[0]]
    for name in names:
        per_run = [next(p for p in phases if p.name == name) for phases in runs]
        for i, phase in enumerate(per_run, 1):
            rows.append((str(i), name, phase.stats()))
        stats = [p.stats() for p in per_run]
        pooled = Phase(name, [x for p in per_run for x in p.latencies_ms], [x for p in per_run for x in p.http_ms],
                       [x for p in per_run for x in p.bytes])
        median = {k: statistics.median(s[k] for s in stats)
                  for k in ("p50_ms", "p99_ms", "max_ms", "http_p50_ms", "bytes_mean", "bytes_max")}
        median["n"] = int(statistics.median(s["n"] for s in stats))
        rows.append(("median", name, median))
        rows.append(("all", name, pooled.stats()))
        result_phases[name] = {"runs": stats, "median_of_runs": median, "pooled": pooled.stats()}
    print()
    print_rows(rows)
    problems = [msg for phases in runs for p in phases for msg in p.problems]
    for msg in problems[:20]:
        print(f"PROBLEM: {msg}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {"bench": "print_latency", "at": stamp, "count": args.count, "runs": args.runs,
              "rate": args.rate, "python": platform.python_version(), "cpus": os.cpu_count(),
              "phases": result_phases, "problems": len(problems)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"print_latency-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, separators=(",", ":"), default=lambda o: None))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
