"""The print path end to end: issue_ticket → print_jobs row → PrintWorker → emulator bytes,
and what a printer fault does to it. Nothing is mocked."""
from __future__ import annotations

import sqlite3
import time
import uuid

import pytest

from hardware import jobstore
from hardware.decode import decode
from hardware.decode.interpret import PaperCut, QRCode
from hardware.emulator import PrinterEmulator
from hardware.layout import format_wait
from hardware.texts import CATALOGUE
from servicepoint.texts import lookup
from servicepoint.usecases import set_counter
from tests.hardware.pipeline.support import (
    TRACK_BASE,
    assert_nothing_printed,
    issue,
    job_row,
    printer_row,
    ticket_row,
)

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
