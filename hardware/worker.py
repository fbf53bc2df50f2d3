"""The in-server print worker and printer monitor.

One thread sends pending jobs of the printers the server reaches itself
(``mode='server'``: network, serial, USB, file and emulator printers); another
polls each printer's real-time status every ``status_every_s`` and announces
every change live. A per-printer lock keeps a status poll from interleaving
with a job on the same wire. Kiosk PCs with their own printer use
``servicepoint print-agent`` instead (``mode='agent'``).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from servicepoint.db import connect
from servicepoint.domain.printing import PrinterStatus

from . import jobstore
from .printer_url import EmulatorSpec, parse_printer_url
from .printers import (
    PrinterError,
    PrinterNotReady,
    PrinterOffline,
    query_status,
    send_bytes,
)
from .rendering import RenderFailed, render_or_fail

log = logging.getLogger(__name__)

WORKER_ID = "server"


class PrintWorker:
    """Background threads that print jobs and watch printers for one server process."""

    def __init__(self, db_path: str, *, notify: Callable[[str], None], clock,
                 wake: threading.Event | None = None,
                 status_every_s: float = 1.0, send_timeout: float = 3.0):
        self.db_path = db_path
        self.notify = notify
        self.clock = clock
        self.wake = wake
        self.status_every_s = status_every_s
        self.send_timeout = send_timeout
        self._stop = threading.Event()
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._threads: list[threading.Thread] = []

    def lock_for(self, printer_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(printer_id, threading.Lock())

    # -- lifecycle ------------------------------------------------------
    def start(self) -> None:
        conn = connect(self.db_path)
        try:
            failed = jobstore.fail_interrupted(conn, WORKER_ID, self.clock.now())
        finally:
            conn.close()
        if failed:
            log.warning("%d print jobs were interrupted by a restart and marked failed", failed)
        for target, name in ((self._job_loop, "print-worker"), (self._status_loop, "printer-monitor")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    # -- jobs -----------------------------------------------------------
    def _job_loop(self) -> None:
        conn = connect(self.db_path)
        try:
            while not self._stop.is_set():
                if self.wake is not None:
                    self.wake.clear()
                try:
                    worked = self.run_once(conn)
                except Exception:  # keep printing for the other printers
                    log.exception("print worker round failed")
                    worked = False
                if not worked:
                    # Sleep until a print job is announced (or half a second passes, to
                    # notice leases and jobs written by other processes).
                    if self.wake is not None:
                        self.wake.wait(0.5)
                    else:
                        self._stop.wait(0.2)
        finally:
            conn.close()

    def run_once(self, conn) -> bool:
        """Print at most one job per server-mode printer; True if any job was handled."""
        now = self.clock.now()
        jobstore.expire_leases(conn, now)
        printers = conn.execute(
            "SELECT * FROM printers p WHERE p.enabled AND p.mode='server' AND EXISTS"
            " (SELECT 1 FROM print_jobs j WHERE j.printer_id = p.id AND j.state = 'pending')").fetchall()
        handled = False
        for printer in printers:
            job = jobstore.claim(conn, printer["id"], WORKER_ID, self.clock.now())
            if job is None:
                continue
            handled = True
            self.print_job(conn, job, printer)
        return handled

    def print_job(self, conn, job, printer) -> str:
        """Send one claimed job and record the outcome; returns the job's new state."""
        try:
            data = render_or_fail(conn, job, printer, self.clock.now())
        except RenderFailed as exc:
            self.notify("print")
            return exc.state
        try:
            with self.lock_for(printer["id"]):
                report = send_bytes(printer["url"], data, timeout=self.send_timeout)
        except PrinterNotReady as exc:
            state = jobstore.mark_failed(conn, job["id"], exc.reason, self.clock.now())
            self._status(conn, printer["id"], exc.status.status, exc.status.detail)
        except PrinterOffline as exc:
            # Retry only when not a byte reached the printer: a half-printed job
            # sent again would give the customer two tickets.
            retry = getattr(exc, "sent", True) is False
            state = jobstore.mark_failed(conn, job["id"], exc.reason, self.clock.now(), retry=retry)
            self._status(conn, printer["id"], PrinterStatus.OFFLINE, exc.reason)
        except PrinterError as exc:
            state = jobstore.mark_failed(conn, job["id"], exc.reason, self.clock.now())
        except ValueError as exc:  # a bad printer URL
            state = jobstore.mark_failed(conn, job["id"], str(exc), self.clock.now())
        else:
            jobstore.mark_printed(conn, job["id"], self.clock.now(), len(data))
            state = "printed"
            self._status(conn, printer["id"], report.status, report.detail)
        self.notify("print")
        return state

    # -- status ---------------------------------------------------------
    def _status(self, conn, printer_id: int, status: PrinterStatus, detail: str | None) -> None:
        if jobstore.set_status(conn, printer_id, status, detail, self.clock.now()):
            self.notify("printer")

    def _status_loop(self) -> None:
        conn = connect(self.db_path)
        try:
            while not self._stop.is_set():
                try:
                    self.poll_status(conn)
                except Exception:
                    log.exception("printer status round failed")
                self._stop.wait(self.status_every_s)
        finally:
            conn.close()

    def poll_status(self, conn) -> None:
        """Query every server-mode printer once and store what changed."""
        for printer in conn.execute("SELECT * FROM printers WHERE enabled AND mode='server'").fetchall():
            if self._stop.is_set():
                return
            try:
                lock = self.lock_for(printer["id"])
                # A printer busy with a job is clearly alive; ask again next round.
                if not lock.acquire(timeout=0.05):
                    continue
                try:
                    report = query_status(printer["url"], timeout=0.3, connect_timeout=1.0)
                finally:
                    lock.release()
                self._status(conn, printer["id"], report.status, report.detail)
            except ValueError as exc:
                self._status(conn, printer["id"], PrinterStatus.OFFLINE, f"bad URL: {exc}")


def start_in_app(app) -> None:
    """Start the built-in emulators and the worker for a serving app (called by ``serve``)."""
    ext = app.extensions["servicepoint"]
    broadcaster = ext["broadcaster"]
    db_path = app.config["DATABASE"]
    emulators = start_builtin_emulators(db_path)
    worker = PrintWorker(db_path, notify=broadcaster.publish, clock=ext["clock"],
                         wake=broadcaster.topic_event("print"))
    worker.start()
    ext["print_worker"] = worker
    ext["emulators"] = emulators


def stop_in_app(app) -> None:
    ext = app.extensions["servicepoint"]
    if ext.get("print_worker"):
        ext["print_worker"].stop()
    for emulator in ext.get("emulators", []):
        emulator.stop()


def start_builtin_emulators(db_path: str) -> list:
    """Start one in-process emulator per distinct ``emulator:NAME`` printer URL."""
    from .emulator import PrinterEmulator, lookup_emulator, register_emulator

    conn = connect(db_path)
    try:
        urls = [r[0] for r in conn.execute("SELECT url FROM printers WHERE enabled AND url LIKE 'emulator:%'")]
    finally:
        conn.close()
    started = []
    for url in urls:
        spec = parse_printer_url(url)
        if not isinstance(spec, EmulatorSpec):
            continue
        name = spec.name
        if lookup_emulator(name) is not None:
            continue
        emulator = PrinterEmulator(name=name)
        emulator.start_tcp("127.0.0.1", 0)
        register_emulator(emulator)
        started.append(emulator)
    return started

