"""``tcp://`` printers on their raw port (9100), with short timeouts and PrinterOffline on failures."""

from __future__ import annotations

import socket
from typing import Literal

from escpos.printer import Network

from hardware.backends.base import Backend, PrinterOffline
from hardware.printer_url import TcpSpec


class NetworkPrinter(Backend, Network):
    """A raw-TCP printer; Nagle is off so a status query leaves at once."""

    _device: socket.socket | Literal[False] | None

    def __init__(self, spec: TcpSpec, timeout: float) -> None:
        Network.__init__(self, host=spec.host, port=spec.port, timeout=timeout, profile=spec.profile)

    def open(self, raise_not_found: bool = True) -> None:
        where = f"{self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError as exc:
            self._device = None
            raise PrinterOffline(f"connection refused by {where} (printer off or wrong port?)") from exc
        except socket.gaierror as exc:
            self._device = None
            raise PrinterOffline(f"unknown host {self.host!r}: {exc}") from exc
        except TimeoutError as exc:
            self._device = None
            raise PrinterOffline(f"no answer from {where} within {self.timeout:.2g} s (off or unplugged?)") from exc
        except OSError as exc:
            self._device = None
            raise PrinterOffline(f"cannot connect to {where}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._device = sock

    def _raw(self, msg: bytes) -> None:
        sock = self._require()
        try:
            sock.settimeout(self.timeout)
            sock.sendall(msg)
        except TimeoutError as exc:
            raise PrinterOffline(
                f"{self.host}:{self.port} did not accept data within {self.timeout:.2g} s (printer busy?)"
            ) from exc
        except OSError as exc:
            raise PrinterOffline(f"connection to {self.host}:{self.port} lost while writing: {exc}") from exc

    def _read(self) -> bytes:
        sock = self._require()
        try:
            sock.settimeout(max(0.001, self.read_timeout))
            data = sock.recv(64)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise PrinterOffline(f"connection to {self.host}:{self.port} lost while reading: {exc}") from exc
        if not data:
            raise PrinterOffline(f"{self.host}:{self.port} closed the connection")
        return data

    def discard_input(self) -> None:
        sock = self._require()
        try:
            sock.setblocking(False)
            while True:
                data = sock.recv(4096)
                if not data:
                    raise PrinterOffline(f"{self.host}:{self.port} closed the connection")
        except BlockingIOError:
            pass
        except OSError as exc:
            raise PrinterOffline(f"connection to {self.host}:{self.port} lost: {exc}") from exc
        finally:
            sock.setblocking(True)

    def _require(self) -> socket.socket:
        if not self._device:
            raise PrinterOffline(f"not connected to {self.host}:{self.port}")
        return self._device

    def close(self) -> None:
        sock, self._device = self._device, False
        if not sock:
            return
        try:
            # Read what is pending first: closing with unread input sends a
            # TCP reset, which can make the printer drop the end of the job.
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(0.05)
            while sock.recv(4096):
                pass
        except OSError:
            pass
        finally:
            sock.close()
