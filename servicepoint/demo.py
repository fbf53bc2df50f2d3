"""The demo branch that ``servicepoint init --demo`` seeds, and the settings every branch starts with."""
from __future__ import annotations

import json
import sqlite3

from . import auth
from .db import set_setting

SERVICES = [
    # code, English, Spanish, target wait s, default service s, weight
    ("A", "General enquiries", "Consultas generales", 600, 240, 1.0),
    ("B", "Payments and cash", "Pagos y caja", 300, 150, 1.5),
    ("C", "Accounts and cards", "Cuentas y tarjetas", 900, 480, 1.0),
    ("D", "Business customers", "Empresas", 900, 600, 1.2),
]
COUNTERS = [
    ("1", "Counter 1", "AB"), ("2", "Counter 2", "AB"), ("3", "Counter 3", "BC"),
    ("4", "Counter 4", "CD"), ("5", "Counter 5", "ACD"), ("6", "Counter 6", "D"),
]
STAFF = [
    # username, password, role, display name
    ("clerk", "clerk-demo", "staff", "Ana Clerk"),
    ("manager", "manager-demo", "manager", "Marta Manager"),
    ("tech", "tech-demo", "technician", "Tomás Technician"),
]
PRINTER = ("Lobby printer (emulator)", "emulator:", 80)
KIOSKS = [("K1", "Entrance kiosk", "en"), ("K2", "Second kiosk", "es")]
DISPLAYS = [("D1", "Lobby display")]


def ensure_base_settings(conn: sqlite3.Connection, timezone: str, branch_name: str) -> None:
    """Settings every branch needs; existing values are kept."""
    with conn:
        for key, value in (("timezone", timezone), ("branch_name", branch_name),
                           ("ticket_template", {"show_qr": True, "show_wait": True,
                                                "greeting": {"en": "Welcome", "es": "Bienvenido"},
                                                "footer": {"en": "Thank you for waiting",
                                                           "es": "Gracias por su espera"}})):
            conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                         (key, json.dumps(value)))


def seed(conn: sqlite3.Connection, now: str) -> bool:
    """Seed the demo branch unless services already exist. Returns True if it seeded."""
    if conn.execute("SELECT count(*) FROM services").fetchone()[0]:
        return False
    with conn:
        set_setting(conn, "branch_name", "ServicePoint Demo Branch")
        for sort, (code, en, es, target, default, weight) in enumerate(SERVICES):
            conn.execute("INSERT INTO services (code, names, target_wait_s, default_service_s,"
                         " weight, sort) VALUES (?,?,?,?,?,?)",
                         (code, json.dumps({"en": en, "es": es}), target, default, weight, sort))
        for code, name, services in COUNTERS:
            conn.execute("INSERT INTO counters (code, name) VALUES (?, ?)", (code, name))
            for svc in services:
                conn.execute("INSERT INTO counter_services VALUES (?, ?)", (code, svc))
        printer_id = conn.execute("INSERT INTO printers (name, url, paper_mm) VALUES (?,?,?)",
                                  PRINTER).lastrowid
        for code, name, lang in KIOSKS:
            conn.execute("INSERT INTO devices (code, kind, name, language, printer_id, created_at)"
                         " VALUES (?, 'kiosk', ?, ?, ?, ?)", (code, name, lang, printer_id, now))
        for code, name in DISPLAYS:
            conn.execute("INSERT INTO devices (code, kind, name, created_at)"
                         " VALUES (?, 'display', ?, ?)", (code, name, now))
    for username, password, role, name in STAFF:
        auth.add_user(conn, username, password, role, name, now=now)
    return True
