"""Printer URLs: one parse function per scheme, each returning its own typed spec.

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

Parsing is pure apart from checking ``profile=`` against python-escpos's
capability database, which is loaded only when a URL names a profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, ClassVar
from urllib.parse import SplitResult, parse_qsl, urlsplit

DEFAULT_TCP_PORT = 9100
DEFAULT_BAUDRATE = 9600
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
COMMON_OPTIONS = ("profile", "paper", "status")
SCHEME_OPTIONS: dict[str, tuple[str, ...]] = {
    "serial": ("baudrate", "bytesize", "parity", "stopbits", "timeout", "flow"),
    "tcp": ("timeout",),
    "usb": ("in_ep", "out_ep", "timeout"),
    "file": (),
    "emulator": (),
}
SCHEMES = tuple(SCHEME_OPTIONS)


class PrinterURLError(ValueError):
    """A printer URL that cannot be used; the message says what is wrong and how to write it."""


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True, kw_only=True)
class PrinterSpec:
    """What every printer URL says; the subclasses add what their scheme needs.

    ``timeout`` (seconds, from ``?timeout=``) bounds connecting and writing; None
    leaves it to the caller.
    """

    scheme: ClassVar[str]
    url: str
    profile: str = "default"
    paper_mm: int = 80
    status: bool = True
    timeout: float | None = None

    @property
    def has_status(self) -> bool:
        """True when status queries are possible and wanted for this printer."""
        return self.status

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True, kw_only=True)
class SerialSpec(PrinterSpec):
    """``serial:PATH``: a serial port and its line settings."""

    scheme: ClassVar[str] = "serial"
    path: str
    baudrate: int = DEFAULT_BAUDRATE
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    flow: str = "none"


@dataclass(frozen=True, kw_only=True)
class TcpSpec(PrinterSpec):
    """``tcp://HOST:PORT``: a network printer's raw port."""

    scheme: ClassVar[str] = "tcp"
    host: str
    port: int = DEFAULT_TCP_PORT


@dataclass(frozen=True, kw_only=True)
class UsbSpec(PrinterSpec):
    """``usb:VENDOR:PRODUCT``: a USB printer by its ids and bulk endpoints."""

    scheme: ClassVar[str] = "usb"
    vendor_id: int
    product_id: int
    in_ep: int = 0x82
    out_ep: int = 0x01


@dataclass(frozen=True, kw_only=True)
class FileSpec(PrinterSpec):
    """``file:PATH``: jobs appended to a file or device node (no status channel)."""

    scheme: ClassVar[str] = "file"
    path: str

    @property
    def has_status(self) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class EmulatorSpec(PrinterSpec):
    """``emulator:NAME``: the built-in emulator registered under NAME in this process."""

    scheme: ClassVar[str] = "emulator"
    name: str = "default"


# --------------------------------------------------------------------------- parsing


def parse_printer_url(url: str) -> PrinterSpec:
    """Parse a printer URL (see the module docstring) into the spec of its scheme.

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
    allowed = SCHEME_OPTIONS[scheme] + COMMON_OPTIONS
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in allowed:
            raise _fail(url, f"unknown option {key!r} for {scheme}: (allowed: {', '.join(allowed)})")
        options[key] = value
    return PARSERS[scheme](url, parts, options)


def as_spec(url_or_spec: str | PrinterSpec) -> PrinterSpec:
    """Return `url_or_spec` as a PrinterSpec, parsing strings (raises PrinterURLError)."""
    if isinstance(url_or_spec, PrinterSpec):
        return url_or_spec
    return parse_printer_url(url_or_spec)


def parse_serial(url: str, parts: SplitResult, options: dict[str, str]) -> SerialSpec:
    """``serial:/dev/ttyUSB0?baudrate=19200&bytesize=8&parity=N&stopbits=1&flow=none&timeout=3``."""
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
    return SerialSpec(url=url, path=path, baudrate=baudrate, bytesize=bytesize, parity=parity,
                      stopbits=stopbits, flow=flow, timeout=_timeout(url, options), **_common(url, options))


def parse_tcp(url: str, parts: SplitResult, options: dict[str, str]) -> TcpSpec:
    """``tcp://HOST[:PORT]?timeout=3`` (port 9100 by default; IPv6 hosts in brackets)."""
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
    return TcpSpec(url=url, host=host, port=port or DEFAULT_TCP_PORT, timeout=_timeout(url, options),
                   **_common(url, options))


