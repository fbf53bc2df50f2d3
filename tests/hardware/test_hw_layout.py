"""Ticket layout: blocks, labels, waits, local time, templates."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from hardware.layout import (
    QR,
    BigNumber,
    Cut,
    Feed,
    Logo,
    Rule,
    Text,
    build_test_layout,
    build_ticket_layout,
    format_local_time,
    format_wait,
)
from hardware.texts import CATALOGUE
from servicepoint.domain.printing import TicketPayload
from servicepoint.texts import lookup

LANGUAGES = ("en", "es", "fr", "de", "ar", "pt")


def texts(blocks):
    return [b.text for b in blocks if isinstance(b, Text)]


def test_reference_layout(ticket):
    blocks = build_ticket_layout(ticket, {})
    assert blocks == [
        Text("Central Branch", bold=True, align="center"),
        Feed(1),
        Text("Your number", align="center"),
        BigNumber("A042"),
        Text("Accounts & Cards", size=(1, 2), bold=True, align="center"),
        Rule(),
        Text("People ahead: 3"),
        Text("Estimated wait: about 9\u201315 min"),
        Rule(),
        QR("https://sp.example/t/8f3a2c"),
        Text("Scan to follow your turn", align="center"),
        Text("Issued 2025-03-14 10:41", align="center"),
        Cut(),
    ]


@pytest.mark.parametrize(
    ("seconds", "wait_range", "expected"),
    [
        (0, None, "less than 1 min"),
        (1, None, "1 min"),
        (60, None, "1 min"),
        (61, None, "2 min"),
        (-30, None, "less than 1 min"),
        (None, None, None),
        (600, (600, 900), "about 10\u201315 min"),
        (600, (0, 300), "up to 5 min"),
        (600, (0, 0), "less than 1 min"),
        (600, (590, 600), "10 min"),  # narrower than the domain's range rule: its upper end
        (None, (900, 600), "about 10\u201315 min"),
        (600, (61, 900), "about 2\u201315 min"),  # both ends rounded up
    ],
)
def test_format_wait(seconds, wait_range, expected):
    assert format_wait(seconds, wait_range, "en") == expected


def test_wait_is_rounded_up_in_every_language():
    assert format_wait(61, None, "es") == "2 min"
    assert format_wait(600, (540, 900), "de") == "etwa 9\u201315 Min."
    assert format_wait(600, (540, 900), "pt-BR") == "cerca de 9\u201315 min"
    assert format_wait(0, None, "fr") == "moins d'1 min"


def test_the_printed_wait_follows_the_shared_range_rule(monkeypatch):
    """The paper words the wait with servicepoint.texts.wait_text and the domain's is_range."""
    from servicepoint.domain import estimate

    assert format_wait(600, (540, 900), "en") == "about 9\u201315 min"
    monkeypatch.setattr(estimate, "is_range", lambda low_s, high_s: False)
    assert format_wait(600, (540, 900), "en") == "15 min"


def test_local_time_in_branch_zone():
    issued = datetime(2025, 7, 1, 22, 30, tzinfo=timezone.utc)
    assert format_local_time(issued, "Europe/Madrid") == "2025-07-02 00:30"  # summer time, next day
    assert format_local_time(issued, "America/New_York") == "2025-07-01 18:30"
    assert format_local_time(issued, "Not/AZone") == "2025-07-01 22:30 UTC"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_local_time(datetime(2025, 7, 1), "Europe/Madrid")


def test_every_printed_text_is_in_every_language():
    from servicepoint import catalogs

    for lang in LANGUAGES:
        assert [k for k, e in CATALOGUE.items() if not catalogs.has(e, lang)] == [], lang


@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_translated(language, ticket):
    blocks = build_ticket_layout(dataclasses.replace(ticket, language=language))
    assert lookup(CATALOGUE, "your_number", language) in texts(blocks)
    if language != "en":
        assert lookup(CATALOGUE, "your_number", language) != lookup(CATALOGUE, "your_number", "en")


def test_unknown_language_falls_back_to_english(ticket):
    assert "Your number" in texts(build_ticket_layout(dataclasses.replace(ticket, language="xx")))
    assert "A sua senha" in texts(build_ticket_layout(dataclasses.replace(ticket, language="pt-BR")))


def test_arabic_label_lines_are_right_aligned(ticket):
    blocks = build_ticket_layout(dataclasses.replace(ticket, language="ar"))
    people = next(b for b in blocks if isinstance(b, Text) and "3" in b.text and "2025" not in b.text)
    assert people.align == "right"


def test_template_options(ticket):
    template = {
        "logo_path": "/srv/logo.png",
        "branch_name": "Plaza Mayor",
        "greeting": {"es": "Bienvenido", "en": "Welcome"},
        "footer": {"en": "Thank you"},
        "show_qr": False,
        "show_wait": False,
    }
    blocks = build_ticket_layout(dataclasses.replace(ticket, language="es"), template)
    assert blocks[0] == Logo("/srv/logo.png")
    assert texts(blocks)[:2] == ["Plaza Mayor", "Bienvenido"]
    assert "Thank you" in texts(blocks)  # footer falls back to English
    assert not any(isinstance(b, QR) for b in blocks)
    assert not any("Espera" in t for t in texts(blocks))


def test_no_one_ahead_and_missing_optional_fields():
    blocks = build_ticket_layout(TicketPayload(number="B001", service="", service_name="", people_ahead=0))
    assert "You are next" in texts(blocks)
    assert BigNumber("B001") in blocks and blocks[-1] == Cut()
    assert not any(isinstance(b, QR) for b in blocks)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_counter_open_is_printed_instead_of_a_wait(language):
    payload = TicketPayload(number="D001", service="D", service_name="", language=language,
                            people_ahead=3, estimated_wait_s=None, no_counter_open=True)
    printed = texts(build_ticket_layout(payload))
    assert lookup(CATALOGUE, "no_counter_open", language) in printed
    assert not any(t.startswith(lookup(CATALOGUE, "estimated_wait", language, wait="")[:6])
                   for t in printed)
    hidden = texts(build_ticket_layout(payload, {"show_wait": False}))
    assert lookup(CATALOGUE, "no_counter_open", language) not in hidden


def test_block_validation():
    with pytest.raises(ValueError):
        Text("x", size=(9, 1))
    with pytest.raises(ValueError):
        Text("x", size=(0, 1))
    with pytest.raises(ValueError):
        Text("x", align="middle")
    with pytest.raises(ValueError):
        QR("")
    with pytest.raises(ValueError):
        QR("x", size=17)
    with pytest.raises(ValueError):
        Feed(0)
    with pytest.raises(ValueError):
        BigNumber("")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Text("x").text = "y"  # frozen


def test_test_layout_is_deterministic_and_complete():
    blocks = build_test_layout("Kiosk 1", "tcp://192.0.2.10:9100")
    assert blocks == build_test_layout("Kiosk 1", "tcp://192.0.2.10:9100")
    assert QR("tcp://192.0.2.10:9100") in blocks and blocks[-1] == Cut()
    assert "Printer: Kiosk 1" in texts(blocks)
    stamped = build_test_layout("K", "u", now=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    assert "Time: 2025-01-02 03:04 UTC" in texts(stamped)
