"""DLE EOT reply parsing against the ESC/POS bit definitions."""

from __future__ import annotations

import pytest

from hardware.status import (
    ErrorCause,
    OfflineCause,
    PaperSensor,
    PrinterState,
    StatusReport,
    parse_dle_eot,
    status_label,
    summarize,
    valid_status_byte,
)
from servicepoint.domain.printing import PrinterStatus

OK1, OK2, OK4 = PrinterState(False, False, False, False), OfflineCause(False, False, False, False), PaperSensor(False, False)


def test_fixed_bits():
    assert valid_status_byte(0x12)
    assert valid_status_byte(0x12 | 0x04 | 0x08 | 0x20 | 0x40)  # variable bits may be anything
    for bad in (0x00, 0x10, 0x02, 0x13, 0x92, 0xFF, 0x16 & ~0x10, 0x10 | 0x04):
        assert not valid_status_byte(bad), hex(bad)


def test_printer_status_n1():
    assert parse_dle_eot(1, 0x12) == OK1
    assert parse_dle_eot(1, 0x16) == PrinterState(True, False, False, False)  # drawer pin high
    assert parse_dle_eot(1, 0x1A) == PrinterState(False, True, False, False)  # offline
    assert parse_dle_eot(1, 0x32) == PrinterState(False, False, True, False)  # waiting for recovery
    assert parse_dle_eot(1, 0x52) == PrinterState(False, False, False, True)  # feed button


def test_offline_cause_n2():
    assert parse_dle_eot(2, 0x12) == OK2
    assert parse_dle_eot(2, 0x16).cover_open
    assert parse_dle_eot(2, 0x1A).feeding
    assert parse_dle_eot(2, 0x32).paper_end_stop
    assert parse_dle_eot(2, 0x52).error


def test_error_cause_n3():
    assert parse_dle_eot(3, 0x12) == ErrorCause(False, False, False, False)
    assert parse_dle_eot(3, 0x1A).cutter_error
    assert parse_dle_eot(3, 0x32).unrecoverable
    assert parse_dle_eot(3, 0x52).auto_recoverable


def test_paper_sensor_n4():
    assert parse_dle_eot(4, 0x12) == OK4
    assert parse_dle_eot(4, 0x1E) == PaperSensor(True, False)  # near end (bits 2,3 = 0x0C)
    assert parse_dle_eot(4, 0x16) == PaperSensor(True, False)  # one near-end sensor only
    assert parse_dle_eot(4, 0x72) == PaperSensor(False, True)  # paper end (bits 5,6 = 0x60)
    assert parse_dle_eot(4, 0x7E) == PaperSensor(True, True)


@pytest.mark.parametrize("byte", [0x00, 0xFF, 0x10, 0x04, 0x01, 0x93, 0x8A])
def test_garbled_bytes_are_rejected(byte):
    for n in (1, 2, 3, 4):
        assert parse_dle_eot(n, byte) is None


def test_bad_arguments():
    with pytest.raises(ValueError):
        parse_dle_eot(5, 0x12)
    with pytest.raises(ValueError):
        parse_dle_eot(1, 256)


@pytest.mark.parametrize(
    ("n1", "n2", "n3", "n4", "expected"),
    [
        (0x12, 0x12, None, 0x12, PrinterStatus.OK),
        (0x12, 0x12, None, 0x1E, PrinterStatus.PAPER_LOW),
        (0x1A, 0x32, None, 0x7E, PrinterStatus.PAPER_OUT),
        (0x1A, 0x16, None, 0x12, PrinterStatus.COVER_OPEN),
        (0x1A, 0x16, None, 0x7E, PrinterStatus.COVER_OPEN),  # cover first: it must be closed anyway
        (0x1A, 0x52, 0x1A, 0x12, PrinterStatus.OFFLINE),
        (0x12, 0x12, None, 0x72, PrinterStatus.PAPER_OUT),
    ],
)
def test_summarize(n1, n2, n3, n4, expected):
    status, detail = summarize(parse_dle_eot(1, n1), parse_dle_eot(2, n2),
                               parse_dle_eot(3, n3) if n3 else None, parse_dle_eot(4, n4))
    assert status is expected and detail


def test_summarize_error_detail_and_report():
    status, detail = summarize(parse_dle_eot(1, 0x1A), parse_dle_eot(2, 0x52), parse_dle_eot(3, 0x1A), OK4)
    assert status is PrinterStatus.OFFLINE and "cutter" in detail
    report = StatusReport(PrinterStatus.PAPER_LOW, "paper near end")
    assert report.ready and str(report) == "paper_low: paper near end"
    assert report.checked_at.tzinfo is not None
    assert not StatusReport(PrinterStatus.NO_REPLY).ready


def test_every_status_has_one_technician_label():
    labels = {status: status_label(status.value) for status in PrinterStatus}
    assert len(set(labels.values())) == len(PrinterStatus)  # no two states read alike
    assert (labels[PrinterStatus.NO_REPLY], labels[PrinterStatus.UNKNOWN]) == ("Not answering", "Not checked yet")
    assert status_label(None) == status_label("melting") == "Not checked yet"
