"""What every backend shares: the printing errors and the seam's defaults.

Imports no device library, so the errors can be caught anywhere without
loading python-escpos.
"""

from __future__ import annotations

from typing import Any

from hardware.status import DEFAULT_TIMEOUT, StatusReport


class PrinterError(Exception):
    """Printing failed; `reason` is a human explanation.

    `sent` tells a print queue whether it may retry: False when no byte of the
    job was written (safe to send again), True when the job may have reached
    the printer (sending again could print the ticket twice).  It defaults to
    True, the safe assumption; `hardware.printers.send_bytes` sets it precisely.
    """

    def __init__(self, reason: str, sent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


class PrinterOffline(PrinterError):
    """The printer cannot be reached: refused, unplugged, vanished, not answering writes."""


class PrinterNotReady(PrinterError):
    """The printer answered but cannot print (paper out, cover open, no status reply, error).

    `status` is the StatusReport that stopped the job.
    """

    def __init__(self, status: StatusReport, reason: str | None = None, sent: bool = True) -> None:
        super().__init__(reason or f"printer not ready: {status}", sent)
        self.status = status


class Backend:
    """The seam every backend provides, mixed in before its python-escpos class.

    Subclasses override ``open``, ``close``, ``_raw`` and ``_read``; the
    defaults here suit a device without an input buffer or a send queue.
    """

    read_timeout: float = DEFAULT_TIMEOUT

    def open(self, raise_not_found: bool = True) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _raw(self, msg: bytes) -> None:
        raise NotImplementedError

    def _read(self) -> bytes:
        raise NotImplementedError

    def discard_input(self) -> None:
        """Drop bytes that arrived unasked (late status replies, auto status back)."""

    def drain(self) -> None:
        """Block until written bytes have left this computer."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
