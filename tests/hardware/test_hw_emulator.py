"""The printer emulator: recording, tickets, output files, control port, registry."""

from __future__ import annotations

import socket

import pytest

from hardware.emulator import (
    PrinterEmulator,
    lookup_emulator,
    register_emulator,
    unregister_emulator,
)
from hardware.layout import build_ticket_layout
from hardware.printers import send_bytes
from hardware.render_escpos import render_escpos


class ControlClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.file = self.sock.makefile("rwb")

    def ask(self, line: str) -> str:
        self.file.write(line.encode() + b"\n")
        self.file.flush()
        return self.file.readline().decode().rstrip("\n")

    def read_line(self) -> str:
        return self.file.readline().decode().rstrip("\n")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def control(emulator):
    client = ControlClient(emulator.start_control("127.0.0.1", 0))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def job(ticket):
    return render_escpos(build_ticket_layout(ticket))


def test_control_port(emulator, control, tcp_url, job):
    assert control.ask("state") == "OK state=ok"
    assert control.ask("count") == "OK 0"
    assert control.ask("last") == "ERR no ticket printed yet"
    send_bytes(tcp_url, job)
    assert emulator.wait_for_tickets(1)
    assert control.ask("count") == "OK 1"
    header = control.ask("last")
    assert header.startswith("OK 1 ")
    lines = [control.read_line() for _ in range(int(header.split()[2]))]
    assert "[QR: https://sp.example/t/8f3a2c]" in lines and lines[-1] == "[CUT]"
    assert control.ask("state paper_out") == "OK state=paper_out"
    assert emulator.state == "paper_out"
    assert control.ask("state jammed").startswith("ERR unknown emulator state 'jammed'")
    assert control.ask("jobs").startswith("OK jobs=")
    assert control.ask("frobnicate").startswith("ERR unknown command")
    assert control.ask("help").startswith("OK commands:")
    assert control.ask("clear") == "OK cleared"
    assert emulator.tickets() == []
    control.file.write(b"quit\n")
    control.file.flush()
    assert control.file.readline() == b""  # server closed the connection


def test_output_dir_files(tmp_path, job):
    out = tmp_path / "tickets"
    with PrinterEmulator(name="files", output_dir=str(out)) as emu:
        port = emu.start_tcp()
        send_bytes(f"tcp://127.0.0.1:{port}", job)
        send_bytes(f"tcp://127.0.0.1:{port}", job)
        assert emu.wait_for_tickets(2)
    assert sorted(p.name for p in out.iterdir()) == [
        "ticket-0001.bin", "ticket-0001.png", "ticket-0001.txt",
        "ticket-0002.bin", "ticket-0002.png", "ticket-0002.txt",
    ]
    assert (out / "ticket-0001.bin").read_bytes() == job
    assert "A042" in (out / "ticket-0002.txt").read_text()
    assert (out / "ticket-0001.png").read_bytes().startswith(b"\x89PNG")
    # A new emulator session continues the numbering instead of overwriting.
    with PrinterEmulator(name="files", output_dir=str(out)) as emu:
        port = emu.start_tcp()
        send_bytes(f"tcp://127.0.0.1:{port}", job)
        assert emu.wait_for_tickets(1)
    assert (out / "ticket-0003.bin").exists()


def test_several_tickets_in_one_job_and_keep_limit(job):
    with PrinterEmulator(keep=2, render_png=False) as emu:
        port = emu.start_tcp()
        send_bytes(f"tcp://127.0.0.1:{port}", job * 3)
        assert emu.wait_for_tickets(3)
        assert [t.seq for t in emu.tickets()] == [2, 3]
        assert all(t.data == job for t in emu.tickets())
        assert emu.printed_count == 3


def test_uncut_job_becomes_a_ticket_when_the_connection_closes():
    with PrinterEmulator(render_png=False) as emu:
        port = emu.start_tcp()
        send_bytes(f"tcp://127.0.0.1:{port}", b"\x1b@Hello\n")
        assert emu.wait_for_tickets(1)
        ticket = emu.last_ticket()
        assert not ticket.cut and ticket.text == "Hello\n"


def test_state_validation_and_registry():
    emu = PrinterEmulator(name="reg")
    with pytest.raises(ValueError):
        emu.set_state("on_fire")
    with pytest.raises(ValueError):
        PrinterEmulator(state="broken")
    register_emulator(emu)
    assert lookup_emulator("reg") is emu
    unregister_emulator("reg")
    assert lookup_emulator("reg") is None
    emu.stop()  # stopping a never-started emulator is fine
