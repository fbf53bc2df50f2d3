#!/usr/bin/env python3
"""Counter screen latency: an action on one counter screen -> the other screen shows it,
in real Chromium; and the server's time to render the live counter screen.

A real ``servicepoint serve`` runs on a fresh demo database. Two Chromium contexts,
both signed in as the clerk, show ``/counter/4`` at 1366×768. For every round screen A
calls a new C ticket by its number, starts it and finishes it with the keys (G, S, F);
for each step the time from the key press on A until screen B's panel shows the
change is measured (``time.monotonic`` around Playwright's bounded waits, so it includes
the event stream, B's re-fetch and its swap):

    call    A's Enter in the number field -> B shows the ticket as current
    start   A's S                           -> B shows it Serving
    finish  A's F                           -> B shows no current ticket

Then ``--renders`` GETs of ``/counter/4/live`` (the whole live screen: panel, waiting
list, parked tickets, the day's figures, the counter bar) with ``--queue`` tickets
waiting, timed on the client over one keep-alive connection.

Reported: median and p99 per step over all rounds of all ``--runs``; the last line is
one JSON object (also written to bench/results/counter_live-<time>.json). Loopback
only; every wait is bounded.
"""
from __future__ import annotations

import argparse
import http.client
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    browser_runs,
    demo_server,
    save_result,
    sign_in_counter,
    step_table,
)

from tests.support.server import JsonClient  # noqa: E402

COUNTER = "4"
WAIT_MS = 10_000
SCREEN = {"width": 1366, "height": 768}
STEPS = ("call", "start", "finish", "render")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="fresh server + browser runs (default 3)")
    p.add_argument("--rounds", type=int, default=10, help="call/start/finish rounds per run")
    p.add_argument("--renders", type=int, default=50, help="timed GETs of the live screen")
    p.add_argument("--queue", type=int, default=200, help="tickets waiting during the renders")
    return p.parse_args(argv)


def timed(action, wait) -> float:
    started = time.monotonic()
    action()
    wait()
    return (time.monotonic() - started) * 1000


def one_run(browser, rounds: int, renders: int, queue: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {step: [] for step in STEPS}
    with demo_server("bench-counter-") as (_db, srv):
        client = JsonClient(srv.url)
        ctx_a, a = sign_in_counter(browser, srv.url, COUNTER, viewport=SCREEN, wait_ms=WAIT_MS)
        ctx_b, b = sign_in_counter(browser, srv.url, COUNTER, viewport=SCREEN, wait_ms=WAIT_MS)
        current = "n => (document.getElementById('current-number') || {}).textContent === n"
        for _ in range(rounds):
            number = client.post("/api/v1/tickets", {"service": "C"}).json["number"]
            b.wait_for_selector(f"#waiting-{number}")
            a.keyboard.press("g")
            a.keyboard.type(number)
            out["call"].append(timed(lambda: a.keyboard.press("Enter"),
                                     lambda n=number: b.wait_for_function(current, arg=n)))
            a.wait_for_function("() => document.activeElement.id !== 'call-number-input'")
            out["start"].append(timed(lambda: a.keyboard.press("s"), lambda: b.wait_for_function(
                "() => (document.getElementById('current-state') || {}).textContent"
                " === 'Serving'")))
            a.wait_for_selector("#btn-finish:not([disabled])")
            out["finish"].append(timed(lambda: a.keyboard.press("f"), lambda: b.wait_for_function(
                "() => !document.getElementById('current-number')")))
            a.wait_for_selector("#btn-next:not([disabled])")
        cookies = {c["name"]: c["value"] for c in ctx_a.cookies()}
        ctx_a.close()
        ctx_b.close()
        for k in range(queue):
            client.post("/api/v1/tickets", {"service": "CD"[k % 2]})
        parts = urlsplit(srv.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                   "HX-Request": "true"}
        for _ in range(renders):
            started = time.perf_counter()
            conn.request("GET", f"/counter/{COUNTER}/live", headers=headers)
            response = conn.getresponse()
            body = response.read()
            out["render"].append((time.perf_counter() - started) * 1000)
            assert response.status == 200 and b"waiting-total" in body, response.status
        conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pooled = browser_runs(args.runs, STEPS,
                          lambda browser: one_run(browser, args.rounds, args.renders, args.queue))
    if pooled is None:
        return 2
    result: dict = step_table(pooled)
    result.update(runs=args.runs, rounds=args.rounds, queue=args.queue,
                  machine=platform.node(), at=datetime.now(timezone.utc).isoformat())
    save_result("counter_live", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
