"""The print pipeline end to end: issue_ticket → print_jobs row → PrintWorker → emulator bytes.

Real SQLite files (a copy of the demo branch), real loopback sockets to an
in-process ``PrinterEmulator``, real socat pseudo-terminals for the serial
case; nothing is mocked. The demo printer (``Lobby printer (emulator)``,
assigned to kiosks K1 and K2) is pointed at the test's emulator by URL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid

import pytest

from hardware import jobstore
from hardware.decode import decode
from hardware.decode.interpret import PaperCut, QRCode
from hardware.emulator import PrinterEmulator
from hardware.layout import format_wait
from hardware.texts import CATALOGUE
from hardware.worker import PrintWorker
from servicepoint.db import connect
from servicepoint.texts import lookup
from servicepoint.usecases import issue_ticket, set_counter

TRACK_BASE = "http://sp.test/"
PRINTER_NAME = "Lobby printer (emulator)"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def emu():
    """A TCP emulator on a free loopback port (reached by tcp:// URL, not registered)."""
    emulator = PrinterEmulator(name=f"pipeline-{uuid.uuid4().hex[:8]}", render_png=False)
    emulator.start_tcp("127.0.0.1", 0)
    try:
        yield emulator
    finally:
        emulator.stop()


def _point_printer(db_path: str, url: str) -> int:
    conn = connect(db_path)
    try:
        row = conn.execute("SELECT id FROM printers WHERE name = ?", (PRINTER_NAME,)).fetchone()
        with conn:
            conn.execute("UPDATE printers SET url = ?, status = 'unknown' WHERE id = ?", (url, row["id"]))
        return row["id"]
    finally:
        conn.close()


@pytest.fixture
def db(demo_db, emu):
    """The demo database with its printer pointed at the emulator; yields (path, printer id)."""
    host, port = emu.tcp_address
    return demo_db, _point_printer(demo_db, f"tcp://{host}:{port}")


@pytest.fixture
def conn(db):
    """The worker's own connection."""
    c = connect(db[0])
    yield c
    c.close()


@pytest.fixture
def notes():
    return []


@pytest.fixture
def worker(db, clock, notes):
    return PrintWorker(db[0], notify=notes.append, clock=clock, send_timeout=2.0)


def issue(ports, device: str = "K1", service: str = "A"):
    return issue_ticket(ports, service=service, device=device, track_base=TRACK_BASE)


def job_row(conn, job_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()


def printer_row(conn, printer_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone()


def ticket_row(conn, ticket_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()


def assert_nothing_printed(emu: PrinterEmulator) -> None:
    """No ticket, and no print data at all (not even discarded) reached the emulator."""
    assert emu.tickets() == []
    assert emu.printed_count == 0
    assert not any(j.printed or j.discarded for j in emu.jobs()), emu.jobs()


# --------------------------------------------------------------------------- the happy path


def test_issue_queues_job_and_worker_prints_it(db, ports, conn, worker, emu, notes):
    _, printer_id = db
    set_counter(ports, counter="1", move="open", staff="clerk")  # so the ticket has a wait
    result = issue(ports)
    assert result.print_state == "queued" and result.print_reason is None
    job = job_row(conn, result.print_job_id)
    ticket = ticket_row(conn, result.ticket.id)
    # Written by the same issue call, stamped with the same instant.
    assert (job["state"], job["kind"], job["ticket_id"], job["printer_id"]) == (
        "pending", "ticket", result.ticket.id, printer_id)
    assert job["created_at"] == ticket["issued_at"]
    assert job["attempts"] == 0 and job["bytes"] is None
    payload = jobstore.payload(job)
    track_url = f"{TRACK_BASE}t/{result.public_id}"
    assert payload.number == result.ticket.number == ticket["number"]
    assert payload.service == "A" and payload.service_name == "General enquiries"
    assert not payload.no_counter_open and not result.estimate.no_counter
    assert payload.estimated_wait_s == result.estimate.point_s
    assert payload.track_url == track_url

    assert worker.run_once(conn) is True
    assert emu.wait_for_tickets(1, timeout=5)
    printed = emu.last_ticket()
    decoded = decode(printed.data)
    text = decoded.text()
    assert result.ticket.number in [line.strip() for line in text.splitlines()]
    assert "General enquiries" in text
    wait = format_wait(payload.estimated_wait_s, payload.estimated_wait_range_s, "en")
    assert lookup(CATALOGUE, "estimated_wait", "en", wait=wait) in text
    qrs = [e for e in decoded.elements if isinstance(e, QRCode)]
    assert [q.payload for q in qrs] == [track_url]
    assert isinstance(decoded.elements[-1], PaperCut) and printed.cut
    assert text.rstrip().endswith("[CUT]")

    job = job_row(conn, result.print_job_id)
    assert job["state"] == "printed" and job["error"] is None
    assert job["bytes"] == len(printed.data) > 200
    assert job["attempts"] == 1 and job["printed_at"] is not None
    assert printer_row(conn, printer_id)["status"] == "ok"
    assert "print" in notes
    # Nothing left to do.
    assert worker.run_once(conn) is False
    assert emu.printed_count == 1


def test_ticket_and_job_share_one_transaction(db, ports, conn):
    """When the print job cannot be written, the ticket is not issued either (and vice versa)."""
    before = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    seq_before = conn.execute("SELECT coalesce(max(last), 0) FROM day_counters").fetchone()[0]
    with conn:
        conn.execute("CREATE TRIGGER no_jobs BEFORE INSERT ON print_jobs"
                     " BEGIN SELECT RAISE(ABORT, 'print_jobs refused by test'); END")
    with pytest.raises(sqlite3.IntegrityError, match="refused by test"):
        issue(ports)
    assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == before
    assert conn.execute("SELECT coalesce(max(last), 0) FROM day_counters").fetchone()[0] == seq_before
    with conn:
        conn.execute("DROP TRIGGER no_jobs")
    result = issue(ports)  # the number the failed attempt would have had is still free
    assert conn.execute("SELECT count(*) FROM print_jobs WHERE ticket_id = ?",
                        (result.ticket.id,)).fetchone()[0] == 1


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("state, words", [("paper_out", "paper out"), ("cover_open", "cover open")])
def test_printer_not_ready_fails_job_keeps_ticket(db, ports, conn, worker, emu, state, words):
    _, printer_id = db
    emu.set_state(state)
    first = issue(ports)
    assert first.print_state == "queued"  # the server does not know yet

    assert worker.run_once(conn) is True
    job = job_row(conn, first.print_job_id)
    assert job["state"] == "failed"
    assert words in job["error"] and "not sent" in job["error"]
    assert_nothing_printed(emu)
    ticket = ticket_row(conn, first.ticket.id)
    assert ticket["state"] == "waiting" and ticket["number"] == first.ticket.number
    printer = printer_row(conn, printer_id)
    assert printer["status"] == state and words in printer["status_detail"]

    # The kiosk now knows: the next ticket is shown on screen only.
    second = issue(ports)
    assert (second.print_state, second.print_reason) == ("not_printed", state)
    job2 = job_row(conn, second.print_job_id)
    assert job2["state"] == "failed" and state in job2["error"]
    assert ticket_row(conn, second.ticket.id)["state"] == "waiting"
    assert worker.run_once(conn) is False  # a failed job is never picked up
    assert_nothing_printed(emu)


def test_silent_printer_fails_quickly(db, ports, conn, worker, emu):
    _, printer_id = db
    emu.set_state("silent")
    result = issue(ports)
    started = time.monotonic()
    assert worker.run_once(conn) is True
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"a silent printer held the worker for {elapsed:.2f} s"
    job = job_row(conn, result.print_job_id)
    assert job["state"] == "failed" and "no answer" in job["error"]
    assert printer_row(conn, printer_id)["status"] == "no_reply"
    assert_nothing_printed(emu)
    assert issue(ports).print_state == "not_printed"


def test_connection_refused_marks_printer_offline(db, ports, conn, worker, emu):
    """Nothing listens: not a byte was sent, so the job is retried up to MAX_ATTEMPTS, then failed."""
    _, printer_id = db
    emu.stop()  # nothing listens on the port any more
    result = issue(ports)
    started = time.monotonic()
    rounds = 0
    while worker.run_once(conn):
        rounds += 1
        assert time.monotonic() - started < 5
    assert rounds == jobstore.MAX_ATTEMPTS
    job = job_row(conn, result.print_job_id)
    assert (job["state"], job["attempts"]) == ("failed", jobstore.MAX_ATTEMPTS)
    assert "connection refused" in job["error"]
    printer = printer_row(conn, printer_id)
    assert printer["status"] == "offline" and "connection refused" in printer["status_detail"]
    nxt = issue(ports)
    assert (nxt.print_state, nxt.print_reason) == ("not_printed", "offline")
    assert ticket_row(conn, result.ticket.id)["state"] == "waiting"


def test_refused_job_goes_back_to_pending_and_prints_when_printer_returns(db, ports, conn, worker, emu):
    _, printer_id = db
    host, port = emu.tcp_address
    emu.stop()
    result = issue(ports)
    job = jobstore.claim(conn, printer_id, "server", worker.clock.now())
    assert worker.print_job(conn, job, printer_row(conn, printer_id)) == "pending"
    job = job_row(conn, result.print_job_id)
    assert (job["state"], job["attempts"]) == ("pending", 1) and "connection refused" in job["error"]

    back = PrinterEmulator(name=f"back-{uuid.uuid4().hex[:8]}", render_png=False)
    back.start_tcp(host, port)  # the printer is switched on again
    try:
        assert worker.run_once(conn) is True
        assert back.wait_for_tickets(1)
        assert result.ticket.number in back.last_ticket().text
        job = job_row(conn, result.print_job_id)
        assert (job["state"], job["attempts"], job["error"]) == ("printed", 2, None)
        assert printer_row(conn, printer_id)["status"] == "ok"
    finally:
        back.stop()


@pytest.mark.serial
def test_serial_device_vanishes_mid_job(db, ports, clock, socat_pair):
    """socat is killed while a large serial job is still on the wire: failed, never resent.

    The branch name is long and in Arabic (always rasterised), so the job is about
    100 KB; the emulator reads at 57,600 baud, so the worker is still writing when the
    device goes away (a pty pair buffers only ~40 KB).
    """
    db_path, printer_id = db
    serial_emu = PrinterEmulator(name=f"serial-{uuid.uuid4().hex[:8]}", render_png=False)
    serial_emu.start_serial(socat_pair.device_path, baudrate=57600)
    c = connect(db_path)
    try:
        with c:
            c.execute("UPDATE printers SET url = ? WHERE id = ?",
                      (f"serial:{socat_pair.printer_path}?baudrate=57600", printer_id))
            c.execute("UPDATE settings SET value = ? WHERE key = 'branch_name'",
                      (json.dumps("\u0627\u0644\u0641\u0631\u0639 \u0627\u0644\u0631\u0626\u064a\u0633\u064a " * 150),))
        result = issue(ports)
        worker = PrintWorker(db_path, notify=lambda topic: None, clock=clock, send_timeout=2.0)
        outcome: dict = {}

        def run() -> None:
            wconn = connect(db_path)
            try:
                outcome["handled"] = worker.run_once(wconn)
            except BaseException as exc:  # reported by the test, not by the thread hook
                outcome["error"] = exc
            finally:
                wconn.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def on_the_wire() -> int:
            return sum(len(j.received) for j in serial_emu.jobs())

        # Wait until the job's print data is arriving ...
        deadline = time.monotonic() + 10
        while on_the_wire() < 8000:
            assert time.monotonic() < deadline, "the job never reached the serial emulator"
            assert thread.is_alive(), outcome
            time.sleep(0.01)
        assert thread.is_alive(), "the job was already sent: it is not large enough for this test"
        # ... then unplug the printer.
        socat_pair.kill()
        thread.join(15)
        assert not thread.is_alive(), "the worker hung on a vanished serial device"
        assert "error" not in outcome, outcome.get("error")
        assert outcome["handled"] is True

        job = job_row(c, result.print_job_id)
        assert job["state"] == "failed", dict(job)
        assert job["attempts"] == 1 and job["bytes"] is None
        assert "went away" in job["error"] and socat_pair.printer_path in job["error"], job["error"]
        printer = printer_row(c, printer_id)
        assert printer["status"] == "offline" and "went away" in printer["status_detail"]
        assert ticket_row(c, result.ticket.id)["state"] == "waiting"
        time.sleep(1.0)  # let the emulator notice the hang-up
        assert not any(t.cut for t in serial_emu.tickets()), "a complete ticket was printed"
        received = on_the_wire()
        assert 8000 <= received < 90_000, received

        # Plug it back in: the failed job is not sent again.
        socat_pair.start()
        assert worker.run_once(c) is False
        time.sleep(0.5)
        assert on_the_wire() == received
        assert job_row(c, result.print_job_id)["attempts"] == 1
    finally:
        c.close()
        serial_emu.stop()


def test_recovery_after_paper_out(db, ports, conn, worker, emu):
    _, printer_id = db
    emu.set_state("paper_out")
    issue(ports)
    worker.run_once(conn)
    assert printer_row(conn, printer_id)["status"] == "paper_out"
    assert issue(ports).print_state == "not_printed"

    emu.set_state("ok")  # paper loaded
    worker.poll_status(conn)
    printer = printer_row(conn, printer_id)
    assert printer["status"] == "ok" and printer["status_at"] is not None
    result = issue(ports)
    assert result.print_state == "queued"
    assert worker.run_once(conn) is True
    assert emu.wait_for_tickets(1)
    assert result.ticket.number in emu.last_ticket().text
    assert job_row(conn, result.print_job_id)["state"] == "printed"
    assert emu.printed_count == 1  # the two tickets issued during the fault stay unprinted


# --------------------------------------------------------------------------- exactly once


def test_printed_job_is_never_claimed_again(db, ports, conn, worker, emu, clock):
    _, printer_id = db
    result = issue(ports)
    assert worker.run_once(conn)
    assert emu.wait_for_tickets(1)
    assert jobstore.claim(conn, printer_id, "server", clock.now()) is None
    assert jobstore.claim(conn, printer_id, "agent:other", clock.now()) is None
    # Late or duplicate results change nothing.
    assert jobstore.mark_printed(conn, result.print_job_id, clock.now(), 1) is False
    assert jobstore.mark_failed(conn, result.print_job_id, "late failure", clock.now(),
                                retry=True) == "printed"
    clock.advance(3600)
    assert jobstore.expire_leases(conn, clock.now()) == 0
    assert worker.run_once(conn) is False
    job = job_row(conn, result.print_job_id)
    assert (job["state"], job["attempts"], job["bytes"]) == ("printed", 1, len(emu.last_ticket().data))
    time.sleep(0.2)
    assert emu.printed_count == 1


def test_job_interrupted_by_a_crash_is_failed_not_resent(db, ports, conn, emu, clock):
    _, printer_id = db
    result = issue(ports)
    # The server claimed (sent) the job and died before recording the outcome.
    claimed = jobstore.claim(conn, printer_id, "server", clock.now())
    assert claimed["id"] == result.print_job_id and claimed["state"] == "sent"
    other = jobstore.claim(conn, printer_id, "agent:x", clock.now())
    assert other is None  # a sent job is not handed out twice

    worker = PrintWorker(db[0], notify=lambda topic: None, clock=clock, status_every_s=60)
    worker.start()  # start-up fails what this worker left 'sent'
    try:
        job = job_row(conn, result.print_job_id)
        assert job["state"] == "failed" and "restarted mid-job" in job["error"]
        assert job["attempts"] == 1
        time.sleep(0.5)  # the job loop runs meanwhile
    finally:
        worker.stop()
    assert_nothing_printed(emu)
    assert jobstore.fail_interrupted(conn, "server", clock.now()) == 0
    assert job_row(conn, result.print_job_id)["state"] == "failed"


def test_lease_expiry_fails_unconfirmed_job(db, ports, conn, emu, clock, worker):
    _, printer_id = db
    result = issue(ports)
    jobstore.claim(conn, printer_id, "agent:K2", clock.now())
    clock.advance(jobstore.LEASE_S + 1)
    assert worker.run_once(conn) is False  # expires the lease, prints nothing
    job = job_row(conn, result.print_job_id)
    assert job["state"] == "failed" and job["error"].startswith("no confirmation")
    # A late confirmation from the agent that did print it is accepted (it did print).
    assert jobstore.mark_printed(conn, result.print_job_id, clock.now(), 321) is True
    assert job_row(conn, result.print_job_id)["state"] == "printed"
    assert_nothing_printed(emu)


def test_stale_pending_job_is_failed_not_printed(db, ports, conn, worker, emu, clock):
    stale = issue(ports)
    clock.advance(jobstore.STALE_AFTER_S + 1)  # the customer has left the kiosk
    fresh = issue(ports)
    assert worker.run_once(conn) is True
    assert worker.run_once(conn) is False
    job = job_row(conn, stale.print_job_id)
    assert job["state"] == "failed" and "not printed within 60 s" in job["error"]
    assert job["attempts"] == 0 and job["sent_at"] is None
    assert job_row(conn, fresh.print_job_id)["state"] == "printed"
    assert emu.wait_for_tickets(1)
    time.sleep(0.2)
    assert [t.text.count(fresh.ticket.number) > 0 for t in emu.tickets()] == [True]
    assert stale.ticket.number not in emu.last_ticket().text


def test_reprint_creates_a_new_job_and_prints(db, ports, conn, worker, emu, clock):
    result = issue(ports)
    assert worker.run_once(conn)
    assert emu.wait_for_tickets(1)
    clock.advance(120)  # long after the first print: a reprint is not stale
    new_id = jobstore.reprint(conn, result.ticket.id, clock.now())
    assert new_id != result.print_job_id
    job = job_row(conn, new_id)
    assert (job["kind"], job["state"], job["ticket_id"]) == ("reprint", "pending", result.ticket.id)
    assert job["payload"] == job_row(conn, result.print_job_id)["payload"]
    assert worker.run_once(conn) is True
    assert emu.wait_for_tickets(2)
    first, second = emu.tickets()
    assert second.data == first.data  # the same ticket, byte for byte
    assert job_row(conn, new_id)["state"] == "printed"
    assert worker.run_once(conn) is False
    with pytest.raises(LookupError):
        jobstore.reprint(conn, 999_999, clock.now())


# --------------------------------------------------------------------------- live worker


def _wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def test_live_worker_prints_and_reports_paper_out(db, emu, make_app, kiosk_bearer):
    db_path, printer_id = db
    app = make_app(START_WORKERS=True)
    k1 = kiosk_bearer("K1")  # kiosk K1's own credential: only a paired kiosk prints
    ext = app.extensions["servicepoint"]
    ext["start_workers"]()
    watch = connect(db_path)
    try:
        client = app.test_client()
        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.status_code == 201, r.get_data(as_text=True)
        body = r.get_json()
        assert body["print"]["state"] == "queued"
        assert emu.wait_for_tickets(1, timeout=5), "the running worker did not print the ticket"
        assert body["number"] in emu.last_ticket().text
        assert _wait_for(lambda: job_row(watch, body["print"]["job_id"])["state"] == "printed", 3)

        emu.set_state("paper_out")
        started = time.monotonic()
        status = _wait_for(lambda: printer_row(watch, printer_id)["status"] == "paper_out", 3.0)
        assert status, f"printer status still {printer_row(watch, printer_id)['status']!r} after 3 s"
        assert time.monotonic() - started < 3.0

        health = client.get("/healthz")
        assert health.status_code == 200  # a printer problem degrades, it does not kill
        printers = health.get_json()["checks"]["printers"]
        assert printers["ok"] is False and printers["problems"] == [PRINTER_NAME]
        metrics = client.get("/metrics").get_data(as_text=True)
        assert f'servicepoint_printer_status{{printer="{PRINTER_NAME}",status="paper_out"}} 1' in metrics
        assert f'servicepoint_printer_status{{printer="{PRINTER_NAME}",status="ok"}} 0' in metrics

        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.status_code == 201
        assert r.get_json()["print"] == {"state": "not_printed", "reason": "paper_out",
                                         "job_id": r.get_json()["print"]["job_id"], "printed": False}

        emu.set_state("ok")
        assert _wait_for(lambda: printer_row(watch, printer_id)["status"] == "ok", 3.0)
        assert client.get("/healthz").get_json()["checks"]["printers"]["ok"] is True
        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.get_json()["print"]["state"] == "queued"
        assert emu.wait_for_tickets(2, timeout=5)
        assert r.get_json()["number"] in emu.last_ticket().text
    finally:
        ext["stop_workers"]()
        watch.close()


def test_with_no_counter_open_the_ticket_says_so_instead_of_a_wait(ports, conn, worker, emu):
    result = issue(ports)
    assert result.estimate.no_counter
    payload = jobstore.payload(job_row(conn, result.print_job_id))
    assert payload.no_counter_open and payload.estimated_wait_s is None
    assert worker.run_once(conn) is True
    assert emu.wait_for_tickets(1, timeout=5)
    text = decode(emu.last_ticket().data).text()
    assert lookup(CATALOGUE, "no_counter_open", "en") in text
    assert lookup(CATALOGUE, "estimated_wait", "en", wait="").split(":")[0] not in text
