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


def test_ports(runner):
    result = runner.invoke(printer, ["ports"])
    assert result.exit_code == 0 and result.output.strip()


@pytest.mark.parametrize("command", [[], ["test"], ["status"], ["ports"], ["emulate"]])
def test_help(runner, command):
    result = runner.invoke(printer, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output) > 200


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

        result = CliRunner().invoke(printer, ["test", f"tcp://127.0.0.1:{tcp_port}"])
        assert result.exit_code == 0, result.output
        with socket.create_connection(("127.0.0.1", control_port), timeout=5) as sock, \
                sock.makefile("rwb") as conn:
            conn.write(b"count\n")
            conn.flush()
            assert conn.readline() == b"OK 1\n"
            conn.write(b"state cover_open\n")
            conn.flush()
            assert conn.readline() == b"OK state=cover_open\n"
        result = CliRunner().invoke(printer, ["status", f"tcp://127.0.0.1:{tcp_port}"])
        assert result.exit_code == 1 and "cover_open" in result.output
        assert (tmp_path / "ticket-0001.png").exists()
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
        process.stdout.close()
    assert process.returncode == 0
    assert "Stopping emulator." in out
