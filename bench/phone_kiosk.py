#!/usr/bin/env python3
"""Customer-side latency in real Chromium: the counter's call -> the phone shows "It's your
turn"; and the accessible kiosk's speech: a ticket taken with Enter -> its spoken WAV arrives.

A real ``servicepoint serve`` runs on a fresh demo database (kiosk K1 paired). Per round:

    called   the clerk's Enter (call by number, counter 2) -> the phone page of that
             ticket (390×844) shows the full-screen called view (event stream, re-fetch, swap)
    ticket   Enter on a focused service in the accessible kiosk (1080×1920, French) ->
             the ticket's WAV response is complete (issue, screen swap, espeak-ng, cache write)
    menu     reloading the accessible start screen -> the menu's WAV (cached after run 1)

Reported: median and p99 per step over all rounds of all ``--runs``; the last line is one
JSON object (also written to bench/results/phone_kiosk-<time>.json). Loopback only; every
wait is bounded. Needs Chromium and espeak-ng.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, ServerProcess, fmt, percentile  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.support.devices import pair_context  # noqa: E402
from tests.support.display_audio import deploy_audio_flags  # noqa: E402
from tests.support.require import chromium_path  # noqa: E402
from tests.support.server import JsonClient, run_init  # noqa: E402

WAIT_MS = 15_000
STEPS = ("called", "ticket", "menu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2, help="fresh server + browser runs (default 2)")
    p.add_argument("--rounds", type=int, default=10, help="rounds per run (default 10)")
    return p.parse_args(argv)


def clerk(browser, url: str):
    ctx = browser.new_context(base_url=url, viewport={"width": 1366, "height": 768},
                              bypass_csp=True)
    ctx.set_default_timeout(WAIT_MS)
    page = ctx.new_page()
    page.goto("/login?next=/counter/2")
    page.fill("#username", "clerk")
    page.fill("#password", "clerk-demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/counter/2")
    page.wait_for_selector("#counter-live")
    if page.locator("#state-open").count():
        page.click("#state-open")
        page.wait_for_selector("#state-close")
    return ctx, page


def one_run(browser, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {step: [] for step in STEPS}
    with tempfile.TemporaryDirectory(prefix="bench-phone-") as tmp:
        db = Path(tmp) / "sp.db"
        run_init(db)
        with ServerProcess(db, init=False, log_dir=tmp) as srv:
            client = JsonClient(srv.url)
            clerk_ctx, desk = clerk(browser, srv.url)
            phone_ctx = browser.new_context(base_url=srv.url, viewport={"width": 390, "height": 844},
                                            is_mobile=True, has_touch=True, bypass_csp=True)
            phone_ctx.set_default_timeout(WAIT_MS)
            kiosk_ctx = browser.new_context(base_url=srv.url,
                                            viewport={"width": 1080, "height": 1920}, bypass_csp=True)
            kiosk_ctx.set_default_timeout(WAIT_MS)
            pair_context(kiosk_ctx, srv.url, str(db), ("K1",))
            phone, kiosk = phone_ctx.new_page(), kiosk_ctx.new_page()
            for _ in range(rounds):
                issued = client.post("/api/v1/tickets", {"service": "B"}).json
                phone.goto(issued["track_url"], wait_until="load")
                phone.wait_for_function("document.querySelector('#track-live') !== null")
                desk.keyboard.press("g")
                desk.keyboard.type(issued["number"].lower())
                started = time.monotonic()
                desk.keyboard.press("Enter")
                phone.wait_for_selector("#called-screen")
                out["called"].append((time.monotonic() - started) * 1000)
                desk.wait_for_function("n => (document.getElementById('current-number') || {})"
                                       ".textContent === n", arg=issued["number"])
                desk.click("#btn-no-show")
                desk.wait_for_selector("#btn-next:not([disabled])")

                started = time.monotonic()
                with kiosk.expect_response(lambda r: "/speech/menu.wav" in r.url) as menu:
                    kiosk.goto("/kiosk/K1?lang=fr&a11y=1", wait_until="load")
                menu.value.finished()
                out["menu"].append((time.monotonic() - started) * 1000)
                kiosk.wait_for_selector("#service-A")
                kiosk.keyboard.press("ArrowDown")
                with kiosk.expect_response(lambda r: "/speech/ticket.wav" in r.url) as spoken:
                    started = time.monotonic()
                    kiosk.keyboard.press("Enter")
                spoken.value.finished()
                out["ticket"].append((time.monotonic() - started) * 1000)
            for ctx in (clerk_ctx, phone_ctx, kiosk_ctx):
                ctx.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        print("Chromium is missing: apt-get install chromium", file=sys.stderr)
        return 2
    pooled: dict[str, list[float]] = {step: [] for step in STEPS}
    with sync_playwright() as pw:
        for run in range(args.runs):
            browser = pw.chromium.launch(executable_path=executable,
                                         args=CHROMIUM_ARGS + deploy_audio_flags())
            try:
                got = one_run(browser, args.rounds)
            finally:
                browser.close()
            for key, values in got.items():
                pooled[key] += values
            print(f"run {run + 1}: " + ", ".join(
                f"{k} median {fmt(percentile(v, 50))} ms" for k, v in got.items()))
    print(f"\n{'step':<8} {'n':>4} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    result: dict = {}
    for key, values in pooled.items():
        result[key] = {"n": len(values), "median_ms": percentile(values, 50),
                       "p99_ms": percentile(values, 99), "max_ms": max(values)}
        print(f"{key:<8} {len(values):>4} {fmt(result[key]['median_ms']):>10}"
              f" {fmt(result[key]['p99_ms']):>8} {fmt(result[key]['max_ms']):>8}")
    result.update(runs=args.runs, rounds=args.rounds, machine=platform.node(),
                  at=datetime.now(timezone.utc).isoformat())
    folder = BENCH_DIR / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"phone_kiosk-{int(time.time())}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
