#!/usr/bin/env python3
"""Announcement latency: a counter's call -> the lobby display starts speaking it, in real Chromium.

A real ``servicepoint serve`` runs on a fresh demo database; Debian's Chromium,
started with deploy/kiosk-chromium.sh's autoplay flags, shows ``/display/D1``.
The display reports every step of an announcement as a ``servicepoint:announce``
event carrying ``Date.now()``; the call's POST is stamped with ``time.time()``
just before it is sent. Same machine, same wall clock, so for every call:

    call -> chime   the display noticed the call and started its chime
    call -> speech  the spoken WAV (espeak-ng on the server) started playing
                    (the chime lasts 1.3 s by design and comes first)
    wav fetch       the browser's request for the WAV, start to last byte

Two kinds of call per round, one after the other (each waits until the previous
announcement and the pause after it are over, so queueing does not blur the numbers):
  cold  a new ticket called at counter 6: its phrase was never spoken, so the
        server runs espeak-ng while the chime plays;
  warm  the same ticket recalled: the same phrase, read from the disk cache.

``--runs`` runs (fresh database, server and browser each), ``--calls`` rounds
per run (default 3 x 8). Reported: median and p99 per kind, over all calls
pooled, plus each run's median; the last line is one JSON object (also written
to bench/results/announce_latency-<time>.json). Loopback only; every wait is
bounded.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ServerProcess, fmt, percentile, save_result  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.support.devices import cookie_name, pair_context  # noqa: E402
from tests.support.display_audio import RECORDER, deploy_audio_flags, staff_token  # noqa: E402
from tests.support.require import chromium_path  # noqa: E402
from tests.support.server import JsonClient, run_init  # noqa: E402

COUNTER = "6"   # serves only D in the demo branch
SERVICE = "D"
WAIT_MS = 60_000
# announce.js keeps 400 ms of silence between two announcements; a call made in that
# pause waits for it, which is not the latency this measures.
QUIET_S = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="fresh server + browser runs (default 3)")
    p.add_argument("--calls", type=int, default=8, help="call + recall rounds per run (default 8)")
    return p.parse_args(argv)


def step(page, event_id: int, phase: str) -> dict:
    """Wait for the display's ``phase`` step of announcement ``event_id``; return it."""
    page.wait_for_function(
        "([id, phase]) => window.__announce.some(e => e.id === id && e.phase === phase)",
        arg=[event_id, phase], timeout=WAIT_MS)
    return page.evaluate(
        "([id, phase]) => window.__announce.find(e => e.id === id && e.phase === phase)",
        [event_id, phase])


def wav_fetch_ms(page, event_id: int) -> float:
    return page.evaluate(
        "id => { const e = performance.getEntriesByType('resource').find(r =>"
        " r.name.includes('/announcements/' + id + '/')); return e ? e.duration : NaN; }",
        event_id)


def newest_call_id(client: JsonClient, after: int) -> int:
    """The event id of the call just made (what the display announces)."""
    body = client.get(f"/display/D1/announcements?after={after}").json
    return body["items"][-1]["id"]


def one_run(browser, args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    db = tmp / "servicepoint.db"
    run_init(db)
    token = staff_token(db)
    out: dict[str, list[float]] = {k: [] for k in (
        "cold_chime", "cold_speech", "cold_wav", "warm_chime", "warm_speech", "warm_wav")}
    with ServerProcess(db, init=False, log_dir=tmp) as server:
        # bypass_csp: wait_for_function evaluates its predicate with eval(), which the
        # server's Content-Security-Policy forbids (timing is the same either way).
        context = browser.new_context(base_url=server.url, bypass_csp=True,
                                      viewport={"width": 1920, "height": 1080})
        paired = pair_context(context, server.url, str(db), ("D1",))  # the lobby's own display
        context.add_init_script(RECORDER)
        page = context.new_page()
        page.goto("/display/D1", wait_until="load")
        page.wait_for_selector("#display-live[data-sse=open][data-cursor][data-sound=on]",
                               timeout=WAIT_MS)
        staff = JsonClient(server.url, headers={"Authorization": f"Bearer {token}"})
        public = JsonClient(server.url, headers={"Cookie": f"{cookie_name('D1')}={paired['D1']}"})
        cursor = public.get("/display/D1/announcements").json["cursor"]
        for _ in range(args.calls):
            assert public.post("/api/v1/tickets", {"service": SERVICE}).status == 201
            sent = time.time() * 1000
            r = staff.post(f"/api/v1/counters/{COUNTER}/call-next", {})
            assert r.status == 200 and r.json["ticket"], r.text
            ticket = r.json["ticket"]["id"]
            event = newest_call_id(public, cursor)
            cursor = event
            for kind in ("cold", "warm"):
                if kind == "warm":
                    sent = time.time() * 1000
                    r = staff.post(f"/api/v1/tickets/{ticket}/recall", {"counter": COUNTER})
                    assert r.status == 200, r.text
                    event = newest_call_id(public, cursor)
                    cursor = event
                out[f"{kind}_chime"].append(step(page, event, "chime")["at"] - sent)
                out[f"{kind}_speech"].append(step(page, event, "speech")["at"] - sent)
                step(page, event, "done")
                out[f"{kind}_wav"].append(wav_fetch_ms(page, event))
                if kind == "cold":
                    time.sleep(QUIET_S)
            for action in ("start", "finish"):
                r = staff.post(f"/api/v1/tickets/{ticket}/{action}", {"counter": COUNTER})
                assert r.status == 200, r.text
            time.sleep(QUIET_S)  # the display leaves a pause between two announcements
        staff.close()
        public.close()
        context.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("PROBLEM: Debian's chromium is not installed", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    runs: list[dict[str, list[float]]] = []
    with sync_playwright() as pw:
        for n in range(args.runs):
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=CHROMIUM_ARGS + deploy_audio_flags())
            try:
                with tempfile.TemporaryDirectory(prefix="sp-announce-") as tmp:
                    runs.append(one_run(browser, args, Path(tmp)))
            finally:
                browser.close()
            print(f"run {n + 1}/{args.runs}: cold speech median "
                  f"{fmt(statistics.median(runs[-1]['cold_speech']), 0)} ms, warm "
                  f"{fmt(statistics.median(runs[-1]['warm_speech']), 0)} ms", flush=True)

    pooled = {k: [v for run in runs for v in run[k]] for k in runs[0]}
    print(f"\nannouncement latency, {args.runs} runs x {args.calls} calls, "
          f"{platform.node()} ({platform.machine()})")
    print(f"{'metric':<14} {'median ms':>10} {'p99 ms':>10} {'min':>8} {'max':>8}  per-run medians")
    summary = {}
    for key, values in pooled.items():
        per_run = [statistics.median(run[key]) for run in runs]
        summary[key] = {"median": percentile(values, 50), "p99": percentile(values, 99),
                        "min": min(values), "max": max(values), "n": len(values),
                        "run_medians": per_run}
        print(f"{key:<14} {fmt(summary[key]['median'], 0):>10} {fmt(summary[key]['p99'], 0):>10}"
              f" {fmt(min(values), 0):>8} {fmt(max(values), 0):>8}  "
              + ", ".join(fmt(m, 0) for m in per_run))
    result = {"bench": "announce_latency", "runs": args.runs, "calls": args.calls,
              "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "ms": summary}
    save_result("announce_latency", result, datetime.now().strftime("%Y%m%d-%H%M%S"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
