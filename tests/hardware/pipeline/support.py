"""Helpers for the print pipeline tests: issue a ticket, read rows, wait for a state."""
from __future__ import annotations

import sqlite3
import time

from hardware.emulator import PrinterEmulator
from servicepoint.db import connect
from servicepoint.usecases import issue_ticket

TRACK_BASE = "http://sp.test/"
PRINTER_NAME = "Lobby printer (emulator)"


def point_printer(db_path: str, url: str) -> int:
    """Point the demo printer at *url* (status back to unknown); return its id."""
    conn = connect(db_path)
    try:
        row = conn.execute("SELECT id FROM printers WHERE name = ?", (PRINTER_NAME,)).fetchone()
        with conn:
            conn.execute("UPDATE printers SET url = ?, status = 'unknown' WHERE id = ?", (url, row["id"]))
        return row["id"]
    finally:
        conn.close()


def issue(ports, device: str = "K1", service: str = "A"):
    return issue_ticket(ports, service=service, device=device, track_base=TRACK_BASE)


def job_row(conn, job_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()


def printer_row(conn, printer_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone()


def ticket_row(conn, ticket_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()


def assert_nothing_printed(emu: PrinterEmulator) -> None:
    """No ticket, and no print data at all (not even discarded) reached the emulator."""
    assert emu.tickets() == []
    assert emu.printed_count == 0
    assert not any(j.printed or j.discarded for j in emu.jobs()), emu.jobs()


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


