"""A serial printer (a real socat pseudo-terminal pair) unplugged mid-job."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from hardware.emulator import PrinterEmulator
from hardware.worker import PrintWorker
from servicepoint.db import connect
from tests.hardware.pipeline.support import (
    issue,
    job_row,
    printer_row,
    ticket_row,
)


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


