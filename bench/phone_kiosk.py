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
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    browser_runs,
    demo_server,
    save_result,
    sign_in_counter,
    step_table,
)

from tests.support.devices import pair_context  # noqa: E402
from tests.support.display_audio import deploy_audio_flags  # noqa: E402
from tests.support.server import JsonClient  # noqa: E402

WAIT_MS = 15_000
STEPS = ("called", "ticket", "menu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2, help="fresh server + browser runs (default 2)")
    p.add_argument("--rounds", type=int, default=10, help="rounds per run (default 10)")
    return p.parse_args(argv)


def one_run(browser, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {step: [] for step in STEPS}
    with demo_server("bench-phone-") as (db, srv):
        client = JsonClient(srv.url)
        clerk_ctx, desk = sign_in_counter(browser, srv.url, "2", wait_ms=WAIT_MS,
                                          viewport={"width": 1366, "height": 768},
                                          open_counter=True)
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
    pooled = browser_runs(args.runs, STEPS, lambda browser: one_run(browser, args.rounds),
                          flags=deploy_audio_flags())
    if pooled is None:
        return 2
    result: dict = step_table(pooled)
    result.update(runs=args.runs, rounds=args.rounds, machine=platform.node(),
                  at=datetime.now(timezone.utc).isoformat())
    save_result("phone_kiosk", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
