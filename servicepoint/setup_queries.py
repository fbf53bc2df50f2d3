"""Reads of the branch setup and its audit log, for pages, the API and the config export."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from typing import Iterator

from .domain.branch import (
    BranchSettings,
    CounterSpec,
    DeviceSpec,
    PrinterSpec,
    ServiceSpec,
    StaffSpec,
)
from .setup_store import (
    DEVICE_SELECT,
    read_settings,
    row_to_counter,
    row_to_device,
    row_to_printer,
    row_to_service,
    row_to_staff,
)
from .timeutil import from_db, to_db


def last_closes(conn: sqlite3.Connection, limit: int = 5) -> list[dict]:
    """The most recent day closes, newest first: day, at, expired, trigger."""
    return [{"day": r["day"], "at": from_db(r["at"]), "expired": r["expired"],
             "trigger": r["trigger"]} for r in conn.execute(
        "SELECT day, at, expired, trigger FROM day_closes ORDER BY id DESC LIMIT ?", (limit,))]


def settings(conn: sqlite3.Connection) -> BranchSettings:
    """The branch settings (defaults for any never saved)."""
    return read_settings(conn)


def services(conn: sqlite3.Connection) -> list[ServiceSpec]:
    """Every service, enabled or not, in kiosk order."""
    return [row_to_service(r) for r in conn.execute("SELECT * FROM services ORDER BY sort, code")]


def counters(conn: sqlite3.Connection) -> list[CounterSpec]:
    """Every counter, with its services in order."""
    rows = conn.execute("SELECT * FROM counters ORDER BY length(code), code").fetchall()
    return [row_to_counter(conn, r) for r in rows]


def staff(conn: sqlite3.Connection) -> list[StaffSpec]:
    """Every account (never a password hash)."""
    return [row_to_staff(r) for r in conn.execute("SELECT * FROM staff ORDER BY username")]


def printers(conn: sqlite3.Connection) -> list[PrinterSpec]:
    return [row_to_printer(r) for r in conn.execute("SELECT * FROM printers ORDER BY name")]


def printer_by_id(conn: sqlite3.Connection, printer_id: int) -> dict | None:
    """One printer's settings (for the audit's "before"), or None."""
    row = conn.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone()
    return row_to_printer(row).as_dict() if row else None


def device_printer(conn: sqlite3.Connection, code: str) -> str | None:
    """The name of the printer a device prints on, or None."""
    row = conn.execute("SELECT p.name FROM devices d JOIN printers p ON p.id = d.printer_id"
                       " WHERE d.code = ?", (code,)).fetchone()
    return row[0] if row else None


def devices(conn: sqlite3.Connection) -> list[DeviceSpec]:
    """Every kiosk and display the branch expects."""
    return [row_to_device(r) for r in conn.execute(f"{DEVICE_SELECT} ORDER BY d.kind, d.code")]


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One audit row with its before/after decoded and the fields that changed."""

    id: int
    at: object
    actor: str
    action: str
    entity: str
    key: str
    before: dict | None
    after: dict | None

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """``(field, before, after)`` for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after))
                if before.get(k) != after.get(k)]


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(id=row["id"], at=from_db(row["at"]), actor=row["actor"],
                      action=row["action"], entity=row["entity"], key=row["entity_key"],
                      before=json.loads(row["before"]) if row["before"] else None,
                      after=json.loads(row["after"]) if row["after"] else None)


def _audit_where(entity: str | None, actor: str | None, since=None, until=None,
                 before_id: int | None = None) -> tuple[str, list]:
    clauses: list[str] = []
    args: list[object] = []
    for column, value in (("entity", entity), ("actor", actor)):
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        clauses.append("at >= ?")
        args.append(to_db(since))
    if until is not None:
        clauses.append("at < ?")
        args.append(to_db(until))
    if before_id is not None:
        clauses.append("id < ?")
        args.append(before_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def audit_entries(conn: sqlite3.Connection, *, entity: str | None = None,
                  actor: str | None = None, before_id: int | None = None,
                  limit: int = 50) -> list[AuditEntry]:
    """The newest audit entries (older than ``before_id`` for the next page)."""
    where, args = _audit_where(entity, actor, before_id=before_id)
    return [_entry(r) for r in conn.execute(
        f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ?", (*args, limit))]


def audit_filters(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The entities and actors that occur, for the page's filter menus."""
    return {"entities": [r[0] for r in conn.execute(
                "SELECT DISTINCT entity FROM audit_log ORDER BY entity")],
            "actors": [r[0] for r in conn.execute(
                "SELECT DISTINCT actor FROM audit_log ORDER BY actor")]}


AUDIT_CSV_COLUMNS = ["id", "at", "actor", "action", "entity", "key", "before", "after"]


def audit_csv(conn: sqlite3.Connection, *, entity: str | None = None, actor: str | None = None,
              since=None, until=None) -> Iterator[str]:
    """The audit log as CSV, oldest first, yielded in chunks (it may be long)."""
    where, args = _audit_where(entity, actor, since, until)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    cursor = conn.execute(f"SELECT * FROM audit_log{where} ORDER BY id", args)
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            break
        for r in rows:
            writer.writerow([r["id"], r["at"], r["actor"], r["action"], r["entity"],
                             r["entity_key"], r["before"] or "", r["after"] or ""])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue()
