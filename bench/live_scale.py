#!/usr/bin/env python3
"""Live updates at branch scale, against a real ``servicepoint serve`` process.

For each N in ``--levels`` (default 100, 500, 1000, 2000) it opens N event streams:
90 % behave like phone tracking pages (``?ticket=``, each following one of the waiting
tickets of service A, re-fetching its page only when its own ticket changes), the rest
like the lobby display (``?display=D1``: the board arrives on the stream with the calls
to announce; the page asks for announcements only when it opens or missed calls) and four counter screens (a plain
stream; each ``changed`` re-fetches ``/counter/1/live``, as the page does). Then, for
``--duration`` seconds, kiosks issue ``--issue-rate`` tickets/s (services A–D in turn,
through the API without a printer: printing has its own benchmark, print_latency.py)
and counter 1 calls the oldest waiting A ticket once a second; ``/healthz`` is
asked twice a second. After that, ``--quiet-calls`` calls with nothing else going on
measure the server's CPU per call alone.

Printed for each N: call -> every stream that the call concerns received it, p50/p99
(every phone behind the called ticket must see its place change, the called one its
state; every display the new call; every counter screen a change at or after the
call's version), missed deliveries, ticket POST and /healthz p50/p99, server CPU
seconds per call (busy, and quiet), server RSS and threads, errors. Streams are read
by two client processes with asyncio (aiohttp's client); phones follow about 250
tickets (several phones per ticket at N = 2,000). Loopback only; every loop bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import http.client
import json
import multiprocessing as mp
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ServerProcess, fmt, percentile, run_init, save_result  # noqa: E402

from servicepoint import auth  # noqa: E402
from servicepoint.db import connect  # noqa: E402
from servicepoint.timeutil import SystemClock, to_db  # noqa: E402
from tests.security.support import Browser  # noqa: E402
from tests.support.devices import cookie_name, pair  # noqa: E402

NEWEST = re.compile(r'data-latest-key="([^"]*)"')
ANNOUNCE = re.compile(r"data-announce='([^']*)'")
_FORK = mp.get_context("fork")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="100,500,1000,2000")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of load per level")
    ap.add_argument("--issue-rate", type=float, default=5.0)
    ap.add_argument("--quiet-calls", type=int, default=5)
    ap.add_argument("--followed", type=int, default=250, help="distinct tickets phones follow")
    ap.add_argument("--phones", type=int, default=1000,
                    help="then a level of this many phones alone, for CPU per call (0: none)")
    ap.add_argument("--displays", type=int, default=40,
                    help="then a level of this many display screens alone (0: none)")
    ap.add_argument("--quick", action="store_true", help="levels 100,500; 8 s each")
    return ap.parse_args(argv)


# -- stream clients (child processes) -------------------------------------------
def _events(buffer: bytes):
    """Complete SSE events in ``buffer`` -> (events, rest)."""
    out = []
    while b"\n\n" in buffer:
        raw, buffer = buffer.split(b"\n\n", 1)
        event, data, ident = None, [], None
        for line in raw.decode().split("\n"):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line.startswith("id: "):
                ident = line[4:]
        if event:
            out.append((event, "\n".join(data), ident))
    return out, buffer


async def _stream(session, url: str, spec: dict, log: dict, ready: asyncio.Event) -> None:
    import aiohttp

    kind = spec["kind"]
    path = {"phone": f"/api/v1/events?ticket={spec.get('pid')}",
            "display": "/api/v1/events?display=D1&lang=en", "counter": "/api/v1/events"}[kind]
    headers = {"Cookie": spec.get("cookie", "")}
    last_key, cursor, got = None, None, log["events"]
    try:
        async with session.get(url + path, headers=headers,
                               timeout=aiohttp.ClientTimeout(total=None)) as resp:
            if resp.status != 200:
                log["errors"].append(f"{kind} stream {resp.status}")
                ready.set()
                return
            buffer = b""
            async for chunk in resp.content.iter_any():
                buffer += chunk
                events, buffer = _events(buffer)
                for event, data, ident in events:
                    now = time.monotonic()
                    version = int(ident.rpartition("-")[2]) if ident else 0
                    if kind == "phone" and event == "ticket":
                        d = json.loads(data)
                        got.append((now, spec["n"], "phone", d["ahead"], d["state"], version))
                        if last_key is not None and d["key"] != last_key:
                            await _fetch(session, url + f"/t/{spec['pid']}", headers, log)
                        last_key = d["key"]
                    elif kind == "display" and event == "board":
                        m = NEWEST.search(data)
                        key = m.group(1) if m else ""
                        got.append((now, spec["n"], "display", key, "", version))
                        if cursor is None:  # the page asks where it is when it opens
                            body = await _fetch(session, url + "/display/D1/announcements",
                                                headers, log)
                            cursor = json.loads(body)["cursor"] if body else None
                        elif key != last_key:
                            # As announce.js: the calls come with the board, unless it
                            # missed more than the board shows.
                            a = ANNOUNCE.search(data)
                            shown = json.loads(html.unescape(a.group(1))) if a else None
                            if shown and shown["after"] <= cursor:
                                cursor = max(cursor, shown["cursor"])
                            else:
                                body = await _fetch(session, url + "/display/D1/announcements"
                                                    f"?after={cursor}", headers, log)
                                cursor = json.loads(body).get("cursor", cursor) if body else cursor
                        last_key = key
                    elif kind == "counter" and event in ("changed", "hello"):
                        got.append((now, spec["n"], "counter", "", "", version))
                        if event == "changed":
                            await _fetch(session, url + "/counter/1/live", headers, log)
                    ready.set()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log["errors"].append(f"{kind} stream {type(exc).__name__}")
    finally:
        ready.set()


async def _fetch(session, url: str, headers: dict, log: dict) -> str | None:
    t0 = time.monotonic()
    async with session.get(url, headers={**headers, "HX-Request": "true"}) as r:
        body = await r.text()
    log["fetches"].append(time.monotonic() - t0)
    if r.status != 200:
        log["errors"].append(f"fetch {url.split('?')[0][-30:]} {r.status}")
        return None
    return body


def _stream_worker(url: str, specs: list[dict], out: str, ready_q, stop_evt) -> None:
    import aiohttp

    async def main() -> None:
        log: dict = {"events": [], "errors": [], "fetches": []}
        conn = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=conn) as session:
            readies = [asyncio.Event() for _ in specs]
            tasks = []
            for spec, ready in zip(specs, readies, strict=True):
                tasks.append(asyncio.create_task(_stream(session, url, spec, log, ready)))
                if len(tasks) % 50 == 0:
                    await asyncio.sleep(0)  # let the first ones connect meanwhile
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 300)
            ready_q.put(len(specs))
            while not stop_evt.is_set():
                await asyncio.sleep(0.1)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        Path(out).write_text(json.dumps(log))

    asyncio.run(main())


# -- the driver -------------------------------------------------------------------
class Api:
    """Keep-alive JSON requests with timings (one thread each)."""

    def __init__(self, port: int, token: str | None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: dict) -> tuple[int, dict, float]:
        t0 = time.monotonic()
        self.conn.request("POST", path, json.dumps(body), self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else {}), time.monotonic() - t0


def _tokens(db: Path) -> dict[str, str]:
    conn = connect(str(db))
    now = to_db(SystemClock().now())
    try:
        with conn:
            return {"staff": auth.create_token(conn, "bench-staff", "staff", now=now),
                    "manager": auth.create_token(conn, "bench-manager", "manager", now=now)}
    finally:
        conn.close()


def run_level(srv: ServerProcess, n: int, args, state: dict, only: str | None = None) -> dict:
    import psutil

    proc = psutil.Process(srv.pid)
    a_tickets, done = state["a"], state["calls"]
    phones = {"displays": 0, "phones": n}.get(only or "", round(n * 0.9))
    counters = 0 if only else min(4, n - phones)
    base = done + int(args.duration) + args.quiet_calls + 3  # still waiting at the end
    specs = []
    for i in range(phones):
        idx = base + i % args.followed
        specs.append({"kind": "phone", "n": idx, "pid": a_tickets[idx]["pid"]})
    specs += [{"kind": "counter", "n": i, "cookie": state["staff_cookie"]} for i in range(counters)]
    specs += [{"kind": "display", "n": i, "cookie": state["d1_cookie"]}
              for i in range(n - phones - counters)]
    ready_q, stop_evt = _FORK.Queue(), _FORK.Event()
    tmp = tempfile.mkdtemp(prefix="live-scale-")
    outs = [f"{tmp}/w{i}.json" for i in range(2)]
    workers = [_FORK.Process(target=_stream_worker, args=(srv.url, specs[i::2], outs[i],
                                                          ready_q, stop_evt)) for i in range(2)]
    for w in workers:
        w.start()
    for _ in workers:
        ready_q.get(timeout=600)
    issue_api, call_api = Api(srv.port, None), Api(srv.port, state["staff"])
    posts, health, calls, errors, rss = [], [], [], [], []
    stop = threading.Event()

    def issuer() -> None:
        gap, k, t_next = 1.0 / args.issue_rate, 0, time.monotonic()
        while not stop.is_set():
            t_next += gap
            status, _, took = issue_api.post("/api/v1/tickets", {"service": "ABCD"[k % 4]})
            k += 1
            (posts if status == 201 else errors).append(took if status == 201 else status)
            stop.wait(max(0.0, t_next - time.monotonic()))

    def prober() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        while not stop.is_set():
            t0 = time.monotonic()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            health.append(time.monotonic() - t0)
            rss.append(proc.memory_info().rss)
            stop.wait(0.5)

    def call_one() -> None:
        """The counter's "next customer" (finishing the one being served), then "start"."""
        expected = a_tickets[state["calls"]]
        t0 = time.monotonic()
        status, body, _ = call_api.post("/api/v1/counters/1/call-next", {"finish_current": True})
        called = (body.get("ticket") or {}) if status == 200 else {}
        if called.get("number") != expected["number"]:
            errors.append(f"call {status} {body.get('error')} {called.get('number')}")
        calls.append((t0, state["calls"]))
        state["calls"] += 1
        if called:
            status, body, _ = call_api.post(f"/api/v1/tickets/{called['id']}/start",
                                            {"counter": "1"})
            if status != 200:
                errors.append(f"start {status} {body.get('error')}")

    cpu0 = sum(proc.cpu_times()[:2])
    threads = [threading.Thread(target=issuer), threading.Thread(target=prober)]
    for t in threads:
        t.start()
    began = time.monotonic()
    for k in range(int(args.duration)):
        time.sleep(max(0.0, began + k + 0.5 - time.monotonic()))
        call_one()
    time.sleep(max(0.0, began + args.duration - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(30)
    busy_cpu = sum(proc.cpu_times()[:2]) - cpu0
    busy_calls = len(calls)
    cpu1 = sum(proc.cpu_times()[:2])
    for _ in range(args.quiet_calls):
        call_one()
        time.sleep(1.0)
    quiet_cpu = (sum(proc.cpu_times()[:2]) - cpu1) / max(1, args.quiet_calls)
    threads_now = proc.num_threads()
    stop_evt.set()
    for w in workers:
        w.join(120)
    logs = [json.loads(Path(o).read_text()) for o in outs if Path(o).exists()]
    events = [e for log in logs for e in log["events"]]
    return _level_result(n, specs, calls, events, posts, health, errors, logs, rss, busy_cpu,
                         busy_calls, quiet_cpu, threads_now, len(logs) == 2)


def _level_result(n, specs, calls, events, posts, health, errors, logs, rss, busy_cpu,
                  busy_calls, quiet_cpu, threads_now, complete) -> dict:
    """Match each call to the first event of every stream it concerns."""
    by_stream: dict[tuple, list] = {}
    for e in events:
        by_stream.setdefault((e[2], e[1]), []).append(e)
    for evs in by_stream.values():
        evs.sort()
    latencies, missed = [], 0
    call_versions: dict[int, int] = {}
    counts = {"phone": 0, "display": 0, "counter": 0}
    for spec in specs:
        counts[spec["kind"]] += 1
    phone_idx = {s["n"] for s in specs if s["kind"] == "phone"}
    per_phone = {i: sum(1 for s in specs if s["kind"] == "phone" and s["n"] == i) for i in phone_idx}
    for t_call, index in calls:
        for idx in phone_idx:
            if idx < index:
                continue
            evs = by_stream.get(("phone", idx), [])
            hits = [e for e in evs if e[0] >= t_call and (
                (idx == index and e[4] != "waiting") or (idx > index and e[3] <= idx - index - 1))]
            found = 0
            # several phones may follow one ticket: each must have seen it
            for e in hits:
                found += 1
                latencies.append(e[0] - t_call)
                call_versions[index] = min(call_versions.get(index, e[5]), e[5])
                if found == per_phone[idx]:
                    break
            missed += per_phone[idx] - found
    # Displays: the first board after the call whose newest call changed.
    displays = [k for k in by_stream if k[0] == "display"]
    for t_call, _index in calls:
        for key in displays:
            evs = by_stream[key]
            before = [e for e in evs if e[0] < t_call]
            last = before[-1][3] if before else None
            after = next((e for e in evs if e[0] >= t_call and e[3] != last), None)
            if after is None:
                missed += 1
            else:
                latencies.append(after[0] - t_call)
    counters = [k for k in by_stream if k[0] == "counter"]
    for t_call, index in calls:
        v = call_versions.get(index)
        for key in counters:
            after = next((e for e in by_stream[key] if e[0] >= t_call and v is not None
                          and e[5] >= v), None)
            if after is None:
                missed += 1
            else:
                latencies.append(after[0] - t_call)
    stream_errors = [err for log in logs for err in log["errors"]]
    fetches = [f for log in logs for f in log["fetches"]]
    return {
        "n": n, "phones": counts["phone"], "displays": counts["display"],
        "counters": counts["counter"], "calls": len(calls),
        "call_to_streams_ms": {"p50": percentile(latencies, 50) * 1e3,
                               "p99": percentile(latencies, 99) * 1e3,
                               "max": max(latencies, default=float("nan")) * 1e3,
                               "deliveries": len(latencies)},
        "missed": missed,
        "post_ms": {"p50": percentile(posts, 50) * 1e3, "p99": percentile(posts, 99) * 1e3,
                    "n": len(posts)},
        "healthz_ms": {"p50": percentile(health, 50) * 1e3, "p99": percentile(health, 99) * 1e3,
                       "max": max(health, default=float("nan")) * 1e3},
        "cpu_s_per_call_busy": busy_cpu / max(1, busy_calls),
        "cpu_s_per_call_quiet": quiet_cpu,
        "page_fetches": len(fetches),
        "rss_mb_max": max(rss, default=0) / 2**20, "threads": threads_now,
        "errors": [str(e) for e in errors] + stream_errors + ([] if complete else ["worker lost"]),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    levels = [100, 500] if args.quick else [int(x) for x in args.levels.split(",")]
    if args.quick:
        args.duration = 8.0
    tmp = Path(tempfile.mkdtemp(prefix="live-scale-"))
    db = tmp / "sp.db"
    run_init(db)
    tokens = _tokens(db)
    d1 = pair(str(db), "D1")
    env = {"SERVICEPOINT_API_TICKET_RATE_LIMIT": "0", "SERVICEPOINT_KIOSK_RATE_LIMIT": "1000000"}
    results = []
    with ServerProcess(db, init=False, env=env, log_dir=tmp) as srv:
        staff = Browser(srv.url)
        assert staff.sign_in("clerk").status in (200, 302, 303)
        state = {"staff": tokens["staff"], "calls": 0,
                 "d1_cookie": f"{cookie_name('D1')}={d1}",
                 "staff_cookie": "; ".join(f"{k}={v}" for k, v in staff.cookies.items())}
        # Counter 1 serves A alone, so each of its calls moves every phone's ticket.
        manager = Browser(srv.url)
        r = manager.request("PATCH", "/api/v1/counters/1", json.dumps({"services": ["A"]}).encode(),
                            {"Content-Type": "application/json",
                             "Authorization": f"Bearer {tokens['manager']}"})
        assert r.status == 200, r.text
        Api(srv.port, tokens["staff"]).post("/api/v1/counters/1/open", {})
        needed = sum(int(args.duration) + args.quiet_calls + 1 for _ in range(len(levels) + 2)) \
            + 5 + args.followed
        kiosk = Api(srv.port, None)
        state["a"] = []
        for _ in range(needed + len(levels) * (int(args.duration) + args.quiet_calls + 3)):
            status, body, _ = kiosk.post("/api/v1/tickets", {"service": "A"})
            assert status == 201, body
            state["a"].append({"id": body["id"], "number": body["number"],
                               "pid": body["track_url"].rsplit("/", 1)[1]})
        for n in levels:
            print(f"N = {n} ...", flush=True)
            results.append(run_level(srv, n, args, state))
        if args.phones:
            print(f"{args.phones} phones alone ...", flush=True)
            results.append(run_level(srv, args.phones, args, state, only="phones"))
        if args.displays:
            print(f"{args.displays} displays alone ...", flush=True)
            results.append(run_level(srv, args.displays, args, state, only="displays"))
    _table(results)
    save_result("live_scale", {"levels": results, "duration_s": args.duration,
                               "issue_rate": args.issue_rate})
    return 1 if any(r["errors"] or r["missed"] for r in results) else 0


def _table(results: list[dict]) -> None:
    head = ("N", "phones", "displays", "call->all p50", "p99", "missed", "POST p50", "p99", "healthz p99",
            "CPU/call busy", "CPU/call quiet", "RSS MB", "threads", "errors")
    rows = [(str(r["n"]), str(r["phones"]), str(r["displays"]), fmt(r["call_to_streams_ms"]["p50"]),
             fmt(r["call_to_streams_ms"]["p99"]), str(r["missed"]), fmt(r["post_ms"]["p50"]),
             fmt(r["post_ms"]["p99"]), fmt(r["healthz_ms"]["p99"]),
             fmt(r["cpu_s_per_call_busy"] * 1e3) + " ms", fmt(r["cpu_s_per_call_quiet"] * 1e3) + " ms",
             fmt(r["rss_mb_max"]), str(r["threads"]), str(len(r["errors"])))
            for r in results]
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    for r in results:
        for err in r["errors"][:5]:
            print(f"PROBLEM N={r['n']}: {err}")


if __name__ == "__main__":
    sys.exit(main())
