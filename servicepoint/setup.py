"""Setup use cases: services, counters, staff, branch settings, printers and devices.

Every function takes :class:`SetupPorts` — a store (one write transaction with
the rows and the audit log), a clock, who is acting, and hooks to announce the
change and to end a staff member's sessions — validates with
``servicepoint.domain.branch``, writes the change and its audit entry in one
transaction, and only then announces it. Pages, the JSON API, the CLI and the
TOML importer all call these, so they refuse the same things with the same
:class:`~servicepoint.domain.branch.InvalidSetup` errors.

Rules kept here: a service's code (its ticket prefix) never changes, so a change
never touches the numbers of tickets already issued; a service or counter with
history is disabled, never deleted; the last active manager or admin cannot be
removed; deactivating someone pauses the counter they hold and ends their
sessions.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Mapping, Protocol

from .domain.branch import (
    BranchSettings,
    CounterSpec,
    DeviceSpec,
    InvalidSetup,
    PrinterSpec,
    ServiceSpec,
    StaffSpec,
)
from .domain.branch_rules import (
    MIN_PASSWORD,
    check_password,
    parse_counter,
    parse_device,
    parse_printer,
    parse_service,
    parse_settings,
    parse_staff,
)
from .domain.model import DomainError
from .ports import NotFound
from .timeutil import zone


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SetupStore(Protocol):
    """What the use cases need from storage (see :mod:`servicepoint.setup_store`)."""

    def __enter__(self) -> "SetupStore": ...
    def __exit__(self, exc_type, exc, tb) -> None: ...
    def settings(self) -> BranchSettings: ...
    def save_settings(self, settings: BranchSettings) -> None: ...
    def service(self, code: str) -> ServiceSpec | None: ...
    def service_codes(self) -> list[str]: ...
    def next_service_sort(self) -> int: ...
    def save_service(self, spec: ServiceSpec) -> None: ...
    def service_has_history(self, code: str) -> bool: ...
    def delete_service(self, code: str) -> None: ...
    def counter(self, code: str) -> CounterSpec | None: ...
    def counter_codes(self) -> list[str]: ...
    def save_counter(self, spec: CounterSpec) -> None: ...
    def counter_has_history(self, code: str) -> bool: ...
    def counter_holds_tickets(self, code: str) -> bool: ...
    def delete_counter(self, code: str) -> None: ...
    def close_counter(self, code: str, at: dt.datetime, staff: str | None) -> bool: ...
    def pause_counters_of(self, username: str, at: dt.datetime) -> list[str]: ...
    def staff(self, username: str) -> StaffSpec | None: ...
    def add_staff(self, spec: StaffSpec, password_hash: str, at: dt.datetime) -> None: ...
    def update_staff(self, spec: StaffSpec) -> None: ...
    def set_password_hash(self, username: str, password_hash: str) -> None: ...
    def active_admins(self) -> int: ...
    def printer(self, name: str) -> PrinterSpec | None: ...
    def printer_names(self) -> list[str]: ...
    def save_printer(self, spec: PrinterSpec) -> None: ...
    def device(self, code: str) -> DeviceSpec | None: ...
    def save_device(self, spec: DeviceSpec, at: dt.datetime) -> None: ...
    def audit(self, *, at: dt.datetime, actor: str, action: str, entity: str, key: str,
              before: dict | None, after: dict | None) -> None: ...


def _noop(*args: Any) -> None:
    return None


def _default_hasher(password: str) -> str:
    from .auth import hash_password

    return hash_password(password)


@dataclasses.dataclass
class SetupPorts:
    """The outside world of a setup use case.

    ``actor`` is who is acting, as the audit log shows it (a username, ``cli:NAME``
    or ``init``). ``notify(topic)`` announces a committed change to live screens;
    ``end_sessions(username)`` signs an account out everywhere at once.
    """

    store: SetupStore
    clock: Clock
    actor: str
    notify: Callable[[str], None] = _noop
    end_sessions: Callable[[str], None] = _noop
    hash_password: Callable[[str], str] = _default_hasher


def _record(p: SetupPorts, action: str, entity: str, key: str, before: dict | None,
            after: dict | None) -> None:
    p.store.audit(at=p.clock.now(), actor=p.actor, action=action, entity=entity, key=key,
                  before=before, after=after)


def _zone_exists(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def _first_language(p: SetupPorts) -> str:
    return p.store.settings().kiosk_languages[0]


# -- services ------------------------------------------------------------------

def create_service(p: SetupPorts, raw: Mapping[str, Any]) -> ServiceSpec:
    """Add a service (last on the kiosk unless ``sort`` is given).

    Raises :class:`InvalidSetup`, also for a code already in use.
    """
    with p.store:
        if raw.get("sort") in (None, ""):
            raw = {**raw, "sort": p.store.next_service_sort()}
        spec = parse_service(raw, first_language=_first_language(p))
        if p.store.service(spec.code) is not None:
            raise InvalidSetup.one("code", "setup.exists", f"service {spec.code} already exists")
        p.store.save_service(spec)
        _record(p, "create", "service", spec.code, None, spec.as_dict())
    p.notify("setup")
    return spec


def update_service(p: SetupPorts, code: str, changes: Mapping[str, Any]) -> ServiceSpec:
    """Change some fields of service ``code``; its code itself cannot change.

    Raises :class:`NotFound` and :class:`InvalidSetup`. Waiting tickets keep their
    numbers and their queue: only the service's row changes.
    """
    with p.store:
        current = _service(p, code)
        if "code" in changes and str(changes["code"]).strip().upper() != code:
            raise InvalidSetup.one("code", "setup.code_fixed",
                                   "a service's code is its ticket prefix and cannot change; "
                                   "create a new service instead")
        spec = parse_service({**current.as_dict(), **changes},
                             first_language=None if "names" not in changes else _first_language(p))
        if spec != current:
            p.store.save_service(spec)
            _record(p, "update", "service", code, current.as_dict(), spec.as_dict())
    p.notify("setup")
    return spec


def remove_service(p: SetupPorts, code: str) -> str:
    """Delete a service that was never used, else disable it; returns what happened."""
    with p.store:
        current = _service(p, code)
        if p.store.service_has_history(code):
            if current.enabled:
                spec = dataclasses.replace(current, enabled=False)
                p.store.save_service(spec)
                _record(p, "disable", "service", code, current.as_dict(), spec.as_dict())
            outcome = "disabled"
        else:
            p.store.delete_service(code)
            _record(p, "delete", "service", code, current.as_dict(), None)
            outcome = "deleted"
    p.notify("setup")
    return outcome


def _service(p: SetupPorts, code: str) -> ServiceSpec:
    spec = p.store.service(str(code).upper())
    if spec is None:
        raise NotFound("service", code)
    return spec


# -- counters ------------------------------------------------------------------

def create_counter(p: SetupPorts, raw: Mapping[str, Any]) -> CounterSpec:
    """Add a counter serving existing services. Raises :class:`InvalidSetup`."""
    with p.store:
        spec = parse_counter(raw, known_services=p.store.service_codes())
        if p.store.counter(spec.code) is not None:
            raise InvalidSetup.one("code", "setup.exists", f"counter {spec.code} already exists")
        p.store.save_counter(spec)
        _record(p, "create", "counter", spec.code, None, spec.as_dict())
    p.notify("setup")
    return spec


def update_counter(p: SetupPorts, code: str, changes: Mapping[str, Any]) -> CounterSpec:
    """Change a counter's name, location, services (in order) or enabled flag.

    Disabling closes an open counter; a counter still holding a ticket cannot
    be disabled (``counter_busy``), so nobody is left standing at it.
    """
    with p.store:
        current = p.store.counter(code)
        if current is None:
            raise NotFound("counter", code)
        if "code" in changes and str(changes["code"]).strip() != code:
            raise InvalidSetup.one("code", "setup.code_fixed", "a counter's code cannot change")
        spec = parse_counter({**current.as_dict(), **changes},
                             known_services=p.store.service_codes())
        if spec != current:
            if current.enabled and not spec.enabled:
                _stop_counter(p, code)
            p.store.save_counter(spec)
            _record(p, "update", "counter", code, current.as_dict(), spec.as_dict())
    p.notify("setup")
    p.notify("counters")
    return spec


def remove_counter(p: SetupPorts, code: str) -> str:
    """Delete a counter that was never used, else disable it; returns what happened."""
    with p.store:
        current = p.store.counter(code)
        if current is None:
            raise NotFound("counter", code)
        _stop_counter(p, code)
        if p.store.counter_has_history(code):
            if current.enabled:
                spec = dataclasses.replace(current, enabled=False)
                p.store.save_counter(spec)
                _record(p, "disable", "counter", code, current.as_dict(), spec.as_dict())
            outcome = "disabled"
        else:
            p.store.delete_counter(code)
            _record(p, "delete", "counter", code, current.as_dict(), None)
            outcome = "deleted"
    p.notify("setup")
    p.notify("counters")
    return outcome


def _stop_counter(p: SetupPorts, code: str) -> None:
    if p.store.counter_holds_tickets(code):
        raise DomainError(f"Counter {code} still has a customer; finish or requeue first",
                          "counter_busy")
    p.store.close_counter(code, p.clock.now(), None)


# -- branch settings -----------------------------------------------------------

def update_settings(p: SetupPorts, changes: Mapping[str, Any]) -> BranchSettings:
    """Change some branch settings. Raises :class:`InvalidSetup`.

    A new time zone takes effect for ticket days when the server restarts.
    """
    with p.store:
        current = p.store.settings()
        settings = parse_settings(changes, current, zone_exists=_zone_exists)
        if settings != current:
            p.store.save_settings(settings)
            _record(p, "update", "settings", "branch", current.as_dict(), settings.as_dict())
    p.notify("setup")
    return settings


# -- staff ---------------------------------------------------------------------

def add_staff(p: SetupPorts, raw: Mapping[str, Any], *, min_password: int = MIN_PASSWORD
              ) -> StaffSpec:
    """Create an account from ``raw`` (username, display_name, role, password).

    ``min_password``: the shortest password accepted (the command line, run by
    whoever administers the box, may accept shorter ones).
    """
    spec = parse_staff(raw)
    password = check_password(raw.get("password"), min_len=min_password)
    hashed = p.hash_password(password)  # slow on purpose: outside the write lock
    with p.store:
        if p.store.staff(spec.username) is not None:
            raise InvalidSetup.one("username", "setup.exists",
                                   f"an account {spec.username!r} already exists")
        p.store.add_staff(spec, hashed, p.clock.now())
        _record(p, "create", "staff", spec.username, None, spec.as_dict())
    return spec


def update_staff(p: SetupPorts, username: str, changes: Mapping[str, Any]) -> StaffSpec:
    """Change an account's name, role or active flag (not its username or password).

    A role change or deactivation ends the account's sessions at once;
    deactivation also pauses the counter the person holds. The last active
    manager or admin cannot be demoted or deactivated (``setup.last_admin``).
    """
    if "password" in changes:
        raise InvalidSetup.one("password", "setup.use_reset", "use the password reset")
    with p.store:
        current = _staff(p, username)
        if "username" in changes and changes["username"] != username:
            raise InvalidSetup.one("username", "setup.code_fixed", "a username cannot change")
        spec = parse_staff({**current.as_dict(), **changes})
        if spec == current:
            return spec
        was_admin = current.active and current.role in ("manager", "admin")
        still_admin = spec.active and spec.role in ("manager", "admin")
        if was_admin and not still_admin and p.store.active_admins() <= 1:
            raise InvalidSetup.one("role" if spec.active else "active", "setup.last_admin",
                                   "this is the last active manager or admin")
        if current.active and not spec.active:
            p.store.pause_counters_of(username, p.clock.now())
        p.store.update_staff(spec)
        action = "deactivate" if current.active and not spec.active else "update"
        _record(p, action, "staff", username, current.as_dict(), spec.as_dict())
    if spec.role != current.role or not spec.active:
        p.end_sessions(username)
        p.notify("counters")
    return spec


def deactivate_staff(p: SetupPorts, username: str) -> StaffSpec:
    """Deactivate an account: it can no longer sign in; its sessions end; its counter pauses."""
    return update_staff(p, username, {"active": False})


def pause_counters_of(p: SetupPorts, username: str) -> list[str]:
    """Put the counter ``username`` holds on a break (a counter event), e.g. at sign-out.

    A paused counter stops feeding routing and the waits shown to customers until
    someone resumes it. Returns the codes of the counters paused.
    """
    with p.store:
        paused = p.store.pause_counters_of(username, p.clock.now())
    if paused:
        p.notify("counters")
    return paused


def reset_password(p: SetupPorts, username: str, password: str) -> None:
    """Give an account a new password and end its sessions. Raises :class:`InvalidSetup`."""
    hashed = p.hash_password(check_password(password))
    with p.store:
        _staff(p, username)
        p.store.set_password_hash(username, hashed)
        # The audit says that it happened and who did it, never the password or its hash.
        _record(p, "reset_password", "staff", username, None, None)
    p.end_sessions(username)


def _staff(p: SetupPorts, username: str) -> StaffSpec:
    spec = p.store.staff(username)
    if spec is None:
        raise NotFound("account", username)
    return spec


# -- printers and devices ------------------------------------------------------

def save_printer(p: SetupPorts, raw: Mapping[str, Any]) -> PrinterSpec:
    """Add a printer, or change the one with the same name."""
    spec = parse_printer(raw)
    with p.store:
        current = p.store.printer(spec.name)
        if spec != current:
            p.store.save_printer(spec)
            _record(p, "create" if current is None else "update", "printer", spec.name,
                    None if current is None else current.as_dict(), spec.as_dict())
    p.notify("printer")
    return spec


def save_device(p: SetupPorts, raw: Mapping[str, Any]) -> DeviceSpec:
    """Add an expected kiosk or display, or change the one with the same code."""
    with p.store:
        spec = parse_device(raw, known_services=p.store.service_codes(),
                            known_printers=p.store.printer_names(),
                            known_counters=p.store.counter_codes())
        current = p.store.device(spec.code)
        if current is not None and current.kind != spec.kind:
            raise InvalidSetup.one("kind", "setup.kind_fixed",
                                   f"{spec.code} is a {current.kind}; a device keeps its kind")
        if spec != current:
            p.store.save_device(spec, p.clock.now())
            _record(p, "create" if current is None else "update", "device", spec.code,
                    None if current is None else current.as_dict(), spec.as_dict())
    p.notify("setup")
    return spec


def record(p: SetupPorts, action: str, entity: str, key: str = "", *,
           before: dict | None = None, after: dict | None = None) -> None:
    """Append an audit entry for a change made elsewhere (e.g. a device paired or revoked)."""
    with p.store:
        _record(p, action, entity, key, before, after)
