"""Printer URLs and the printer backends that send ESC/POS bytes.

Printers are configured by URL:

=====================================================  ===========================================
``serial:/dev/ttyUSB0?baudrate=19200``                  serial port; also ``bytesize`` (5-8),
                                                        ``parity`` (N/E/O/M/S), ``stopbits``
                                                        (1/1.5/2), ``timeout`` (s), ``flow``
                                                        (none/rtscts/dsrdtr)
``tcp://192.0.2.10:9100``                               network printer (raw port, default 9100)
``usb:04b8:0e15?in_ep=0x82&out_ep=0x01``                USB printer by hex vendor:product id
``file:/path/out.bin``                                  append jobs to a file or device node
``emulator:`` / ``emulator:name``                       the built-in emulator registered under
                                                        that name (default "default")
=====================================================  ===========================================

Every scheme also accepts ``profile=`` (a python-escpos capability profile,
e.g. ``TM-T88V``), ``paper=`` (58 or 80 mm) and ``status=off`` (for one-way
printers that never answer status queries: jobs are then sent unchecked).

Backends subclass the python-escpos printer classes (so ``text``, ``qr``,
``cut`` ... all work) and override only the narrow seam: ``open``, ``close``,
``_raw`` (write bytes) and ``_read`` (read what arrived, waiting at most
``read_timeout``).  They translate every device failure into
``PrinterOffline`` with a reason a technician can act on.  python-escpos is
imported lazily because importing it does file I/O (it loads and pickles its
capability database), and importing this module must not.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import socket
import stat
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hardware.status import DEFAULT_TIMEOUT, PrinterStatus, StatusReport, read_status

log = logging.getLogger(__name__)

SCHEMES = ("serial", "tcp", "usb", "file", "emulator")
DEFAULT_TCP_PORT = 9100
DEFAULT_BAUDRATE = 9600
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
COMMON_OPTIONS = ("profile", "paper", "status")
SCHEME_OPTIONS = {
    "serial": ("baudrate", "bytesize", "parity", "stopbits", "timeout", "flow"),
    "tcp": ("timeout",),
    "usb": ("in_ep", "out_ep", "timeout"),
    "file": (),
    "emulator": (),
}


# --------------------------------------------------------------------------- errors


class PrinterURLError(ValueError):
    """A printer URL that cannot be used; the message says what is wrong and how to write it."""


class PrinterError(Exception):
    """Printing failed; `reason` is a human explanation.

    `sent` tells a print queue whether it may retry: False when no byte of the
    job was written (safe to send again), True when the job may have reached
    the printer (sending again could print the ticket twice).  It defaults to
    True, the safe assumption; `send_bytes` sets it precisely.
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


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class PrinterSpec:
    """A parsed printer URL."""

    scheme: str
    url: str
    path: str | None = None  # serial device or file path
    host: str | None = None
    port: int | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    in_ep: int = 0x82
    out_ep: int = 0x01
    name: str | None = None  # emulator name
    baudrate: int = DEFAULT_BAUDRATE
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    flow: str = "none"
    timeout: float | None = None
    profile: str = "default"
    paper_mm: int = 80
    status: bool = True

    @property
    def has_status(self) -> bool:
        """True when status queries are possible and wanted for this printer."""
        return self.status and self.scheme != "file"

    def __str__(self) -> str:
        return self.url


def _fail(url: str, message: str) -> PrinterURLError:
    return PrinterURLError(f"bad printer URL {url!r}: {message}")


def _number(url: str, key: str, value: str, kind: type = int, base: int = 10) -> Any:
    try:
        return int(value, base) if kind is int else kind(value)
    except ValueError:
        raise _fail(url, f"{key}={value!r} is not a number") from None


