#!/usr/bin/env python3
"""Reports on a year of tickets: rebuild, year and month report, raw export, RSS, call-next.

A demo branch database gets a year of history (default 1,000,000 tickets: 4 services,
6 counters, transfers, recalls, parks, no-shows, cancellations, ratings) written straight
into ``tickets``, ``ticket_events`` and ``counter_events`` (tests/support/history.py).
Then:

    rebuild    ``servicepoint reports rebuild`` (a separate process), wall time
    year       GET /api/v1/stats for the last 12 months (bearer token), client time
    month      GET /api/v1/stats for last month
    export     GET /manager/reports/events.csv for the last 12 months (signed-in
               manager), streamed to /dev/null; the server's peak RSS meanwhile (psutil)
    call-next  POST /api/v1/counters/1/call-next, alone and while year reports run back to
               back in another thread (a ticket is issued before each call)

Median and p99 over ``--runs`` (the report and call timings over every request).
The last line is one JSON object (also in bench/results/reports-<time>.json). Loopback
only; every loop is bounded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ServerProcess, percentile, save_result  # noqa: E402

from servicepoint.db import connect  # noqa: E402
from tests.support.history import write_days  # noqa: E402
from tests.support.server import _child_env, run_init, servicepoint_cmd  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the year")
    p.add_argument("--runs", type=int, default=5, help="timed requests per report kind")
    p.add_argument("--calls", type=int, default=200, help="call-next requests per phase")
    p.add_argument("--exports", type=int, default=2, help="raw event exports")
    p.add_argument("--keep", action="store_true", help="keep the database folder")
    p.add_argument("--db", help="reuse a database written by an earlier --keep run")
    p.add_argument("--no-rebuild", action="store_true", help="skip the rebuild (with --db)")
    return p.parse_args(argv)


class Http:
    """One keep-alive connection with optional bearer token or session cookie."""

    def __init__(self, url: str, token: str | None = None):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, sink: bool = False) -> tuple[int, bytes, float]:
        h = {**self.headers, **(headers or {})}
        if self.cookie:
            h["Cookie"] = self.cookie
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        if sink:
            data, size = b"", 0
            while chunk := r.read(1 << 16):
                size += len(chunk)
            data = str(size).encode()
        else:
            data = r.read()
        elapsed = time.perf_counter() - t0
        for value in r.headers.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        return r.status, data, elapsed

    def sign_in(self, username: str, password: str) -> None:
        _, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        body = urlencode({"username": username, "password": password,
                          "csrf_token": token.group(1).decode()}).encode()
        status, _, _ = self.request("POST", "/login", body,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, f"sign-in answered {status}"


def cli(db: str, *args: str) -> str:
    out = subprocess.run(servicepoint_cmd("--db", db, *args), env=_child_env(db, None),
                         capture_output=True, text=True, timeout=1800, check=True)
    return out.stdout.strip()


def stats(values: list[float]) -> dict:
    return {"median_ms": round(percentile(values, 50) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1), "n": len(values)}


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(args.db).parent if args.db else Path(tempfile.mkdtemp(prefix="bench-reports-"))
    db = args.db or str(folder / "sp.db")
    result: dict = {"tickets_requested": args.tickets, "machine": platform.platform(),
                    "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}
    today = dt.date.today()
    first = today - dt.timedelta(days=364)  # the year ends with today (written up to yesterday)
    if not args.db:
        run_init(db, demo=True)
        conn = connect(db)
        t0 = time.monotonic()
        open_days = sum(1 for d in range(365) if (first + dt.timedelta(days=d)).weekday() != 6)
        written = write_days(conn, first, 364, max(1, args.tickets // open_days), tz="UTC")
        conn.close()
        result["written"] = written
        result["generate_s"] = round(time.monotonic() - t0, 1)
        print(f"wrote {written} tickets in {result['generate_s']} s", flush=True)
    if not args.no_rebuild:
        t0 = time.monotonic()
        print(cli(db, "reports", "rebuild"), flush=True)
        result["rebuild_s"] = round(time.monotonic() - t0, 1)
    manager_token = cli(db, "token", "create", "bench-manager", "--role", "manager").split()[-1]
    staff_token = cli(db, "token", "create", "bench-staff", "--role", "staff").split()[-1]

    server = ServerProcess(db, log_dir=folder, startup_timeout=120)
    with server:
        import psutil

        proc = psutil.Process(server.proc.pid)
        api = Http(server.url, manager_token)
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        periods = {"year": (first, today),
                   "month": (last_month_end.replace(day=1), last_month_end)}
        for name, (lo, hi) in periods.items():
            times = []
            for _ in range(args.runs + 1):
                status, body, elapsed = api.request("GET", f"/api/v1/stats?from={lo}&to={hi}")
                assert status == 200, body[:200]
                times.append(elapsed)
            result[name] = stats(times[1:])  # the first warms SQLite's page cache
            result[name]["issued"] = json.loads(body)["overall"]["issued"]
            print(f"{name}: {result[name]}", flush=True)
        result["rss_idle_mb"] = round(proc.memory_info().rss / 2**20, 1)

        web = Http(server.url)
        web.sign_in("manager", "manager-demo")
        peaks, times, sizes = [], [], []
        for _ in range(args.exports):
            peak = [0]
            done = threading.Event()

            def sample(peak=peak, done=done):
                while not done.is_set():
                    peak[0] = max(peak[0], proc.memory_info().rss)
                    done.wait(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            status, size, elapsed = web.request(
                "GET", "/manager/reports/events.csv?preset=last_12_months", sink=True)
            done.set()
            sampler.join()
            assert status == 200
            peaks.append(peak[0] / 2**20)
            times.append(elapsed)
            sizes.append(int(size))
        if times:
            result["export"] = {"median_s": round(percentile(times, 50), 1),
                                "bytes": sizes[-1], "rss_peak_mb": round(max(peaks), 1)}
            print(f"export: {result['export']}", flush=True)

        staff = Http(server.url, staff_token)
        kiosk = Http(server.url)

        def calls(n: int) -> list[float]:
            out = []
            for _ in range(n):
                status, body, _ = kiosk.request(
                    "POST", "/api/v1/tickets", json.dumps({"service": "A"}).encode(),
                    {"Content-Type": "application/json"})
                assert status == 201, body[:200]
                status, body, elapsed = staff.request("POST", "/api/v1/counters/1/call-next")
                assert status == 200 and json.loads(body).get("ticket"), body[:200]
                out.append(elapsed)
                # Free the counter for the next call (not timed): the customer did not come.
                tid = json.loads(body)["ticket"]["id"]
                status, body, _ = staff.request("POST", f"/api/v1/tickets/{tid}/no-show")
                assert status == 200, body[:200]
            return out

        result["call_next_alone"] = stats(calls(args.calls))
        stop = threading.Event()
        reports_run = [0]

        def year_reports():
            other = Http(server.url, manager_token)
            lo, hi = periods["year"]
            while not stop.is_set():
                other.request("GET", f"/api/v1/stats?from={lo}&to={hi}")
                reports_run[0] += 1

        loader = threading.Thread(target=year_reports)
        loader.start()
        try:
            result["call_next_during_year_reports"] = stats(calls(args.calls))
        finally:
            stop.set()
            loader.join()
        result["year_reports_meanwhile"] = reports_run[0]
        print(f"call-next alone: {result['call_next_alone']}; during year reports "
              f"({reports_run[0]} ran): {result['call_next_during_year_reports']}", flush=True)
    result["load_avg_at_end"] = os.getloadavg()
    targets = {"year_median_ms<1000": result["year"]["median_ms"] < 1000,
               "month_median_ms<300": result["month"]["median_ms"] < 300,
               "call_next_p99_ms<50": result["call_next_during_year_reports"]["p99_ms"] < 50}
    if "rebuild_s" in result:
        targets["rebuild_s<60"] = result["rebuild_s"] < 60
    if "export" in result:
        targets["export_rss_mb<120"] = result["export"]["rss_peak_mb"] < 120
    result["targets"] = targets
    save_result("reports", result, dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if not args.keep and not args.db:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    elif args.keep:
        print(f"kept {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
