"""The rules a valid branch setup follows: loose input in, frozen values or every error out.

Services, counters, staff accounts, printers, devices and branch settings arrive
from a web form, the JSON API or a TOML file as mappings. ``parse_*`` read them
leniently where people type ("600" for 600, "on" for true) and strictly where it
matters (a service code is 1–3 letters, opening hours are ordered), and raise
:class:`~servicepoint.domain.branch.InvalidSetup` naming each bad field.

Standard library only.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable, Iterable, Mapping

from .branch import (
    DEVICE_KINDS,
    DISPLAY_FIELDS,
    MAX_BREAK_REASONS,
    ORIENTATIONS,
    ROLES,
    SPEECH_NUMBER_STYLES,
    BranchSettings,
    CounterSpec,
    DeviceSpec,
    InvalidSetup,
    PrinterSpec,
    ServiceSpec,
    StaffSpec,
)
from .fields import LANGUAGE, Fields
from .hours import WEEKDAYS, DayHours, Hours

_CODE = re.compile(r"[A-Z]{1,3}")
_COUNTER_CODE = re.compile(r"[A-Za-z0-9]{1,8}")
_DEVICE_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_ICON = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


# -- parsing -----------------------------------------------------------------

SERVICE_FIELDS = ("code", "names", "descriptions", "icon", "category", "hours", "target_wait_s",
                  "service_level_goal", "weight", "default_service_s", "enabled", "sort")


def parse_service(raw: Mapping[str, Any], *, first_language: str | None = None) -> ServiceSpec:
    """A valid :class:`ServiceSpec` from ``raw``; raises :class:`InvalidSetup`.

    ``first_language``: the branch's first kiosk language, in which a name is required.
    """
    f = Fields(raw, SERVICE_FIELDS)
    code = f.text("code", required=True, max_len=3).upper()
    if code and not f.has("code") and not _CODE.fullmatch(code):
        f.fail("code", "setup.service_code",
               "must be 1 to 3 letters A-Z (a digit would run into the ticket number)")
    spec = ServiceSpec(
        code=code,
        names=f.languages_map("names", max_len=60, required_language=first_language),
        descriptions=f.languages_map("descriptions", max_len=200, required_language=None),
        icon=f.text("icon", max_len=32),
        category=f.text("category", max_len=40),
        hours=_parse_hours(f, f.raw.get("hours")),
        target_wait_s=f.integer("target_wait_s", 600, 30, 86_400),
        service_level_goal=f.number("service_level_goal", 0.8, 0.0, 1.0, lo_open=True),
        weight=f.number("weight", 1.0, 0.0, 100.0, lo_open=True),
        default_service_s=f.integer("default_service_s", 300, 10, 86_400),
        enabled=f.boolean("enabled", True),
        sort=f.integer("sort", 0, 0, 10_000),
    )
    if not f.errors and not spec.names:
        f.fail("names", "setup.name_required", "a service needs a name in at least one language")
    if spec.icon and not _ICON.fullmatch(spec.icon):
        f.fail("icon", "setup.bad_icon", "must be an icon name: lower-case letters, digits and -")
    f.done()
    return spec


def _parse_hours(f: Fields, value: Any) -> Hours:
    if value in (None, "", {}):
        return Hours()
    if not isinstance(value, Mapping):
        f.fail("hours", "setup.not_table", "must give hours per weekday, e.g. mon = {open = …}")
        return Hours()
    days = []
    for name, day in value.items():
        field = f"hours.{name}"
        if name not in WEEKDAYS:
            f.fail(field, "setup.bad_weekday", f"is not a weekday; use {', '.join(WEEKDAYS)}")
            continue
        if day in (None, "", {}, "closed"):
            continue
        if not isinstance(day, Mapping) or not set(day) <= {"open", "close", "last_ticket"}:
            f.fail(field, "setup.bad_day_hours",
                   "must be {open = \"HH:MM\", last_ticket = \"HH:MM\", close = \"HH:MM\"}")
            continue
        opens = f.time_of_day(f"{field}.open", day.get("open"))
        closes = f.time_of_day(f"{field}.close", day.get("close"))
        last = (f.time_of_day(f"{field}.last_ticket", day["last_ticket"])
                if day.get("last_ticket") else closes)
        if opens is None or closes is None or last is None:
            continue
        if not opens < closes:
            f.fail(f"{field}.close", "setup.close_before_open", "must be after the opening time")
        elif not opens < last <= closes:
            f.fail(f"{field}.last_ticket", "setup.last_ticket_outside",
                   "must be after opening and no later than closing")
        else:
            days.append((name, DayHours(opens, closes, last)))
    days.sort(key=lambda item: WEEKDAYS.index(item[0]))
    if not days and not f.errors:
        # Every day closed would silently hide the service; disabling says so plainly.
        f.fail("hours", "setup.never_open", "opens on no day; disable the service instead")
    return Hours(tuple(days))


COUNTER_FIELDS = ("code", "name", "location", "services", "enabled", "spoken")


def parse_counter(raw: Mapping[str, Any], *, known_services: Iterable[str] | None = None
                  ) -> CounterSpec:
    """A valid :class:`CounterSpec`; ``known_services`` checks the services exist."""
    f = Fields(raw, COUNTER_FIELDS)
    code = f.text("code", required=True, max_len=8)
    if code and not f.has("code") and not _COUNTER_CODE.fullmatch(code):
        f.fail("code", "setup.counter_code", "must be 1 to 8 letters or digits")
    services = [s.upper() for s in (f.text_list("services", []) or [])]
    known = set(known_services) if known_services is not None else None
    for i, svc in enumerate(services):
        if known is not None and svc not in known:
            f.fail(f"services[{i}]", "setup.unknown_service", f"there is no service {svc!r}")
    if len(set(services)) != len(services):
        f.fail("services", "setup.duplicate", "lists a service twice")
    spec = CounterSpec(code=code, name=f.text("name", required=True, max_len=40),
                       location=f.text("location", max_len=80), services=tuple(services),
                       enabled=f.boolean("enabled", True),
                       spoken=f.languages_map("spoken", max_len=60, required_language=None))
    f.done()
    return spec


STAFF_FIELDS = ("username", "display_name", "role", "active", "password")


def parse_staff(raw: Mapping[str, Any]) -> StaffSpec:
    """A valid :class:`StaffSpec` (a ``password`` in ``raw`` is checked by :func:`check_password`)."""
    f = Fields(raw, STAFF_FIELDS)
    username = f.text("username", required=True, max_len=64)
    if username and not f.has("username") and not _USERNAME.fullmatch(username):
        f.fail("username", "setup.bad_username",
               "may hold letters, digits and . _ @ - and must start with a letter or digit")
    role = f.text("role", "staff", max_len=20)
    if role not in ROLES:
        f.fail("role", "setup.bad_role", f"must be one of: {', '.join(ROLES)}")
    spec = StaffSpec(username=username,
                     display_name=f.text("display_name", max_len=60) or username,
                     role=role, active=f.boolean("active", True))
    f.done()
    return spec


MIN_PASSWORD = 8


def check_password(password: Any, field: str = "password", *, min_len: int = MIN_PASSWORD) -> str:
    """The password if it is acceptable; raises :class:`InvalidSetup` otherwise."""
    if not isinstance(password, str) or len(password) < max(1, min_len):
        raise InvalidSetup.one(field, "setup.short_password",
                               f"must have at least {max(1, min_len)} characters")
    if len(password) > 256:
        raise InvalidSetup.one(field, "setup.too_long", "must be at most 256 characters")
    return password


PRINTER_FIELDS = ("name", "url", "paper_mm", "profile", "mode", "enabled")


def parse_printer(raw: Mapping[str, Any]) -> PrinterSpec:
    """A valid :class:`PrinterSpec` (the URL's scheme is checked by the hardware layer)."""
    f = Fields(raw, PRINTER_FIELDS)
    spec = PrinterSpec(name=f.text("name", required=True, max_len=60),
                       url=f.text("url", required=True, max_len=200),
                       paper_mm=f.integer("paper_mm", 80, 58, 80),
                       profile=f.text("profile", "default", max_len=40) or "default",
                       mode=f.text("mode", "server", max_len=10),
                       enabled=f.boolean("enabled", True))
    if spec.paper_mm not in (58, 80):
        f.fail("paper_mm", "setup.bad_paper", "must be 58 or 80")
    if spec.mode not in ("server", "agent"):
        f.fail("mode", "setup.bad_mode", "must be server or agent")
    f.done()
    return spec


DEVICE_FIELDS = ("code", "kind", "name", "language", "printer", "services", "rate_per_min",
                 *DISPLAY_FIELDS)


def parse_device(raw: Mapping[str, Any], *, known_services: Iterable[str] | None = None,
                 known_printers: Iterable[str] | None = None,
                 known_counters: Iterable[str] | None = None) -> DeviceSpec:
    """A valid :class:`DeviceSpec` for a kiosk or a display (see its fields)."""
    f = Fields(raw, DEVICE_FIELDS)
    code = f.text("code", required=True, max_len=16)
    if code and not f.has("code") and not _DEVICE_CODE.fullmatch(code):
        f.fail("code", "setup.device_code", "must be 1 to 16 letters, digits, _ or -")
    kind = f.text("kind", required=True, max_len=10)
    if kind and kind not in DEVICE_KINDS:
        f.fail("kind", "setup.bad_kind", f"must be one of: {', '.join(DEVICE_KINDS)}")
    language = f.text("language", "en", max_len=12) or "en"
    if not LANGUAGE.fullmatch(language):
        f.fail("language", "setup.bad_language", "is not a language code such as en or pt-BR")
    printer = f.text("printer", max_len=60) or None
    if printer is not None and kind == "display":
        f.fail("printer", "setup.display_printer", "displays do not print")
    elif printer is not None and known_printers is not None and printer not in set(known_printers):
        f.fail("printer", "setup.unknown_printer", f"there is no printer named {printer!r}")
    services = f.text_list("services", None)
    if services is not None:
        services = [s.upper() for s in services]
        known = set(known_services) if known_services is not None else None
        for i, svc in enumerate(services):
            if known is not None and svc not in known:
                f.fail(f"services[{i}]", "setup.unknown_service", f"there is no service {svc!r}")
    rate = None
    if f.raw.get("rate_per_min") not in (None, ""):
        if kind == "display":
            f.fail("rate_per_min", "setup.kiosk_only", "only a kiosk issues tickets")
        else:
            rate = f.integer("rate_per_min", 20, 1, 600)
    display = _display_fields(f, kind, known_counters)
    if display.get("languages"):
        language = display["languages"][0]
    spec = DeviceSpec(code=code, kind=kind, name=f.text("name", required=True, max_len=60),
                      language=language, printer=printer,
                      services=tuple(services) if services is not None else None,
                      rate_per_min=rate, **display)
    f.done()
    return spec


def _display_fields(f: Fields, kind: str, known_counters: Iterable[str] | None) -> dict:
    """A display's counters, languages, orientation and message (each None when not given)."""
    given = [name for name in DISPLAY_FIELDS if f.raw.get(name) is not None]
    if kind != "display":
        for name in given:
            f.fail(name, "setup.display_only", "only a display has this")
        return {}
    out: dict[str, Any] = {}
    counters = f.text_list("counters", None)
    if counters is not None:
        known = set(known_counters) if known_counters is not None else None
        for i, code in enumerate(counters):
            if known is not None and code not in known:
                f.fail(f"counters[{i}]", "setup.unknown_counter", f"there is no counter {code!r}")
        out["counters"] = tuple(counters)
    languages = f.text_list("languages", None)
    if languages is not None:
        for i, lang in enumerate(languages):
            if not LANGUAGE.fullmatch(lang):
                f.fail(f"languages[{i}]", "setup.bad_language",
                       "is not a language code such as en or pt-BR")
        if not languages:
            f.fail("languages", "setup.required", "needs at least one language")
        elif len(set(languages)) != len(languages):
            f.fail("languages", "setup.duplicate", "lists a language twice")
        out["languages"] = tuple(languages) or None
    orientation = f.text("orientation", max_len=12) or None
    if orientation is not None and orientation not in ORIENTATIONS:
        f.fail("orientation", "setup.bad_orientation",
               f"must be one of: {', '.join(ORIENTATIONS)}")
    out["orientation"] = orientation
    message = f.text("message", max_len=120) or None
    out["message"] = message
    return out


SETTINGS_FIELDS = ("name", "timezone", "kiosk_languages", "auto_no_show_recalls",
                   "priority_question", "closing_time", "retention_days", "trusted_proxies",
                   "speech_numbers", "break_reasons")


def parse_settings(raw: Mapping[str, Any], base: BranchSettings | None = None, *,
                   zone_exists: Callable[[str], bool] = lambda name: bool(name)
                   ) -> BranchSettings:
    """``base`` with the fields given in ``raw`` changed; raises :class:`InvalidSetup`.

    ``zone_exists`` tells whether a time zone name is known (the time zone
    database is outside the domain).
    """
    base = base or BranchSettings()
    f = Fields(raw, SETTINGS_FIELDS)
    merged = {**base.as_dict(), **f.raw}
    f.raw = merged
    timezone = f.text("timezone", required=True, max_len=64)
    if timezone and not zone_exists(timezone):
        f.fail("timezone", "setup.bad_timezone",
               "is not a time zone; use an IANA name such as Europe/Madrid")
    languages = f.text_list("kiosk_languages", base.kiosk_languages) or []
    for i, lang in enumerate(languages):
        if not LANGUAGE.fullmatch(lang):
            f.fail(f"kiosk_languages[{i}]", "setup.bad_language",
                   "is not a language code such as en or pt-BR")
    if not languages:
        f.fail("kiosk_languages", "setup.required", "needs at least one language")
    elif len(set(languages)) != len(languages):
        f.fail("kiosk_languages", "setup.duplicate", "lists a language twice")
    closing = merged.get("closing_time")
    closing_time = None if closing in (None, "") else f.time_of_day("closing_time", closing)
    proxies = f.text_list("trusted_proxies", base.trusted_proxies) or []
    normalised = []
    for i, proxy in enumerate(proxies):
        try:
            normalised.append(str(ipaddress.ip_network(proxy, strict=False)))
        except ValueError:
            f.fail(f"trusted_proxies[{i}]", "setup.bad_network",
                   "is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24")
    reasons = f.lines("break_reasons", base.break_reasons)
    for i, reason in enumerate(reasons):
        if len(reason) > 40:
            f.fail(f"break_reasons[{i}]", "setup.too_long", "must be at most 40 characters")
        elif any(ord(c) < 32 for c in reason):
            f.fail(f"break_reasons[{i}]", "setup.control_chars",
                   "must not contain control characters")
    if len(reasons) > MAX_BREAK_REASONS:
        f.fail("break_reasons", "setup.too_many", f"lists at most {MAX_BREAK_REASONS} reasons")
    elif len({r.casefold() for r in reasons}) != len(reasons):
        f.fail("break_reasons", "setup.duplicate", "lists a reason twice")
    settings = BranchSettings(
        name=f.text("name", required=True, max_len=60),
        timezone=timezone,
        kiosk_languages=tuple(languages),
        auto_no_show_recalls=f.integer("auto_no_show_recalls", 0, 0, 10),
        priority_question=f.boolean("priority_question", True),
        closing_time=closing_time,
        retention_days=f.integer("retention_days", 90, 1, 3650),
        trusted_proxies=tuple(normalised),
        speech_numbers=f.text("speech_numbers", base.speech_numbers, max_len=10),
        break_reasons=tuple(reasons),
    )
    if settings.speech_numbers not in SPEECH_NUMBER_STYLES:
        f.fail("speech_numbers", "setup.bad_speech_numbers",
               f"must be one of: {', '.join(SPEECH_NUMBER_STYLES)}")
    f.done()
    return settings