def parse_printer_url(url: str) -> PrinterSpec:
    """Parse a printer URL (see the module docstring) into a PrinterSpec.

    Raises PrinterURLError (a ValueError) with a human message for an empty URL,
    an unknown scheme, a missing path or host, a bad port, a bad USB VID:PID,
    an unsupported baud rate or an unknown option.
    """
    if not isinstance(url, str) or not url.strip():
        raise PrinterURLError(
            "printer URL is empty; use e.g. serial:/dev/ttyUSB0?baudrate=19200, tcp://192.0.2.10:9100, "
            "usb:04b8:0e15, file:/tmp/out.bin or emulator:"
        )
    url = url.strip()
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in SCHEMES:
        shown = f"{scheme!r}" if scheme else "missing"
        raise _fail(url, f"scheme {shown} is not supported; use one of {', '.join(s + ':' for s in SCHEMES)}")
    parts = urlsplit(url)
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        allowed = SCHEME_OPTIONS[scheme] + COMMON_OPTIONS
        if key not in allowed:
            raise _fail(url, f"unknown option {key!r} for {scheme}: (allowed: {', '.join(allowed)})")
        options[key] = value
    common = _common_options(url, options)
    timeout = None
    if "timeout" in options:
        timeout = _number(url, "timeout", options["timeout"], float)
        if not 0 < timeout <= 300:
            raise _fail(url, "timeout must be between 0 and 300 seconds")

    if scheme == "serial":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise _fail(url, "missing serial device path, e.g. serial:/dev/ttyUSB0")
        baudrate = _number(url, "baudrate", options.get("baudrate", str(DEFAULT_BAUDRATE)))
        if baudrate not in BAUDRATES:
            raise _fail(url, f"baudrate {baudrate} is not supported; use one of {', '.join(map(str, BAUDRATES))}")
        bytesize = _number(url, "bytesize", options.get("bytesize", "8"))
        if bytesize not in (5, 6, 7, 8):
            raise _fail(url, "bytesize must be 5, 6, 7 or 8")
        parity = options.get("parity", "N").upper()[:1]
        if parity not in ("N", "E", "O", "M", "S"):
            raise _fail(url, "parity must be N (none), E (even), O (odd), M (mark) or S (space)")
        stopbits = _number(url, "stopbits", options.get("stopbits", "1"), float)
        if stopbits not in (1, 1.5, 2):
            raise _fail(url, "stopbits must be 1, 1.5 or 2")
        flow = options.get("flow", "none").lower()
        if flow == "xonxoff":
            raise _fail(url, "flow=xonxoff is not supported: XON/XOFF bytes occur in image data; use rtscts or dsrdtr")
        if flow not in ("none", "rtscts", "dsrdtr"):
            raise _fail(url, "flow must be none, rtscts or dsrdtr")
        return PrinterSpec("serial", url, path=path, baudrate=baudrate, bytesize=bytesize, parity=parity,
                           stopbits=stopbits, flow=flow, timeout=timeout, **common)

    if scheme == "tcp":
        if not parts.netloc:
            raise _fail(url, "missing host, e.g. tcp://192.0.2.10:9100")
        if parts.path not in ("", "/"):
            raise _fail(url, f"unexpected path {parts.path!r}; a network printer URL is tcp://host:port")
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            port_text = parts.netloc.rsplit(":", 1)[-1]
            raise _fail(url, f"port {port_text!r} is not a number between 1 and 65535") from None
        if not host:
            raise _fail(url, "missing host, e.g. tcp://192.0.2.10:9100")
        if port == 0:
            raise _fail(url, "port 0 is not a valid printer port")
        return PrinterSpec("tcp", url, host=host, port=port or DEFAULT_TCP_PORT, timeout=timeout, **common)

    if scheme == "usb":
        ids = (parts.netloc + parts.path).strip("/")
        m = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", ids)
        if not m:
            raise _fail(url, f"{ids!r} is not a hex VENDOR:PRODUCT id pair like usb:04b8:0e15 (see lsusb)")
        vendor, product = int(m.group(1), 16), int(m.group(2), 16)
        if vendor == 0 or product == 0:
            raise _fail(url, "USB vendor and product ids must not be 0000")
        endpoints = {}
        for key in ("in_ep", "out_ep"):
            if key in options:
                value = _number(url, key, options[key], int, 0)
                if not 0 < value <= 0xFF:
                    raise _fail(url, f"{key} must be an endpoint address 0x01..0xff")
                endpoints[key] = value
        return PrinterSpec("usb", url, vendor_id=vendor, product_id=product, timeout=timeout, **endpoints, **common)

    if scheme == "file":
        path = parts.path if not parts.netloc or parts.netloc == "localhost" else None
        if parts.netloc and parts.netloc != "localhost":
            raise _fail(url, "file URLs name a local path: file:/path/out.bin or file:///path/out.bin")
        if not path:
            raise _fail(url, "missing file path, e.g. file:/tmp/tickets.bin")
        return PrinterSpec("file", url, path=path, **common)

    name = (parts.netloc + parts.path).strip("/") or "default"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise _fail(url, f"emulator name {name!r} may only contain letters, digits, '.', '_' and '-'")
    return PrinterSpec("emulator", url, name=name, **common)


