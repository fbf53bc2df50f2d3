"""Real-time printer status via `DLE EOT n`, with short timeouts.

python-escpos has status helpers, but they are unfit for a kiosk: on serial
they wait a full second, on a silent network printer they raise, and when
nothing answers `paper_status()` reports "paper OK".  Here every query has
its own short deadline (0.3 s by default), silence is reported as silence
(`no_reply`), and the answer bytes are checked against the fixed bits of the
ESC/POS status byte (bit 1 and bit 4 set, bit 0 and bit 7 clear) so an echo
or line noise is not mistaken for a status.

The parsing functions are pure; `read_status` talks to an open printer only
through its `StatusChannel` seam (`_raw` / `_read`); `hardware.printers`
opens printers by URL.  This module imports nothing else from `hardware`.

The states themselves are `servicepoint.domain.printing.PrinterStatus`, the
one vocabulary of the server, the print API and these pages;
`STATUS_LABELS` says each in a technician's words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from servicepoint.domain.printing import PrinterStatus

DEFAULT_TIMEOUT = 0.3
FIXED_MASK = 0x93  # bits 0, 1, 4, 7
FIXED_BITS = 0x12  # bit 1 and bit 4 set, bits 0 and 7 clear

# What the technician pages show for each state.
STATUS_LABELS: dict[PrinterStatus, str] = {
    PrinterStatus.OK: "Ready",
    PrinterStatus.PAPER_LOW: "Paper low",
    PrinterStatus.PAPER_OUT: "Paper out",
    PrinterStatus.COVER_OPEN: "Cover open",
    PrinterStatus.OFFLINE: "Offline",
    PrinterStatus.NO_REPLY: "Not answering",
    PrinterStatus.UNKNOWN: "Not checked yet",
}


def status_label(value: str | None) -> str:
    """The technician's words for a stored status (an unknown name reads "Not checked yet")."""
    return STATUS_LABELS[PrinterStatus.parse(value)]


@dataclass(frozen=True)
class StatusReport:
    """A status with a human-readable detail and when it was checked (aware UTC)."""

    status: PrinterStatus
    detail: str = ""
    checked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def ready(self) -> bool:
        return self.status.ready

    def __str__(self) -> str:
        return f"{self.status.value}: {self.detail}" if self.detail else self.status.value


class StatusChannel(Protocol):
    """The narrow seam of an open printer that status queries use (every backend has it)."""

    read_timeout: float

    def discard_input(self) -> None: ...

    def _raw(self, msg: bytes) -> None: ...

    def _read(self) -> bytes: ...


# --------------------------------------------------------------------------- pure parsing


@dataclass(frozen=True)
class PrinterState:
    """`DLE EOT 1` (printer status)."""

    drawer_high: bool  # bit 2: drawer kick-out connector pin 3 is high
    offline: bool  # bit 3
    waiting_recovery: bool  # bit 5: waiting for online recovery
    feed_button: bool  # bit 6: paper feed button pressed


@dataclass(frozen=True)
class OfflineCause:
    """`DLE EOT 2` (offline cause)."""

    cover_open: bool  # bit 2
    feeding: bool  # bit 3: paper being fed with the feed button
    paper_end_stop: bool  # bit 5: printing stopped at paper end
    error: bool  # bit 6


@dataclass(frozen=True)
class ErrorCause:
    """`DLE EOT 3` (error cause)."""

    recoverable: bool  # bit 2 (model specific, e.g. black-mark error)
    cutter_error: bool  # bit 3
    unrecoverable: bool  # bit 5
    auto_recoverable: bool  # bit 6: e.g. head overheated


@dataclass(frozen=True)
class PaperSensor:
    """`DLE EOT 4` (roll paper sensors)."""

    near_end: bool  # bits 2/3: near-end sensor
    paper_end: bool  # bit 5 (bit 6 too on Epson; Citizen uses bit 6 for the presenter)


def valid_status_byte(byte: int) -> bool:
    """Return True when `byte` has the fixed bits of an ESC/POS real-time status byte."""
    return 0 <= byte <= 255 and byte & FIXED_MASK == FIXED_BITS


