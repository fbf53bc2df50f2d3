"""`printer` CLI commands."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hardware.cli import printer
from hardware.printer_url import parse_printer_url
from hardware.printers import list_serial_ports


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize(
    ("state", "code", "word"),
    [("ok", 0, "ok"), ("paper_low", 0, "paper_low"), ("paper_out", 1, "paper_out"),
     ("cover_open", 1, "cover_open"), ("silent", 1, "no_reply")],
)
def test_status_exit_codes(runner, emulator, tcp_url, state, code, word):
    emulator.set_state(state)
    result = runner.invoke(printer, ["status", tcp_url])
    assert result.exit_code == code, result.output
    assert word in result.output


def test_status_offline_bad_url_and_json(runner, free_port, emulator, tcp_url):
    result = runner.invoke(printer, ["status", f"tcp://127.0.0.1:{free_port}"])
    assert result.exit_code == 3 and "offline" in result.output and "refused" in result.output
    result = runner.invoke(printer, ["status", "tcp://printer:99999"])
    assert result.exit_code == 2 and "port '99999'" in result.output
    result = runner.invoke(printer, ["status", "--json", "emulator:"])
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "ok"


def test_test_page(runner, emulator, tcp_url):
    result = runner.invoke(printer, ["test", tcp_url, "--name", "Kiosk 1"])
    assert result.exit_code == 0, result.output
    assert "Test page sent" in result.output
    assert emulator.wait_for_tickets(1)
    text = emulator.last_ticket().text
    assert "Printer test" in text and "Printer: Kiosk 1" in text and "[QR: tcp://" in text
    emulator.set_state("paper_out")
    result = runner.invoke(printer, ["test", tcp_url])
    assert result.exit_code == 1 and "paper out" in result.output


def test_test_page_offline_and_bad_profile(runner, free_port):
    result = runner.invoke(printer, ["test", f"tcp://127.0.0.1:{free_port}"])
    assert result.exit_code == 3 and "offline" in result.output
    result = runner.invoke(printer, ["test", "emulator:", "--profile", "Nope"])
    assert result.exit_code == 2


def test_ports_lists_every_serial_port_of_this_machine_as_a_url(runner):
    ports = list_serial_ports()
    result = runner.invoke(printer, ["ports"])
    assert result.exit_code == 0, result.output
    if not ports:
        assert result.output.startswith("No serial ports found.")
        return
    urls = [line.split("  ")[0] for line in result.output.splitlines()]
    assert urls == [f"serial:{port['device']}" for port in ports]
    assert all(parse_printer_url(url).path == port["device"] for url, port in zip(urls, ports, strict=True))


def test_ports_shows_what_the_system_knows_about_each_port(runner, monkeypatch):
    """A USB-serial adapter cannot be plugged into CI, so the port listing is given here."""
    from hardware import printers

    monkeypatch.setattr(printers, "list_serial_ports", lambda: [
        {"device": "/dev/ttyS0", "description": "n/a", "hwid": "n/a"},
        {"device": "/dev/ttyUSB0", "description": "FT232R USB UART", "hwid": "USB VID:PID=0403:6001"},
    ])
    result = runner.invoke(printer, ["ports"])
    assert result.output.splitlines() == [
        "serial:/dev/ttyS0",
        "serial:/dev/ttyUSB0  FT232R USB UART, USB VID:PID=0403:6001",
    ]
    monkeypatch.setattr(printers, "list_serial_ports", lambda: [])
    result = runner.invoke(printer, ["ports"])
    assert result.exit_code == 0 and result.output.startswith("No serial ports found.")
    assert "usb:VID:PID" in result.output


def _help(runner, *command: str) -> str:
    result = runner.invoke(printer, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: printer {' '.join(command)}".rstrip())
    return " ".join(result.output.split())  # click wraps lines; compare words


def test_help_lists_the_printer_commands(runner):
    text = _help(runner)
    commands = text.split("Commands:")[1].split()
    assert {"emulate", "ports", "status", "test"} <= set(commands)
    assert "serial:/dev/ttyUSB0?baudrate=19200" in text and "tcp://192.0.2.10:9100" in text


@pytest.mark.parametrize(("command", "expected"), [
    ("test", ["URL", "--name", "--profile", "--paper", "--timeout",
              "Exit status: 0 printed, 1 printer not ready, 2 bad URL, 3 printer offline."]),
    ("status", ["URL", "--timeout", "--json",
                "Exit status: 0 ready (ok or paper low), 1 not ready (paper out, cover open, no reply), "
                "2 bad URL, 3 offline."]),
    ("ports", ["List serial ports", "?baudrate=N", "usb:VENDOR:PRODUCT"]),
    ("emulate", ["--tcp", "--host", "--serial", "--baudrate", "--control", "--out", "--state", "--name",
                 "--paper", "state ok|paper_low|paper_out|cover_open|silent"]),
])
def test_help_of_each_command_names_its_arguments(runner, command, expected):
    text = _help(runner, command)
    missing = [word for word in expected if word not in text]
    assert not missing, text


def test_emulate_process_with_control_port(tmp_path):
    """Run `printer emulate` as a real process, print to it and drive it over the control port."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hardware.cli", "emulate", "--tcp", "0", "--control", "0", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    try:
        lines = []
        while not any(line.startswith("State:") for line in lines):
            line = process.stdout.readline()
            assert line, f"emulator exited early: {lines}"
            lines.append(line)
        banner = "".join(lines)
        tcp_port = int(re.search(r"TCP printer listening on 127.0.0.1:(\d+)", banner).group(1))
        control_port = int(re.search(r"Control port on 127.0.0.1:(\d+)", banner).group(1))

        # The emulator is a second Python process that renders each job to PNG before
        # it answers the next status query; on a loaded machine that takes longer than
        # a real printer's 3 s, so this test (about the commands, not timing) waits longer.
        wait = ["--timeout", "10"]
        result = CliRunner().invoke(printer, ["test", f"tcp://127.0.0.1:{tcp_port}", *wait,
                                              "--status-timeout", "10", "--timeout", "60"])
        assert result.exit_code == 0, result.output
        with socket.create_connection(("127.0.0.1", control_port), timeout=5) as sock, \
                sock.makefile("rwb") as conn:
            conn.write(b"count\n")
            conn.flush()
            assert conn.readline() == b"OK 1\n"
            conn.write(b"state cover_open\n")
            conn.flush()
            assert conn.readline() == b"OK state=cover_open\n"
        result = CliRunner().invoke(printer, ["status", f"tcp://127.0.0.1:{tcp_port}", *wait])
        assert result.exit_code == 1 and "cover_open" in result.output
        assert (tmp_path / "ticket-0001.png").exists()
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
        process.stdout.close()
    assert process.returncode == 0
    assert "Stopping emulator." in out
