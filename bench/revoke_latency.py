#!/usr/bin/env python3
"""Revoking a kiosk: the revoke request -> the kiosk's screen shows the pairing code, in
real Chromium; and the revoke -> the kiosk's next tap is refused.

A real ``servicepoint serve`` runs on a fresh demo database. A Chromium context is
paired as kiosk K1 and shows ``/kiosk/K1`` with its live stream open. Each round a
manager token revokes K1 (``POST /api/v1/devices/K1/revoke``) and the time until the
kiosk shows the pairing code is measured (``time.monotonic`` around Playwright's bounded
wait: the live event, the kiosk's re-fetch, the reload into the pairing screen and its
code). Then the kiosk is paired again and reloaded. ``refused`` times a ticket POST sent
right after the revoke answer (with the kiosk's cookies) until its 403.

Reported: median and p99 over all rounds of all ``--runs``; the last line is one JSON
object (also written to bench/results/revoke_latency-<time>.json). Loopback only; every
wait is bounded.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ServerProcess, fmt, percentile, save_result  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.support.devices import pair_context  # noqa: E402
from tests.support.display_audio import staff_token  # noqa: E402
from tests.support.require import chromium_path  # noqa: E402
from tests.support.server import JsonClient, run_init, servicepoint_cmd  # noqa: E402

WAIT_MS = 10_000
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2, help="fresh server + browser runs (default 2)")
    p.add_argument("--rounds", type=int, default=10, help="revokes per run (default 10)")
    return p.parse_args(argv)


def manager_token(db: Path) -> str:
    import subprocess

    out = subprocess.run(servicepoint_cmd("--db", str(db), "token", "create", "bench-manager",
                                          "--role", "manager"),
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


def one_run(browser, rounds: int, tmp: Path) -> dict[str, list[float]]:
    db = tmp / "servicepoint.db"
    run_init(db)
    token = manager_token(db)
    staff_token(db)  # the CLI is warm; the first revoke is not slower for it
    out: dict[str, list[float]] = {"screen": [], "refused": []}
    with ServerProcess(db, init=False, log_dir=tmp) as server:
        ctx = browser.new_context(base_url=server.url, bypass_csp=True)
        ctx.set_default_timeout(WAIT_MS)
        page = ctx.new_page()
        manager = JsonClient(server.url, headers={"Authorization": f"Bearer {token}"})
        for _ in range(rounds):
            ctx.clear_cookies()
            pair_context(ctx, server.url, str(db), ("K1",))
            page.goto("/kiosk/K1", wait_until="load")
            page.wait_for_selector("#kiosk-live[data-sse=open]")
            csrf = page.get_attribute("meta[name=csrf-token]", "content")
            started = time.monotonic()
            assert manager.post("/api/v1/devices/K1/revoke", {}).status == 200
            # A tap already on its way, sent with the kiosk's own cookies (the page itself
            # may be reloading into the pairing screen by now).
            tapped = time.monotonic()
            r = ctx.request.post("/kiosk/K1/issue", form={
                "service": "A", "key": f"revokebench{time.monotonic_ns()}", "csrf_token": csrf})
            assert r.status == 403, r.status
            out["refused"].append((time.monotonic() - tapped) * 1000)
            page.wait_for_selector("[data-pair-code]", timeout=WAIT_MS)
            out["screen"].append((time.monotonic() - started) * 1000)
        manager.close()
        ctx.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("revoke latency: Debian's chromium is not installed", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {"screen": [], "refused": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for run in range(args.runs):
                with tempfile.TemporaryDirectory(prefix=f"sp-revoke-{run}-") as tmp:
                    for key, values in one_run(browser, args.rounds, Path(tmp)).items():
                        results[key].extend(values)
        finally:
            browser.close()
    print(f"revoke latency: {args.runs} runs x {args.rounds} revokes, kiosk K1 in Chromium")
    summary = {"machine": platform.machine(), "python": platform.python_version(),
               "runs": args.runs, "rounds": args.rounds}
    for key, label in (("screen", "revoke -> kiosk shows the pairing code"),
                       ("refused", "tap after the revoke -> 403")):
        values = results[key]
        median, p99 = percentile(values, 50), percentile(values, 99)
        print(f"  {label:<42} median {fmt(median)} ms  p99 {fmt(p99)} ms  (n={len(values)})")
        summary[f"{key}_median_ms"], summary[f"{key}_p99_ms"] = median, p99
    save_result("revoke_latency", summary, datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