def parse_dle_eot(n: int, byte: int) -> PrinterState | OfflineCause | ErrorCause | PaperSensor | None:
    """Decode the reply `byte` to `DLE EOT n` (n = 1..4).

    Returns None when the byte does not have the fixed bit pattern (garbled
    reply, echo, noise).  Raises ValueError for n outside 1..4 or a byte outside 0..255.
    """
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT n must be 1, 2, 3 or 4, not {n!r}")
    if not isinstance(byte, int) or not 0 <= byte <= 255:
        raise ValueError(f"status byte must be 0..255, not {byte!r}")
    if not valid_status_byte(byte):
        return None

    def bit(i: int) -> bool:
        return bool(byte >> i & 1)

    if n == 1:
        return PrinterState(bit(2), bit(3), bit(5), bit(6))
    if n == 2:
        return OfflineCause(bit(2), bit(3), bit(5), bit(6))
    if n == 3:
        return ErrorCause(bit(2), bit(3), bit(5), bit(6))
    return PaperSensor(bit(2) or bit(3), bit(5))


def summarize(printer: PrinterState, offline: OfflineCause | None = None, error: ErrorCause | None = None,
              paper: PaperSensor | None = None) -> tuple[PrinterStatus, str]:
    """Combine decoded replies into one status and a detail text.

    Order of precedence: cover open, paper out, other offline/error causes,
    paper low, ok.
    """
    if offline is not None and offline.cover_open:
        return PrinterStatus.COVER_OPEN, "cover open"
    if (paper is not None and paper.paper_end) or (offline is not None and offline.paper_end_stop):
        return PrinterStatus.PAPER_OUT, "paper out"
    if printer.offline or (offline is not None and offline.error):
        reasons = []
        if error is not None:
            if error.cutter_error:
                reasons.append("cutter error (paper jam?)")
            if error.unrecoverable:
                reasons.append("unrecoverable error (service needed)")
            if error.auto_recoverable:
                reasons.append("head overheated, waiting to cool down")
            if error.recoverable:
                reasons.append("recoverable error")
        if offline is not None and offline.feeding:
            reasons.append("paper being fed with the feed button")
        if printer.waiting_recovery:
            reasons.append("waiting for online recovery")
        return PrinterStatus.OFFLINE, "printer reports offline" + (f": {', '.join(reasons)}" if reasons else "")
    if paper is not None and paper.near_end:
        return PrinterStatus.PAPER_LOW, "paper near end"
    return PrinterStatus.OK, "ready"


# --------------------------------------------------------------------------- talking to a printer


def ask(printer: StatusChannel, n: int, timeout: float = DEFAULT_TIMEOUT) -> tuple[int | None, bytes]:
    """Send `DLE EOT n` through the printer's `_raw` seam and wait up to `timeout` s for a reply.

    Returns (status byte or None when silent/garbled, all bytes received).  The
    first byte with the fixed status bits wins, so an echo of the query is
    skipped.  Raises whatever the printer's `_raw`/`_read` raise (PrinterOffline
    for the ServicePoint backends) when the connection fails.
    """
    printer.discard_input()
    printer._raw(bytes((0x10, 0x04, n)))
    deadline = time.monotonic() + timeout
    received = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, received
        printer.read_timeout = remaining
        chunk = printer._read()
        received += chunk
        for byte in received:
            if valid_status_byte(byte):
                return byte, received


def read_status(printer: StatusChannel, timeout: float = DEFAULT_TIMEOUT) -> StatusReport:
    """Query an open printer (DLE EOT 1, 2, 4 and 3 when an error is flagged) and summarise.

    Each query has its own `timeout`.  Silence gives `no_reply`, a reply
    without the fixed bits gives `no_reply` with a "garbled" detail.  Raises
    PrinterOffline when the connection fails.
    """
    replies: dict[int, Any] = {}
    for n in (1, 2, 4, 3):
        if n == 3 and not (replies[1].offline or replies[2].error):
            continue
        byte, received = ask(printer, n, timeout)
        if byte is None:
            if received:
                return StatusReport(PrinterStatus.NO_REPLY,
                                    f"garbled reply to DLE EOT {n}: {received.hex(' ')}")
            return StatusReport(PrinterStatus.NO_REPLY,
                                f"no answer to status query DLE EOT {n} within {timeout:.2g} s")
        replies[n] = parse_dle_eot(n, byte)
    status, detail = summarize(replies[1], replies.get(2), replies.get(3), replies.get(4))
    return StatusReport(status, detail)
