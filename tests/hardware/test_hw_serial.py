"""Printing and status over a socat pseudo-terminal pair (a virtual serial cable)."""

from __future__ import annotations

import threading
import time

import pytest

from hardware.emulator import PrinterEmulator
from hardware.layout import build_ticket_layout
from hardware.printers import PrinterNotReady, PrinterOffline, query_status, send_bytes
from hardware.render_escpos import render_escpos
from servicepoint.domain.printing import PrinterStatus

pytestmark = pytest.mark.serial


@pytest.fixture
def job(ticket):
    return render_escpos(build_ticket_layout(ticket))


@pytest.fixture
def serial_emulator(socat_pair):
    emu = PrinterEmulator(name="serial-test")
    emu.start_serial(socat_pair.device_path)
    try:
        yield emu
    finally:
        emu.stop()


def url_for(pair) -> str:
    return f"serial:{pair.printer_path}?baudrate=19200"


def wait_ready(url: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while query_status(url).status is not PrinterStatus.OK:
        assert time.monotonic() < deadline, "emulator did not come up on the serial port"
        time.sleep(0.05)


def test_print_over_serial(socat_pair, serial_emulator, job):
    url = url_for(socat_pair)
    wait_ready(url)
    assert send_bytes(url, job).status is PrinterStatus.OK
    assert serial_emulator.wait_for_tickets(1)
    ticket = serial_emulator.last_ticket()
    assert ticket.data == job
    text = ticket.text
    assert " A042" in text.splitlines()
    assert "Accounts & Cards" in text
    assert "Estimated wait: about 9\u201315 min" in text
    assert "[QR: https://sp.example/t/8f3a2c]" in text
    assert text.rstrip().endswith("[CUT]")


def test_serial_status_states_and_silence(socat_pair, serial_emulator, job):
    url = url_for(socat_pair)
    wait_ready(url)
    serial_emulator.set_state("paper_out")
    assert query_status(url).status is PrinterStatus.PAPER_OUT
    with pytest.raises(PrinterNotReady):
        send_bytes(url, job)
    serial_emulator.set_state("cover_open")
    assert query_status(url).status is PrinterStatus.COVER_OPEN
    serial_emulator.set_state("silent")
    started = time.monotonic()
    assert query_status(url).status is PrinterStatus.NO_REPLY
    assert time.monotonic() - started < 0.6
    serial_emulator.set_state("ok")
    send_bytes(url, job)
    assert serial_emulator.wait_for_tickets(1)
    assert serial_emulator.printed_count == 1


def test_missing_serial_device_is_offline(tmp_path, job):
    url = f"serial:{tmp_path}/ttyUSB9"
    report = query_status(url)
    assert report.status is PrinterStatus.OFFLINE and "ttyUSB9" in report.detail
    with pytest.raises(PrinterOffline, match="not plugged in"):
        send_bytes(url, job)


def test_device_vanishes_mid_job_then_recovers(socat_pair, job):
    emu = PrinterEmulator(name="slow-serial", render_png=False)
    # Read at 115200 baud: a 300 KB job takes ~26 s, so it is still going when the cable is pulled.
    emu.start_serial(socat_pair.device_path, baudrate=115200)
    try:
        url = url_for(socat_pair)
        wait_ready(url)
        big_job = job[:-6] + b"filler line\n" * 25_000 + job[-6:]
        unplug = threading.Timer(0.4, socat_pair.kill)
        unplug.start()
        started = time.monotonic()
        with pytest.raises(PrinterOffline) as info:
            send_bytes(url, big_job)
        unplug.join()
        assert time.monotonic() - started < 5
        assert "went away while writing" in info.value.reason, info.value.reason
        assert info.value.sent is True  # part of the job reached the printer: do not resend
        assert query_status(url).status is PrinterStatus.OFFLINE  # still unplugged

        socat_pair.start()  # plugged back in
        wait_ready(url)
        send_bytes(url, job)
        assert emu.wait_for_tickets(2, timeout=10)
        partial, complete = emu.tickets()
        assert not partial.cut and partial.data.startswith(job[:100])  # what got through before the unplug
        assert complete.cut and complete.data == job
    finally:
        emu.stop()
