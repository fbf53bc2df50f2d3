"""Fixtures for the printer tests: emulators on loopback TCP and socat pseudo-terminal pairs.

Tests that need socat skip loudly when it is missing, and fail instead when
SERVICEPOINT_REQUIRE_ALL=1 (CI sets it), so a broken CI image cannot turn
the serial tests into silent skips.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from hardware.emulator import PrinterEmulator, register_emulator, unregister_emulator
from servicepoint.domain.printing import TicketPayload
from tests.support.require import require_socat
from tests.support.server import free_port as unused_port


class SocatPair:
    """A running `socat pty,link=A pty,link=B` pair; `kill()` / `start()` simulate unplugging."""

    def __init__(self, socat: str, printer_path: str, device_path: str) -> None:
        self.socat = socat
        self.printer_path = printer_path  # the host prints to this end
        self.device_path = device_path  # the emulator serves this end
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 5.0) -> None:
        self.process = subprocess.Popen(
            [self.socat, "-d", "-d",
             f"pty,raw,echo=0,link={self.printer_path}", f"pty,raw,echo=0,link={self.device_path}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not (os.path.exists(self.printer_path) and os.path.exists(self.device_path)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail("socat did not create its pseudo-terminal links")
            time.sleep(0.01)

    def kill(self) -> None:
        """Stop socat (SIGTERM: it removes its links), as if the device was unplugged."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def socat_pair(tmp_path):
    """Yield a started SocatPair whose links live in tmp_path; socat is stopped afterwards."""
    socat = require_socat()
    pair = SocatPair(socat, str(tmp_path / "printer"), str(tmp_path / "device"))
    pair.start()
    try:
        yield pair
    finally:
        pair.kill()


@pytest.fixture
def emulator():
    """A TCP printer emulator on an ephemeral loopback port, registered as emulator:default."""
    emu = PrinterEmulator(name="default")
    emu.start_tcp("127.0.0.1", 0)
    register_emulator(emu)
    try:
        yield emu
    finally:
        emu.stop()
        unregister_emulator("default")


@pytest.fixture
def tcp_url(emulator):
    host, port = emulator.tcp_address
    return f"tcp://{host}:{port}"


@pytest.fixture
def free_port():
    """A loopback port with nothing listening on it (connections are refused)."""
    return unused_port()


@pytest.fixture
def ticket() -> TicketPayload:
    """The reference ticket used across the printer tests (vary it with dataclasses.replace)."""
    return TicketPayload(
        number="A042",
        service="A",
        service_name="Accounts & Cards",
        language="en",
        issued_at="2025-03-14T09:41:00+00:00",
        timezone="Europe/Madrid",
        people_ahead=3,
        estimated_wait_s=600,
        estimated_wait_range_s=(540, 900),
        track_url="https://sp.example/t/8f3a2c",
        branch_name="Central Branch",
    )
