"""A built-in ESC/POS printer emulator for development, demos and tests.

`PrinterEmulator` records every byte it receives (one job per TCP
connection; on serial a new job starts at each `ESC @` after printed data),
answers `DLE EOT 1/2/3/4` according to a switchable state and keeps the last
N printed tickets as text and PNG (see `hardware.decode`).

States (`set_state`):

=============  ===============================================================
``ok``         prints, answers "online, paper present"
``paper_low``  prints, reports paper near end
``paper_out``  reports offline / paper end and discards print data (recorded as discarded)
``cover_open`` reports offline / cover open and discards print data
``silent``     prints but never answers status queries (a one-way printer)
=============  ===============================================================

Listeners: `start_tcp(host, port)` (port 0 picks a free port and returns it),
`start_serial(path)` on a pseudo-terminal, e.g. one end of
``socat -d -d pty,raw,echo=0,link=/tmp/printer pty,raw,echo=0,link=/tmp/emulator``
(print to ``serial:/tmp/printer``, emulate on ``/tmp/emulator``); the serial
listener reopens the port if it disappears, like a replugged printer.

Control port (`start_control`, ``printer emulate --control PORT``): a
line-based TCP protocol, one command per line, one reply per command:

==========================  ======================================================
``state``                   ``OK state=<state>``
``state <s>``               set the state (ok|paper_low|paper_out|cover_open|silent)
``count``                   ``OK <printed tickets>``
``jobs``                    ``OK jobs=<n> discarded=<jobs with discarded data>``
``last``                    ``OK <seq> <n>`` then the last ticket's n text lines
``clear``                   forget tickets and jobs
``help``                    list the commands;  ``quit`` closes the connection
==========================  ======================================================

Errors are ``ERR <message>``.  `EMULATORS` maps names to running emulators;
printer URLs ``emulator:`` / ``emulator:name`` find them there.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hardware.decode import decode
from hardware.decode.interpret import QRCode, RasterImage, TextLine
from hardware.decode.parse import Command, parse_commands
from hardware.emulator_listeners import Listeners

log = logging.getLogger(__name__)

STATES = ("ok", "paper_low", "paper_out", "cover_open", "silent")
PRINTING_STATES = frozenset({"ok", "paper_low", "silent"})

# Replies to DLE EOT n per state, following the ESC/POS bit definitions
# (0x12 = the fixed bits; see hardware.status).
STATUS_REPLIES: dict[str, dict[int, int]] = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 | 0x0C},
    "paper_out": {1: 0x12 | 0x08, 2: 0x12 | 0x20, 3: 0x12, 4: 0x12 | 0x0C | 0x60},
    "cover_open": {1: 0x12 | 0x08, 2: 0x12 | 0x04, 3: 0x12, 4: 0x12},
}

EMULATORS: dict[str, "PrinterEmulator"] = {}
_REGISTRY_LOCK = threading.Lock()


def register_emulator(emulator: "PrinterEmulator") -> None:
    """Make `emulator` reachable as the printer URL ``emulator:<its name>``."""
    with _REGISTRY_LOCK:
        EMULATORS[emulator.name] = emulator


def unregister_emulator(name: str) -> None:
    """Forget the emulator registered under `name` (no error when there is none)."""
    with _REGISTRY_LOCK:
        EMULATORS.pop(name, None)


def lookup_emulator(name: str = "default") -> "PrinterEmulator | None":
    """Return the emulator registered under `name`, or None."""
    with _REGISTRY_LOCK:
        return EMULATORS.get(name)


@dataclass(frozen=True)
class JobRecord:
    """What one job (TCP connection / serial session) sent, as a snapshot."""

    id: int
    transport: str
    peer: str
    started_at: datetime
    ended_at: datetime | None
    received: bytes  # every byte, status queries included
    printed: bytes  # commands executed while printing
    discarded: bytes  # print commands dropped because of paper out / cover open
    status_queries: tuple[tuple[int, int | None], ...]  # (n, reply byte or None when silent)


@dataclass(frozen=True)
class Ticket:
    """A printed ticket: the bytes from the previous cut up to its cut, decoded."""

    seq: int
    job_id: int
    data: bytes
    text: str
    png: bytes
    printed_at: datetime
    cut: bool = True
    files: tuple[str, ...] = ()


@dataclass
class _Job:
    id: int
    transport: str
    peer: str
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    ended_at: datetime | None = None
    received: bytearray = field(default_factory=bytearray)
    printed: bytearray = field(default_factory=bytearray)
    discarded: bytearray = field(default_factory=bytearray)
    status_queries: list = field(default_factory=list)

    def snapshot(self) -> JobRecord:
        return JobRecord(self.id, self.transport, self.peer, self.started_at, self.ended_at,
                         bytes(self.received), bytes(self.printed), bytes(self.discarded),
                         tuple(self.status_queries))


class _Session:
    """Parser state for one byte stream (a TCP connection or a serial port)."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.buffer = bytearray()
        self.pending = bytearray()  # printed bytes since the last cut


