"""Printer backends: one module per kind of connection, python-escpos style.

Each backend subclasses a python-escpos printer class (so ``text``, ``qr``,
``cut`` ... all work) and overrides only the narrow raw-bytes seam of
`base.Backend`: ``open``, ``close``, ``_raw`` (write bytes), ``_read`` (read
what arrived, waiting at most ``read_timeout``) and, where the device has
them, ``discard_input`` and ``drain``.  Every device failure becomes
`base.PrinterOffline` with a reason a technician can act on.

The backend modules import python-escpos, whose import loads and caches its
capability database, so `backend_class` imports a module only when a printer
of its scheme is opened; importing this package does no work.
"""

from __future__ import annotations

import importlib
from typing import Any

# scheme -> (module, class); the emulator is a network printer on loopback.
BACKENDS: dict[str, tuple[str, str]] = {
    "serial": ("hardware.backends.serial_port", "SerialPrinter"),
    "tcp": ("hardware.backends.network", "NetworkPrinter"),
    "usb": ("hardware.backends.usb_device", "UsbPrinter"),
    "file": ("hardware.backends.file", "FilePrinter"),
    "emulator": ("hardware.backends.emulator", "EmulatorPrinter"),
}


def backend_class(scheme: str) -> Any:
    """The backend class for printer URLs of ``scheme`` (imported on first use).

    Every class is built as ``cls(spec, timeout)`` from the spec of its scheme.
    Raises KeyError for a scheme without a backend.
    """
    module, name = BACKENDS[scheme]
    return getattr(importlib.import_module(module), name)
