"""``file:`` printers: jobs appended to a file or device node (no status channel)."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Literal

from escpos.printer import File

from hardware.backends.base import Backend, PrinterOffline
from hardware.printer_url import FileSpec


class FilePrinter(Backend, File):
    """Appends each job to the file; ``drain`` flushes and fsyncs a regular file."""

    _device: BinaryIO | Literal[False] | None

    def __init__(self, spec: FileSpec, timeout: float) -> None:
        File.__init__(self, devfile=spec.path, auto_flush=False, profile=spec.profile)

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self._device = open(self.devfile, "ab")
        except OSError as exc:
            self._device = None
            raise PrinterOffline(f"cannot open {self.devfile} for writing: {exc}") from exc

    def _raw(self, msg: bytes) -> None:
        if not self._device:
            raise PrinterOffline(f"{self.devfile} is not open")
        try:
            self._device.write(msg)
        except OSError as exc:
            raise PrinterOffline(f"cannot write to {self.devfile}: {exc}") from exc

    def _read(self) -> bytes:
        raise PrinterOffline(f"{self.devfile} is a file: it has no status channel")

    def drain(self) -> None:
        if not self._device:
            return
        try:
            self._device.flush()
            if stat.S_ISREG(os.fstat(self._device.fileno()).st_mode):
                os.fsync(self._device.fileno())
        except OSError as exc:
            raise PrinterOffline(f"cannot write to {self.devfile}: {exc}") from exc

    def close(self) -> None:
        device, self._device = self._device, False
        if device:
            try:
                device.close()
            except OSError:
                pass
