"""Crash safety: acknowledged tickets survive ``kill -9``; numbers stay gap-free.

A real ``servicepoint serve`` process takes concurrent ticket POSTs from several
threads and is killed with SIGKILL while requests are in flight; it is then
restarted on the same database. Two kill cycles per test (docs/architecture.md, *Guarantees*: "every
acknowledged ticket survives kill -9"; numbers "unique and gap-free per service
and day under concurrency and crashes").
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.server import JsonClient, ServerProcess

pytestmark = pytest.mark.slow

SERVICES = ("A", "B", "C", "D")
THREADS = 6
LOAD_S = 1.5
KILL_AT_S = 0.75
CYCLES = 2


@dataclass
class Outcome:
    acked: list[dict] = field(default_factory=list)  # 201 bodies (+ "_key")
    unknown_keys: list[tuple[str, str]] = field(default_factory=list)  # (key, service): no answer
    errors: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)


def _hammer(url: str, worker: int, stop_at: float, out: Outcome) -> None:
    """POST tickets until ``stop_at``; never raises (thread exceptions fail pytest)."""
    client = JsonClient(url, timeout=5.0)
    i = 0
    try:
        while time.monotonic() < stop_at:
            service = SERVICES[(worker + i) % len(SERVICES)]
            key = uuid.uuid4().hex
            i += 1
            try:
                r = client.post("/api/v1/tickets", {"service": service},
                                headers={"Idempotency-Key": key})
            except Exception as exc:  # killed server: reset, refused, timeout
                with out.lock:
                    out.unknown_keys.append((key, service))
                    out.errors.append(f"{type(exc).__name__}: {exc}")
                client.close()
                time.sleep(0.02)
                continue
            with out.lock:
                out.statuses[r.status] += 1
                if r.status == 201:
                    body = dict(r.json)
                    body["_key"] = key
                    out.acked.append(body)
                elif r.status >= 500:
                    out.errors.append(f"HTTP {r.status}: {r.text[:300]}")
                    out.unknown_keys.append((key, service))
    finally:
        client.close()


def _load_and_kill(server: ServerProcess) -> Outcome:
    out = Outcome()
    stop_at = time.monotonic() + LOAD_S
    threads = [threading.Thread(target=_hammer, args=(server.url, w, stop_at, out), daemon=True)
               for w in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(KILL_AT_S)
    with out.lock:
        acked_before_kill = len(out.acked)
    server.kill9()
    for t in threads:
        t.join(LOAD_S + 10)
    assert not any(t.is_alive() for t in threads), "load threads did not stop"
    assert acked_before_kill > 0, f"no ticket acknowledged before the kill; {dict(out.statuses)}"
    return out


def _seq(number: str) -> int:
    m = re.search(r"(\d+)$", number)
    assert m, f"ticket number {number!r} has no digits"
    return int(m.group(1))


def _db_rows(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cols = {r[1] for r in conn.execute("PRAGMA table_info(tickets)")}
        svc = "origin_service_id" if "origin_service_id" in cols else "service_id"
        seq = "seq" if "seq" in cols else "NULL"
        pub = "public_id" if "public_id" in cols else "id"
        rows = conn.execute(
            f"SELECT id, {pub} AS public_id, number, {svc} AS service, day, {seq} AS seq "
            "FROM tickets").fetchall()
        if "ticket_events" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}:
            orphans = conn.execute(
                "SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                "(SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id)").fetchone()[0]
            assert orphans == 0, f"{orphans} tickets have no ticket_events row (not one transaction)"
        return rows
    finally:
        conn.close()


def _check_db_gap_free(rows: list[sqlite3.Row]) -> dict[str, int]:
    """Per (service, day): numbers unique and 1..max without gaps. Returns max seq per service today."""
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    numbers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        seq = r["seq"] if r["seq"] is not None else _seq(r["number"])
        assert seq == _seq(r["number"]), f"seq {seq} != number {r['number']}"
        by_key[(r["service"], r["day"])].append(seq)
        numbers[(r["service"], r["day"])].append(r["number"])
    latest_day = max((d for _, d in by_key), default=None)
    top: dict[str, int] = {}
    for (service, day), seqs in by_key.items():
        dupes = sorted({n for n in numbers[(service, day)] if numbers[(service, day)].count(n) > 1})
        assert not dupes, f"duplicate numbers for {service} on {day}: {dupes}"
        missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        assert not missing, f"gaps in {service} on {day}: missing seq {missing[:20]}"
        if day == latest_day:
            top[service] = max(seqs)
    return top


def _check_acked_survived(server: ServerProcess, acked: list[dict], rows) -> None:
    by_public = {str(r["public_id"]): r for r in rows}
    by_id = {str(r["id"]): r for r in rows}
    with JsonClient(server.url) as client:
        for t in acked:
            # The holder's own read: the secret from the ticket's tracking link.
            r = client.get(f"/api/v1/tickets/{t['id']}",
                           headers={"X-Ticket-Secret": t["track_url"].rsplit("/", 1)[1]})
            assert r.status == 200, f"acknowledged ticket {t['id']} {t['number']} lost: {r.status} {r.text[:200]}"
            got = r.json
            assert str(got["id"]) == str(t["id"]) and got["number"] == t["number"], (t, got)
            row = by_public.get(str(t["id"])) or by_id.get(str(t["id"]))
            assert row is not None, f"ticket {t['id']} {t['number']} answered 201 but is not in the DB"
            assert row["number"] == t["number"], (dict(row), t)


def test_acknowledged_tickets_survive_kill9_and_numbers_stay_gap_free(tmp_path):
    db = tmp_path / "crash.db"
    server = ServerProcess(db, log_dir=tmp_path)
    all_acked: list[dict] = []
    try:
        server.start()
        for cycle in range(CYCLES):
            out = _load_and_kill(server)
            assert out.errors, "the kill did not interrupt any request (was it too late?)"
            server.start()  # same DB, fresh port; init --demo again (idempotent)
            all_acked += out.acked

            rows = _db_rows(db)
            top = _check_db_gap_free(rows)
            _check_acked_survived(server, all_acked, rows)

            per_service: dict[str, list[str]] = defaultdict(list)
            for t in all_acked:
                per_service[t["service"]].append(t["number"])
            for service, nums in per_service.items():
                assert len(nums) == len(set(nums)), f"duplicate numbers acknowledged for {service}"
            ids = [str(t["id"]) for t in all_acked]
            assert len(ids) == len(set(ids)), "duplicate ticket ids acknowledged"

            # Issuing continues with the next number after the crash.
            with JsonClient(server.url) as client:
                for service in SERVICES:
                    r = client.post("/api/v1/tickets", {"service": service})
                    assert r.status == 201, f"cycle {cycle}: {r.status} {r.text[:300]}\n{server.log_tail()}"
                    expected = top.get(service, 0) + 1
                    assert _seq(r.json["number"]) == expected, (
                        f"cycle {cycle}: after restart {service} issued {r.json['number']}, "
                        f"expected seq {expected}")
                    all_acked.append(r.json)
            print(f"cycle {cycle}: {len(out.acked)} acked, {len(out.unknown_keys)} in flight/unknown, "
                  f"{len(rows)} tickets in DB, statuses {dict(out.statuses)}")
        _check_db_gap_free(_db_rows(db))
    finally:
        server.stop()


def test_idempotency_key_retry_after_kill9_yields_one_ticket(tmp_path):
    """A kiosk retries an unanswered POST with the same Idempotency-Key after the
    server came back: it gets the ticket that was committed, or a new one — never two."""
    db = tmp_path / "idem.db"
    server = ServerProcess(db, log_dir=tmp_path)
    try:
        server.start()
        seeded = len(_db_rows(db))  # the demo may seed history
        out = _load_and_kill(server)
        server.start()
        before = len(_db_rows(db))
        with JsonClient(server.url) as client:
            # Replaying an acknowledged request returns the same ticket.
            for t in out.acked[:20]:
                r = client.post("/api/v1/tickets", {"service": t["service"]},
                                headers={"Idempotency-Key": t["_key"]})
                assert r.status in (200, 201), f"{r.status} {r.text[:200]}"
                assert (str(r.json["id"]), r.json["number"]) == (str(t["id"]), t["number"]), (
                    f"replayed Idempotency-Key {t['_key']} gave {r.json['number']}, "
                    f"originally {t['number']}")
            assert len(_db_rows(db)) == before, "replaying acknowledged keys created tickets"
            # Retrying the unanswered ones: each key ends up with exactly one ticket.
            first: dict[str, tuple[str, str]] = {}
            for key, service in out.unknown_keys:
                for _ in range(2):
                    r = client.post("/api/v1/tickets", {"service": service},
                                    headers={"Idempotency-Key": key})
                    assert r.status in (200, 201), f"{r.status} {r.text[:200]}"
                    got = (str(r.json["id"]), r.json["number"])
                    assert first.setdefault(key, got) == got, f"key {key}: {first[key]} then {got}"
        rows = _db_rows(db)
        _check_db_gap_free(rows)
        acked_ids = {str(t["id"]) for t in out.acked} | {i for i, _ in first.values()}
        db_ids = {str(r["public_id"]) for r in rows} | {str(r["id"]) for r in rows}
        assert acked_ids <= db_ids
        # No orphan: every ticket in the DB belongs to a key that we know.
        expected = seeded + len(out.acked) + len(set(first.values()))
        assert len(rows) == expected, (
            f"{len(rows)} tickets in DB, expected {seeded} seeded + {len(out.acked)} acked "
            f"+ {len(set(first.values()))} retried")
    finally:
        server.stop()
