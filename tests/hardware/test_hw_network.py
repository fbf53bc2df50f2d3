"""Printing and status over loopback TCP against the emulator, including faults and recovery."""

from __future__ import annotations

import time

import pytest

from hardware.decode import decode
from hardware.layout import build_ticket_layout
from hardware.printers import (
    PrinterNotReady,
    PrinterOffline,
    open_printer,
    query_status,
    send_bytes,
)
from hardware.render_escpos import render_escpos
from servicepoint.domain.printing import PrinterStatus


@pytest.fixture
def job(ticket):
    return render_escpos(build_ticket_layout(ticket))


def assert_is_reference_ticket(text: str) -> None:
    assert " A042" in text.splitlines()
    assert "Accounts & Cards" in text
    assert "Estimated wait: about 9\u201315 min" in text
    assert "[QR: https://sp.example/t/8f3a2c]" in text
    assert text.rstrip().endswith("[CUT]")


def test_print_over_tcp(emulator, tcp_url, job):
    report = send_bytes(tcp_url, job)
    assert report.status is PrinterStatus.OK
    assert emulator.wait_for_tickets(1)
    ticket = emulator.last_ticket()
    assert ticket.data == job  # byte for byte
    assert_is_reference_ticket(ticket.text)
    assert ticket.png.startswith(b"\x89PNG") and ticket.cut
    # The status queries came before and after the job, on the same connection.
    assert emulator.wait_for_jobs_closed(1)
    record = next(j for j in emulator.jobs() if j.printed)
    assert [n for n, _ in record.status_queries] == [1, 2, 4, 1, 2, 4]
    assert record.received.startswith(b"\x10\x04\x01") and record.received.endswith(b"\x10\x04\x04")


def test_print_via_emulator_url(emulator, job):
    send_bytes("emulator:", job)
    assert emulator.wait_for_tickets(1)
    assert_is_reference_ticket(emulator.last_ticket().text)


def test_escpos_api_works_on_backend(emulator, tcp_url):
    with open_printer(tcp_url) as printer:
        printer.set(align="center", bold=True)
        printer.textln("Hello from python-escpos")
        printer.qr("https://sp.example/t/9", native=True, size=4)
        printer.cut()
    assert emulator.wait_for_tickets(1)
    text = emulator.last_ticket().text
    assert "Hello from python-escpos" in text and "[QR: https://sp.example/t/9]" in text


@pytest.mark.parametrize(
    ("state", "expected"),
    [("ok", PrinterStatus.OK), ("paper_low", PrinterStatus.PAPER_LOW), ("paper_out", PrinterStatus.PAPER_OUT),
     ("cover_open", PrinterStatus.COVER_OPEN)],
)
def test_status_states(emulator, tcp_url, state, expected):
    emulator.set_state(state)
    started = time.monotonic()
    report = query_status(tcp_url)
    assert report.status is expected
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("state", ["paper_out", "cover_open"])
def test_fault_means_job_not_sent_then_recovery(emulator, tcp_url, job, state):
    emulator.set_state(state)
    with pytest.raises(PrinterNotReady) as info:
        send_bytes(tcp_url, job)
    assert info.value.status.status.value == state
    assert "not sent" in info.value.reason and info.value.sent is False
    assert emulator.wait_for_jobs_closed(1)
    assert all(not j.printed and not j.discarded for j in emulator.jobs())  # nothing but status queries
    assert emulator.tickets() == []

    emulator.set_state("ok")  # paper loaded / cover closed
    send_bytes(tcp_url, job)
    assert emulator.wait_for_tickets(1)
    assert_is_reference_ticket(emulator.last_ticket().text)


def test_paper_low_still_prints(emulator, tcp_url, job):
    emulator.set_state("paper_low")
    assert send_bytes(tcp_url, job).status is PrinterStatus.PAPER_LOW
    assert emulator.wait_for_tickets(1)


def test_unchecked_job_to_faulty_printer_is_discarded(emulator, tcp_url, job, free_port):
    emulator.set_state("paper_out")
    assert query_status(tcp_url + "?status=off").status is PrinterStatus.OK  # reachable, not asked
    assert query_status(f"tcp://127.0.0.1:{free_port}?status=off").status is PrinterStatus.OFFLINE
    send_bytes(tcp_url + "?status=off", job)  # a one-way printer: no checks
    assert emulator.wait_for_jobs_closed(2)  # the reachability check and the job
    (record,) = [j for j in emulator.jobs() if j.received]  # the status=off checks sent nothing
    assert record.discarded == job and not record.printed
    assert emulator.tickets() == []


def test_silent_printer_is_no_reply_quickly(emulator, tcp_url, job):
    emulator.set_state("silent")
    started = time.monotonic()
    report = query_status(tcp_url)
    elapsed = time.monotonic() - started
    assert report.status is PrinterStatus.NO_REPLY
    assert "DLE EOT 1" in report.detail
    assert elapsed < 0.6  # one 0.3 s query, not python-escpos's 1 s or an exception
    started = time.monotonic()
    with pytest.raises(PrinterNotReady) as info:
        send_bytes(tcp_url, job)
    assert info.value.status.status is PrinterStatus.NO_REPLY
    assert time.monotonic() - started < 0.6
    emulator.set_state("ok")
    assert query_status(tcp_url).status is PrinterStatus.OK


def test_connection_refused_is_offline(free_port, job):
    url = f"tcp://127.0.0.1:{free_port}"
    report = query_status(url)
    assert report.status is PrinterStatus.OFFLINE and "refused" in report.detail
    with pytest.raises(PrinterOffline, match="refused") as info:
        send_bytes(url, job)
    assert info.value.sent is False  # safe to retry


def test_unknown_emulator_is_offline(job):
    with pytest.raises(PrinterOffline, match="no printer emulator named 'nobody'"):
        send_bytes("emulator:nobody", job)
    assert query_status("emulator:nobody").status is PrinterStatus.OFFLINE


def test_printer_closing_the_connection_is_offline(job):
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def accept_and_close():
            conn, _ = server.accept()
            with conn:
                conn.recv(3)  # the status query; then hang up without answering

        thread = threading.Thread(target=accept_and_close)
        thread.start()
        report = query_status(f"tcp://127.0.0.1:{server.getsockname()[1]}")
        thread.join()
    assert report.status is PrinterStatus.OFFLINE and "closed the connection" in report.detail


def test_file_printer(tmp_path, job):
    path = tmp_path / "out.bin"
    assert send_bytes(f"file:{path}", job).status is PrinterStatus.OK
    send_bytes(f"file:{path}", job)
    assert path.read_bytes() == job + job  # jobs are appended
    assert query_status(f"file:{path}").status is PrinterStatus.OK
    missing = f"file:{tmp_path}/no/such/dir/out.bin"
    assert query_status(missing).status is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline, match="cannot open"):
        send_bytes(missing, job)
    assert decode(path.read_bytes()).text().count("[CUT]") == 2


def test_usb_printer_absent_is_offline(job):
    report = query_status("usb:04b8:0e15")
    assert report.status is PrinterStatus.OFFLINE
    assert "04b8:0e15" in report.detail
