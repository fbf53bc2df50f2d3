"""Printer states and the printed ticket's payload, on plain values."""
from __future__ import annotations

import json

import pytest

from servicepoint.domain.printing import PrinterStatus, TicketPayload

# What a branch expects of each state: may a new job be sent, and did the printer
# say it can print now.
EXPECTED = {
    "ok": (True, True),
    "paper_low": (True, True),
    "paper_out": (False, False),
    "cover_open": (False, False),
    "offline": (False, False),
    "no_reply": (False, False),
    "unknown": (True, False),
}


def test_the_vocabulary_is_exactly_these_states():
    assert [s.value for s in PrinterStatus] == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_printable_and_ready(name):
    status = PrinterStatus(name)
    assert (status.printable, status.ready) == EXPECTED[name]
    assert status == name and f"{status}" == name  # stored and shown by its plain name


@pytest.mark.parametrize("value", [None, "", "OK", "jammed", "paper low"])
def test_an_unknown_name_parses_as_unknown(value):
    assert PrinterStatus.parse(value) is PrinterStatus.UNKNOWN


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_known_name_parses_as_itself(name):
    assert PrinterStatus.parse(name) is PrinterStatus(name)


FULL = TicketPayload(
    number="A042", service="A", service_name="Accounts & Cards", language="es",
    issued_at="2026-03-02T09:41:00Z", timezone="Europe/Madrid", people_ahead=3,
    estimated_wait_s=600, estimated_wait_range_s=(540, 900),
    track_url="https://branch.example/t/8f3a2c", branch_name="Central Branch",
)


def test_the_stored_form_spells_every_key_once():
    assert FULL.to_dict() == {
        "number": "A042", "service": "A", "service_name": "Accounts & Cards", "language": "es",
        "issued_at": "2026-03-02T09:41:00Z", "timezone": "Europe/Madrid", "people_ahead": 3,
        "estimated_wait_s": 600, "estimated_wait_range_s": [540, 900],
        "track_url": "https://branch.example/t/8f3a2c", "branch_name": "Central Branch",
        "no_counter_open": False,
    }


def test_a_payload_survives_json_storage():
    stored = json.loads(json.dumps(FULL.to_dict()))
    assert TicketPayload.from_dict(stored) == FULL


def test_a_minimal_payload_gets_its_defaults():
    payload = TicketPayload.from_dict({"number": 17, "service": "B", "colour": "red"})
    assert payload == TicketPayload(number="17", service="B", service_name="B")
    assert (payload.language, payload.timezone, payload.estimated_wait_range_s) == ("en", "UTC",
                                                                                    None)
    assert payload.to_dict()["estimated_wait_range_s"] is None
    assert TicketPayload.from_dict({"number": "C001"}).service_name == ""


def test_the_range_is_read_back_as_whole_seconds():
    payload = TicketPayload.from_dict({"number": "A1", "estimated_wait_range_s": ["60", 120.0]})
    assert payload.estimated_wait_range_s == (60, 120)


def test_a_payload_is_frozen():
    with pytest.raises(AttributeError):
        FULL.number = "B001"  # type: ignore[misc]


@pytest.mark.parametrize("bad, error", [({"service": "A"}, KeyError), (["A042"], TypeError),
                                        ("A042", TypeError)])
def test_a_broken_stored_payload_is_refused(bad, error):
    with pytest.raises(error):
        TicketPayload.from_dict(bad)