def parse_usb(url: str, parts: SplitResult, options: dict[str, str]) -> UsbSpec:
    """``usb:VENDOR:PRODUCT?in_ep=0x82&out_ep=0x01&timeout=3`` with hex ids as lsusb shows them."""
    ids = (parts.netloc + parts.path).strip("/")
    m = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", ids)
    if not m:
        raise _fail(url, f"{ids!r} is not a hex VENDOR:PRODUCT id pair like usb:04b8:0e15 (see lsusb)")
    vendor, product = int(m.group(1), 16), int(m.group(2), 16)
    if vendor == 0 or product == 0:
        raise _fail(url, "USB vendor and product ids must not be 0000")
    return UsbSpec(url=url, vendor_id=vendor, product_id=product, in_ep=_endpoint(url, options, "in_ep", 0x82),
                   out_ep=_endpoint(url, options, "out_ep", 0x01), timeout=_timeout(url, options),
                   **_common(url, options))


def _endpoint(url: str, options: dict[str, str], key: str, default: int) -> int:
    if key not in options:
        return default
    value = _number(url, key, options[key], int, 0)
    if not 0 < value <= 0xFF:
        raise _fail(url, f"{key} must be an endpoint address 0x01..0xff")
    return int(value)


def parse_file(url: str, parts: SplitResult, options: dict[str, str]) -> FileSpec:
    """``file:/path/out.bin`` or ``file:///path/out.bin`` (a local path only)."""
    if parts.netloc and parts.netloc != "localhost":
        raise _fail(url, "file URLs name a local path: file:/path/out.bin or file:///path/out.bin")
    if not parts.path:
        raise _fail(url, "missing file path, e.g. file:/tmp/tickets.bin")
    return FileSpec(url=url, path=parts.path, **_common(url, options))


def parse_emulator(url: str, parts: SplitResult, options: dict[str, str]) -> EmulatorSpec:
    """``emulator:`` (the one named "default") or ``emulator:NAME``."""
    name = (parts.netloc + parts.path).strip("/") or "default"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise _fail(url, f"emulator name {name!r} may only contain letters, digits, '.', '_' and '-'")
    return EmulatorSpec(url=url, name=name, **_common(url, options))


PARSERS: dict[str, Callable[[str, SplitResult, dict[str, str]], PrinterSpec]] = {
    "serial": parse_serial,
    "tcp": parse_tcp,
    "usb": parse_usb,
    "file": parse_file,
    "emulator": parse_emulator,
}


# --------------------------------------------------------------------------- options


def _fail(url: str, message: str) -> PrinterURLError:
    return PrinterURLError(f"bad printer URL {url!r}: {message}")


def _number(url: str, key: str, value: str, kind: type = int, base: int = 10) -> Any:
    try:
        return int(value, base) if kind is int else kind(value)
    except ValueError:
        raise _fail(url, f"{key}={value!r} is not a number") from None


def _timeout(url: str, options: dict[str, str]) -> float | None:
    if "timeout" not in options:
        return None
    timeout = _number(url, "timeout", options["timeout"], float)
    if not 0 < timeout <= 300:
        raise _fail(url, "timeout must be between 0 and 300 seconds")
    return timeout


def _common(url: str, options: dict[str, str]) -> dict[str, Any]:
    """``profile``, ``paper_mm`` and ``status`` as given in the URL (absent ones keep their defaults)."""
    common: dict[str, Any] = {}
    if "profile" in options:
        from escpos.capabilities import (
            CAPABILITIES,  # late: loading it reads and caches a JSON file
        )

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
