"""Each print job prints at most once: claims, leases, crashes, stale jobs, reprints."""
from __future__ import annotations

import time

import pytest

from hardware import jobstore
from hardware.worker import PrintWorker
from tests.hardware.pipeline.support import (
    assert_nothing_printed,
    issue,
    job_row,
)

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


