"""How the printer emulator listens: raw TCP (like port 9100), a serial pseudo-terminal
and the line-based control port. A mixin of :class:`hardware.emulator.PrinterEmulator`,
which holds the state these listeners feed (see that module for the protocol).
"""
from __future__ import annotations

import logging
import socket
import socketserver
import threading
from typing import TYPE_CHECKING, Any, Callable

log = logging.getLogger("hardware.emulator")


class Listeners:
    """The emulator's listeners; the class using it provides the state and the sessions."""

    # Set by PrinterEmulator.__init__.
    name: str
    printed_count: int
    serial_paths: list[str]
    tcp_address: tuple[str, int] | None
    control_address: tuple[str, int] | None
    _stop: threading.Event
    _threads: list[threading.Thread]
    _tcp: socketserver.ThreadingTCPServer | None
    _control: socketserver.ThreadingTCPServer | None

    if TYPE_CHECKING:  # what PrinterEmulator provides
        @property
        def state(self) -> str: ...
        def set_state(self, state: str) -> None: ...
        def _new_session(self, transport: str, peer: str) -> Any: ...
        def _process(self, session: Any, data: bytes) -> bytes: ...
        def _end_session(self, session: Any) -> None: ...
        def jobs(self) -> list[Any]: ...
        def last_ticket(self) -> Any: ...
        def clear(self) -> None: ...

    def _thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for raw-TCP print jobs (like port 9100); return the port (useful with port=0)."""
        emulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                emulator._serve_tcp(self.request, f"{self.client_address[0]}:{self.client_address[1]}")

        self._tcp = _Server((host, port), Handler)
        self.tcp_address = (host, self._tcp.server_address[1])
        self._thread(self._tcp.serve_forever_quietly, f"emulator-{self.name}-tcp")
        log.info("emulator %s: TCP printer on %s:%d", self.name, *self.tcp_address)
        return self.tcp_address[1]

    def _serve_tcp(self, sock: socket.socket, peer: str) -> None:
        session = self._new_session("tcp", peer)
        sock.settimeout(0.1)
        try:
            while not self._stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                reply = self._process(session, data)
                if reply:
                    sock.sendall(reply)
        except OSError as exc:
            log.info("emulator %s: connection %s ended: %s", self.name, peer, exc)
        finally:
            self._end_session(session)

    def start_serial(self, path: str, baudrate: int | None = None) -> None:
        """Serve the serial port (pseudo-terminal) at `path` in a thread.

        `baudrate`, when given, throttles reading to that line speed (10 bits per
        byte) so a pty behaves like a slow serial printer.  If the port goes away
        the listener keeps trying to reopen it until `stop()`.
        """
        self.serial_paths.append(path)
        self._thread(lambda: self._serve_serial(path, baudrate), f"emulator-{self.name}-serial")

    def _serve_serial(self, path: str, baudrate: int | None) -> None:
        import serial

        while not self._stop.is_set():
            try:
                port = serial.Serial(path, timeout=0.05)
            except (serial.SerialException, OSError):
                self._stop.wait(0.05)
                continue
            session = self._new_session("serial", path)
            try:
                while not self._stop.is_set():
                    data = port.read(1)
                    if not data:
                        continue
                    waiting = port.in_waiting
                    if waiting:
                        data += port.read(min(waiting, 4096))
                    reply = self._process(session, data)
                    if reply:
                        port.write(reply)
                    if baudrate:
                        self._stop.wait(len(data) * 10 / baudrate)
            except (serial.SerialException, OSError) as exc:
                log.info("emulator %s: serial port %s went away: %s", self.name, path, exc)
            except Exception:  # never let a listener thread die silently
                log.exception("emulator %s: serial listener failed", self.name)
            finally:
                self._end_session(session)
                try:
                    port.close()
                except Exception:
                    pass

    def start_control(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for control commands (see the module docstring); return the port."""
        emulator = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(0.2)
                buffer = b""
                while not emulator._stop.is_set():
                    try:
                        chunk = self.request.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                    while b"\n" in buffer:
                        line, buffer = buffer.split(b"\n", 1)
                        reply = emulator.control(line.decode("utf-8", "replace"))
                        if reply is None:
                            return
                        try:
                            self.request.sendall(reply.encode("utf-8") + b"\n")
                        except OSError:
                            return

        self._control = _Server((host, port), Handler)
        self.control_address = (host, self._control.server_address[1])
        self._thread(self._control.serve_forever_quietly, f"emulator-{self.name}-control")
        return self.control_address[1]

    def control(self, line: str) -> str | None:
        """Execute one control-port command line; return the reply (None means: close)."""
        words = line.strip().split()
        if not words:
            return "ERR empty command (try help)"
        command, args = words[0].lower(), words[1:]
        if command == "state":
            if args:
                try:
                    self.set_state(args[0])
                except ValueError as exc:
                    return f"ERR {exc}"
            return f"OK state={self.state}"
        if command == "count":
            return f"OK {self.printed_count}"
        if command == "jobs":
            jobs = self.jobs()
            return f"OK jobs={len(jobs)} discarded={sum(1 for j in jobs if j.discarded)}"
        if command == "last":
            ticket = self.last_ticket()
            if ticket is None:
                return "ERR no ticket printed yet"
            lines = ticket.text.rstrip("\n").split("\n")
            return "\n".join([f"OK {ticket.seq} {len(lines)}", *lines])
        if command == "clear":
            self.clear()
            return "OK cleared"
        if command == "help":
            return ("OK commands: state [ok|paper_low|paper_out|cover_open|silent], count, jobs, last, "
                    "clear, help, quit")
        if command == "quit":
            return None
        return f"ERR unknown command {command!r} (try help)"



class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    # Non-daemon handler threads are joined by server_close(); they poll the
    # stop flag every 0.1-0.2 s, so stop() returns promptly and leaks nothing.
    daemon_threads = False
    block_on_close = True

    def serve_forever_quietly(self) -> None:
        try:
            self.serve_forever(poll_interval=0.05)
        except Exception:  # a listener must not take the process down
            log.exception("emulator listener stopped")

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("emulator: error while serving %s", client_address)
