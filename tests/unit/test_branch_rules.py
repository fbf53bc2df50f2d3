"""The setup rules on plain values: every bad field named, lenient where people type."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from servicepoint.domain.branch import BranchSettings, InvalidSetup
from servicepoint.domain.branch_rules import (
    check_password,
    parse_counter,
    parse_device,
    parse_service,
    parse_settings,
    parse_staff,
)
from servicepoint.domain.hours import DayHours, Hours
from servicepoint.domain.upkeep import (
    KEPT_EVENT_KEYS,
    closing_instant,
    last_due_close,
    next_close,
    retention_cutoff,
    scrub,
)

MADRID = ZoneInfo("Europe/Madrid")


def errors(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e.field: e.key for e in exc.value.errors}


def test_a_service_from_form_text_and_from_typed_values_is_the_same():
    typed = parse_service({"code": "a", "names": {"en": "General", "es": "General"},
                           "target_wait_s": 600, "weight": 1.5, "enabled": True},
                          first_language="en")
    typed_from_text = parse_service({"code": " A ", "names": {"en": "General", "es": "General"},
                                     "target_wait_s": "600", "weight": "1.5", "enabled": "on"},
                                    first_language="en")
    assert typed == typed_from_text
    assert typed.code == "A" and typed.weight == 1.5 and typed.hours.always_open


def test_every_bad_service_field_is_reported_at_once():
    with pytest.raises(InvalidSetup) as exc:
        parse_service({"code": "A1", "names": {"es": "x", "EN!": "y"}, "target_wait_s": True,
                       "service_level_goal": 80, "weight": 0, "icon": "Big Icon",
                       "colour": "red"}, first_language="en")
    assert errors(exc) == {
        "code": "setup.service_code", "names.EN!": "setup.bad_language",
        "names.en": "setup.name_required", "target_wait_s": "setup.not_integer",
        "service_level_goal": "setup.out_of_range", "weight": "setup.out_of_range",
        "icon": "setup.bad_icon", "colour": "setup.unknown_field"}
    assert "code: must be 1 to 3 letters" in str(exc.value)


@pytest.mark.parametrize("code", ["", "ABCD", "Ñ", "A-"])
def test_service_codes_are_one_to_three_letters(code):
    with pytest.raises(InvalidSetup) as exc:
        parse_service({"code": code, "names": {"en": "x"}})
    assert list(errors(exc)) == ["code"]


def test_opening_hours_are_ordered_and_take_tickets_until_the_last_ticket_time():
    spec = parse_service({"code": "H", "names": {"en": "x"}, "hours": {
        "mon": {"open": "08:30", "last_ticket": "13:45", "close": "14:00"},
        "sat": {"open": "09:00", "close": "12:00"}, "sun": "closed"}})
    assert spec.hours.on("sat") == DayHours(dt.time(9), dt.time(12), dt.time(12))
    monday = dt.datetime(2026, 3, 2, tzinfo=MADRID)
    assert not spec.hours.accepts_tickets_at(monday.replace(hour=8, minute=29))
    assert spec.hours.accepts_tickets_at(monday.replace(hour=8, minute=30))
    assert spec.hours.accepts_tickets_at(monday.replace(hour=13, minute=44))
    assert not spec.hours.accepts_tickets_at(monday.replace(hour=13, minute=45))
    assert not spec.hours.accepts_tickets_at(monday.replace(day=3, hour=10))  # Tuesday: closed
    assert Hours.from_dict(spec.hours.as_dict()) == spec.hours


@pytest.mark.parametrize("day,field,key", [
    ({"open": "14:00", "close": "08:00"}, "hours.mon.close", "setup.close_before_open"),
    ({"open": "08:00", "close": "14:00", "last_ticket": "15:00"}, "hours.mon.last_ticket",
     "setup.last_ticket_outside"),
    ({"open": "8am", "close": "14:00"}, "hours.mon.open", "setup.bad_time"),
    ({"open": "08:00", "shut": "14:00"}, "hours.mon", "setup.bad_day_hours"),
])
def test_bad_opening_hours_name_the_day_and_field(day, field, key):
    with pytest.raises(InvalidSetup) as exc:
        parse_service({"code": "H", "names": {"en": "x"}, "hours": {"mon": day}})
    assert errors(exc) == {field: key}


def test_hours_that_never_open_are_refused_rather_than_hiding_the_service():
    with pytest.raises(InvalidSetup) as exc:
        parse_service({"code": "H", "names": {"en": "x"}, "hours": {"mon": "closed"}})
    assert errors(exc) == {"hours": "setup.never_open"}


def test_a_counter_serves_known_services_in_order_without_repeats():
    spec = parse_counter({"code": "3", "name": "Counter 3", "services": "c, a"},
                         known_services=["A", "C"])
    assert spec.services == ("C", "A")
    with pytest.raises(InvalidSetup) as exc:
        parse_counter({"code": "3 b", "name": "", "services": ["A", "Z", "A"]},
                      known_services=["A"])
    assert errors(exc) == {"code": "setup.counter_code", "name": "setup.required",
                           "services[1]": "setup.unknown_service", "services": "setup.duplicate"}


def test_staff_roles_names_and_passwords():
    assert parse_staff({"username": "ana", "role": "manager"}).display_name == "ana"
    with pytest.raises(InvalidSetup) as exc:
        parse_staff({"username": "-ana", "role": "boss"})
    assert errors(exc) == {"username": "setup.bad_username", "role": "setup.bad_role"}
    with pytest.raises(InvalidSetup) as exc:
        check_password("short")
    assert errors(exc) == {"password": "setup.short_password"}
    assert check_password("long enough") == "long enough"


def test_devices_check_their_printer_and_services():
    with pytest.raises(InvalidSetup) as exc:
        parse_device({"code": "D1", "kind": "display", "name": "Lobby", "printer": "P"},
                     known_printers=["P"])
    assert errors(exc) == {"printer": "setup.display_printer"}
    with pytest.raises(InvalidSetup) as exc:
        parse_device({"code": "K1", "kind": "kiosk", "name": "K", "printer": "Q",
                      "services": ["A", "X"]}, known_services=["A"], known_printers=["P"])
    assert errors(exc) == {"printer": "setup.unknown_printer", "services[1]": "setup.unknown_service"}


def test_settings_change_only_what_is_given_and_check_each_field():
    base = BranchSettings(name="Main street", timezone="Europe/Madrid")
    changed = parse_settings({"closing_time": "20:00", "trusted_proxies": ["10.0.0.1", "10.1.0.0/16"]},
                             base)
    assert changed.name == "Main street" and changed.closing_time == dt.time(20)
    assert changed.trusted_proxies == ("10.0.0.1/32", "10.1.0.0/16")
    with pytest.raises(InvalidSetup) as exc:
        parse_settings({"timezone": "Mars/Olympus", "kiosk_languages": [], "retention_days": 0,
                        "trusted_proxies": ["example.com"], "closing_time": "25:00",
                        "auto_no_show_recalls": "x"}, base, zone_exists=lambda n: n != "Mars/Olympus")
    assert errors(exc) == {"timezone": "setup.bad_timezone", "kiosk_languages": "setup.required",
                           "retention_days": "setup.out_of_range",
                           "trusted_proxies[0]": "setup.bad_network",
                           "closing_time": "setup.bad_time",
                           "auto_no_show_recalls": "setup.not_integer"}


def test_a_closing_time_closes_that_local_day_and_none_closes_at_midnight():
    assert closing_instant("2026-03-02", dt.time(20), MADRID) == dt.datetime(
        2026, 3, 2, 19, 0, tzinfo=dt.timezone.utc)
    assert closing_instant("2026-03-02", None, MADRID) == dt.datetime(
        2026, 3, 2, 23, 0, tzinfo=dt.timezone.utc)
    evening = dt.datetime(2026, 3, 2, 18, 59, tzinfo=dt.timezone.utc)  # 19:59 in Madrid
    assert last_due_close(evening, dt.time(20), MADRID) == "2026-03-01"
    assert last_due_close(evening + dt.timedelta(minutes=1), dt.time(20), MADRID) == "2026-03-02"
    assert last_due_close(evening, None, MADRID) == "2026-03-01"
    assert next_close(evening, dt.time(20), MADRID) == evening + dt.timedelta(minutes=1)


def test_retention_keeps_only_the_listed_keys():
    issue = {"number": "A001", "day": "2026-03-02", "seq": 1, "priority": "normal",
             "language": "es", "comment": "I am Ana, call me on 600 000 000"}
    assert scrub(issue, KEPT_EVENT_KEYS) == {"number": "A001", "day": "2026-03-02", "seq": 1,
                                             "priority": "normal"}
    now = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)
    assert retention_cutoff(now, 90) == now - dt.timedelta(days=90)
    with pytest.raises(ValueError):
        retention_cutoff(now, 0)
