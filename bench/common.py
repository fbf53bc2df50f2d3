"""Helpers shared by the benchmarks: load-generating client processes, stats, tables.

Clients are separate processes (the reference box has 2 cores and the GIL would
make client threads measure themselves), each with one keep-alive
``http.client`` connection. Every loop is bounded by a request count *and* a
deadline, and only talks to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.server import ServerProcess, free_port, run_init  # noqa: E402,F401

SERVICES = ("A", "B", "C", "D")
_FORK = mp.get_context("fork")


# -- statistics ----------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    if len(s) == 1:
        return float(s[0])
    pos = (len(s) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": percentile(values, 50),
        "p99": percentile(values, 99),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
        "n": len(values),
    }


# -- load clients --------------------------------------------------------------
@dataclass
class RunResult:
    """One measured run: every request's outcome."""

    started: float                      # monotonic time the run was released
    ended: float                        # last response
    statuses: dict[int, int]
    errors: list[str]
    latencies_s: list[float]            # response time (send -> body read), 201s only
    sched_latencies_s: list[float]      # open loop: scheduled time -> body read
    tickets: list[tuple[str, str]]      # (service, number) of every 201
    sent: int

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def elapsed(self) -> float:
        return max(self.ended - self.started, 1e-9)

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed

    def duplicates(self) -> list[tuple[str, str]]:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        for t in self.tickets:
            seen[t] += 1
        return sorted(k for k, n in seen.items() if n > 1)


def _client(worker: int, url: str, plan: list[float] | int, start_evt: Any, t0: Any,
            ready_q: Any, result_q: Any, deadline_s: float) -> None:
    """One client process: ``plan`` is a request count (closed loop) or a list
    of offsets in seconds after the shared t0 (open loop)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    statuses: dict[int, int] = defaultdict(int)
    errors: list[str] = []
    lat: list[float] = []
    sched: list[float] = []
    tickets: list[tuple[str, str]] = []
    sent = 0
    try:
        conn.request("GET", "/healthz")  # open the keep-alive connection before the clock starts
        conn.getresponse().read()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"warm-up: {exc!r}")
        conn.close()
    ready_q.put(worker)
    start_evt.wait(60)
    base = t0.value
    stop_at = base + deadline_s
    offsets = plan if isinstance(plan, list) else None
    count = len(plan) if isinstance(plan, list) else int(plan)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    for i in range(count):
        now = time.monotonic()
        if now >= stop_at:
            errors.append("deadline reached")
            break
        due = base + offsets[i] if offsets is not None else None
        if due is not None and due > now:
            time.sleep(due - now)
        service = SERVICES[(worker + i) % len(SERVICES)]
        body = json.dumps({"service": service}).encode()
        ts = time.monotonic()
        sent += 1
        try:
            conn.request("POST", "/api/v1/tickets", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception as exc:  # noqa: BLE001 - count and go on
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            continue
        done = time.monotonic()
        statuses[resp.status] += 1
        if resp.status == 201:
            lat.append(done - ts)
            if due is not None:
                sched.append(done - due)
            try:
                doc = json.loads(data)
                tickets.append((str(doc.get("service", service)), str(doc["number"])))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"bad 201 body: {exc!r} {data[:100]!r}")
        elif len(errors) < 50:
            errors.append(f"HTTP {resp.status}: {data[:200]!r}")
        if resp.will_close:
            conn.close()
    conn.close()
    result_q.put((worker, dict(statuses), errors, lat, sched, tickets, sent, time.monotonic()))


def run_load(url: str, *, clients: int, count: int, rate: float | None = None,
             deadline_s: float = 120.0) -> RunResult:
    """Closed loop (``rate=None``): ``count`` POSTs as fast as ``clients`` can.
    Open loop: ``count`` POSTs offered at ``rate``/s, spread round-robin over clients."""
    if rate is None:
        plans: list[Any] = [count // clients + (1 if w < count % clients else 0) for w in range(clients)]
    else:
        plans = [[i / rate for i in range(w, count, clients)] for w in range(clients)]
    start_evt = _FORK.Event()
    t0 = _FORK.Value("d", 0.0)
    ready_q, result_q = _FORK.Queue(), _FORK.Queue()
    procs = [_FORK.Process(target=_client, args=(w, url, plans[w], start_evt, t0, ready_q, result_q,
                                                 deadline_s), daemon=True)
             for w in range(clients)]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready_q.get(timeout=30)
        t0.value = time.monotonic() + 0.05
        start_evt.set()
        results = [result_q.get(timeout=deadline_s + 30) for _ in procs]
    finally:
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
    statuses: dict[int, int] = defaultdict(int)
    out = RunResult(t0.value, t0.value, {}, [], [], [], [], 0)
    for _, st, errs, lat, sched, tickets, sent, ended in results:
        for k, v in st.items():
            statuses[k] += v
        out.errors += errs
        out.latencies_s += lat
        out.sched_latencies_s += sched
        out.tickets += tickets
        out.sent += sent
        out.ended = max(out.ended, ended)
    out.statuses = dict(statuses)
    return out


# -- servers -------------------------------------------------------------------
class BareServer(ServerProcess):
    """bench/bare_app.py under the same harness as ``servicepoint serve``."""

    def __init__(self, db_path: str | os.PathLike[str], **kw: Any):
        kw.setdefault("init", False)
        super().__init__(db_path, **kw)

    def serve_command(self) -> list[str]:
        return [sys.executable, str(BENCH_DIR / "bare_app.py"), "--db", str(self.db_path),
                "--host", self.host, "--port", str(self.port), *self.extra_args]


@contextmanager
def demo_server(prefix: str) -> Iterator[tuple[Path, ServerProcess]]:
    """A ``servicepoint serve`` on a fresh demo database in a temporary folder (removed
    after); yields the database's path and the running server. Raises ``RuntimeError``
    when ``init`` fails or the server does not come up."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        db = Path(tmp) / "sp.db"
        run_init(db)
        with ServerProcess(db, init=False, log_dir=tmp) as srv:
            yield db, srv


