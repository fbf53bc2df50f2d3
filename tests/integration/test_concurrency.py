"""Concurrent writers on one WAL file (docs/architecture.md, *Storage*): gap-free numbers, no double calls.

Every thread opens its own connection with ``servicepoint.db.connect``, as the
server does (one connection per thread), and runs the real use cases.
"""
from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

from servicepoint.usecases import ServiceTimeCache, act, call_next, issue_ticket
from tests.fixtures import make_ports

SERVICES = ("A", "B", "C", "D")


def run_threads(n: int, target) -> list[BaseException]:
    """Start ``n`` threads on ``target(index, barrier)`` together; return their exceptions."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def wrapper(i: int) -> None:
        try:
            target(i, barrier)
        except BaseException as exc:  # reported by the test, not lost in the thread
            with lock:
                errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=wrapper, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return errors


def test_eight_threads_issue_2000_tickets_gap_free(demo_db, clock):
    # 2,000 rather than 8,000: every issue now plays the whole waiting queue forward for
    # its estimate, so the cost grows with the queue (bench/issue_load.py measures speed).
    threads, per_thread = 8, 250
    results: list[list[tuple[str, int, str]]] = [[] for _ in range(threads)]

    stats = ServiceTimeCache()  # shared, as in the server

    def worker(i, barrier):
        ports = make_ports(demo_db, clock)
        ports.stats = stats
        try:
            barrier.wait()
            for k in range(per_thread):
                service = SERVICES[(i + k) % len(SERVICES)]
                t = issue_ticket(ports, service=service).ticket
                results[i].append((t.service, t.seq, t.number))
        finally:
            ports.conn.close()

    started = time.perf_counter()
    assert run_threads(threads, worker) == []
    elapsed = time.perf_counter() - started

    issued = [r for rs in results for r in rs]
    assert len(issued) == threads * per_thread
    by_service = defaultdict(list)
    for service, seq, number in issued:
        by_service[service].append(seq)
        assert number == f"{service}{seq:03d}"
    assert sorted(by_service) == list(SERVICES)
    for service, seqs in by_service.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gaps or duplicates in {service}"
    assert len({n for _, _, n in issued}) == len(issued)

    # The database agrees with what the callers were told.
    ports = make_ports(demo_db, clock)
    try:
        rows = ports.conn.execute("SELECT origin_service_id, seq FROM tickets").fetchall()
        assert sorted(map(tuple, rows)) == sorted((s, q) for s, q, _ in issued)
        events = ports.conn.execute("SELECT count(*) FROM ticket_events WHERE action='issue'")
        assert events.fetchone()[0] == len(issued)
        last = dict(ports.conn.execute("SELECT service_code, last FROM day_counters").fetchall())
        assert last == {s: len(v) for s, v in by_service.items()}
    finally:
        ports.conn.close()
    # Speed is for bench/issue_load.py to measure, not for a test to assert.
    print(f"{len(issued)} tickets from {threads} threads in {elapsed:.1f} s")


def test_concurrent_call_next_never_calls_a_ticket_twice(demo_db, clock):
    ports = make_ports(demo_db, clock)
    try:
        for k in range(480):
            issue_ticket(ports, service=SERVICES[k % len(SERVICES)])
        all_ids = {r[0] for r in ports.conn.execute("SELECT id FROM tickets")}
    finally:
        ports.conn.close()

    counters = ["1", "2", "3", "4", "5", "6"]
    called: dict[str, list[int]] = {c: [] for c in counters}

    def worker(i, barrier):
        counter = counters[i]
        p = make_ports(demo_db, clock)
        try:
            barrier.wait()
            while True:
                t = call_next(p, counter=counter)
                if t is None:
                    break
                called[counter].append(t.id)
                act(p, ticket_id=t.id, action="start", counter=counter)
                act(p, ticket_id=t.id, action="finish", counter=counter)
        finally:
            p.conn.close()

    assert run_threads(len(counters), worker) == []
    every_call = [tid for ids in called.values() for tid in ids]
    assert len(every_call) == len(set(every_call)), "a ticket was called twice"
    assert set(every_call) == all_ids  # together the counters serve every service
    assert sum(1 for ids in called.values() if ids) >= 4  # the work really was shared

    ports = make_ports(demo_db, clock)
    try:
        calls = Counter(r[0] for r in ports.conn.execute(
            "SELECT ticket_id FROM ticket_events WHERE action='call'"))
        assert set(calls.values()) == {1} and set(calls) == all_ids
        states = dict(ports.conn.execute("SELECT state, count(*) FROM tickets GROUP BY state"))
        assert states == {"done": len(all_ids)}
        # Each ticket was called by a counter serving its service, and finished there.
        serves = defaultdict(set)
        for c, s in ports.conn.execute("SELECT counter_code, service_code FROM counter_services"):
            serves[c].add(s)
        for row in ports.conn.execute("SELECT ticket_id, counter_id, service_id FROM ticket_events"
                                      " WHERE action='call'"):
            assert row[2] in serves[row[1]]
    finally:
        ports.conn.close()


def test_idempotency_key_race_makes_one_ticket(demo_db, clock):
    threads = 8
    results = [None] * threads

    def worker(i, barrier):
        p = make_ports(demo_db, clock)
        try:
            barrier.wait()
            results[i] = issue_ticket(p, service="B", idempotency_key="double-tap-42")
        finally:
            p.conn.close()

    assert run_threads(threads, worker) == []
    assert len({r.ticket.id for r in results}) == 1
    assert len({r.public_id for r in results}) == 1
    assert {r.ticket.number for r in results} == {"B001"}
    assert sum(not r.replayed for r in results) == 1

    ports = make_ports(demo_db, clock)
    try:
        assert ports.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
        assert ports.conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0] == 1
        assert [tuple(r) for r in ports.conn.execute("SELECT last FROM day_counters")] == [(1,)]
        # The next ticket of the service is B002: the replays consumed no numbers.
        assert issue_ticket(ports, service="B").ticket.number == "B002"
    finally:
        ports.conn.close()


def test_concurrent_issue_and_call(demo_db, clock):
    """Kiosks issuing while counters call: every issued ticket is called at most once."""
    threads = 4
    stop = threading.Event()
    issued: list[int] = []
    called: list[int] = []
    lock = threading.Lock()

    def worker(i, barrier):
        p = make_ports(demo_db, clock)
        try:
            barrier.wait()
            if i < threads // 2:  # kiosks
                for k in range(200):
                    t = issue_ticket(p, service="A" if k % 2 else "B").ticket
                    with lock:
                        issued.append(t.id)
            else:  # counters 1 and 2 both serve A and B
                counter = str(i - threads // 2 + 1)
                idle = 0
                while idle < 50 and not stop.is_set():
                    t = call_next(p, counter=counter, finish_current=True)
                    if t is None:
                        idle += 1
                        time.sleep(0.002)
                        continue
                    idle = 0
                    with lock:
                        called.append(t.id)
                    act(p, ticket_id=t.id, action="start", counter=counter)
        finally:
            p.conn.close()

    assert run_threads(threads, worker) == []
    assert len(issued) == len(set(issued)) == 200 * (threads // 2)
    assert len(called) == len(set(called))
    assert set(called) <= set(issued)


def test_counters_calling_the_same_numbers_at_once_never_share_a_ticket(demo_db, clock):
    """Counters 1, 2 and 5 (all serve A) call the same 30 tickets by number, and call-next,
    at the same moments: each ticket is called exactly once, to one counter."""
    from servicepoint.domain.model import DomainError
    from servicepoint.usecases import call_number

    setup = make_ports(demo_db, clock)
    try:
        numbers = [issue_ticket(setup, service="A").ticket.number for _ in range(30)]
    finally:
        setup.conn.close()
    counters = ("1", "2", "5")
    got: dict[str, list[str]] = {c: [] for c in counters}
    refused: Counter = Counter()

    def worker(i, barrier):
        ports = make_ports(demo_db, clock)
        code = counters[i]
        try:
            for k, number in enumerate(numbers):
                barrier.wait()
                try:
                    if k % 5 == 4:
                        ticket = call_next(ports, counter=code)
                    else:
                        ticket = call_number(ports, number=number, counter=code)
                except DomainError as exc:
                    refused[exc.code] += 1
                    ticket = None
                if ticket is not None:
                    got[code].append(ticket.number)
                    act(ports, ticket_id=ticket.id, action="no_show", counter=code)
        finally:
            ports.conn.close()

    assert run_threads(len(counters), worker) == []
    called = [n for ns in got.values() for n in ns]
    assert len(called) == len(set(called)), "a ticket was called to two counters"
    assert set(called) <= set(numbers) and len(called) >= len(numbers) * 4 // 5
    assert refused and set(refused) <= {"illegal_transition"}
    ports = make_ports(demo_db, clock)
    try:
        calls = ports.conn.execute("SELECT t.number, count(*) FROM ticket_events e JOIN tickets t"
                                   " ON t.id = e.ticket_id WHERE e.action = 'call'"
                                   " GROUP BY t.number").fetchall()
    finally:
        ports.conn.close()
    assert all(n == 1 for _, n in calls) and sorted(r[0] for r in calls) == sorted(called)