class PrinterEmulator(Listeners):
    """An emulated ESC/POS printer; see the module docstring.

    Thread-safe: listeners run in their own threads; `tickets()`, `jobs()`,
    `set_state()` may be called from any thread.
    """

    def __init__(self, name: str = "default", state: str = "ok", keep: int = 50, output_dir: str | None = None,
                 paper_dots: int = 576, profile: str = "default", render_png: bool = True) -> None:
        self.name = name
        self._state = self._check_state(state)
        self.output_dir = output_dir
        self.paper_dots = paper_dots
        self.profile = profile
        self.render_png = render_png
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._tickets: collections.deque[Ticket] = collections.deque(maxlen=keep)
        self._jobs: collections.deque[_Job] = collections.deque(maxlen=max(keep, 200))
        self._job_ids = 0
        self._ticket_seq = 0
        self._file_seq: int | None = None
        self.printed_count = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tcp: socketserver.ThreadingTCPServer | None = None
        self._control: socketserver.ThreadingTCPServer | None = None
        self.tcp_address: tuple[str, int] | None = None
        self.control_address: tuple[str, int] | None = None
        self.serial_paths: list[str] = []

    # ------------------------------------------------------------------ state

    @staticmethod
    def _check_state(state: str) -> str:
        if state not in STATES:
            raise ValueError(f"unknown emulator state {state!r}; use one of {', '.join(STATES)}")
        return state

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, state: str) -> None:
        """Switch the emulated condition (ok, paper_low, paper_out, cover_open, silent).

        Raises ValueError for an unknown state.
        """
        with self._lock:
            self._state = self._check_state(state)
        log.info("emulator %s: state %s", self.name, state)

    # ------------------------------------------------------------------ records

    def tickets(self) -> list[Ticket]:
        """Return the kept tickets, oldest first."""
        with self._lock:
            return list(self._tickets)

    def last_ticket(self) -> Ticket | None:
        """Return the most recent ticket, or None."""
        with self._lock:
            return self._tickets[-1] if self._tickets else None

    def jobs(self) -> list[JobRecord]:
        """Return snapshots of the recorded jobs, oldest first."""
        with self._lock:
            return [job.snapshot() for job in self._jobs]

    def clear(self) -> None:
        """Forget tickets and finished jobs."""
        with self._lock:
            self._tickets.clear()
            self._jobs.clear()

    def wait_for_tickets(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least `count` tickets were printed since start (or `clear`); return
        False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.printed_count >= count, timeout)

    def wait_for_jobs_closed(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least `count` jobs have ended; return False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: sum(job.ended_at is not None for job in self._jobs) >= count, timeout)

    # ------------------------------------------------------------------ byte processing

    def _new_session(self, transport: str, peer: str) -> _Session:
        with self._lock:
            self._job_ids += 1
            job = _Job(self._job_ids, transport, peer)
            self._jobs.append(job)
            return _Session(job)

    def _process(self, session: _Session, data: bytes) -> bytes:
        """Feed received bytes; return the bytes to send back (status replies)."""
        replies = bytearray()
        with self._lock:
            session.job.received += data
            session.buffer += data
            commands, used = parse_commands(bytes(session.buffer), final=False)
            del session.buffer[:used]
            for command in commands:
                replies += self._execute(session, command)
        return bytes(replies)

    def _execute(self, session: _Session, command: Command) -> bytes:
        job = session.job
        if command.name == "status_query":
            n = command.args["n"]
            reply = None if self._state == "silent" else STATUS_REPLIES[self._state].get(n)
            job.status_queries.append((n, reply))
            return b"" if reply is None else bytes((reply,))
        if command.name in ("realtime_request", "realtime_command"):
            return b""
        if self._state not in PRINTING_STATES:
            job.discarded += command.raw
            return b""
        if command.name == "init" and session.job.transport == "serial" and job.printed:
            job.ended_at = datetime.now(timezone.utc)
            self._changed.notify_all()
            new = self._new_session("serial", job.peer)
            session.job = job = new.job
        job.printed += command.raw
        session.pending += command.raw
        if command.name == "cut":
            self._finish_ticket(session, cut=True)
        return b""

    def _end_session(self, session: _Session) -> None:
        with self._lock:
            if session.buffer:  # an incomplete command at the end is still recorded
                target = session.job.printed if self._state in PRINTING_STATES else session.job.discarded
                target += session.buffer
                session.pending += session.buffer
                session.buffer.clear()
            if session.pending:
                self._finish_ticket(session, cut=False)
            session.job.ended_at = datetime.now(timezone.utc)
            self._changed.notify_all()

    def _finish_ticket(self, session: _Session, cut: bool) -> None:
        data = bytes(session.pending)
        session.pending.clear()
        decoded = decode(data, self.profile, self.paper_dots)
        visible = [e for e in decoded.elements if isinstance(e, (TextLine, QRCode, RasterImage))]
        if not visible:
            return  # a bare init or feed is not a ticket
        self._ticket_seq += 1
        png = decoded.png() if self.render_png else b""
        text = decoded.text()
        files = self._write_files(data, text, png)
        self._tickets.append(Ticket(self._ticket_seq, session.job.id, data, text, png,
                                    datetime.now(timezone.utc), cut, files))
        self.printed_count += 1
        self._changed.notify_all()

    def _write_files(self, data: bytes, text: str, png: bytes) -> tuple[str, ...]:
        if not self.output_dir:
            return ()
        try:
            os.makedirs(self.output_dir, exist_ok=True)
            if self._file_seq is None:
                # Continue the numbering of an earlier session instead of overwriting it.
                numbers = [int(m.group(1)) for f in os.listdir(self.output_dir)
                           if (m := re.fullmatch(r"ticket-(\d+)\.bin", f))]
                self._file_seq = max(numbers, default=0)
            self._file_seq += 1
            stem = os.path.join(self.output_dir, f"ticket-{self._file_seq:04d}")
            written = []
            for suffix, content in ((".bin", data), (".txt", text.encode("utf-8")), (".png", png)):
                if content or suffix != ".png":
                    with open(stem + suffix, "wb") as handle:
                        handle.write(content)
                    written.append(stem + suffix)
            return tuple(written)
        except OSError as exc:
            log.warning("emulator %s: cannot write ticket files to %s: %s", self.name, self.output_dir, exc)
            return ()

    def stop(self) -> None:
        """Stop all listeners, wait for their threads and unregister the emulator."""
        self._stop.set()
        for server in (self._tcp, self._control):
            if server is not None:
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if lookup_emulator(self.name) is self:
            unregister_emulator(self.name)

    def __enter__(self) -> "PrinterEmulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