def _common_options(url: str, options: dict[str, str]) -> dict[str, Any]:
    common: dict[str, Any] = {}
    if "profile" in options:
        from escpos.capabilities import CAPABILITIES

        if options["profile"] not in CAPABILITIES["profiles"]:
            raise _fail(url, f"unknown printer profile {options['profile']!r}")
        common["profile"] = options["profile"]
    if "paper" in options:
        paper = _number(url, "paper", options["paper"].removesuffix("mm"))
        if paper not in (58, 80):
            raise _fail(url, "paper must be 58 or 80 (mm)")
        common["paper_mm"] = paper
    if "status" in options:
        value = options["status"].lower()
        if value not in ("on", "off", "1", "0", "true", "false"):
            raise _fail(url, "status must be on or off")
        common["status"] = value in ("on", "1", "true")
    return common


def as_spec(url_or_spec: str | PrinterSpec) -> PrinterSpec:
    """Return `url_or_spec` as a PrinterSpec, parsing strings (raises PrinterURLError)."""
    if isinstance(url_or_spec, PrinterSpec):
        return url_or_spec
    return parse_printer_url(url_or_spec)


def status_without_channel(spec: PrinterSpec) -> StatusReport:
    """Status for a printer we cannot ask: a file is ok when its directory is writable."""
    if spec.scheme == "file":
        target = spec.path or ""
        directory = os.path.dirname(os.path.abspath(target))
        if os.path.exists(target) and os.access(target, os.W_OK):
            return StatusReport(PrinterStatus.ok, f"file {target} is writable (no status channel)")
        if not os.path.exists(target) and os.access(directory, os.W_OK):
            return StatusReport(PrinterStatus.ok, f"file {target} can be created (no status channel)")
        return StatusReport(PrinterStatus.offline, f"cannot write to {target}")
    return StatusReport(PrinterStatus.ok, "job sent; status queries disabled (status=off)")


# --------------------------------------------------------------------------- backends


