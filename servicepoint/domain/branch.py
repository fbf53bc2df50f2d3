"""A branch's setup as plain values: services, counters, staff, printers, devices, settings.

``servicepoint.domain.branch_rules`` builds them from loose input and refuses
bad input with :class:`InvalidSetup`, which lists *every* bad field at once,
each with the field's name, a stable message key (for translated messages) and
an English text, so a form can mark its fields and a file import can name lines.

Standard library only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Iterable, Mapping

from .hours import Hours, hhmm
from .model import DomainError

ROLES = ("staff", "manager", "technician", "admin")
DEFAULT_BREAK_REASONS = ("Lunch", "Short break", "Back-office work", "Training")
MAX_BREAK_REASONS = 12
DEVICE_KINDS = ("kiosk", "display")
# How announcements read a ticket number: "A 0 4 2" (digits) or "A 42" (whole).
SPEECH_NUMBER_STYLES = ("digits", "whole")


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One bad field: ``field`` as the caller named it (``names.es``, ``hours.mon.open``)."""

    field: str
    key: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "key": self.key, "message": self.message}


class InvalidSetup(DomainError):
    """A setup change was refused; ``errors`` lists every bad field."""

    code = "invalid_setup"

    def __init__(self, errors: Iterable[FieldError]):
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors)
                         or "invalid setup")

    @classmethod
    def one(cls, field: str, key: str, message: str) -> "InvalidSetup":
        return cls([FieldError(field, key, message)])

    def prefixed(self, prefix: str) -> "InvalidSetup":
        """The same errors with ``prefix`` before every field (``services[2].``)."""
        return InvalidSetup(FieldError(prefix + e.field, e.key, e.message) for e in self.errors)


# -- values ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    """A service as configured. ``code`` is its ticket prefix and never changes."""

    code: str
    names: dict[str, str]
    descriptions: dict[str, str] = dataclasses.field(default_factory=dict)
    icon: str = ""
    category: str = ""
    hours: Hours = Hours()
    target_wait_s: int = 600
    service_level_goal: float = 0.8
    weight: float = 1.0
    default_service_s: int = 300
    enabled: bool = True
    sort: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["hours"] = self.hours.as_dict()
        return out


@dataclasses.dataclass(frozen=True)
class CounterSpec:
    """A counter: where it is and the services it serves, in order."""

    code: str
    name: str
    location: str = ""
    services: tuple[str, ...] = ()
    enabled: bool = True
    # How announcements say the counter, per language ("ventanilla tres"); a language
    # without one hears "counter <code>" in its own words.
    spoken: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["services"] = list(self.services)
        # Left out when unset, so a branch file without spoken names reads back the same.
        out["spoken"] = dict(self.spoken) or None
        return out


@dataclasses.dataclass(frozen=True)
class StaffSpec:
    """A staff account without its password (passwords never leave the store)."""

    username: str
    display_name: str
    role: str = "staff"
    active: bool = True

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PrinterSpec:
    """A ticket printer by name and URL (``tcp://…``, ``serial:…``, ``emulator:``)."""

    name: str
    url: str
    paper_mm: int = 80
    profile: str = "default"
    mode: str = "server"
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ORIENTATIONS = ("landscape", "portrait")
# What only a display has (a kiosk leaves them None).
DISPLAY_FIELDS = ("counters", "languages", "orientation", "message")


@dataclasses.dataclass(frozen=True)
class DeviceSpec:
    """A kiosk or display the branch expects (pairing binds a real screen to it).

    A display also says which ``counters`` it covers (None: all), the
    ``languages`` it shows and announces in order (None: just ``language``; when
    given, ``language`` is the first), its ``orientation`` (None: landscape) and a
    ``message`` line for the waiting room (None: none).
    """

    code: str
    kind: str
    name: str
    language: str = "en"
    printer: str | None = None  # printer name, kiosks only
    services: tuple[str, ...] | None = None  # None: every service
    counters: tuple[str, ...] | None = None  # displays: None = every counter
    languages: tuple[str, ...] | None = None  # displays: None = (language,)
    orientation: str | None = None  # displays: None = landscape
    message: str | None = None  # displays: the line shown under the board
    rate_per_min: int | None = None  # kiosks: tickets a minute; None = the server's default

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in ("services", "counters", "languages"):
            value = getattr(self, name)
            out[name] = None if value is None else list(value)
        return out


@dataclasses.dataclass(frozen=True)
class BranchSettings:
    """The branch-wide settings a manager edits."""

    name: str = "ServicePoint Branch"
    timezone: str = "UTC"
    kiosk_languages: tuple[str, ...] = ("en", "es")
    auto_no_show_recalls: int = 0  # 0: staff decide; N: the call after N recalls is a no-show
    priority_question: bool = True
    closing_time: dt.time | None = None  # None: the day closes at local midnight
    retention_days: int = 90
    trusted_proxies: tuple[str, ...] = ()
    speech_numbers: str = "digits"  # one of SPEECH_NUMBER_STYLES
    # What a clerk picks from when taking a break (none listed: a break needs no reason).
    break_reasons: tuple[str, ...] = DEFAULT_BREAK_REASONS

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["kiosk_languages"] = list(self.kiosk_languages)
        out["trusted_proxies"] = list(self.trusted_proxies)
        out["break_reasons"] = list(self.break_reasons)
        out["closing_time"] = hhmm(self.closing_time) if self.closing_time else None
        return out

