"""Printers by URL: open one, send it a job, ask its status.

The URL grammar lives in `hardware.printer_url` (one parse function per
scheme), the device code in `hardware.backends` (one module per kind of
connection), the status protocol in `hardware.status`.  This module ties them
together for the print worker, the print agent and the CLI; callers catch
the printing errors (defined with the backends) under the names exported here.  Importing it does no work: python-escpos and
the device libraries are loaded when a printer is first opened.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from hardware.backends import backend_class
from hardware.backends.base import PrinterError, PrinterNotReady, PrinterOffline
from hardware.printer_url import FileSpec, PrinterSpec, as_spec
from hardware.status import DEFAULT_TIMEOUT, StatusReport, read_status
from servicepoint.domain.printing import PrinterStatus

__all__ = [
    "PrinterError", "PrinterNotReady", "PrinterOffline",
    "list_serial_ports", "open_printer", "query_status", "send_bytes", "status_without_channel",
]

log = logging.getLogger(__name__)


def open_printer(url_or_spec: str | PrinterSpec, timeout: float = 3.0) -> Any:
    """Open and return a connected printer object (a python-escpos printer subclass).

    `timeout` bounds connecting and each write (serial writes get extra time
    for their size at the configured baud rate); reads wait at most
    `read_timeout` (0.3 s).  Use it as a context manager or call `close()`.
    Raises PrinterURLError for a bad URL and PrinterOffline when the printer
    cannot be reached.
    """
    spec = as_spec(url_or_spec)
    printer = backend_class(spec.scheme)(spec, spec.timeout or timeout)
    printer.open()
    return printer


def status_without_channel(spec: PrinterSpec) -> StatusReport:
    """Status for a printer we cannot ask: a file is ok when its directory is writable."""
    if isinstance(spec, FileSpec):
        target = spec.path
        directory = os.path.dirname(os.path.abspath(target))
        if os.path.exists(target) and os.access(target, os.W_OK):
            return StatusReport(PrinterStatus.OK, f"file {target} is writable (no status channel)")
        if not os.path.exists(target) and os.access(directory, os.W_OK):
            return StatusReport(PrinterStatus.OK, f"file {target} can be created (no status channel)")
        return StatusReport(PrinterStatus.OFFLINE, f"cannot write to {target}")
    return StatusReport(PrinterStatus.OK, "job sent; status queries disabled (status=off)")


def send_bytes(url_or_spec: str | PrinterSpec, data: bytes, timeout: float = 3.0,
               status_timeout: float = DEFAULT_TIMEOUT) -> StatusReport:
    """Send one job to a printer and confirm it arrived; return the printer's status afterwards.

    Before writing, the printer's status is read: if it is not ready (paper
    out, cover open, error, or no reply) nothing is sent.  After writing, the
    bytes are drained (serial: tcdrain; file: flush + fsync) and the status is
    read again, which proves the printer received the whole job and is still
    alive.  Printers with `status=off` or without a status channel (file:)
    skip both checks.

    Raises PrinterURLError for a bad URL, PrinterOffline when the printer
    cannot be reached or goes away, PrinterNotReady (with `.status`) when it
    cannot print.  Their `.sent` is False when no byte of the job was written
    (a retry cannot print twice) and True otherwise.
    """
    spec = as_spec(url_or_spec)
    started = time.monotonic()
    sent = False
    try:
        with open_printer(spec, timeout=timeout) as printer:
            if spec.has_status:
                before = read_status(printer, status_timeout)
                if not before.ready:
                    raise PrinterNotReady(before, f"{spec.url}: {before}; the job was not sent")
            sent = True  # from here on, part of the job may reach the printer
            printer._raw(bytes(data))
            printer.drain()
            if not spec.has_status:
                return status_without_channel(spec)
            # Allow for a slow printer working through a large job before it answers.
            after = read_status(printer, max(status_timeout, timeout))
        if after.status is PrinterStatus.NO_REPLY:
            raise PrinterOffline(f"{spec.url}: the printer stopped answering after the job was sent "
                                 f"({after.detail}); the ticket may not have printed")
        if not after.ready:
            raise PrinterNotReady(after, f"{spec.url}: {after} after the job was sent; the ticket may be incomplete")
    except PrinterError as exc:
        exc.sent = sent
        raise
    log.debug("sent %d bytes to %s in %.3f s (%s)", len(data), spec.url, time.monotonic() - started, after)
    return after


def query_status(url_or_spec: str | PrinterSpec, timeout: float = DEFAULT_TIMEOUT,
                 connect_timeout: float = 1.0) -> StatusReport:
    """Open the printer at `url_or_spec`, read its status and close it.

    Never raises for device problems: a refused connection or a missing device
    gives `offline` with the reason, silence gives `no_reply`.  A file: printer
    is `ok` when it is writable, and a `status=off` printer is `ok` when it can
    be opened (it is never asked).  Raises PrinterURLError (a ValueError) for a
    malformed URL.
    """
    spec = as_spec(url_or_spec)
    if isinstance(spec, FileSpec):
        return status_without_channel(spec)
    try:
        with open_printer(spec, timeout=connect_timeout) as printer:
            if not spec.has_status:
                # status=off: the printer never answers, so reachability is all we can know.
                return StatusReport(PrinterStatus.OK, "reachable; status queries disabled (status=off)")
            return read_status(printer, timeout)
    except PrinterOffline as exc:
        return StatusReport(PrinterStatus.OFFLINE, exc.reason)


def list_serial_ports() -> list[dict[str, str]]:
    """The serial ports of this machine (built-in and USB-serial adapters), sorted by device:
    ``{"device", "description", "hwid"}`` each ("n/a" where the system does not know)."""
    from serial.tools import list_ports

    return [{"device": p.device, "description": p.description, "hwid": p.hwid}
            for p in sorted(list_ports.comports(), key=lambda p: p.device)]
