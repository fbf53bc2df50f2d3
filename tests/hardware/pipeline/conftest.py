"""Fixtures for the print pipeline tests: the demo branch whose printer is a TCP emulator.

Real SQLite files (a copy of the demo branch), real loopback sockets to an
in-process ``PrinterEmulator``; the demo printer (``Lobby printer (emulator)``,
assigned to kiosks K1 and K2) is pointed at the test's emulator by URL.
"""
from __future__ import annotations

import uuid

import pytest

from hardware.emulator import PrinterEmulator
from hardware.worker import PrintWorker
from servicepoint.db import connect
from tests.hardware.pipeline.support import point_printer


@pytest.fixture
def emu():
    """A TCP emulator on a free loopback port (reached by tcp:// URL, not registered)."""
    emulator = PrinterEmulator(name=f"pipeline-{uuid.uuid4().hex[:8]}", render_png=False)
    emulator.start_tcp("127.0.0.1", 0)
    try:
        yield emulator
    finally:
        emulator.stop()



@pytest.fixture
def db(demo_db, emu):
    """The demo database with its printer pointed at the emulator; yields (path, printer id)."""
    host, port = emu.tcp_address
    return demo_db, point_printer(demo_db, f"tcp://{host}:{port}")


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


