"""``usb:`` printers through pyusb/libusb, with short timeouts and PrinterOffline on failures."""

from __future__ import annotations

from typing import Any

import usb.core
import usb.util
from escpos.printer import Usb

from hardware.backends.base import Backend, PrinterOffline
from hardware.printer_url import UsbSpec


class UsbPrinter(Backend, Usb):
    """A USB printer found by vendor:product id; its kernel driver is detached when claimed."""

    _device: Any  # a usb.core.Device once open

    def __init__(self, spec: UsbSpec, timeout: float) -> None:
        Usb.__init__(self, idVendor=spec.vendor_id, idProduct=spec.product_id, timeout=int(timeout * 1000),
                     in_ep=spec.in_ep, out_ep=spec.out_ep, profile=spec.profile)
        self.where = f"{spec.vendor_id:04x}:{spec.product_id:04x}"

    def open(self, raise_not_found: bool = True) -> None:
        try:
            device = usb.core.find(idVendor=self.usb_args["idVendor"], idProduct=self.usb_args["idProduct"])
        except usb.core.NoBackendError as exc:
            self._device = None
            raise PrinterOffline(f"USB printer {self.where}: libusb is not installed ({exc})") from exc
        except usb.core.USBError as exc:
            self._device = None
            raise PrinterOffline(f"USB printer {self.where}: {exc}") from exc
        if device is None:
            self._device = None
            raise PrinterOffline(f"USB printer {self.where} not found (unplugged or switched off? see lsusb)")
        self._device = device
        try:
            self._check_driver()
            self._configure_usb()
        except usb.core.USBError as exc:
            self.close()
            raise PrinterOffline(f"USB printer {self.where}: cannot claim it ({exc}; check udev permissions)") from exc

    def _raw(self, msg: bytes) -> None:
        if not self._device:
            raise PrinterOffline(f"USB printer {self.where} is not open")
        try:
            self._device.write(self.out_ep, msg, self.timeout)
        except usb.core.USBTimeoutError as exc:
            raise PrinterOffline(f"USB printer {self.where} did not take the data in time") from exc
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB printer {self.where} went away while writing: {exc}") from exc

    def _read(self) -> bytes:
        if not self._device:
            raise PrinterOffline(f"USB printer {self.where} is not open")
        try:
            return bytes(self._device.read(self.in_ep, 64, max(1, int(self.read_timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB printer {self.where} went away while reading: {exc}") from exc

    def close(self) -> None:
        device, self._device = self._device, False
        if device:
            try:
                usb.util.dispose_resources(device)
            except Exception:  # closing a vanished device must not mask the real error
                pass
