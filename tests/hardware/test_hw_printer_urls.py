"""Printer URL parsing: one typed spec per scheme."""

from __future__ import annotations

import pytest

from hardware.printer_url import (
    EmulatorSpec,
    FileSpec,
    PrinterSpec,
    PrinterURLError,
    SerialSpec,
    TcpSpec,
    UsbSpec,
    as_spec,
    parse_printer_url,
)


@pytest.mark.parametrize(("url", "kind"), [
    ("serial:/dev/ttyUSB0", SerialSpec), ("tcp://192.0.2.10", TcpSpec), ("usb:04b8:0e15", UsbSpec),
    ("file:/tmp/out.bin", FileSpec), ("emulator:", EmulatorSpec),
])
def test_each_scheme_has_its_own_spec(url, kind):
    spec = parse_printer_url(url)
    assert type(spec) is kind and spec.scheme == url.split(":")[0]


def test_serial_url():
    spec = parse_printer_url("serial:/dev/ttyUSB0?baudrate=19200")
    assert (spec.scheme, spec.path, spec.baudrate) == ("serial", "/dev/ttyUSB0", 19200)
    assert (spec.bytesize, spec.parity, spec.stopbits, spec.flow) == (8, "N", 1, "none")
    full = parse_printer_url("serial:///dev/ttyS1?baudrate=9600&bytesize=7&parity=E&stopbits=2&timeout=1.5&flow=rtscts")
    assert (full.path, full.bytesize, full.parity, full.stopbits, full.timeout, full.flow) == (
        "/dev/ttyS1", 7, "E", 2, 1.5, "rtscts")
    assert parse_printer_url("serial:COM3").path == "COM3"
    assert parse_printer_url("serial:/dev/ttyUSB0").baudrate == 9600


def test_tcp_url():
    spec = parse_printer_url("tcp://192.0.2.10:9100")
    assert (spec.scheme, spec.host, spec.port) == ("tcp", "192.0.2.10", 9100)
    assert parse_printer_url("tcp://printer.local").port == 9100
    assert parse_printer_url("tcp://[2001:db8::1]:9101").host == "2001:db8::1"
    assert parse_printer_url("TCP://Printer:9100/").port == 9100


def test_usb_url():
    spec = parse_printer_url("usb:04b8:0e15")
    assert (spec.vendor_id, spec.product_id, spec.in_ep, spec.out_ep) == (0x04B8, 0x0E15, 0x82, 0x01)
    spec = parse_printer_url("usb:0x0416:0x5011?in_ep=0x81&out_ep=3")
    assert (spec.vendor_id, spec.product_id, spec.in_ep, spec.out_ep) == (0x0416, 0x5011, 0x81, 3)


def test_file_and_emulator_urls():
    assert parse_printer_url("file:/tmp/out.bin").path == "/tmp/out.bin"
    assert parse_printer_url("file:///tmp/out.bin").path == "/tmp/out.bin"
    assert not parse_printer_url("file:/tmp/out.bin").has_status
    assert parse_printer_url("emulator:").name == "default"
    assert parse_printer_url("emulator:lobby").name == "lobby"
    assert parse_printer_url("emulator://lobby").name == "lobby"


def test_common_options():
    spec = parse_printer_url("tcp://p:9100?profile=TM-T88V&paper=58&status=off")
    assert (spec.profile, spec.paper_mm, spec.status, spec.has_status) == ("TM-T88V", 58, False, False)
    assert as_spec(spec) is spec
    assert isinstance(as_spec("emulator:"), PrinterSpec)
    assert str(spec) == "tcp://p:9100?profile=TM-T88V&paper=58&status=off"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("/dev/ttyUSB0", "scheme missing"),
        ("lpt:/dev/lp0", "scheme 'lpt' is not supported"),
        ("http://printer", "scheme 'http' is not supported"),
        ("serial:", "missing serial device path"),
        ("serial:/dev/ttyUSB0?baudrate=fast", "is not a number"),
        ("serial:/dev/ttyUSB0?baudrate=12345", "baudrate 12345 is not supported"),
        ("serial:/dev/ttyUSB0?baud=9600", "unknown option 'baud'"),
        ("serial:/dev/ttyUSB0?parity=X", "parity"),
        ("serial:/dev/ttyUSB0?bytesize=9", "bytesize"),
        ("serial:/dev/ttyUSB0?stopbits=3", "stopbits"),
        ("serial:/dev/ttyUSB0?flow=xonxoff", "XON/XOFF"),
        ("serial:/dev/ttyUSB0?timeout=-1", "timeout"),
        ("tcp://", "missing host"),
        ("tcp://:9100", "missing host"),
        ("tcp://printer:99999", "port '99999'"),
        ("tcp://printer:abc", "port 'abc'"),
        ("tcp://printer:0", "port 0"),
        ("tcp://printer:9100/queue", "unexpected path"),
        ("usb:", "hex VENDOR:PRODUCT"),
        ("usb:04b8", "hex VENDOR:PRODUCT"),
        ("usb:04b8:zzzz", "hex VENDOR:PRODUCT"),
        ("usb:12345:0e15", "hex VENDOR:PRODUCT"),
        ("usb:0000:0000", "must not be 0000"),
        ("usb:04b8:0e15?in_ep=0x100", "in_ep"),
        ("file:", "missing file path"),
        ("file://server/share/x.bin", "local path"),
        ("emulator:bad name", "emulator name"),
        ("tcp://p?profile=NoSuchPrinter", "unknown printer profile"),
        ("tcp://p?paper=76", "paper must be 58 or 80"),
        ("tcp://p?status=maybe", "status must be on or off"),
    ],
)
def test_bad_urls_have_clear_messages(url, message):
    with pytest.raises(PrinterURLError) as info:
        parse_printer_url(url)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
