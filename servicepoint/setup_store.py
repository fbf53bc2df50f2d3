"""The SQLite side of the setup use cases: one write transaction, its rows and its audit.

``with store:`` opens ``BEGIN IMMEDIATE`` and commits on success. Unlike the
queue's unit of work it may be entered again while open: the inner block joins
the outer transaction, so a config import applies many use cases as one
transaction (all or nothing).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from .db import get_setting, immediate, set_setting
from .domain.branch import (
    BranchSettings,
    CounterSpec,
    DeviceSpec,
    PrinterSpec,
    ServiceSpec,
    StaffSpec,
)
from .domain.hours import Hours
from .timeutil import to_db

# Branch settings as stored in the ``settings`` table: field -> key.
SETTING_KEYS = {"name": "branch_name", "timezone": "timezone",
                "kiosk_languages": "kiosk_languages",
                "auto_no_show_recalls": "auto_no_show_recalls",
                "priority_question": "priority_question", "closing_time": "closing_time",
                "retention_days": "retention_days", "trusted_proxies": "trusted_proxies",
                "speech_numbers": "speech_numbers",
                "break_reasons": "break_reasons"}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def read_settings(conn: sqlite3.Connection) -> BranchSettings:
    """The branch settings, with defaults for any never saved."""
    defaults = BranchSettings().as_dict()
    stored = {field: get_setting(conn, key, defaults[field]) for field, key in SETTING_KEYS.items()}
    closing = stored["closing_time"]
    return BranchSettings(
        name=stored["name"], timezone=stored["timezone"],
        kiosk_languages=tuple(stored["kiosk_languages"]),
        auto_no_show_recalls=int(stored["auto_no_show_recalls"]),
        priority_question=bool(stored["priority_question"]),
        closing_time=dt.time.fromisoformat(closing) if closing else None,
        retention_days=int(stored["retention_days"]),
        trusted_proxies=tuple(stored["trusted_proxies"]),
        speech_numbers=str(stored["speech_numbers"]),
        break_reasons=tuple(stored["break_reasons"]))


def row_to_service(row: sqlite3.Row) -> ServiceSpec:
    return ServiceSpec(
        code=row["code"], names=json.loads(row["names"]),
        descriptions=json.loads(row["descriptions"]), icon=row["icon"], category=row["category"],
        hours=Hours.from_dict(json.loads(row["hours"])), target_wait_s=row["target_wait_s"],
        service_level_goal=row["service_level_goal"], weight=row["weight"],
        default_service_s=row["default_service_s"], enabled=bool(row["active"]), sort=row["sort"])


def counter_services(conn: sqlite3.Connection, code: str) -> tuple[str, ...]:
    """The services ``code`` serves, in its order."""
    return tuple(r[0] for r in conn.execute(
        "SELECT service_code FROM counter_services WHERE counter_code = ?"
        " ORDER BY position, service_code", (code,)))


def row_to_counter(conn: sqlite3.Connection, row: sqlite3.Row) -> CounterSpec:
    return CounterSpec(code=row["code"], name=row["name"], location=row["location"],
                       services=counter_services(conn, row["code"]), enabled=bool(row["enabled"]),
                       spoken=json.loads(row["spoken"] or "{}"))


def row_to_staff(row: sqlite3.Row) -> StaffSpec:
    return StaffSpec(username=row["username"], display_name=row["display_name"],
                     role=row["role"], active=bool(row["active"]))


def row_to_printer(row: sqlite3.Row) -> PrinterSpec:
    return PrinterSpec(name=row["name"], url=row["url"], paper_mm=row["paper_mm"],
                       profile=row["profile"], mode=row["mode"], enabled=bool(row["enabled"]))


def _json_tuple(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


def row_to_device(row: sqlite3.Row) -> DeviceSpec:
    return DeviceSpec(code=row["code"], kind=row["kind"], name=row["name"],
                      language=row["language"], printer=row["printer_name"],
                      services=_json_tuple(row["services"] or None),
                      counters=_json_tuple(row["counters"]),
                      languages=_json_tuple(row["languages"]),
                      orientation=row["orientation"], message=row["message"],
                      rate_per_min=row["rate_per_min"])


DEVICE_SELECT = ("SELECT d.*, p.name AS printer_name FROM devices d"
                 " LEFT JOIN printers p ON p.id = d.printer_id")


class SqliteSetupStore:
    """Setup rows and the audit log on one connection (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._depth = 0
        self._tx: Any = None

    def __enter__(self) -> "SqliteSetupStore":
        if self._depth == 0:
            self._tx = immediate(self.conn)
            self._tx.__enter__()
        self._depth += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._depth -= 1
        if self._depth == 0:
            tx, self._tx = self._tx, None
            tx.__exit__(exc_type, exc, tb)

    @property
    def outermost(self) -> bool:
        """True inside the transaction's outermost block (where it commits)."""
        return self._depth == 1

    # -- settings -------------------------------------------------------
    def settings(self) -> BranchSettings:
        return read_settings(self.conn)

    def save_settings(self, settings: BranchSettings) -> None:
        values = settings.as_dict()
        for field, key in SETTING_KEYS.items():
            set_setting(self.conn, key, values[field])

    # -- services -------------------------------------------------------
    def service(self, code: str) -> ServiceSpec | None:
        row = self.conn.execute("SELECT * FROM services WHERE code = ?", (code,)).fetchone()
        return row_to_service(row) if row else None

    def service_codes(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT code FROM services ORDER BY sort, code")]

    def next_service_sort(self) -> int:
        """A sort position after every existing service."""
        return self.conn.execute("SELECT coalesce(max(sort) + 1, 0) FROM services").fetchone()[0]

    def save_service(self, spec: ServiceSpec) -> None:
        self.conn.execute(
            "INSERT INTO services (code, names, descriptions, icon, category, hours, target_wait_s,"
            " service_level_goal, weight, default_service_s, active, sort)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (code) DO UPDATE SET"
            " names=excluded.names, descriptions=excluded.descriptions, icon=excluded.icon,"
            " category=excluded.category, hours=excluded.hours,"
            " target_wait_s=excluded.target_wait_s,"
            " service_level_goal=excluded.service_level_goal, weight=excluded.weight,"
            " default_service_s=excluded.default_service_s, active=excluded.active,"
            " sort=excluded.sort",
            (spec.code, _json(spec.names), _json(spec.descriptions), spec.icon, spec.category,
             _json(spec.hours.as_dict()), spec.target_wait_s, spec.service_level_goal,
             spec.weight, spec.default_service_s, int(spec.enabled), spec.sort))

    def service_has_history(self, code: str) -> bool:
        """True once any ticket, event, counter or kiosk refers to the service."""
        return self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE origin_service_id = ?1 OR service_id = ?1)"
            " OR EXISTS (SELECT 1 FROM ticket_events WHERE service_id = ?1)"
            " OR EXISTS (SELECT 1 FROM day_counters WHERE service_code = ?1)",
            (code,)).fetchone()[0] == 1

    def delete_service(self, code: str) -> None:
        self.conn.execute("DELETE FROM counter_services WHERE service_code = ?", (code,))
        self.conn.execute("DELETE FROM queue_counts WHERE service_id = ?", (code,))
        self.conn.execute("DELETE FROM services WHERE code = ?", (code,))

    # -- counters -------------------------------------------------------
    def counter(self, code: str) -> CounterSpec | None:
        row = self.conn.execute("SELECT * FROM counters WHERE code = ?", (code,)).fetchone()
        return row_to_counter(self.conn, row) if row else None

    def counter_codes(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT code FROM counters ORDER BY code")]

    def save_counter(self, spec: CounterSpec) -> None:
        self.conn.execute(
            "INSERT INTO counters (code, name, location, enabled, spoken) VALUES (?,?,?,?,?)"
            " ON CONFLICT (code) DO UPDATE SET name=excluded.name, location=excluded.location,"
            " enabled=excluded.enabled, spoken=excluded.spoken",
            (spec.code, spec.name, spec.location, int(spec.enabled),
             json.dumps(dict(spec.spoken), sort_keys=True, ensure_ascii=False)))
        self.conn.execute("DELETE FROM counter_services WHERE counter_code = ?", (spec.code,))
        self.conn.executemany(
            "INSERT INTO counter_services (counter_code, service_code, position) VALUES (?,?,?)",
            [(spec.code, svc, i) for i, svc in enumerate(spec.services)])

    def counter_has_history(self, code: str) -> bool:
        return self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM ticket_events WHERE counter_id = ?1)"
            " OR EXISTS (SELECT 1 FROM counter_events WHERE counter_code = ?1)"
            " OR EXISTS (SELECT 1 FROM tickets WHERE counter_id = ?1 OR target_counter_id = ?1)",
            (code,)).fetchone()[0] == 1

    def delete_counter(self, code: str) -> None:
        self.conn.execute("DELETE FROM counters WHERE code = ?", (code,))

    def counter_holds_tickets(self, code: str) -> bool:
        """True while a called, serving or parked ticket is at the counter."""
        return self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE counter_id = ?"
            " AND state IN ('called', 'serving', 'parked'))", (code,)).fetchone()[0] == 1

    def close_counter(self, code: str, at: dt.datetime, staff: str | None) -> bool:
        """Close an open or paused counter (a disabled one takes no one); True if it was."""
        changed = self.conn.execute(
            "UPDATE counters SET state = 'closed', changed_at = ? WHERE code = ?"
            " AND state != 'closed'", (to_db(at), code)).rowcount
        if changed:
            self._counter_event(code, "close", at, staff)
        return bool(changed)

    def pause_counters_of(self, username: str, at: dt.datetime) -> list[str]:
        """Put every open counter ``username`` holds on a break; returns their codes."""
        codes = [r[0] for r in self.conn.execute(
            "SELECT code FROM counters WHERE staff_username = ? AND state = 'open'", (username,))]
        for code in codes:
            self.conn.execute("UPDATE counters SET state = 'break', changed_at = ? WHERE code = ?",
                              (to_db(at), code))
            self._counter_event(code, "break", at, username)
        return codes

    def _counter_event(self, code: str, action: str, at: dt.datetime, staff: str | None) -> None:
        self.conn.execute("INSERT INTO counter_events (counter_code, action, at, staff_username)"
                          " VALUES (?,?,?,?)", (code, action, to_db(at), staff))

    # -- staff ----------------------------------------------------------
    def staff(self, username: str) -> StaffSpec | None:
        row = self.conn.execute("SELECT * FROM staff WHERE username = ?", (username,)).fetchone()
        return row_to_staff(row) if row else None

    def add_staff(self, spec: StaffSpec, password_hash: str, at: dt.datetime) -> None:
        self.conn.execute(
            "INSERT INTO staff (username, display_name, role, password_hash, active, created_at)"
            " VALUES (?,?,?,?,?,?)", (spec.username, spec.display_name, spec.role, password_hash,
                                      int(spec.active), to_db(at)))

    def update_staff(self, spec: StaffSpec) -> None:
        self.conn.execute("UPDATE staff SET display_name = ?, role = ?, active = ? WHERE username = ?",
                          (spec.display_name, spec.role, int(spec.active), spec.username))

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self.conn.execute("UPDATE staff SET password_hash = ? WHERE username = ?",
                          (password_hash, username))

    def active_admins(self) -> int:
        """Active accounts that can still change the setup (managers and admins)."""
        return self.conn.execute("SELECT count(*) FROM staff WHERE active"
                                 " AND role IN ('manager', 'admin')").fetchone()[0]

    # -- printers and devices ---------------------------------------------
    def printer(self, name: str) -> PrinterSpec | None:
        row = self.conn.execute("SELECT * FROM printers WHERE name = ?", (name,)).fetchone()
        return row_to_printer(row) if row else None

    def printer_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM printers ORDER BY name")]

    def save_printer(self, spec: PrinterSpec) -> None:
        self.conn.execute(
            "INSERT INTO printers (name, url, paper_mm, profile, mode, enabled)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET url=excluded.url,"
            " paper_mm=excluded.paper_mm, profile=excluded.profile, mode=excluded.mode,"
            " enabled=excluded.enabled",
            (spec.name, spec.url, spec.paper_mm, spec.profile, spec.mode, int(spec.enabled)))

    def device(self, code: str) -> DeviceSpec | None:
        row = self.conn.execute(f"{DEVICE_SELECT} WHERE d.code = ?", (code,)).fetchone()
        return row_to_device(row) if row else None

    def save_device(self, spec: DeviceSpec, at: dt.datetime) -> None:
        printer_id = None
        if spec.printer is not None:
            printer_id = self.conn.execute("SELECT id FROM printers WHERE name = ?",
                                           (spec.printer,)).fetchone()[0]
        def listed(values: tuple[str, ...] | None) -> str | None:
            # Kept in the order given: a display's languages are spoken in that order.
            return None if values is None else json.dumps(list(values), ensure_ascii=False,
                                                         separators=(",", ":"))

        self.conn.execute(
            "INSERT INTO devices (code, kind, name, language, printer_id, services, counters,"
            " languages, orientation, message, rate_per_min, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (code) DO UPDATE SET kind=excluded.kind,"
            " name=excluded.name, language=excluded.language, printer_id=excluded.printer_id,"
            " services=excluded.services, counters=excluded.counters,"
            " languages=excluded.languages, orientation=excluded.orientation,"
            " message=excluded.message, rate_per_min=excluded.rate_per_min",
            (spec.code, spec.kind, spec.name, spec.language, printer_id,
             None if spec.services is None else _json(list(spec.services)),
             listed(spec.counters), listed(spec.languages), spec.orientation, spec.message,
             spec.rate_per_min, to_db(at)))

    # -- audit ----------------------------------------------------------
    def audit(self, *, at: dt.datetime, actor: str, action: str, entity: str, key: str,
              before: dict | None, after: dict | None) -> None:
        """Append one audit entry (in this transaction, so it stands or falls with the change)."""
        insert_audit(self.conn, at=at, actor=actor, action=action, entity=entity, key=key,
                     before=before, after=after)


def insert_audit(conn: sqlite3.Connection, *, at: dt.datetime, actor: str, action: str,
                 entity: str, key: str, before: dict | None, after: dict | None) -> None:
    """Append one row to ``audit_log`` on ``conn`` (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_key, before, after)"
        " VALUES (?,?,?,?,?,?,?)",
        (to_db(at), actor, action, entity, key,
         None if before is None else _json(before), None if after is None else _json(after)))


def setup_ports(conn: sqlite3.Connection, clock, actor: str, **hooks):
    """:class:`~servicepoint.setup.SetupPorts` over ``conn`` (``hooks``: notify, end_sessions).

    ``end_sessions`` defaults to ending the account's server-side sessions
    (``servicepoint.sessions``), so every path that deactivates an account, resets
    its password or changes its role signs it out at once.
    """
    from . import sessions
    from .setup import SetupPorts

    hooks.setdefault("end_sessions", lambda username: sessions.end_all(conn, username))
    return SetupPorts(store=SqliteSetupStore(conn), clock=clock, actor=actor, **hooks)
