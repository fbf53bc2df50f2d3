"""``serial:`` printers through pyserial, with short timeouts and PrinterOffline on failures."""

from __future__ import annotations

import os
from typing import Literal

import serial
from escpos.printer import Serial

from hardware.backends.base import Backend, PrinterOffline
from hardware.printer_url import SerialSpec


class SerialPrinter(Backend, Serial):
    """A serial printer; writes get extra time for their size at the configured baud rate."""

    _device: serial.Serial | Literal[False] | None

    def __init__(self, spec: SerialSpec, timeout: float) -> None:
        Serial.__init__(self, devfile=spec.path, baudrate=spec.baudrate, bytesize=spec.bytesize,
                        timeout=timeout, parity=spec.parity, stopbits=spec.stopbits,
                        dsrdtr=spec.flow == "dsrdtr", profile=spec.profile)
        self.spec = spec

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self._device = serial.Serial(
                port=self.devfile, baudrate=self.baudrate, bytesize=self.bytesize, parity=self.parity,
                stopbits=self.stopbits, timeout=self.read_timeout, write_timeout=self.timeout,
                rtscts=self.spec.flow == "rtscts", dsrdtr=self.spec.flow == "dsrdtr", exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._device = None
            missing = not os.path.exists(self.devfile)
            hint = " (not plugged in? see `servicepoint printer ports`)" if missing else ""
            raise PrinterOffline(f"cannot open serial port {self.devfile}{hint}: {exc}") from exc

    def _write_timeout(self, size: int) -> float:
        # A big job at 9600 baud legitimately takes seconds (10 bits per byte).
        return float(self.timeout + size * 10 / self.baudrate * 1.5)

    def _raw(self, msg: bytes) -> None:
        port = self._require()
        try:
            wanted = self._write_timeout(len(msg))
            if port.write_timeout != wanted:
                port.write_timeout = wanted
            port.write(msg)
        except serial.SerialTimeoutException as exc:
            raise PrinterOffline(
                f"serial port {self.devfile}: printer did not take the data within "
                f"{self._write_timeout(len(msg)):.1f} s (busy, flow control or cable?)"
            ) from exc
        except (serial.SerialException, OSError) as exc:
            raise PrinterOffline(f"serial device {self.devfile} went away while writing: {exc}") from exc

    def _read(self) -> bytes:
        port = self._require()
        try:
            port.timeout = max(0.0, self.read_timeout)
            data = port.read(1)
            if data and port.in_waiting:
                data += port.read(port.in_waiting)
            return bytes(data)
        except (serial.SerialException, OSError) as exc:
            raise PrinterOffline(f"serial device {self.devfile} went away while reading: {exc}") from exc

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise PrinterOffline(f"serial device {self.devfile} went away: {exc}") from exc

    def drain(self) -> None:
        port = self._require()
        try:
            port.flush()
        except Exception as exc:  # SerialException, OSError, and termios.error (not an OSError)
            raise PrinterOffline(f"serial device {self.devfile} went away while draining: {exc}") from exc

    def _require(self) -> serial.Serial:
        if not self._device:
            raise PrinterOffline(f"serial port {self.devfile} is not open")
        return self._device

    def close(self) -> None:
        port, self._device = self._device, False
        if port:
            try:
                port.close()
            except Exception:  # closing a vanished device must not mask the real error
                pass