class _Seam:
    """Shared helpers for the backends (mixed in before the python-escpos class)."""

    read_timeout: float = DEFAULT_TIMEOUT

    def discard_input(self) -> None:
        """Drop bytes that arrived unasked (late status replies, auto status back)."""

    def drain(self) -> None:
        """Block until written bytes have left this computer."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@functools.cache
def _backend_classes() -> dict[str, type]:
    """Build the backend classes on first use (python-escpos is imported here, not at import)."""
    import serial
    from escpos.printer import File, Network, Serial, Usb

    class SerialPrinter(_Seam, Serial):
        """A serial printer with short timeouts and PrinterOffline on failures."""

        def __init__(self, spec: PrinterSpec, timeout: float) -> None:
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
            return self.timeout + size * 10 / self.baudrate * 1.5

        def _raw(self, msg: bytes) -> None:
            device = self._require()
            try:
                wanted = self._write_timeout(len(msg))
                if device.write_timeout != wanted:
                    device.write_timeout = wanted
                device.write(msg)
            except serial.SerialTimeoutException as exc:
                raise PrinterOffline(
                    f"serial port {self.devfile}: printer did not take the data within "
                    f"{self._write_timeout(len(msg)):.1f} s (busy, flow control or cable?)"
                ) from exc
            except (serial.SerialException, OSError) as exc:
                raise PrinterOffline(f"serial device {self.devfile} went away while writing: {exc}") from exc

        def _read(self) -> bytes:
            device = self._require()
            try:
                device.timeout = max(0.0, self.read_timeout)
                data = device.read(1)
                if data and device.in_waiting:
                    data += device.read(device.in_waiting)
                return data
            except (serial.SerialException, OSError) as exc:
                raise PrinterOffline(f"serial device {self.devfile} went away while reading: {exc}") from exc

        def discard_input(self) -> None:
            device = self._require()
            try:
                device.reset_input_buffer()
            except (serial.SerialException, OSError) as exc:
                raise PrinterOffline(f"serial device {self.devfile} went away: {exc}") from exc

        def drain(self) -> None:
            device = self._require()
            try:
                device.flush()
            except Exception as exc:  # SerialException, OSError, and termios.error (not an OSError)
                raise PrinterOffline(f"serial device {self.devfile} went away while draining: {exc}") from exc

        def _require(self) -> Any:
            if not self._device:
                raise PrinterOffline(f"serial port {self.devfile} is not open")
            return self._device

        def close(self) -> None:
            device, self._device = self._device, False
            if device:
                try:
                    device.close()
                except Exception:  # closing a vanished device must not mask the real error
                    pass

    class NetworkPrinter(_Seam, Network):
        """A raw-TCP (port 9100) printer with short timeouts and PrinterOffline on failures."""

        def __init__(self, host: str, port: int, timeout: float, profile: str = "default") -> None:
            Network.__init__(self, host=host, port=port, timeout=timeout, profile=profile)

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

    class UsbPrinter(_Seam, Usb):
        """A USB printer (pyusb/libusb) with short timeouts and PrinterOffline on failures."""

        def __init__(self, spec: PrinterSpec, timeout: float) -> None:
            Usb.__init__(self, idVendor=spec.vendor_id, idProduct=spec.product_id, timeout=int(timeout * 1000),
                         in_ep=spec.in_ep, out_ep=spec.out_ep, profile=spec.profile)
            self.where = f"{spec.vendor_id:04x}:{spec.product_id:04x}"

        def open(self, raise_not_found: bool = True) -> None:
            import usb.core

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
            import usb.core

            if not self._device:
                raise PrinterOffline(f"USB printer {self.where} is not open")
            try:
                self._device.write(self.out_ep, msg, self.timeout)
            except usb.core.USBTimeoutError as exc:
                raise PrinterOffline(f"USB printer {self.where} did not take the data in time") from exc
            except usb.core.USBError as exc:
                raise PrinterOffline(f"USB printer {self.where} went away while writing: {exc}") from exc

        def _read(self) -> bytes:
            import usb.core

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
                    import usb.util

                    usb.util.dispose_resources(device)
                except Exception:
                    pass

    class FilePrinter(_Seam, File):
        """Appends jobs to a file or device node (no status channel)."""

        def __init__(self, spec: PrinterSpec) -> None:
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

    return {"serial": SerialPrinter, "tcp": NetworkPrinter, "usb": UsbPrinter, "file": FilePrinter}


def __getattr__(name: str) -> type:
    # SerialPrinter, NetworkPrinter, UsbPrinter and FilePrinter are built lazily.
    classes = {cls.__name__: cls for cls in _backend_classes().values()} if name.endswith("Printer") else {}
    if name in classes:
        return classes[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_printer(url_or_spec: str | PrinterSpec, timeout: float = 3.0) -> Any:
    """Open and return a connected printer object (a python-escpos printer subclass).

    `timeout` bounds connecting and each write (serial writes get extra time
    for their size at the configured baud rate); reads wait at most
    `read_timeout` (0.3 s).  Use it as a context manager or call `close()`.
    Raises PrinterURLError for a bad URL and PrinterOffline when the printer
    cannot be reached.
    """
    spec = as_spec(url_or_spec)
    timeout = spec.timeout or timeout
    classes = _backend_classes()
    if spec.scheme == "serial":
        printer = classes["serial"](spec, timeout)
    elif spec.scheme == "tcp":
        printer = classes["tcp"](spec.host, spec.port, timeout, spec.profile)
    elif spec.scheme == "usb":
        printer = classes["usb"](spec, timeout)
    elif spec.scheme == "file":
        printer = classes["file"](spec)
    else:
        from hardware.emulator import lookup_emulator

        emulator = lookup_emulator(spec.name or "default")
        if emulator is None or emulator.tcp_address is None:
            raise PrinterOffline(f"no printer emulator named {spec.name!r} is running "
                                 "(start one with `servicepoint printer emulate`)")
        host, port = emulator.tcp_address
        # The emulator is reached over loopback TCP so status and printing take
        # exactly the same path as a real network printer.
        printer = classes["tcp"](host, port, timeout, spec.profile)
    printer.open()
    return printer


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
        if after.status is PrinterStatus.no_reply:
            raise PrinterOffline(f"{spec.url}: the printer stopped answering after the job was sent "
                                 f"({after.detail}); the ticket may not have printed")
        if not after.ready:
            raise PrinterNotReady(after, f"{spec.url}: {after} after the job was sent; the ticket may be incomplete")
    except PrinterError as exc:
        exc.sent = sent
        raise
    log.debug("sent %d bytes to %s in %.3f s (%s)", len(data), spec.url, time.monotonic() - started, after)
    return after


def list_serial_ports() -> list[dict[str, str]]:
    """The serial ports of this machine (built-in and USB-serial adapters), sorted by device:
    ``{"device", "description", "hwid"}`` each ("n/a" where the system does not know)."""
    from serial.tools import list_ports

    return [{"device": p.device, "description": p.description, "hwid": p.hwid}
            for p in sorted(list_ports.comports(), key=lambda p: p.device)]