def process_rss(pid: int) -> tuple[int, int]:
    """(RSS of pid, RSS of pid + its children) in bytes."""
    import psutil

    proc = psutil.Process(pid)
    own = proc.memory_info().rss
    total = own + sum(c.memory_info().rss for c in proc.children(recursive=True))
    return own, total


def db_number_check(db_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Duplicates and gaps of ticket numbers per (service, day) in ServicePoint's DB."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(tickets)")}
        svc = "origin_service_id" if "origin_service_id" in cols else "service_id"
        rows = conn.execute(f"SELECT {svc}, day, number FROM tickets").fetchall()
    finally:
        conn.close()
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for service, day, number in rows:
        groups[(service, day)].append(number)
    dupes = gaps = 0
    for numbers in groups.values():
        dupes += len(numbers) - len(set(numbers))
        seqs = {int("".join(ch for ch in n if ch.isdigit()) or 0) for n in numbers}
        gaps += max(seqs) - len(seqs) if seqs else 0
    return {"tickets": len(rows), "duplicates": dupes, "gaps": gaps}


# -- real Chromium --------------------------------------------------------------
def browser_runs(runs: int, steps: Iterable[str], one_run: Callable[[Any], dict[str, list[float]]],
                 flags: Sequence[str] = ()) -> dict[str, list[float]] | None:
    """Call ``one_run(browser)`` ``runs`` times, each on a freshly launched Debian Chromium
    (the end-to-end tests' arguments plus ``flags``); print each run's medians and return
    the values of every one of ``steps`` pooled. ``None`` (said on stderr) when Chromium
    is missing."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS
    from tests.support.require import chromium_path

    executable = chromium_path()
    if executable is None:
        print("Chromium is missing: apt-get install chromium", file=sys.stderr)
        return None
    pooled: dict[str, list[float]] = {step: [] for step in steps}
    with sync_playwright() as pw:
        for run in range(runs):
            browser = pw.chromium.launch(executable_path=executable,
                                         args=CHROMIUM_ARGS + list(flags))
            try:
                got = one_run(browser)
            finally:
                browser.close()
            for key, values in got.items():
                pooled[key] += values
            print(f"run {run + 1}: " + ", ".join(
                f"{k} median {fmt(percentile(v, 50))} ms" for k, v in got.items()))
    return pooled


def sign_in_counter(browser, url: str, counter: str, *, viewport: dict[str, int],
                    wait_ms: int, open_counter: bool = False):
    """A new browser context (CSP bypassed for Playwright's waits) signed in as the demo
    clerk through the login form and showing ``/counter/<counter>``, opened first when
    ``open_counter`` and it is closed; returns ``(context, page)``. Raises Playwright's
    ``TimeoutError`` when a step takes longer than ``wait_ms``."""
    ctx = browser.new_context(base_url=url, viewport=viewport, bypass_csp=True)
    ctx.set_default_timeout(wait_ms)
    page = ctx.new_page()
    page.goto(f"/login?next=/counter/{counter}")
    page.fill("#username", "clerk")
    page.fill("#password", "clerk-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/counter/{counter}")
    page.wait_for_selector("#counter-live")
    if open_counter and page.locator("#state-open").count():
        page.click("#state-open")
        page.wait_for_selector("#state-close")
    return ctx, page


# -- output --------------------------------------------------------------------
def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def print_table(rows: Iterable[tuple[str, str, dict[str, float], int]], title: str = "") -> None:
    """rows: (metric, unit, summary, digits)."""
    rows = list(rows)
    header = ("metric", "unit", "median", "p99", "min", "max", "runs")
    body = [(m, u, fmt(s["median"], d), fmt(s["p99"], d), fmt(s["min"], d), fmt(s["max"], d),
             str(s["n"])) for m, u, s, d in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    if title:
        print(f"\n{title}")
    print("  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    print(line)
    for r in body:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def step_table(pooled: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Print n, median, p99 and max (ms) of every step; return them as the result's
    entries (``{step: {n, median_ms, p99_ms, max_ms}}``)."""
    print(f"\n{'step':<8} {'n':>4} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    result = {}
    for key, values in pooled.items():
        result[key] = {"n": len(values), "median_ms": percentile(values, 50),
                       "p99_ms": percentile(values, 99), "max_ms": max(values)}
        print(f"{key:<8} {len(values):>4} {fmt(result[key]['median_ms']):>10}"
              f" {fmt(result[key]['p99_ms']):>8} {fmt(result[key]['max_ms']):>8}")
    return result


def save_result(name: str, result: dict[str, Any], stamp: str | None = None) -> None:
    """Write ``result`` to bench/results/<name>-<stamp>.json (``stamp``: Unix seconds
    unless given) and print it as one JSON line, the run's last."""
    folder = BENCH_DIR / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}-{stamp or int(time.time())}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
